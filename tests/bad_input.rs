//! Issue 4, "bad input never hurts": the cases that need the server set up
//! for them (a password-checked role, a role without CREATE), asserting the
//! message, the exit code, and that the database is unchanged.

mod common;

use assert_cmd::Command;
use common::{server, TestDb};
use diesel::connection::SimpleConnection;

fn run(url: &str, args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("ragchat-migrate")
        .unwrap()
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn relations(db: &TestDb) -> Vec<String> {
    db.lines(
        "SELECT c.relname::text AS v FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' ORDER BY 1",
    )
}

#[test]
fn a_wrong_password_is_exit_1_with_the_fix_and_no_password_shown() {
    let db = TestDb::new();
    db.conn()
        .batch_execute(
            "DO $$ BEGIN CREATE ROLE pw_user LOGIN PASSWORD 'right-pw'; \
             EXCEPTION WHEN duplicate_object THEN NULL; END $$",
        )
        .unwrap();
    // This binary's cluster checks passwords for pw_user (and trusts everyone else).
    let hba = server().root.join("data/pg_hba.conf");
    let rules = std::fs::read_to_string(&hba).unwrap();
    if !rules.starts_with("host all pw_user") {
        std::fs::write(
            &hba,
            format!("host all pw_user 127.0.0.1/32 scram-sha-256\n{rules}"),
        )
        .unwrap();
        db.conn().batch_execute("SELECT pg_reload_conf()").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    let url = format!(
        "postgres://pw_user:WRONG-pw-123@127.0.0.1:{}/{}",
        server().port,
        db.name
    );
    let (code, text) = run(&url, &["upgrade"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("password authentication failed"), "{text}");
    assert!(
        text.contains("fix: check the user name and password"),
        "{text}"
    );
    assert!(!text.contains("WRONG-pw-123"), "{text}");
    assert!(relations(&db).is_empty());
}

#[test]
fn no_permission_to_create_tables_is_exit_1_and_changes_nothing() {
    let db = TestDb::new();
    db.conn()
        .batch_execute(
            "DO $$ BEGIN CREATE ROLE limited_user LOGIN; \
             EXCEPTION WHEN duplicate_object THEN NULL; END $$; \
             REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
        )
        .unwrap();
    let url = format!(
        "postgres://limited_user@127.0.0.1:{}/{}",
        server().port,
        db.name
    );
    let (code, text) = run(&url, &["upgrade"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("permission denied for schema public"),
        "{text}"
    );
    // Refused before any migration runs: the ledger cannot be created.
    assert!(
        text.contains("may not create the migration ledger"),
        "{text}"
    );
    assert!(!text.contains("(up.sql"), "{text}");
    assert!(relations(&db).is_empty(), "{:?}", relations(&db));
}

#[test]
fn a_server_that_never_answers_times_out_instead_of_hanging() {
    // The kernel completes the TCP handshake for a bound listener that never
    // accepts, so libpq connects and then waits for a startup reply that
    // never comes: the hang --connect-timeout exists for.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let started = std::time::Instant::now();
    let (code, text) = run(
        &format!("postgres://u:hidden-pw@127.0.0.1:{port}/db"),
        &["--connect-timeout", "2", "current"],
    );
    let waited = started.elapsed();
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("timeout") && text.contains("--connect-timeout"),
        "{text}"
    );
    assert!(!text.contains("hidden-pw"), "{text}");
    assert!(
        waited >= std::time::Duration::from_secs(2) && waited < std::time::Duration::from_secs(8),
        "gave up after {waited:?}"
    );
    drop(silent);
}

#[test]
fn bad_input_is_reported_before_a_connection_error() {
    // Nothing listens on this port: a connection would be refused. The
    // unknown target and the broken folder are found first, and are exit 2.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("postgres://u:pw@127.0.0.1:{closed}/db");
    let (code, text) = run(&url, &["upgrade", "no_such_revision"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("unknown target `no_such_revision`"), "{text}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("2030-01-01-000000_no_up")).unwrap();
    let m = dir.path().to_str().unwrap();
    let (code, text) = run(&url, &["--migrations-dir", m, "upgrade"]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("up.sql"), "{text}");
}
