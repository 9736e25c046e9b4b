//! The tracker's queries, kept prepared on the connection by diesel (see
//! [`CachedQuery`]; planning the catalog query costs more than running it
//! for a few objects) and run with generic plans: the inventory of every owner, the owners of some catalog
//! objects, their dependents, their facts and their parts.

use super::cached_query::CachedQuery;
use super::{FactsByOwner, Owner, Stamp};
use crate::error::Result;
use crate::proof::catalog::{self, Fact, Kind};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel::PgConnection;
use std::collections::HashMap;
use std::sync::OnceLock;

const INVENTORY_SQL: &str = include_str!("inventory.sql");
const TOUCHED_SQL: &str = concat!(
    include_str!("touched.sql"),
    include_str!("owners_of.sql"),
    include_str!("dependents.sql"),
    include_str!("owners_of.sql"),
    include_str!("depending.sql"),
);
const NAMES_AND_PARTS_SQL: &str = include_str!("names_and_parts.sql");

/// How a transaction of the tracker starts, in one round trip: one
/// snapshot for all its queries, the generic plans of the prepared
/// statements (planning the catalog query anew would cost more than running
/// it for a few objects), and `search_path` = `public` as the facts need.
const BEGIN_SQL: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; \
    SET LOCAL search_path TO public; SET LOCAL plan_cache_mode = force_generic_plan";

#[derive(QueryableByName)]
struct StampRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    oid: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = BigInt)]
    xsum: i64,
}

/// Runs `body` in a transaction set up as [`BEGIN_SQL`] says; inside
/// [`one_transaction`], in that one.
fn generic<T>(
    conn: &mut PgConnection,
    body: impl FnOnce(&mut PgConnection) -> diesel::QueryResult<T>,
) -> Result<T> {
    let inside = AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()?
        .is_some();
    if inside {
        return Ok(body(conn)?);
    }
    one_transaction(conn, |conn| Ok(body(conn)?))
}

/// Runs `body`, and every query of this module it makes, in one read-only
/// transaction set up as [`BEGIN_SQL`] says: a refresh costs a handful of
/// round trips rather than four per query.
pub(super) fn one_transaction<T>(
    conn: &mut PgConnection,
    body: impl FnOnce(&mut PgConnection) -> Result<T>,
) -> Result<T> {
    AnsiTransactionManager::begin_transaction_sql(conn, BEGIN_SQL)?;
    match body(conn) {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => {
            // The error is the news; a failed rollback leaves diesel's
            // transaction state broken, which the next query reports.
            let _ = AnsiTransactionManager::rollback_transaction(conn);
            Err(error)
        }
    }
}

fn kind_char(kind: &str) -> char {
    kind.chars().next().unwrap_or('?')
}

/// The oids of the owners of one kind.
fn oids_of(owners: &[Owner], kind: char) -> Vec<u32> {
    owners
        .iter()
        .filter(|o| o.0 == kind)
        .map(|o| o.1 as u32)
        .collect()
}

/// The relations, types and routines of `owners`.
fn for_owners_arrays(owners: &[Owner]) -> Vec<Vec<u32>> {
    vec![
        oids_of(owners, 'r'),
        oids_of(owners, 't'),
        oids_of(owners, 'p'),
    ]
}

/// `sql` run for relations `$1`, types `$2` and routines `$3` of `owners`.
fn for_owners(sql: &'static str, owners: &[Owner]) -> CachedQuery {
    CachedQuery::new(sql, for_owners_arrays(owners))
}

/// Per owner of the user's schemas: how many catalog rows are its, and the
/// sum of their xmin. No deparsing, but a scan of every catalog: the
/// fallback when the DDL log cannot say what a step touched.
pub(super) fn inventory(conn: &mut PgConnection) -> Result<HashMap<Owner, Stamp>> {
    let rows: Vec<StampRow> = generic(conn, |conn| {
        CachedQuery::new(INVENTORY_SQL, Vec::new()).load(conn)
    })?;
    Ok(rows
        .into_iter()
        .map(|r| ((kind_char(&r.kind), r.oid), (r.n, r.xsum)))
        .collect())
}

#[derive(QueryableByName)]
struct TouchedRow {
    #[diesel(sql_type = Bool)]
    direct: bool,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    oid: i64,
}

/// What [`touched`] finds: the owners of the objects, and the owners that
/// depend on those or on the seeds (none of the first).
pub(super) type TouchedOwners = (Vec<Owner>, Vec<Owner>);

/// In one query: the owners of these catalog objects `(classid, objid)`
/// that still exist, and the owners that depend on any of them or of
/// `seeds`.
pub(super) fn touched(
    conn: &mut PgConnection,
    objects: &[(i64, i64)],
    seeds: &[Owner],
) -> Result<TouchedOwners> {
    if objects.is_empty() && seeds.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut arrays = vec![
        objects.iter().map(|o| o.0 as u32).collect(),
        objects.iter().map(|o| o.1 as u32).collect(),
    ];
    arrays.extend(for_owners_arrays(seeds));
    let query = CachedQuery::new(TOUCHED_SQL, arrays);
    let rows: Vec<TouchedRow> = generic(conn, |conn| query.load(conn))?;
    let (direct, depending): (Vec<TouchedRow>, Vec<TouchedRow>) =
        rows.into_iter().partition(|r| r.direct);
    let owners = |rows: Vec<TouchedRow>| -> Vec<Owner> {
        rows.into_iter()
            .map(|r| (kind_char(&r.kind), r.oid))
            .collect()
    };
    Ok((owners(direct), owners(depending)))
}

