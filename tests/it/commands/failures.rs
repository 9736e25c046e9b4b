//! A migration that fails, a malformed migration directory, a held lock:
//! the failure is named and what ran before it is kept (or nothing is).

use super::*;

use crate::support::{table_migration, write_migration, TestDb};
use diesel::connection::SimpleConnection;
use std::path::Path;

#[test]
fn non_transactional_migrations_run_outside_a_transaction() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    table_migration(dir.path(), "2030-01-01-000000_t", "t");
    write_migration(
        dir.path(),
        "2030-01-02-000000_ix",
        "CREATE INDEX CONCURRENTLY ix_t_id ON t (id);",
        "DROP INDEX CONCURRENTLY ix_t_id;",
    );
    std::fs::write(
        dir.path().join("2030-01-02-000000_ix/metadata.toml"),
        "run_in_transaction = false\n",
    )
    .unwrap();
    let m = dir.path().to_str().unwrap();
    let single = run(
        &db,
        &["--migrations-dir", m, "upgrade", "--single-transaction"],
    );
    assert_eq!(single.code, 2);
    assert!(
        single.stderr.contains("2030-01-02-000000_ix"),
        "{}",
        single.stderr
    );
    assert!(tables(&db).is_empty(), "refused plan changed the database");
    ok(&db, &["--migrations-dir", m, "upgrade"]);
    assert_eq!(
        db.lines("SELECT indexname::text AS v FROM pg_indexes WHERE tablename = 't'"),
        ["ix_t_id"]
    );
    ok(&db, &["--migrations-dir", m, "downgrade"]);
    assert!(db
        .lines("SELECT indexname::text AS v FROM pg_indexes WHERE tablename = 't'")
        .is_empty());
}

#[test]
fn a_failing_migration_names_its_file_and_line_and_keeps_the_ones_before() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    three_migrations(dir.path());
    write_migration(
        dir.path(),
        "2030-01-02-000000_create_beta",
        "-- beta\nCREATE TABLE beta (id int);\nSELEC 1;\n",
        "DROP TABLE beta;",
    );
    let m = dir.path().to_str().unwrap();
    let r = run(&db, &["--migrations-dir", m, "upgrade"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("2030-01-02-000000_create_beta") && r.stderr.contains("up.sql, line 3"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("syntax error"), "{}", r.stderr);
    assert_eq!(tables(&db), ["alpha"], "beta must leave no trace");
    assert_eq!(
        ledger(&db),
        ["20300101000000 2030-01-01-000000_create_alpha"]
    );
    // Fixed, the rerun continues from beta.
    table_migration(dir.path(), "2030-01-02-000000_create_beta", "beta");
    ok(&db, &["--migrations-dir", m, "upgrade"]);
    assert_eq!(tables(&db), ["alpha", "beta", "gamma"]);
}

#[test]
fn single_transaction_failure_changes_nothing_at_all() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    three_migrations(dir.path());
    write_migration(
        dir.path(),
        "2030-01-03-000000_create_gamma",
        "CREATE TABLE gamma (id nosuchtype);",
        "DROP TABLE gamma;",
    );
    let m = dir.path().to_str().unwrap();
    let r = run(
        &db,
        &["--migrations-dir", m, "upgrade", "--single-transaction"],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("create_gamma") && r.stderr.contains("nosuchtype"),
        "{}",
        r.stderr
    );
    assert!(tables(&db).is_empty());
    assert!(
        db.lines("SELECT relname::text AS v FROM pg_class WHERE relname LIKE '\\_\\_%'")
            .is_empty(),
        "ledger tables were created"
    );
}

/// Writes one malformed migration into a directory.
type MakeDir = dyn Fn(&Path);

#[test]
fn malformed_migration_directories_are_exit_2_naming_the_file() {
    let db = TestDb::new();
    let cases: Vec<(&str, Box<MakeDir>)> = vec![
        (
            "up.sql",
            Box::new(|d: &Path| {
                std::fs::create_dir_all(d.join("2030-01-01-000000_x")).unwrap();
                std::fs::write(d.join("2030-01-01-000000_x/down.sql"), "x").unwrap();
            }),
        ),
        (
            // Diesel accepts any version (issue 14); a target keyword is refused.
            "base_x",
            Box::new(|d: &Path| write_migration(d, "base_x", "SELECT 1;", "SELECT 1;")),
        ),
        (
            "metadata.toml",
            Box::new(|d: &Path| {
                write_migration(d, "2030-01-01-000000_x", "SELECT 1;", "SELECT 1;");
                std::fs::write(
                    d.join("2030-01-01-000000_x/metadata.toml"),
                    "run_in_transaction = 'maybe'",
                )
                .unwrap();
            }),
        ),
        (
            "up.sql",
            Box::new(|d: &Path| write_migration(d, "2030-01-01-000000_empty", "  \n", "SELECT 1;")),
        ),
        (
            "up.sql",
            Box::new(|d: &Path| {
                write_migration(d, "2030-01-01-000000_latin1", "SELECT 1;", "SELECT 1;");
                std::fs::write(d.join("2030-01-01-000000_latin1/up.sql"), b"SELECT '\xe9';")
                    .unwrap();
            }),
        ),
    ];
    for (file, make) in cases {
        let dir = tempfile::tempdir().unwrap();
        make(dir.path());
        let r = run(
            &db,
            &["--migrations-dir", dir.path().to_str().unwrap(), "upgrade"],
        );
        assert_eq!(r.code, 2, "{file}: {}", r.stderr);
        assert!(r.stderr.contains(file), "{file}: {}", r.stderr);
    }
    assert!(db
        .lines("SELECT relname::text AS v FROM pg_class WHERE relname LIKE '\\_\\_%'")
        .is_empty());
}

#[test]
fn a_held_lock_times_out_with_exit_4_naming_the_holder() {
    let db = TestDb::new();
    let mut holder = db.conn();
    holder
        .batch_execute("SELECT pg_advisory_lock(hashtextextended('ragchat-migrate:' || current_database(), 0))")
        .unwrap();
    let r = run(&db, &["--lock-timeout", "0.5", "upgrade"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("waiting for the migration lock, held by backend pid"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("timed out"), "{}", r.stderr);
    assert!(db.catalog().is_empty());
    // Status commands answer at once with the committed state, and say that
    // a run is in progress; check refuses to call that clean.
    let current = run(&db, &["--lock-timeout", "30", "current"]);
    assert_eq!(current.code, 0, "{}", current.stderr);
    assert_eq!(current.stdout.trim(), "base");
    assert!(
        current
            .stderr
            .contains("a migration run is in progress (backend pid"),
        "{}",
        current.stderr
    );
    let v = json(&db, &["pending"]);
    assert_eq!(v["migration_in_progress"], true);
    let check = run(&db, &["check"]);
    assert_eq!(check.code, 3, "{}", check.stdout);
    assert!(check.stdout.contains("in progress"), "{}", check.stdout);
    drop(holder);
    ok(&db, &["upgrade"]);
    assert_eq!(json(&db, &["current"])["migration_in_progress"], false);
}
