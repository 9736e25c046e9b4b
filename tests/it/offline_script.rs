//! The offline script (`--sql`): one JSON document in JSON mode, and ranges
//! that start where Alembic says.

use crate::support::{run, table_migration, Run, TestDb};

use crate::support::project::{applied, Project};

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
        let doc = document(&run(&db, Some(dir.path()), args));
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
    let r = run(
        &db,
        Some(dir.path()),
        &["upgrade", "--sql", "--from", "base"],
    );
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

// ---- item 7: offline SQL and inspection -------------------------------

#[test]
fn offline_ranges_start_where_alembic_says() {
    let p = Project::new(3);
    let db = TestDb::new();
    // FROM:TO: only what comes after FROM, up to TO.
    let sql = p.ok(&db, &["upgrade", "--sql", "2025-01-01:head"]);
    assert!(
        !sql.contains("CREATE TABLE t1 ") && sql.contains("CREATE TABLE t2 "),
        "{sql}"
    );
    assert!(sql.contains("CREATE TABLE t3 "), "{sql}");
    let sql = p.ok(&db, &["upgrade", "--sql", "20250101000000:20250102000000"]);
    assert!(
        sql.contains("CREATE TABLE t2 ") && !sql.contains("t3"),
        "{sql}"
    );
    let sql = p.ok(&db, &["downgrade", "--sql", "head:2025-01-01"]);
    assert!(
        sql.contains("DROP TABLE t3") && sql.contains("DROP TABLE t2"),
        "{sql}"
    );
    assert!(!sql.contains("DROP TABLE t1"), "{sql}");
    // Reverting offline needs a start, said as such.
    for args in [
        &["downgrade", "--sql"][..],
        &["reset", "--sql"][..],
        &["redo", "--sql"][..],
        &["stamp", "-1", "--sql"][..],
    ] {
        let r = p.run(&db, args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("needs a starting point") && r.stderr.contains("--from"));
        assert!(!r.stderr.contains("-0"), "{}", r.stderr);
    }
    // Online, on an empty database: nothing to move, not "the most is -0".
    let r = p.run(&db, &["downgrade", "-1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("nothing to move") && !r.stderr.contains("-0"),
        "{}",
        r.stderr
    );
    // A range without --sql is bad usage, and nothing ran.
    let r = p.run(&db, &["upgrade", "base:head"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--sql"));
    assert!(applied(&db).is_empty());
    // --from current reads the database.
    p.ok(&db, &["upgrade", "+1"]);
    let sql = p.ok(&db, &["upgrade", "--sql", "--from", "current"]);
    assert!(sql.contains("current = 20250101000000"), "{sql}");
    assert!(
        !sql.contains("CREATE TABLE t1 ") && sql.contains("CREATE TABLE t3 "),
        "{sql}"
    );
    let sql = p.ok(&db, &["reset", "--sql", "--from", "current"]);
    assert!(
        sql.contains("DROP TABLE t1") && !sql.contains("DROP TABLE t2"),
        "{sql}"
    );
    assert_eq!(applied(&db), ["20250101000000"]);
}
