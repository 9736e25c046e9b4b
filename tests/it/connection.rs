//! Connections the server refuses or never answers: a wrong password,
//! a server that never answers, and bad input reported before any
//! connection error. The message, the exit code, and the database
//! unchanged.

use crate::support::Tool;
use crate::support::{server, TestDb};
use diesel::connection::SimpleConnection;
/// Runs with `url` in the test's working directory: exit code and all output.
fn run(url: &str, args: &[&str]) -> (i32, String) {
    let r = Tool::new().url(url).args(args).run();
    (r.code, r.combined())
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
    let hba = server().root().join("data/pg_hba.conf");
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
        server().port(),
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
    assert!(db.relations().is_empty());
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
