//! An incremental schema snapshot: after each step of a long run, re-read
//! only the objects the step touched, so that the cost of a step does not
//! grow with the schema built so far (`verify` over thousands of migrations).
//!
//! The catalogs are first summarised per *owner* (a relation, a type or a
//! routine of the user's schemas): the number of catalog rows that belong to
//! it and the sum of their `xmin`s, in one cheap query without deparsing. Any
//! DDL inserts, deletes or writes a new version of a catalog row (which
//! carries a newer transaction id), so an owner whose summary moved was
//! touched; new and vanished owners are touched too, and so is every owner
//! that depends on a touched one (`pg_depend`: a view on a renamed column, a
//! foreign key to a renamed table, a trigger calling a renamed function).
//! Only those are read with [`catalog::FACTS_SQL`], restricted to their oids;
//! schemas and extensions (a handful of rows) are read every time.
//!
//! The facts are the ones [`catalog::snapshot`] gives, so an assembled
//! [`Tracker::snapshot`] equals a full snapshot of the same database.

use crate::error::Result;
use crate::proof::catalog::{self, Fact, Kind, Snapshot};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::PgConnection;
use std::collections::HashMap;

/// One object that owns facts: `('r', oid)` a relation, `('t', oid)` a type,
/// `('p', oid)` a routine.
pub type Owner = (char, i64);

/// Facts per owner.
type FactsByOwner = HashMap<Owner, Vec<Fact>>;

/// Summary of an owner's catalog rows: (row count, sum of xmin).
type Stamp = (i64, i64);

/// The live schema of one database, kept up to date step by step.
#[derive(Debug, Default, Clone)]
pub struct Tracker {
    stamps: HashMap<Owner, Stamp>,
    facts: HashMap<Owner, Vec<Fact>>,
    globals: Vec<Fact>,
}

/// Facts of some owners at some moment, plus the schema-wide facts.
#[derive(Debug, Default, Clone)]
pub struct Picture {
    /// Facts per owner (an empty list: the owner did not exist).
    pub owners: HashMap<Owner, Vec<Fact>>,
    /// Schemas and extensions.
    pub globals: Vec<Fact>,
}

impl Picture {
    /// The picture as a snapshot.
    pub fn snapshot(&self) -> Snapshot {
        let mut facts: Vec<Fact> = self.owners.values().flatten().cloned().collect();
        facts.extend(self.globals.iter().cloned());
        Snapshot::from_facts(facts)
    }
}

impl Tracker {
    /// Reads the whole schema of `conn`'s database.
    pub fn start(conn: &mut PgConnection) -> Result<Self> {
        prepare(conn)?;
        let mut tracker = Tracker::default();
        tracker.refresh(conn)?;
        Ok(tracker)
    }

    /// Re-reads what changed since the last read (on the connection that
    /// [`Tracker::start`] was given). Returns the facts the
    /// changed owners had before (empty for a new owner); the schema-wide
    /// facts before are [`Tracker::globals`] as read before this call.
    pub fn refresh(&mut self, conn: &mut PgConnection) -> Result<HashMap<Owner, Vec<Fact>>> {
        let stamps = inventory(conn)?;
        let mut changed: Vec<Owner> = stamps
            .iter()
            .filter(|(owner, stamp)| self.stamps.get(owner) != Some(stamp))
            .map(|(owner, _)| *owner)
            .collect();
        let gone: Vec<Owner> = self
            .stamps
            .keys()
            .filter(|owner| !stamps.contains_key(owner))
            .copied()
            .collect();
        if !changed.is_empty() || !gone.is_empty() {
            let mut seeds = changed.clone();
            seeds.extend(&gone);
            for owner in dependents(conn, &seeds)? {
                if stamps.contains_key(&owner) && !changed.contains(&owner) {
                    changed.push(owner);
                }
            }
        }
        let mut before = HashMap::new();
        for owner in &gone {
            before.insert(*owner, self.facts.remove(owner).unwrap_or_default());
        }
        let (mut fresh, globals) = read_owners(conn, &changed)?;
        for owner in changed {
            let old = self.facts.remove(&owner).unwrap_or_default();
            let new = fresh.remove(&owner).unwrap_or_default();
            if old != new {
                before.insert(owner, old);
            }
            self.facts.insert(owner, new);
        }
        self.stamps = stamps;
        self.globals = globals;
        Ok(before)
    }

