//! `--sql`: the offline script needs no database and replays to the same
//! state.

use super::*;
use crate::support::Tool;

use crate::support::{server, TestDb};

#[test]
fn offline_sql_needs_no_database_and_replays_to_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let unreachable = format!("postgres://u:{PASSWORD}@127.0.0.1:1/none");
    let r = run_in(
        dir.path(),
        &["--database-url", &unreachable, "upgrade", "--sql"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("BEGIN;")
            && r.stdout.contains("COMMIT;")
            && r.stdout
                .contains("CREATE TABLE IF NOT EXISTS __diesel_schema_migrations")
    );
    let script = r.stdout;

    let online = TestDb::new();
    ok(&online, &["upgrade"]);
    let offline = TestDb::new();
    psql(&offline, &script);
    assert_eq!(offline.catalog(), online.catalog());
    assert_eq!(ledger(&offline), ledger(&online));
    let sums = |db: &TestDb| {
        db.lines("SELECT version || up_sha256 || coalesce(down_sha256, '') AS v FROM __ragchat_migrations ORDER BY 1")
    };
    assert_eq!(sums(&offline), sums(&online));

    // Down from head, and one transaction for all.
    let down = run_in(
        dir.path(),
        &["downgrade", "base", "--sql", "--from", "head"],
    );
    assert_eq!(down.code, 0, "{}", down.stderr);
    psql(&offline, &down.stdout);
    assert!(offline.catalog().is_empty() && ledger(&offline).is_empty());
    let single = run_in(dir.path(), &["upgrade", "--sql", "--single-transaction"]);
    assert_eq!(single.stdout.matches("BEGIN;").count(), 1);
    let stamp = run_in(dir.path(), &["stamp", "head", "--sql"]);
    let stamped = TestDb::new();
    psql(&stamped, &stamp.stdout);
    assert_eq!(ledger(&stamped), ledger(&online));
    assert!(stamped.catalog().is_empty());
}

fn psql(db: &TestDb, script: &str) {
    let psql = server().bins().bin("psql");
    let mut child = Tool::program(psql)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &db.url()])
        .command()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "psql failed on:\n{script}");
}
