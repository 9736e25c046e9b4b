//! Issues 4 and 6: `verify` (reversibility on a scratch database), drift in
//! `check`, `stamp` that checks the schema first, and `adopt` of a database
//! the original Python system migrated.

mod common;

use assert_cmd::Command;
use common::{reference_catalog, write_migration, Run, TestDb};
use diesel::connection::SimpleConnection;
use serde_json::Value;
use std::path::Path;

fn run(db: &TestDb, dir: Option<&Path>, args: &[&str]) -> Run {
    let mut c = Command::cargo_bin("ragchat-migrate").unwrap();
    c.arg("--database-url").arg(db.url());
    if let Some(d) = dir {
        c.arg("--migrations-dir").arg(d);
    }
    let out = c
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATIONS_DIR")
        .output()
        .unwrap();
    Run::from(out)
}

fn scratch_databases(db: &TestDb) -> Vec<String> {
    // pg_database is shared by the parallel tests: only this database's scratches.
    db.lines(&format!(
        "SELECT datname::text AS v FROM pg_database WHERE datname LIKE 'ragchat\\_scratch\\_{}\\_%'",
        db.name
    ))
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
    assert!(scratch_databases(&db).is_empty());
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
    assert_eq!(scratch_databases(&db), std::slice::from_ref(&name));
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
    assert!(scratch_databases(&db).is_empty());
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

#[test]
fn manual_alter_table_is_drift_and_check_exits_3() {
    let db = TestDb::new();
    assert_eq!(run(&db, None, &["upgrade"]).code, 0);
    assert_eq!(run(&db, None, &["check"]).code, 0);
    db.conn()
        .batch_execute("ALTER TABLE documents ALTER COLUMN num_chunks SET DEFAULT 1; ALTER TABLE users ADD COLUMN nickname text; DROP INDEX ix_messages_conversation_id;")
        .unwrap();
    let r = run(&db, None, &["check"]);
    assert_eq!(r.code, 3, "{}", r.stdout);
    for needle in [
        "drift",
        "~ column documents.num_chunks default 0 -> 1",
        "+ column users.nickname text null",
        "- index messages ix_messages_conversation_id USING btree (conversation_id)",
    ] {
        assert!(r.stdout.contains(needle), "missing {needle}:\n{}", r.stdout);
    }
    let json: Value =
        serde_json::from_str(&run(&db, None, &["--format", "json", "check"]).stdout).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["drift"].as_array().unwrap().len(), 4, "{json}"); // the table's column list changes too
    assert!(scratch_databases(&db).is_empty());
}

