//! Status commands never wait for a migrator, a reader's open transaction
//! never breaks one, and interrupted or killed commands leave no scratch
//! database behind. Real processes and signals.

use crate::support::Tool;
use crate::support::{table_migration, write_migration, Run, TestDb};
use diesel::connection::SimpleConnection;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};
fn command(db: &TestDb, dir: &Path, args: &[&str]) -> Tool {
    Tool::new().db(db).migrations(dir).args(args)
}
fn run(db: &TestDb, dir: &Path, args: &[&str], limit: Duration) -> Run {
    command(db, dir, args).timeout(limit).run()
}
fn spawn(db: &TestDb, dir: &Path, args: &[&str]) -> Child {
    command(db, dir, args).spawn()
}

/// Waits until `sql` (one text column) returns a row; panics after 30 s.
fn wait_for(db: &TestDb, sql: &str) -> String {
    let started = Instant::now();
    loop {
        if let Some(v) = db.lines(sql).into_iter().next() {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "waited for {sql}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A session of database `db` running a migration's `pg_sleep(10)`.
fn sleeping(db: &str) -> String {
    format!(
        "SELECT query AS v FROM pg_stat_activity WHERE query LIKE '%pg_sleep(10)%' \
         AND pid <> pg_backend_pid() AND state = 'active' AND datname = '{db}'"
    )
}

fn sleeping_second_migration(dir: &Path) {
    table_migration(dir, "2030-01-01-000000_one", "t1");
    write_migration(
        dir,
        "2030-01-02-000000_slow",
        "SELECT pg_sleep(10);\nCREATE TABLE t2 (id int);",
        "DROP TABLE t2;",
    );
}

#[test]
fn status_commands_answer_within_a_second_while_a_migration_sleeps() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    sleeping_second_migration(dir.path());
    let limit = Duration::from_secs(30);
    assert_eq!(run(&db, dir.path(), &["upgrade", "+1"], limit).code, 0);
    // The expected schema for one applied migration, cached before the run.
    assert_eq!(run(&db, dir.path(), &["check"], limit).code, 3);
    let migrator = spawn(&db, dir.path(), &["upgrade"]);
    wait_for(&db, &sleeping(&db.name));
    let hard = Duration::from_secs(1);
    for args in [
        &["current"][..],
        &["pending"],
        &["history"],
        &["history", "--verbose"],
        &["check"],
    ] {
        let started = Instant::now();
        let r = run(&db, dir.path(), args, hard);
        let took = started.elapsed();
        assert!(took < hard, "{args:?} took {took:?}");
        assert!(r.stderr.contains("in progress"), "{args:?}: {}", r.stderr);
        let code = if args == ["check"] { 3 } else { 0 };
        assert_eq!(r.code, code, "{args:?}: {}{}", r.stdout, r.stderr);
        if args == ["check"] {
            assert!(!r.stdout.contains("drift"), "false drift: {}", r.stdout);
        }
    }
    let out = migrator.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let versions = db.lines("SELECT version::text AS v FROM __diesel_schema_migrations ORDER BY 1");
    assert_eq!(versions, ["20300101000000", "20300102000000"]);
    assert_eq!(run(&db, dir.path(), &["check"], limit).code, 0);
}

#[test]
fn a_reader_holding_the_side_table_does_not_break_an_upgrade() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    table_migration(dir.path(), "2030-01-01-000000_one", "t1");
    table_migration(dir.path(), "2030-01-02-000000_two", "t2");
    let limit = Duration::from_secs(30);
    assert_eq!(run(&db, dir.path(), &["upgrade", "+1"], limit).code, 0);
    let mut reader = db.conn();
    reader
        .batch_execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ; \
             SELECT * FROM __ragchat_migrations; SELECT * FROM __diesel_schema_migrations",
        )
        .unwrap();
    let r = run(
        &db,
        dir.path(),
        &["--ddl-lock-timeout", "1", "upgrade"],
        limit,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    reader.batch_execute("COMMIT").unwrap();
    let versions = db.lines("SELECT version::text AS v FROM __diesel_schema_migrations ORDER BY 1");
    assert_eq!(versions, ["20300101000000", "20300102000000"]);
    let side = db.lines("SELECT version::text AS v FROM __ragchat_migrations ORDER BY 1");
    assert_eq!(side, versions);
}

const SCRATCH: &str = "SELECT datname::text AS v FROM pg_database \
     WHERE datname LIKE 'ragchat\\_scratch\\_%' AND datname LIKE '%' || current_database() || '%'";

fn slow_verify_migrations(dir: &Path) {
    write_migration(
        dir,
        "2030-01-01-000000_slow",
        "CREATE TABLE t1 (id int);\nSELECT pg_sleep(10);",
        "DROP TABLE t1;",
    );
}

fn interrupted(signal: nix::sys::signal::Signal, args: &[&str], code: i32) {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    slow_verify_migrations(dir.path());
    if args == ["check"] {
        let r = run(
            &db,
            dir.path(),
            &["stamp", "head", "--force"],
            Duration::from_secs(30),
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let child = spawn(&db, dir.path(), args);
    let scratch = wait_for(&db, SCRATCH);
    wait_for(&db, &sleeping(&scratch));
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, signal).unwrap();
    let started = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(code), "{args:?} {signal}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&scratch), "{stderr}");
    assert!(db.lines(SCRATCH).is_empty(), "{scratch} left behind");
}

#[test]
fn sigterm_during_verify_drops_the_scratch_database() {
    interrupted(nix::sys::signal::Signal::SIGTERM, &["verify"], 143);
}

#[test]
fn sigint_during_check_drops_the_scratch_database() {
    interrupted(nix::sys::signal::Signal::SIGINT, &["check"], 130);
}

#[test]
fn a_scratch_database_of_a_killed_process_is_dropped_by_the_next_command() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    slow_verify_migrations(dir.path());
    let mut child = spawn(&db, dir.path(), &["verify"]);
    let scratch = wait_for(&db, SCRATCH);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        db.lines(SCRATCH),
        std::slice::from_ref(&scratch),
        "SIGKILL leaves it"
    );
    // The next command that makes a scratch database sweeps it first.
    let fast = tempfile::tempdir().unwrap();
    table_migration(fast.path(), "2030-01-01-000000_one", "t1");
    let r = run(&db, fast.path(), &["verify"], Duration::from_secs(60));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("dropped the scratch database {scratch}")),
        "{}",
        r.stderr
    );
    assert!(db.lines(SCRATCH).is_empty());
}

/// `verify --jobs 3` interrupted while its stretches keep creating scratch
/// databases (every fourth migration's non-transactional down fails, so
/// each stretch rebuilds again and again): a database created while the
/// handler drops the others must be dropped too, and none may be created
/// after.
#[test]
fn sigint_while_stretches_rebuild_leaves_no_scratch_database() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    for i in 0..200 {
        let name = format!("2030-01-01-{i:06}_m{i}");
        table_migration(dir.path(), &name, &format!("t{i}"));
        if i % 4 == 3 {
            std::fs::write(
                dir.path().join(&name).join("down.sql"),
                "DROP TABLE nosuch;",
            )
            .unwrap();
            std::fs::write(
                dir.path().join(&name).join("metadata.toml"),
                "run_in_transaction = false\n",
            )
            .unwrap();
        }
    }
    for wait in [300, 700, 1100] {
        let child = spawn(&db, dir.path(), &["verify", "--jobs", "3"]);
        wait_for(&db, SCRATCH);
        std::thread::sleep(Duration::from_millis(wait));
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(130),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            db.lines(SCRATCH).is_empty(),
            "after {wait} ms: {:?}",
            db.lines(SCRATCH)
        );
    }
}