/// The facts of relations `$1`, types `$2` and routines `$3`: one text for
/// the life of the program, so that diesel keeps it prepared.
fn facts_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| restricted_facts_sql().unwrap_or_else(|| catalog::FACTS_SQL.to_string()))
}

/// [`catalog::FACTS_SQL`] restricted to relations `$1`, types `$2` and
/// routines `$3`, or `None` when its text no longer has the places where the
/// restriction goes (the full query is then used: slower, never wrong).
fn restricted_facts_sql() -> Option<String> {
    let edits = [
        (
            "  WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')\n",
            "  WHERE c.oid = ANY($1) AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')\n",
        ),
        (
            "  WHERE (t.typtype IN ('e', 'd', 'r')\n",
            "  WHERE t.oid = ANY($2) AND (t.typtype IN ('e', 'd', 'r')\n",
        ),
        (
            "  FROM pg_proc p JOIN nsp n ON n.oid = p.pronamespace\n",
            "  FROM pg_proc p JOIN nsp n ON n.oid = p.pronamespace\n  WHERE p.oid = ANY($3)\n",
        ),
    ];
    let mut sql = catalog::FACTS_SQL.to_string();
    for (anchor, replacement) in edits {
        if sql.matches(anchor).count() != 1 {
            return None;
        }
        sql = sql.replacen(anchor, replacement, 1);
    }
    Some(sql)
}

/// A row of `names_and_parts.sql`: an owner's display, or one of its parts.
#[derive(QueryableByName)]
struct NameOrPartRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    oid: i64,
    #[diesel(sql_type = Nullable<Text>)]
    display: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    classid: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    objid: Option<i64>,
}

/// What [`read_owners`] gives: the facts per owner, the schema-wide facts,
/// and the parts of the owners `(classid, objid)` -> owner.
pub(super) type OwnersRead = (FactsByOwner, Vec<Fact>, HashMap<(i64, i64), Owner>);

/// Reads the facts of `owners` (and the schema-wide facts), each fact given
/// to the owner whose name it carries; with `with_parts`, the parts of the
/// owners too (indexes, constraints, triggers, rules, defaults, a composite
/// type's relation), so that a dropped part names its owner.
pub(super) fn read_owners(
    conn: &mut PgConnection,
    owners: &[Owner],
    with_parts: bool,
) -> Result<OwnersRead> {
    let (rows, named) = generic(conn, |conn| {
        let rows = for_owners(facts_sql(), owners).load::<catalog::FactRow>(conn)?;
        let named = if owners.is_empty() {
            Vec::new()
        } else {
            let parts_of = |kind| match with_parts {
                true => oids_of(owners, kind),
                false => Vec::new(),
            };
            let mut arrays = for_owners_arrays(owners);
            arrays.extend([parts_of('r'), parts_of('t')]);
            CachedQuery::new(NAMES_AND_PARTS_SQL, arrays).load::<NameOrPartRow>(conn)?
        };
        Ok((rows, named))
    })?;
    let mut parts = HashMap::new();
    let mut names: HashMap<(char, &str), Owner> = HashMap::new();
    for row in &named {
        let owner = (kind_char(&row.kind), row.oid);
        match (&row.display, row.classid, row.objid) {
            (Some(display), _, _) => {
                names.insert((owner.0, display.as_str()), owner);
            }
            (None, Some(classid), Some(objid)) => {
                parts.insert((classid, objid), owner);
            }
            (None, _, _) => {}
        }
    }
    let snapshot = catalog::collect(rows);
    let mut by_owner: HashMap<Owner, Vec<Fact>> = HashMap::new();
    let mut globals = Vec::new();
    for fact in snapshot.facts() {
        match owner_of(fact, &names) {
            Some(owner) => by_owner.entry(owner).or_default().push(fact.clone()),
            None if matches!(fact.kind, Kind::Schema | Kind::Extension) => {
                globals.push(fact.clone())
            }
            // Not attributable (cannot happen with the query as written):
            // kept with the schema-wide facts, re-read every time.
            None => globals.push(fact.clone()),
        }
    }
    Ok((by_owner, globals, parts))
}

/// The owner a fact belongs to, from the owner names: `t` for a table fact,
/// `t.c` for its column, `t x` for its index, constraint or trigger.
fn owner_of(fact: &Fact, names: &HashMap<(char, &str), Owner>) -> Option<Owner> {
    let name = fact.name.as_str();
    let exact = |kind: char| names.get(&(kind, name)).copied();
    // The longest owner name that is a prefix of the fact's, followed by `sep`.
    let prefixed = |kinds: &[char], sep: char| {
        name.char_indices()
            .rev()
            .filter(|(_, c)| *c == sep)
            .find_map(|(i, _)| {
                kinds
                    .iter()
                    .find_map(|k| names.get(&(*k, &name[..i])).copied())
            })
    };
    match fact.kind {
        Kind::Schema | Kind::Extension => None,
        Kind::Table | Kind::View | Kind::MaterializedView | Kind::Sequence => exact('r'),
        Kind::Enum | Kind::Domain | Kind::Type => exact('t'),
        Kind::Function | Kind::Aggregate | Kind::Procedure => exact('p'),
        Kind::Column => prefixed(&['r'], '.'),
        Kind::Constraint | Kind::Index | Kind::Trigger => prefixed(&['r', 't'], ' '),
    }
}
