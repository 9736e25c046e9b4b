//! `metadata.toml` read as Diesel 2.3 reads it. Keys Diesel ignores are
//! ignored (a project may keep its own settings there); a misspelt
//! `run_in_transaction` is refused before anything runs.

use crate::support::TestDb;
use crate::support::Tool;
use std::path::Path;
fn ours(db: &TestDb, dir: &Path) -> (i32, String) {
    let r = Tool::new().db(db).migrations(dir).arg("upgrade").run();
    (r.code, r.stderr)
}

fn folder(metadata: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    crate::support::write_migration(
        dir.path(),
        "2030-01-01-000000_t",
        "CREATE TABLE t (c int);",
        "DROP TABLE t;",
    );
    let name = "2030-01-02-000000_Index concurrently";
    crate::support::write_migration(
        dir.path(),
        name,
        "CREATE INDEX CONCURRENTLY t_c ON t (c);",
        "DROP INDEX t_c;",
    );
    std::fs::write(dir.path().join(name).join("metadata.toml"), metadata).unwrap();
    dir
}

fn indexes(db: &TestDb) -> Vec<String> {
    db.lines("SELECT indexname::text AS v FROM pg_indexes WHERE tablename = 't'")
}

#[test]
fn keys_diesel_ignores_are_ignored() {
    let dir =
        folder("owner = \"team-search\"\nrun_in_transaction = false\n[review]\nticket = 42\n");
    let db = TestDb::new();
    let (code, err) = ours(&db, dir.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(indexes(&db), ["t_c"]);
}

#[test]
fn a_misspelt_setting_is_refused_before_anything_runs() {
    let dir = folder("run_in_transactoin = false\n");
    let db = TestDb::new();
    let (code, err) = ours(&db, dir.path());
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("run_in_transactoin") && err.contains("metadata.toml"),
        "{err}"
    );
    assert!(err.contains("fix:"), "{err}");
    assert!(db
        .lines("SELECT tablename::text AS v FROM pg_tables WHERE schemaname = 'public'")
        .is_empty());
}