    /// The schema-wide facts (schemas, extensions) as last read.
    pub fn globals(&self) -> &[Fact] {
        &self.globals
    }

    /// The current facts of one owner (empty when it does not exist).
    pub fn facts_of(&self, owner: &Owner) -> Vec<Fact> {
        self.facts.get(owner).cloned().unwrap_or_default()
    }

    /// The current facts of these owners, with the schema-wide ones.
    pub fn picture<'a>(&self, owners: impl IntoIterator<Item = &'a Owner>) -> Picture {
        Picture {
            owners: owners.into_iter().map(|o| (*o, self.facts_of(o))).collect(),
            globals: self.globals.clone(),
        }
    }

    /// The whole schema, assembled from what was read.
    pub fn snapshot(&self) -> Snapshot {
        let mut facts: Vec<Fact> = self.facts.values().flatten().cloned().collect();
        facts.extend(self.globals.iter().cloned());
        Snapshot::from_facts(facts)
    }
}

/// Per owner of the user's schemas: how many catalog rows are its, and the
/// sum of their xmin. No deparsing: a scan of the catalogs.
const INVENTORY_SQL: &str = r#"
WITH nsp AS (
  SELECT oid FROM pg_namespace WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'
),
rel AS (
  SELECT oid, xmin FROM pg_class
  WHERE relnamespace IN (SELECT oid FROM nsp) AND relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
),
typ AS (
  SELECT t.oid, t.xmin, t.typrelid FROM pg_type t
  WHERE t.typnamespace IN (SELECT oid FROM nsp)
    AND (t.typtype IN ('e', 'd', 'r')
         OR (t.typtype = 'c' AND t.typrelid IN (SELECT oid FROM pg_class WHERE relkind = 'c')))
),
owned (kind, owner, x) AS (
  SELECT 'r', oid, xmin FROM rel
  UNION ALL SELECT 'r', a.attrelid, a.xmin FROM pg_attribute a
            WHERE a.attrelid IN (SELECT oid FROM rel)
  UNION ALL SELECT 'r', d.adrelid, d.xmin FROM pg_attrdef d
  UNION ALL SELECT 'r', c.conrelid, c.xmin FROM pg_constraint c WHERE c.conrelid <> 0
  UNION ALL SELECT 't', c.contypid, c.xmin FROM pg_constraint c WHERE c.contypid <> 0
  UNION ALL SELECT 'r', i.indrelid, i.xmin FROM pg_index i
  UNION ALL SELECT 'r', i.indrelid, ic.xmin FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
  UNION ALL SELECT 'r', g.tgrelid, g.xmin FROM pg_trigger g
  UNION ALL SELECT 'r', w.ev_class, w.xmin FROM pg_rewrite w
  UNION ALL SELECT 'r', h.inhrelid, h.xmin FROM pg_inherits h
  UNION ALL SELECT 'r', s.seqrelid, s.xmin FROM pg_sequence s
  UNION ALL SELECT 'r', p.partrelid, p.xmin FROM pg_partitioned_table p
  UNION ALL SELECT 't', oid, xmin FROM typ
  UNION ALL SELECT 't', t.oid, a.xmin FROM typ t JOIN pg_attribute a ON a.attrelid = t.typrelid
  UNION ALL SELECT 't', t.oid, c.xmin FROM typ t JOIN pg_class c ON c.oid = t.typrelid
  UNION ALL SELECT 't', e.enumtypid, e.xmin FROM pg_enum e
  UNION ALL SELECT 't', r.rngtypid, r.xmin FROM pg_range r
  UNION ALL SELECT 'p', p.oid, p.xmin FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM nsp)
)
SELECT o.kind, o.owner::int8 AS oid, count(*)::int8 AS n, sum(o.x::text::int8)::int8 AS xsum
FROM owned o
WHERE (o.kind = 'r' AND o.owner IN (SELECT oid FROM rel))
   OR (o.kind = 't' AND o.owner IN (SELECT oid FROM typ))
   OR o.kind = 'p'
