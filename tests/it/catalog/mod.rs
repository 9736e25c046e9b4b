//! Schema snapshots (`ragchat_migrate::proof::catalog`) of real databases on the
//! throwaway test cluster; the changes between them are in [`changes`].

mod changes;

use crate::support::migrated;
use crate::support::{reference_catalog, TestDb};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use ragchat_migrate::proof::catalog::{self, Kind, Snapshot};
use std::time::Instant;

fn snap(conn: &mut PgConnection) -> Snapshot {
    catalog::snapshot(conn).expect("snapshot")
}

#[test]
fn migrated_snapshot_describes_the_project_schema() {
    let (db, mut conn) = migrated();
    let s = snap(&mut conn);
    assert!(!s.is_empty());

    let role = s
        .get(Kind::Enum, "message_role")
        .expect("enum message_role");
    assert_eq!(role.get("labels"), Some("('user', 'assistant', 'system')"));
    assert_eq!(
        s.get(Kind::Index, "users ix_users_email")
            .expect("index ix_users_email")
            .to_string(),
        "index users ix_users_email UNIQUE USING btree (email)"
    );
    assert_eq!(
        s.get(Kind::Trigger, "users set_updated_at")
            .expect("trigger on users")
            .get("definition"),
        Some("BEFORE UPDATE FOR EACH ROW EXECUTE FUNCTION diesel_set_updated_at()")
    );
    let f = s
        .get(Kind::Function, "diesel_set_updated_at()")
        .expect("function diesel_set_updated_at()");
    assert!(f
        .get("definition")
        .unwrap()
        .starts_with("CREATE OR REPLACE FUNCTION public.diesel_set_updated_at()"));
    assert!(s
        .get(Kind::Function, "diesel_manage_updated_at(_tbl regclass)")
        .is_some());
    assert_eq!(
        s.get(Kind::Column, "documents.num_chunks")
            .unwrap()
            .to_string(),
        "column documents.num_chunks integer not null default 0"
    );
    assert_eq!(
        s.facts().iter().filter(|f| f.kind == Kind::Table).count(),
        7
    );
    assert_eq!(s.facts().iter().filter(|f| f.kind == Kind::Enum).count(), 3);
    assert_eq!(
        s.facts().iter().filter(|f| f.kind == Kind::Trigger).count(),
        6
    );

    // The ledger tables are there, and nothing of them is in the snapshot.
    assert_eq!(
        db.lines(
            "SELECT (to_regclass('__diesel_schema_migrations') IS NOT NULL \
             AND to_regclass('__ragchat_migrations') IS NOT NULL)::text AS v"
        ),
        ["true"]
    );
    let text = s.to_string();
    for ledger in ["__diesel_schema_migrations", "__ragchat_migrations"] {
        assert!(!text.contains(ledger), "{ledger} leaked into:\n{text}");
    }
    // Nor anything the server adds by itself: plpgsql, the public schema.
    assert!(s
        .facts()
        .iter()
        .all(|f| f.kind != Kind::Extension && f.kind != Kind::Schema));
}

/// The snapshot renders the 95 facts of `tests/data/rag_schema.catalog`
/// (written independently, with `catalog.sql`) the same way, enums aside.
#[test]
fn snapshot_agrees_with_the_reference_catalog() {
    let (_db, mut conn) = migrated();
    let s = snap(&mut conn);
    let lines: Vec<String> = s.facts().iter().map(|f| f.to_string()).collect();
    let reference = reference_catalog();
    assert_eq!(reference.len(), 95);
    for fact in reference {
        let expected = match fact.strip_prefix("enum ") {
            Some(rest) => {
                let (name, labels) = rest.split_once(" = ").unwrap();
                let labels: Vec<String> = labels.split(',').map(|l| format!("'{l}'")).collect();
                format!("enum {name} ({})", labels.join(", "))
            }
            None => fact.clone(),
        };
        assert!(lines.contains(&expected), "missing {expected:?}");
    }
    // Everything else is the two functions and six triggers.
    assert_eq!(lines.len(), 95 + 2 + 6);
}

#[test]
fn snapshots_are_deterministic() {
    let (_a, mut a) = migrated();
    let (_b, mut b) = migrated();
    let first = snap(&mut a);
    assert_eq!(first, snap(&mut a));
    let other = snap(&mut b);
    assert_eq!(first, other);
    assert!(first.diff(&other).is_empty());
    // The caller's search_path changes nothing.
    b.batch_execute("CREATE SCHEMA elsewhere; SET search_path TO elsewhere, pg_catalog")
        .unwrap();
    let moved = snap(&mut b);
    assert_eq!(
        first
            .diff(&moved)
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>(),
        ["+ schema elsewhere"]
    );
    let sorted: Vec<_> = first
        .facts()
        .iter()
        .map(|f| (f.kind, f.name.clone()))
        .collect();
    let mut expected = sorted.clone();
    expected.sort();
    expected.dedup();
    assert_eq!(sorted, expected, "sorted and unique");
}

#[test]
fn snapshot_round_trips_through_json() {
    let (_db, mut conn) = migrated();
    let s = snap(&mut conn);
    let json = serde_json::to_string_pretty(&s).unwrap();
    let back: Snapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    assert!(json.contains("\"materialized_view\"") || !json.contains("materialized"));
    assert!(json.contains("\"kind\": \"enum\""));
}

#[test]
fn empty_database_has_an_empty_snapshot() {
    let db = TestDb::new();
    let s = snap(&mut db.conn());
    assert!(s.is_empty(), "{s}");
    assert_eq!(s.len(), 0);
    // plpgsql is there all the same, and left out on purpose.
    assert_eq!(
        db.lines("SELECT extname::text AS v FROM pg_extension"),
        ["plpgsql"]
    );
}

#[test]
fn snapshot_in_an_open_transaction_sees_it_and_keeps_search_path() {
    let (_db, mut conn) = migrated();
    let before = snap(&mut conn);
    let result: Result<(), diesel::result::Error> = conn.transaction(|conn| {
        conn.batch_execute(
            "SET LOCAL search_path TO pg_catalog, public; \
             CREATE TABLE uncommitted (a int)",
        )?;
        let inside = catalog::snapshot(conn).expect("snapshot in a transaction");
        let lines: Vec<String> = before.diff(&inside).iter().map(|c| c.to_string()).collect();
        assert_eq!(
            lines,
            [
                "+ table uncommitted (a)",
                "+ column uncommitted.a integer null"
            ]
        );
        #[derive(QueryableByName)]
        struct Sp {
            #[diesel(sql_type = diesel::sql_types::Text)]
            sp: String,
        }
        let sp: Sp =
            diesel::sql_query("SELECT current_setting('search_path') AS sp").get_result(conn)?;
        assert_eq!(sp.sp, "pg_catalog, public");
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(result.is_err());
    assert_eq!(snap(&mut conn), before);
}

#[test]
fn snapshot_timing() {
    let (_db, mut conn) = migrated();
    snap(&mut conn); // warm the catalog caches of this backend
    let started = Instant::now();
    let s = snap(&mut conn);
    println!(
        "snapshot of the migrated database: {} facts in {:?}",
        s.len(),
        started.elapsed()
    );
}
