//! Drift: `check` compares the database with the schema its migrations
//! build (cached), and a manual change is reported.

use crate::support::TestDb;
use crate::support::{run, Tool};
use diesel::connection::SimpleConnection;
use serde_json::Value;
use std::path::{Path, PathBuf};

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
    assert!(db.scratch_databases().is_empty());
}

/// Hand-made changes of every kind: (the change, what `check` shows of it,
/// the change that undoes it).
const HAND_MADE_CHANGES: [(&str, &str, &str); 6] = [
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

/// The files of the cache directory whose names start with `prefix`.
fn cache_entries(cache: &Path, prefix: &str) -> Vec<PathBuf> {
    std::fs::read_dir(cache)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect()
}

#[test]
fn check_caches_the_expected_schema_and_still_sees_drift() {
    let db = TestDb::new();
    assert_eq!(run(&db, None, &["upgrade"]).code, 0);
    let cache = tempfile::tempdir().unwrap();
    let check = || {
        Tool::new()
            .args(["--database-url", &db.url(), "check"])
            .env("RAGCHAT_CACHE_DIR", cache.path())
            .run()
    };
    assert_eq!(check().code, 0);
    let files = cache_entries(cache.path(), "expected-");
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
    assert_eq!(cache_entries(cache.path(), "live-").len(), 1);
    for (change, shown, undo) in HAND_MADE_CHANGES {
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
    assert_eq!(cache_entries(cache.path(), "live-").len(), 1);
}

#[test]
fn a_cold_check_under_a_connection_limit_still_sees_drift() {
    // A cold check reads the live schema on a second connection while the
    // scratch database is built; a database that allows one connection
    // (superusers are exempt, so an ordinary role) refuses it, and the
    // check must fall back to its own connection.
    let db = TestDb::new();
    let url = db.role_url(&format!("rcold_{}", db.name), "");
    let dir = tempfile::tempdir().unwrap();
    let table = format!("cold_{}", std::process::id());
    crate::support::table_migration(dir.path(), "2030-01-01-000000_cold", &table);
    let tool = |args: &[&str]| {
        Tool::new()
            .url(&url)
            .migrations(dir.path())
            .args(args)
            .run()
    };
    assert_eq!(tool(&["upgrade"]).code, 0);
    db.conn()
        .batch_execute(&format!(
            "ALTER TABLE {table} ADD COLUMN extra int; ALTER DATABASE \"{}\" CONNECTION LIMIT 1",
            db.name
        ))
        .unwrap();
    let r = tool(&["check"]);
    db.conn()
        .batch_execute(&format!(
            "ALTER DATABASE \"{}\" CONNECTION LIMIT -1",
            db.name
        ))
        .unwrap();
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains(&format!("+ column {table}.extra integer null")),
        "{}",
        r.stdout
    );
    assert!(db.scratch_databases().is_empty());
}