GROUP BY 1, 2
"#;

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

/// Runs `body` in a read-only transaction that uses the generic plans of
/// the prepared statements (planning them anew would cost more than running
/// them), with `search_path` = `public` as the facts need.
fn generic<T>(
    conn: &mut PgConnection,
    body: impl FnOnce(&mut PgConnection) -> diesel::QueryResult<T>,
) -> Result<T> {
    Ok(conn
        .build_transaction()
        .read_only()
        .repeatable_read()
        .run(|conn| {
            conn.batch_execute(
                "SET LOCAL search_path TO public; SET LOCAL plan_cache_mode = force_generic_plan",
            )?;
            body(conn)
        })?)
}

fn inventory(conn: &mut PgConnection) -> Result<HashMap<Owner, Stamp>> {
    let rows: Vec<StampRow> = generic(conn, |conn| {
        diesel::sql_query("EXECUTE ragchat_tracker_inventory").load(conn)
    })?;
    Ok(rows
        .into_iter()
        .map(|r| ((kind_char(&r.kind), r.oid), (r.n, r.xsum)))
        .collect())
}

fn kind_char(kind: &str) -> char {
    kind.chars().next().unwrap_or('?')
}

fn oid_array(owners: &[Owner], kind: char) -> String {
    let oids: Vec<String> = owners
        .iter()
        .filter(|o| o.0 == kind)
        .map(|o| o.1.to_string())
        .collect();
    format!("'{{{}}}'", oids.join(","))
}

#[derive(QueryableByName)]
struct OwnerRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    oid: i64,
}

/// The owners that depend on any of `$1` (relations), `$2` (types), `$3`
/// (routines): one hop of `pg_depend`.
const DEPENDENTS_SQL: &str = "
WITH dep AS (
  SELECT classid, objid FROM pg_depend
  WHERE (refclassid = 'pg_class'::regclass AND refobjid = ANY($1))
     OR (refclassid = 'pg_type'::regclass AND refobjid = ANY($2))
     OR (refclassid = 'pg_proc'::regclass AND refobjid = ANY($3)))
SELECT DISTINCT x.kind, x.oid::int8 AS oid FROM dep d
CROSS JOIN LATERAL (
  SELECT 'r' AS kind, coalesce((SELECT indrelid FROM pg_index WHERE indexrelid = d.objid),
                               d.objid) AS oid
    WHERE d.classid = 'pg_class'::regclass
  UNION ALL SELECT 'r', ev_class FROM pg_rewrite
    WHERE d.classid = 'pg_rewrite'::regclass AND oid = d.objid
  UNION ALL SELECT CASE WHEN conrelid <> 0 THEN 'r' ELSE 't' END,
                   CASE WHEN conrelid <> 0 THEN conrelid ELSE contypid END
    FROM pg_constraint WHERE d.classid = 'pg_constraint'::regclass AND oid = d.objid
  UNION ALL SELECT 'r', tgrelid FROM pg_trigger
    WHERE d.classid = 'pg_trigger'::regclass AND oid = d.objid
  UNION ALL SELECT 'r', adrelid FROM pg_attrdef
    WHERE d.classid = 'pg_attrdef'::regclass AND oid = d.objid
  UNION ALL SELECT CASE WHEN typrelid <> 0 THEN 'r' ELSE 't' END,
                   CASE WHEN typrelid <> 0 THEN typrelid ELSE oid END
    FROM pg_type WHERE d.classid = 'pg_type'::regclass AND oid = d.objid
  UNION ALL SELECT 'p', d.objid WHERE d.classid = 'pg_proc'::regclass) x";

