//! `verify`: reversibility proven on a scratch database (which is dropped
//! after), each migration checked for transaction control too.

use crate::support::{run, table_migration, write_migration, Run, TestDb};

use diesel::connection::SimpleConnection;
use serde_json::Value;

/// `verify` replayed each migration on its own without the transaction
/// control check: a COMMIT in up.sql (or ROLLBACK in down.sql) ran on the
/// scratch database and the migration was reported "PASS ... reversible".
#[test]
fn verify_reports_transaction_control_for_each_migration() {
    let db = TestDb::new();
    for (up, down, file, what) in [
        (
            "CREATE TABLE v (id int);\nCOMMIT;",
            "DROP TABLE v;",
            "up.sql",
            "`COMMIT`",
        ),
        (
            "CREATE TABLE v (id int);",
            "DROP TABLE v;\nROLLBACK",
            "down.sql",
            "`ROLLBACK`",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        table_migration(dir.path(), "2030-01-01-000000_first", "first_table");
        crate::support::write_migration(dir.path(), "2030-01-02-000000_second", up, down);
        let r = run(&db, Some(dir.path()), &["verify"]);
        assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
        assert!(
            !r.stdout.contains("PASS 2030-01-02-000000_second"),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout.contains(&format!("{file}: line 2: {what}")),
            "{}",
            r.stdout
        );
        // verify never touches the database it was given.
        assert!(db
            .lines("SELECT relname::text FROM pg_class WHERE relname IN ('v', 'first_table')")
            .is_empty());
    }
}

#[test]
fn the_real_migrations_verify_and_leave_no_scratch_database() {
    let db = TestDb::new();
    let r = run(&db, None, &["verify"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("PASS 2025-10-21-000000_initial_schema"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("PASS head -> base -> head"),
        "{}",
        r.stdout
    );
    assert!(db.scratch_databases().is_empty());
    assert!(db.catalog().is_empty(), "verify touched the target");
    let json: Value =
        serde_json::from_str(&run(&db, None, &["--format", "json", "verify"]).stdout).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["migrations"][0]["ok"], true);
    // --keep leaves the scratch database, migrated, for inspection.
    let kept = run(&db, None, &["--format", "json", "verify", "--keep"]);
    let name = serde_json::from_str::<Value>(&kept.stdout).unwrap()["scratch_database"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(db.scratch_databases(), std::slice::from_ref(&name));
    db.conn()
        .batch_execute(&format!("DROP DATABASE {name}"))
        .unwrap();
}

fn verify_failure(set: &[(&str, &str, &str)]) -> (Run, Value) {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    for (name, up, down) in set {
        write_migration(dir.path(), name, up, down);
    }
    let r = run(&db, Some(dir.path()), &["verify"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let json: Value =
        serde_json::from_str(&run(&db, Some(dir.path()), &["--format", "json", "verify"]).stdout)
            .unwrap();
    assert_eq!(json["ok"], false);
    assert!(db.scratch_databases().is_empty());
    (r, json)
}

#[test]
fn a_down_that_forgets_an_index_fails_with_the_index() {
    let (r, json) = verify_failure(&[
        (
            "2030-01-01-000000_t",
            "CREATE TABLE t (a int, b int);",
            "DROP TABLE t;",
        ),
        (
            "2030-01-02-000000_ix",
            "CREATE INDEX ix_t_a ON t (a);",
            "SELECT 1;",
        ),
    ]);
    assert!(
        r.stdout.contains("PASS 2030-01-01-000000_t"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("FAIL 2030-01-02-000000_ix"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("+ index t ix_t_a USING btree (a)"),
        "{}",
        r.stdout
    );
    assert_eq!(json["migrations"][1]["problems"][0]["stage"], "down");
}

#[test]
fn a_down_that_forgets_a_type_fails_with_the_type() {
    let (r, _) = verify_failure(&[(
        "2030-01-01-000000_mood",
        "CREATE TYPE mood AS ENUM ('calm', 'busy');\nCREATE TABLE feelings (m mood);",
        "DROP TABLE feelings;",
    )]);
    assert!(
        r.stdout.contains("FAIL 2030-01-01-000000_mood"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("+ enum mood ('calm', 'busy')"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("table feelings"), "{}", r.stdout);
}

#[test]
fn a_down_that_drops_the_wrong_column_fails_with_both_columns() {
    let (r, _) = verify_failure(&[
        (
            "2030-01-01-000000_t",
            "CREATE TABLE t (a int, b int);",
            "DROP TABLE t;",
        ),
        (
            "2030-01-02-000000_add_c",
            "ALTER TABLE t ADD COLUMN c text;",
            "ALTER TABLE t DROP COLUMN b;",
        ),
    ]);
    assert!(
        r.stdout.contains("FAIL 2030-01-02-000000_add_c"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("- column t.b integer null"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("+ column t.c text null"), "{}", r.stdout);
}

#[test]
fn an_up_that_fails_stops_verification_with_its_error() {
    let (r, _) = verify_failure(&[(
        "2030-01-01-000000_bad",
        "CREATE TABLE t (a nosuchtype);",
        "DROP TABLE t;",
    )]);
    assert!(
        r.stdout.contains("FAIL 2030-01-01-000000_bad") && r.stdout.contains("nosuchtype"),
        "{}",
        r.stdout
    );
}
