//! Regressions found by the hostile review of the landed features, each
//! replayed through the real binary (and the real server where it needs
//! one).

mod common;

use common::{table_migration, Run, TestDb};
use std::path::Path;
use std::time::Duration;

fn run(db: &TestDb, dir: &Path, args: &[&str]) -> Run {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("ragchat-migrate"));
    c.arg("--database-url")
        .arg(db.url())
        .arg("--migrations-dir")
        .arg(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATIONS_DIR")
        .env("RAGCHAT_CACHE_DIR", dir.join(".cache"));
    let out = assert_cmd::Command::from_std(c)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    Run::from(out)
}

fn document(r: &Run) -> serde_json::Value {
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout))
}

/// `--sql --format json` printed the bare script, so a caller parsing the
/// one JSON document every command promises got SQL instead.
#[test]
fn offline_scripts_are_one_json_document_in_json_mode() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    table_migration(dir.path(), "2030-01-01-000000_first", "first_table");
    for (args, command, steps) in [
        (
            &["--format", "json", "upgrade", "--sql", "--from", "base"][..],
            "upgrade",
            Some(1),
        ),
        (
            &["--format", "json", "downgrade", "--sql", "head:base"][..],
            "downgrade",
            Some(1),
        ),
        (
            &[
                "--format", "json", "stamp", "head", "--sql", "--from", "base",
            ][..],
            "stamp",
            None,
        ),
    ] {
        let doc = document(&run(&db, dir.path(), args));
        assert_eq!(doc["format_version"], 1, "{doc}");
        assert_eq!(doc["command"], command, "{doc}");
        assert_eq!(doc["ok"], true, "{doc}");
        assert!(
            doc["sql"].as_str().unwrap().contains("20300101000000"),
            "{doc}"
        );
        assert_eq!(doc["steps"].as_u64(), steps.map(|n: u64| n), "{doc}");
    }
    // Text mode still prints the script itself.
    let r = run(&db, dir.path(), &["upgrade", "--sql", "--from", "base"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("-- ragchat-migrate upgrade --sql"),
        "{}",
        r.stdout
    );
    // Nothing was run.
    assert!(db
        .lines("SELECT relname::text FROM pg_class WHERE relname = 'first_table'")
        .is_empty());
}

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
        common::write_migration(dir.path(), "2030-01-02-000000_second", up, down);
        let r = run(&db, dir.path(), &["verify"]);
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