#[test]
fn stamping_over_a_different_schema_is_refused_unless_forced() {
    let db = TestDb::new();
    // A schema made by hand that is almost, but not quite, the first migration.
    db.conn()
        .batch_execute(include_str!("data/alembic_001.sql"))
        .unwrap();
    db.conn()
        .batch_execute("DROP TABLE alembic_version; ALTER TABLE users DROP COLUMN is_superuser;")
        .unwrap();
    let r = run(&db, None, &["stamp", "head"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("- column users.is_superuser boolean not null default false"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(run(&db, None, &["current"]).stdout.trim(), "base");
    let forced = run(&db, None, &["stamp", "head", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(
        run(&db, None, &["current"]).stdout.trim(),
        "20251021000000 initial_schema (head)"
    );
    // stamp base over the tables is refused the same way.
    assert_eq!(run(&db, None, &["stamp", "base"]).code, 1);
}

#[test]
fn stamping_a_matching_schema_is_accepted() {
    let db = TestDb::new();
    assert_eq!(run(&db, None, &["upgrade"]).code, 0);
    db.conn()
        .batch_execute("DROP TABLE __diesel_schema_migrations, __ragchat_migrations")
        .unwrap();
    let r = run(&db, None, &["stamp", "head"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(run(&db, None, &["check"]).code, 0);
}

fn alembic_database() -> TestDb {
    let db = TestDb::new();
    db.conn()
        .batch_execute(include_str!("data/alembic_001.sql"))
        .unwrap();
    db.conn()
        .batch_execute(
            "INSERT INTO users (email, username, hashed_password, updated_at) \
             VALUES ('ada@example.com', 'ada', 'h', '2000-01-01')",
        )
        .unwrap();
    db
}

#[test]
fn an_alembic_database_is_adopted_without_touching_its_data() {
    let db = alembic_database();
    // Plain upgrade refuses and points to adopt.
    let refused = run(&db, None, &["upgrade"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("adopt"), "{}", refused.stderr);

    let r = run(&db, None, &["adopt"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("recorded 2025-10-21-000000_initial_schema"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("created trigger users set_updated_at"),
        "{}",
        r.stdout
    );
    assert_eq!(db.catalog(), reference_catalog());
    assert_eq!(
        db.lines("SELECT email::text AS v FROM users"),
        ["ada@example.com"]
    );
    assert_eq!(
        db.lines("SELECT version_num::text AS v FROM alembic_version"),
        ["001"]
    );
    assert_eq!(
        run(&db, None, &["current"]).stdout.trim(),
        "20251021000000 initial_schema (head)"
    );
    let check = run(&db, None, &["check"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    // updated_at is now kept by the database, as on a fresh install.
    db.conn()
        .batch_execute("UPDATE users SET username = 'ada2'")
        .unwrap();
    assert!(db.lines("SELECT (updated_at > '2001-01-01')::text AS v FROM users") == ["true"]);
    // Adopting twice does nothing.
    assert_eq!(run(&db, None, &["adopt"]).code, 1);
    assert!(scratch_databases(&db).is_empty());
}

#[test]
fn a_tampered_alembic_database_is_refused_with_the_differences() {
    let db = alembic_database();
    db.conn()
        .batch_execute("DROP INDEX ix_users_email; ALTER TABLE documents ALTER COLUMN source_type SET DEFAULT 'url'")
        .unwrap();
    let r = run(&db, None, &["adopt"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("- index users ix_users_email UNIQUE USING btree (email)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("~ column documents.source_type default"),
        "{}",
        r.stderr
    );
    assert!(
        db.lines("SELECT (to_regclass('__diesel_schema_migrations') IS NULL)::text AS v")
            == ["true"]
    );
    assert!(db
        .lines("SELECT tgname::text AS v FROM pg_trigger WHERE NOT tgisinternal")
        .is_empty());
    assert_eq!(
        db.lines("SELECT email::text AS v FROM users"),
        ["ada@example.com"]
    );
}

#[test]
fn adopt_refuses_databases_it_does_not_recognise() {
    let db = TestDb::new();
    db.conn()
        .batch_execute("CREATE TABLE users (id int)")
        .unwrap();
    let r = run(&db, None, &["adopt"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("no alembic_version table") && r.stderr.contains("stamp"),
        "{}",
        r.stderr
    );
    let other = alembic_database();
    other
        .conn()
        .batch_execute("UPDATE alembic_version SET version_num = '002'")
        .unwrap();
    let r = run(&other, None, &["adopt"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("\"002\"") && r.stderr.contains("001"),
        "{}",
        r.stderr
    );
}

#[test]
fn check_caches_the_expected_schema_and_still_sees_drift() {
    let db = TestDb::new();
    assert_eq!(run(&db, None, &["upgrade"]).code, 0);
    let cache = tempfile::tempdir().unwrap();
    let check = || {
        let out = Command::cargo_bin("ragchat-migrate")
            .unwrap()
            .args(["--database-url", &db.url(), "check"])
            .env("RAGCHAT_CACHE_DIR", cache.path())
            .env_remove("DATABASE_URL")
            .env_remove("MIGRATIONS_DIR")
            .output()
            .unwrap();
        Run::from(out)
    };
    assert_eq!(check().code, 0);
    let entries = |prefix: &str| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(cache.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
            .collect()
    };
    let files = entries("expected-");
    assert_eq!(files.len(), 1, "{files:?}");
    let cached = std::fs::read_to_string(&files[0]).unwrap();
    assert!(cached.contains("ix_users_email"));
    // A damaged cache entry is recomputed, not trusted.
    std::fs::write(&files[0], "not json").unwrap();
    assert_eq!(check().code, 0);
    assert_eq!(std::fs::read_to_string(&files[0]).unwrap(), cached);

    // The live snapshot is cached too, one entry per database, reused only
    // while the catalogs are unchanged: every kind of hand-made change is
    // still seen on the next check, and undoing it is clean again.
    assert_eq!(entries("live-").len(), 1);
    let changes = [
        (
            "DROP INDEX ix_users_username",
            "- index users ix_users_username",
            "CREATE UNIQUE INDEX ix_users_username ON users (username)",
        ),
        (
            "ALTER TABLE users ALTER COLUMN is_active SET DEFAULT false",
            "users.is_active",
            "ALTER TABLE users ALTER COLUMN is_active SET DEFAULT true",
        ),
        (
            "ALTER TABLE users RENAME COLUMN username TO user_name",
            "user_name",
            "ALTER TABLE users RENAME COLUMN user_name TO username",
        ),
        (
            "ALTER TABLE messages DROP CONSTRAINT messages_conversation_id_fkey",
            "messages_conversation_id_fkey",
            "ALTER TABLE messages ADD CONSTRAINT messages_conversation_id_fkey \
             FOREIGN KEY (conversation_id) REFERENCES conversations (id) ON DELETE CASCADE",
        ),
        ("CREATE TABLE notes (id int)", "notes", "DROP TABLE notes"),
        (
            "ALTER TYPE message_role RENAME VALUE 'system' TO 'operator'",
            "operator",
            "ALTER TYPE message_role RENAME VALUE 'operator' TO 'system'",
        ),
    ];
    for (change, shown, undo) in changes {
        db.conn().batch_execute(change).unwrap();
        let drifted = check();
        assert_eq!(drifted.code, 3, "{change}: {}", drifted.stdout);
        assert!(
            drifted.stdout.contains(shown),
            "{change}: {}",
            drifted.stdout
        );
        db.conn().batch_execute(undo).unwrap();
        let clean = check();
        assert_eq!(clean.code, 0, "{undo}: {}", clean.stdout);
    }
    // What is not schema (a comment) keeps the live entry valid.
    db.conn()
        .batch_execute("COMMENT ON TABLE users IS 'people'")
        .unwrap();
    assert_eq!(check().code, 0);
    assert_eq!(entries("live-").len(), 1);
}
