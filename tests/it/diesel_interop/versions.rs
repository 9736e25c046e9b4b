//! Directory versions that are not timestamps (`v2_add-email`,
//! `0001a_init`, `it's_quoted`). Diesel accepts any string before the first
//! `_` as the version and orders versions as strings; the toolkit must run
//! the same folder side by side with `diesel migration run`, name such
//! migrations in targets, and quote them in `--sql`.

use crate::support::diesel_on;

use crate::support::TestDb;
use crate::support::Tool;
use diesel::connection::SimpleConnection;
use std::path::Path;

/// A folder of Diesel migrations whose versions are not timestamps, in an
/// order that only string comparison gives (`v10` before `v2`).
fn odd_versions() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let folders = [
        (
            "v1_Create users",
            "CREATE TABLE users (id int PRIMARY KEY);",
            "DROP TABLE users;",
        ),
        (
            "v10_add-email",
            "ALTER TABLE users ADD email text;",
            "ALTER TABLE users DROP email;",
        ),
        (
            "v2_Add Posts",
            "CREATE TABLE posts (id int, user_id int REFERENCES users);",
            "DROP TABLE posts;",
        ),
        (
            "0001a_init",
            "CREATE TABLE zero (id int);",
            "DROP TABLE zero;",
        ),
        (
            "it's_quoted",
            "CREATE TABLE quoted (id int);",
            "DROP TABLE quoted;",
        ),
    ];
    for (name, up, down) in folders {
        crate::support::write_migration(dir.path(), name, up, down);
    }
    std::fs::write(dir.path().join("README.md"), "not a migration").unwrap();
    dir
}
fn ours(db: &TestDb, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let r = Tool::new().db(db).migrations(dir).args(args).run();
    (r.code, r.stdout, r.stderr)
}
fn diesel(db: &TestDb, dir: &Path, args: &[&str]) -> String {
    diesel_on(&db.url(), dir, args)
}

fn ledger(db: &TestDb) -> Vec<String> {
    db.lines("SELECT version::text AS v FROM __diesel_schema_migrations ORDER BY version")
}

fn user_tables(db: &TestDb) -> Vec<String> {
    db.lines(
        "SELECT tablename::text AS v FROM pg_tables WHERE schemaname = 'public' \
         AND left(tablename, 2) <> '__' ORDER BY 1",
    )
}

#[test]
fn upgrade_matches_diesel_and_diesel_databases_are_taken_over() {
    let dir = odd_versions();
    let (ours_db, diesel_db) = (TestDb::new(), TestDb::new());
    let (code, _, err) = ours(&ours_db, dir.path(), &["upgrade"]);
    assert_eq!(code, 0, "{err}");
    diesel(&diesel_db, dir.path(), &["migration", "run"]);

    assert_eq!(ours_db.catalog(), diesel_db.catalog());
    assert_eq!(ledger(&ours_db), ["0001a", "it's", "v1", "v10", "v2"]);
    assert_eq!(ledger(&ours_db), ledger(&diesel_db));
    for db in [&ours_db, &diesel_db] {
        let (code, out, err) = ours(db, dir.path(), &["check"]);
        assert_eq!(code, 0, "check on a {} database: {out}{err}", db.name);
    }
    // Diesel lists the same migrations as applied.
    let listed = diesel(&ours_db, dir.path(), &["migration", "list"]);
    assert_eq!(listed.matches("[X]").count(), 5, "{listed}");
}

#[test]
fn offline_sql_quotes_odd_names_and_replays_to_the_same_schema() {
    let dir = odd_versions();
    let (live, replay) = (TestDb::new(), TestDb::new());
    assert_eq!(ours(&live, dir.path(), &["upgrade"]).0, 0);
    let (code, script, err) = ours(&replay, dir.path(), &["upgrade", "--sql"]);
    assert_eq!(code, 0, "{err}");
    assert!(script.contains("-- \"v2_Add Posts\" (up.sql)"), "{script}");
    assert!(
        script.contains("'it''s'"),
        "the version is a doubled-quote literal:\n{script}"
    );
    replay.conn().batch_execute(&script).unwrap();
    assert_eq!(replay.catalog(), live.catalog());
    assert_eq!(ledger(&replay), ledger(&live));
}

#[test]
fn targets_name_versions_and_directories_that_are_not_timestamps() {
    let dir = odd_versions();
    let db = TestDb::new();
    let (code, _, err) = ours(&db, dir.path(), &["upgrade", "v1"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(ledger(&db), ["0001a", "it's", "v1"]);
    let (code, _, err) = ours(&db, dir.path(), &["upgrade", "v2_Add Posts"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(ledger(&db), ["0001a", "it's", "v1", "v10", "v2"]);
    assert_eq!(user_tables(&db), ["posts", "quoted", "users", "zero"]);
    let (code, _, err) = ours(&db, dir.path(), &["downgrade", "it's"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(ledger(&db), ["0001a", "it's"]);
    assert_eq!(user_tables(&db), ["quoted", "zero"]);
    let (code, out, err) = ours(&db, dir.path(), &["history", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("\"v2_Add Posts\""), "{out}");
    let (code, _, err) = ours(&db, dir.path(), &["downgrade", "base", "--yes"]);
    assert_eq!(code, 0, "{err}");
    assert!(ledger(&db).is_empty());
    assert!(user_tables(&db).is_empty());
}

#[test]
fn a_version_spelled_like_a_target_keyword_is_refused_with_the_fix() {
    let dir = odd_versions();
    crate::support::write_migration(dir.path(), "head_x", "CREATE TABLE h ();", "DROP TABLE h;");
    let db = TestDb::new();
    let (code, out, err) = ours(&db, dir.path(), &["upgrade"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("head_x") && err.contains("target keyword"),
        "{err}"
    );
    assert!(err.contains("fix:"), "{err}");
    assert!(user_tables(&db).is_empty(), "nothing ran");
}
