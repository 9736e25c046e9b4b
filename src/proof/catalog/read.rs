//! Reading a snapshot from the catalogs: the one query (`facts.sql`) and a
//! cheap fingerprint that tells when it must be run again.

use super::fact::{Fact, Kind};
use super::snapshot::Snapshot;
use crate::error::Result;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::sql_types::{Int4, Nullable, Text};
use diesel::PgConnection;
use std::collections::BTreeMap;

/// One attribute of one fact, as the catalog query returns it. A row with a
/// NULL value only says that the object exists (schemas have no attributes;
/// attributes that do not apply come back NULL too and are skipped).
#[derive(QueryableByName)]
pub(crate) struct FactRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Int4)]
    ord: i32,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Nullable<Text>)]
    value: Option<String>,
}

/// The catalog query (`facts.sql`): one row per (kind, name, attribute).
///
/// Conventions: `::regclass::text` / `format_type` / `quote_ident` print
/// names as SQL would need them under `search_path = public` (bare in
/// `public`, qualified elsewhere, quoted when needed). Text aggregated inside
/// the query is ordered by catalog position or with `COLLATE "C"`, never by
/// the database's collation.
pub const FACTS_SQL: &str = include_str!("facts.sql");

/// The system catalogs whose rows [`FACTS_SQL`] reads, directly or through
/// the `pg_get_*def` and `format_type` deparsers and `reg*` constants.
/// (`pg_authid`, behind `regrole` constants, is not readable by ordinary
/// roles and is left out: a renamed role in a schema constant is missed.)
const FINGERPRINTED_CATALOGS: &[&str] = &[
    "pg_class",
    "pg_attribute",
    "pg_attrdef",
    "pg_type",
    "pg_enum",
    "pg_range",
    "pg_proc",
    "pg_aggregate",
    "pg_language",
    "pg_namespace",
    "pg_inherits",
    "pg_constraint",
    "pg_index",
    "pg_trigger",
    "pg_sequence",
    "pg_extension",
    "pg_depend",
    "pg_operator",
    "pg_opclass",
    "pg_collation",
    "pg_am",
    // Read by pg_get_viewdef, and by the output of regconfig/regdictionary
    // constants in defaults, checks and index expressions.
    "pg_rewrite",
    "pg_ts_config",
    "pg_ts_dict",
    "pg_partitioned_table",
];

/// A cheap fingerprint of everything a [`snapshot`] reads: per catalog, the
/// number of rows and the sum of their `xmin`, plus the server's version and
/// start time and the database's oid. Any DDL inserts, updates (a new row
/// version) or deletes catalog rows; an insert raises the count, a delete
/// lowers it, and a new row version carries a transaction id newer than any
/// row it replaces, so the sum moves even when the count does not. (Only
/// statistics are updated in place, without a new `xmin`, and they are not
/// schema.) Equal fingerprints of one database therefore mean an unchanged
/// schema; a false "changed" (after `VACUUM FREEZE`, a restart) only costs a
/// full snapshot. About a third of the cost of a snapshot on a new session.
pub fn fingerprint(conn: &mut PgConnection) -> Result<String> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        fingerprint: String,
    }
    let parts: Vec<String> = FINGERPRINTED_CATALOGS
        .iter()
        .map(|c| {
            format!(
                "(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.{c})"
            )
        })
        .collect();
    let row: Row = diesel::sql_query(format!(
        "SELECT concat_ws(' ', version(), pg_postmaster_start_time(), \
           (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()), {}) \
         AS fingerprint",
        parts.join(", ")
    ))
    .get_result(conn)?;
    Ok(row.fingerprint)
}

/// Reads the schema of the database `conn` is connected to.
///
/// Runs in its own read-only repeatable-read transaction, or, when the
/// caller already has a transaction open, inside it (so that a migration's
/// uncommitted changes are seen), restoring `search_path` afterwards.
pub fn snapshot(conn: &mut PgConnection) -> Result<Snapshot> {
    snapshot_with(conn, FACTS_SQL)
}

/// [`snapshot`] with another form of [`FACTS_SQL`] (one restricted to some
/// objects, by the catalog tracker).
pub(crate) fn snapshot_with(conn: &mut PgConnection, facts_sql: &str) -> Result<Snapshot> {
    let in_transaction = AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()?
        .is_some();
    let rows = if in_transaction {
        #[derive(QueryableByName)]
        struct Setting {
            #[diesel(sql_type = Text)]
            search_path: String,
        }
        let saved: Setting =
            diesel::sql_query("SELECT current_setting('search_path') AS search_path")
                .get_result(conn)?;
        diesel::sql_query("SELECT set_config('search_path', 'public', true)").execute(conn)?;
        let rows = diesel::sql_query(facts_sql).load::<FactRow>(conn)?;
        diesel::sql_query("SELECT set_config('search_path', $1, true)")
            .bind::<Text, _>(&saved.search_path)
            .execute(conn)?;
        rows
    } else {
        conn.build_transaction()
            .read_only()
            .repeatable_read()
            .run(|conn| {
                diesel::sql_query("SET LOCAL search_path TO public").execute(conn)?;
                diesel::sql_query(facts_sql).load::<FactRow>(conn)
            })?
    };
    Ok(collect(rows))
}

/// Groups the query's rows into facts, attributes in their declared order.
pub(crate) fn collect(rows: Vec<FactRow>) -> Snapshot {
    // (kind, name) -> [(position, key, value)]
    type Grouped = BTreeMap<(Kind, String), Vec<(i32, String, String)>>;
    let mut facts = Grouped::new();
    for row in rows {
        let Some(kind) = Kind::parse(&row.kind) else {
            // The query and Kind are written together; a mismatch is a bug.
            debug_assert!(false, "unknown fact kind {:?}", row.kind);
            continue;
        };
        let attrs = facts.entry((kind, row.name)).or_default();
        if let Some(value) = row.value {
            attrs.push((row.ord, row.key, value));
        }
    }
    Snapshot::from_facts(
        facts
            .into_iter()
            .map(|((kind, name), mut attrs)| {
                attrs.sort();
                Fact {
                    kind,
                    name,
                    attributes: attrs.into_iter().map(|(_, k, v)| (k, v)).collect(),
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_word_the_query_can_use() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        let mut sorted = Kind::ALL;
        sorted.sort();
        assert_eq!(sorted, Kind::ALL, "ALL is in snapshot order");
        // Every kind word the query produces is one of ours.
        for word in [
            "'schema'",
            "'extension'",
            "'enum'",
            "'domain'",
            "'type'",
            "'sequence'",
            "'table'",
            "'column'",
            "'constraint'",
            "'index'",
            "'view'",
            "'materialized view'",
            "'function'",
            "'aggregate'",
            "'procedure'",
            "'trigger'",
        ] {
            assert!(FACTS_SQL.contains(word), "{word}");
        }
    }
}