/// The names facts use for owners `$1` (relations), `$2` (types), `$3`
/// (routines), read with `search_path` = `public` as the facts are.
const DISPLAYS_SQL: &str = "
SELECT 'r' AS kind, oid::int8 AS oid, oid::regclass::text AS display
  FROM pg_class WHERE oid = ANY($1)
UNION ALL SELECT 't', oid::int8, oid::regtype::text FROM pg_type WHERE oid = ANY($2)
UNION ALL SELECT 'p', p.oid::int8,
  CASE WHEN n.nspname = 'public' THEN '' ELSE quote_ident(n.nspname) || '.' END
  || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')'
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
  WHERE p.oid = ANY($3)";

/// Prepares the tracker's statements on a connection, once: planning the
/// catalog query costs more than running it for a few objects. Generic plans
/// are forced where they run, so none is planned again.
fn prepare(conn: &mut PgConnection) -> Result<()> {
    let facts = restricted_facts_sql().unwrap_or_else(|| catalog::FACTS_SQL.to_string());
    // Once per connection: a second tracker on it reuses the statements.
    let prepared: i64 = diesel::select(diesel::dsl::sql::<BigInt>(
        "count(*) FROM pg_prepared_statements WHERE name LIKE 'ragchat\\_tracker\\_%'",
    ))
    .get_result(conn)?;
    if prepared == 4 {
        return Ok(());
    }
    conn.batch_execute(&format!(
        "PREPARE ragchat_tracker_inventory AS {INVENTORY_SQL};
         PREPARE ragchat_tracker_dependents (oid[], oid[], oid[]) AS {DEPENDENTS_SQL};
         PREPARE ragchat_tracker_displays (oid[], oid[], oid[]) AS {DISPLAYS_SQL};
         PREPARE ragchat_tracker_facts (oid[], oid[], oid[]) AS {facts};"
    ))?;
    Ok(())
}

/// `EXECUTE name(relations, types, routines)` for these owners.
fn execute_for(name: &str, owners: &[Owner]) -> String {
    format!(
        "EXECUTE {name}({}, {}, {})",
        oid_array(owners, 'r'),
        oid_array(owners, 't'),
        oid_array(owners, 'p')
    )
}

/// The owners that depend on any of `seeds`.
fn dependents(conn: &mut PgConnection, seeds: &[Owner]) -> Result<Vec<Owner>> {
    let rows: Vec<OwnerRow> = generic(conn, |conn| {
        diesel::sql_query(execute_for("ragchat_tracker_dependents", seeds)).load(conn)
    })?;
    Ok(rows
        .into_iter()
        .map(|r| (kind_char(&r.kind), r.oid))
        .collect())
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

#[derive(QueryableByName)]
struct DisplayRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    oid: i64,
    #[diesel(sql_type = Text)]
    display: String,
}

/// Reads the facts of `owners` (and the schema-wide facts), each fact given
/// to the owner whose name it carries.
fn read_owners(conn: &mut PgConnection, owners: &[Owner]) -> Result<(FactsByOwner, Vec<Fact>)> {
    let (rows, displays) = generic(conn, |conn| {
        let rows = diesel::sql_query(execute_for("ragchat_tracker_facts", owners))
            .load::<catalog::FactRow>(conn)?;
        let displays = if owners.is_empty() {
            Vec::new()
        } else {
            diesel::sql_query(execute_for("ragchat_tracker_displays", owners))
                .load::<DisplayRow>(conn)?
        };
        Ok((rows, displays))
    })?;
    let snapshot = catalog::collect(rows);
    let names: HashMap<(char, &str), Owner> = displays
        .iter()
        .map(|d| {
            (
                (kind_char(&d.kind), d.display.as_str()),
                (kind_char(&d.kind), d.oid),
            )
        })
        .collect();
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
    Ok((by_owner, globals))
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
