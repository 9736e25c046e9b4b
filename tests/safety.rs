//! Issue 4: concurrent migrators, edited, out-of-order and unknown
//! migrations, a migrator killed mid-run, a schema without a ledger, and
//! DDL that waits too long for a lock. Real processes, a real server.

mod common;

use assert_cmd::Command;
use common::{server, table_migration, write_migration, Run, TestDb};
use diesel::connection::SimpleConnection;
use ragchat_migrate::database::migrator::{self, RunOptions, Silent};
use ragchat_migrate::migrations::target::Target;
use ragchat_migrate::{MigrationSet, Source};
use std::path::Path;
use std::time::{Duration, Instant};

fn cmd(db: &TestDb, dir: Option<&Path>, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("ragchat-migrate"));
    c.arg("--database-url").arg(db.url());
    if let Some(d) = dir {
        c.arg("--migrations-dir").arg(d);
    }
    c.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATIONS_DIR");
    c
}

fn run(db: &TestDb, dir: Option<&Path>, args: &[&str]) -> Run {
    let out = Command::from_std(cmd(db, dir, args))
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    Run::from(out)
}

/// Five migrations; every one after the first adds a row to `hits`, so a
/// migration applied twice shows as a duplicate row.
fn counting_migrations(dir: &Path) {
    write_migration(
        dir,
        "2030-01-01-000000_hits",
        "CREATE TABLE hits (n int PRIMARY KEY);",
        "DROP TABLE hits;",
    );
    for i in 2..=5 {
        write_migration(
            dir,
            &format!("2030-01-0{i}-000000_hit_{i}"),
            &format!("INSERT INTO hits (n) VALUES ({i}); SELECT pg_sleep(0.01);"),
            &format!("DELETE FROM hits WHERE n = {i};"),
        );
    }
}

fn ledger_versions(db: &TestDb) -> Vec<String> {
    db.lines("SELECT version::text AS v FROM __diesel_schema_migrations ORDER BY 1")
}

#[test]
fn sixteen_processes_at_once_apply_each_migration_exactly_once() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    counting_migrations(dir.path());
    let children: Vec<_> = (0..16)
        .map(|_| {
            cmd(&db, Some(dir.path()), &["upgrade"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut applied_lines = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        applied_lines += stdout
            .lines()
            .filter(|l| l.starts_with("applied  "))
            .count();
    }
    assert_eq!(
        applied_lines, 5,
        "each migration is applied by exactly one process"
    );
    assert_eq!(
        db.lines("SELECT n::text AS v FROM hits ORDER BY n"),
        ["2", "3", "4", "5"]
    );
    assert_eq!(ledger_versions(&db).len(), 5);
    assert_eq!(
        db.lines("SELECT count(*)::text AS v FROM __ragchat_migrations"),
        ["5"]
    );
}

#[test]
fn sixteen_threads_calling_the_library_apply_each_migration_exactly_once() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    counting_migrations(dir.path());
    let set = MigrationSet::load(&Source::Directory(dir.path().to_path_buf())).unwrap();
    let total: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    let mut conn = db.conn();
                    migrator::run(
                        &mut conn,
                        &set,
                        &migrator::Command::Upgrade(Target::Head),
                        &RunOptions::default(),
                        &mut Silent,
                    )
                    .expect("upgrade from a thread")
                    .len()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(total, 5);
    assert_eq!(
        db.lines("SELECT n::text AS v FROM hits ORDER BY n"),
        ["2", "3", "4", "5"]
    );
    // The embedded start-up call from many threads at once, too.
    let app = TestDb::new();
    let ran: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    ragchat_migrate::run_pending_migrations(&mut app.conn())
                        .unwrap()
                        .len()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(ran, 1);
    assert_eq!(app.catalog(), common::reference_catalog());
}

#[test]
fn a_migrator_killed_mid_migration_leaves_the_previous_state_and_the_rerun_completes() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    table_migration(dir.path(), "2030-01-01-000000_one", "one");
    write_migration(
        dir.path(),
        "2030-01-02-000000_slow",
        "CREATE TABLE slow (id int);\nSELECT pg_sleep(60);\n",
        "DROP TABLE slow;",
    );
    let mut child = cmd(&db, Some(dir.path()), &["upgrade"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the slow migration is running on the server.
    let started = Instant::now();
    loop {
        let busy = db.lines("SELECT pid::text AS v FROM pg_stat_activity WHERE query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()");
        if !busy.is_empty() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the slow migration never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    child.wait().unwrap();

    // A status command does not wait for the lock: it answers at once with
    // what is committed.
    let state = run(&db, Some(dir.path()), &["current"]);
    assert_eq!(
        state.stdout.trim(),
        "20300101000000 one",
        "{}",
        state.stderr
    );

    // The server notices the dead client, rolls the slow one back and frees
    // the lock: a rerun that waits for the lock gets it well before the 60 s
    // sleep would have ended, and can create the same table again.
    table_migration(dir.path(), "2030-01-02-000000_slow", "slow");
    let relaunch = Instant::now();
    // The edited file was never applied, so it is not a changed migration.
    let rerun = run(&db, Some(dir.path()), &["--lock-timeout", "20", "upgrade"]);
    assert_eq!(rerun.code, 0, "{}", rerun.stderr);
    assert!(
        relaunch.elapsed() < Duration::from_secs(15),
        "the killed migration kept running for {:?}",
        relaunch.elapsed()
    );
    assert_eq!(ledger_versions(&db), ["20300101000000", "20300102000000"]);
}

#[test]
fn an_edited_applied_migration_is_refused_shown_and_can_be_accepted() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    table_migration(dir.path(), "2030-01-01-000000_one", "one");
    assert_eq!(run(&db, Some(dir.path()), &["upgrade"]).code, 0);
    // What table_migration wrote, before the edit.
    let before = ragchat_migrate::migrations::source::sha256_hex("CREATE TABLE one (id int);");
    // A harmless edit: a comment.
    let edited = "-- the first table\nCREATE TABLE one (id int);\n";
    std::fs::write(dir.path().join("2030-01-01-000000_one/up.sql"), edited).unwrap();
    let after = ragchat_migrate::migrations::source::sha256_hex(edited);
    table_migration(dir.path(), "2030-01-02-000000_two", "two");

    for args in [&["upgrade"][..], &["downgrade"][..]] {
        let r = run(&db, Some(dir.path()), args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        for needle in ["2030-01-01-000000_one/up.sql", &before, &after, "accept"] {
            assert!(
                r.stderr.contains(needle),
                "{args:?} missing {needle}: {}",
                r.stderr
            );
        }
    }
    assert!(db
        .lines("SELECT relname::text AS v FROM pg_class WHERE relname = 'two'")
        .is_empty());
    let history = run(&db, Some(dir.path()), &["history", "--verbose"]);
    assert!(
        history.stdout.contains("CHANGED: up.sql"),
        "{}",
        history.stdout
    );
    // The plain listing reads names only, so it cannot tell.
    let listing = run(&db, Some(dir.path()), &["history"]);
    assert_eq!(listing.code, 0, "{}", listing.stderr);
    assert!(!listing.stdout.contains("CHANGED"), "{}", listing.stdout);
    assert_eq!(run(&db, Some(dir.path()), &["check"]).code, 3);

    let accepted = run(&db, Some(dir.path()), &["accept", "20300101"]);
    assert_eq!(accepted.code, 0, "{}", accepted.stderr);
    assert!(
        accepted.stdout.contains(&before) && accepted.stdout.contains(&after),
        "{}",
        accepted.stdout
    );
    assert_eq!(run(&db, Some(dir.path()), &["upgrade"]).code, 0);
    assert_eq!(run(&db, Some(dir.path()), &["check"]).code, 0);

    // Accepting an edit that is not harmless does not hide it: check sees
    // the live table differ from what the edited file produces.
    std::fs::write(
        dir.path().join("2030-01-01-000000_one/up.sql"),
        "CREATE TABLE one (id bigint);\n",
    )
    .unwrap();
    assert_eq!(
        run(&db, Some(dir.path()), &["accept", "20300101000000"]).code,
        0
    );
    let check = run(&db, Some(dir.path()), &["check"]);
    assert_eq!(check.code, 3);
    assert!(
        check
            .stdout
            .contains("~ column one.id type bigint -> integer"),
        "{}",
        check.stdout
    );
}

#[test]
fn an_out_of_order_pending_migration_is_refused_unless_allowed() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    table_migration(dir.path(), "2030-01-01-000000_one", "one");
    table_migration(dir.path(), "2030-01-03-000000_three", "three");
    assert_eq!(run(&db, Some(dir.path()), &["upgrade"]).code, 0);
    // Another branch adds an older one.
    table_migration(dir.path(), "2030-01-02-000000_two", "two");
    let r = run(&db, Some(dir.path()), &["upgrade"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("2030-01-02-000000_two") && r.stderr.contains("--allow-out-of-order"),
        "{}",
        r.stderr
    );
    let history = run(&db, Some(dir.path()), &["history"]).stdout;
    assert!(
        history
            .lines()
            .any(|l| l.contains("two") && l.contains("out of order")),
        "{history}"
    );
    let r = run(&db, Some(dir.path()), &["upgrade", "--allow-out-of-order"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(ledger_versions(&db).len(), 3);
}

#[test]
fn unknown_applied_versions_are_refused_listed_and_fail_check() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    table_migration(dir.path(), "2030-01-01-000000_one", "one");
    table_migration(dir.path(), "2030-01-02-000000_two", "two");
    assert_eq!(run(&db, Some(dir.path()), &["upgrade"]).code, 0);
    std::fs::remove_dir_all(dir.path().join("2030-01-02-000000_two")).unwrap();
    for args in [&["upgrade"][..], &["downgrade"][..]] {
        let r = run(&db, Some(dir.path()), args);
        assert_eq!(r.code, 1, "{args:?}");
        assert!(
            r.stderr.contains("20300102000000") && r.stderr.contains("ahead of this code"),
            "{}",
            r.stderr
        );
    }
    assert_eq!(ledger_versions(&db).len(), 2);
    let history = run(&db, Some(dir.path()), &["history"]).stdout;
    assert!(
        history.lines().any(|l| l.contains("20300102000000")
            && l.contains("2030-01-02-000000_two")
            && l.contains("UNKNOWN")),
        "{history}"
    );
    let check = run(&db, Some(dir.path()), &["--format", "json", "check"]);
    assert_eq!(check.code, 3);
    let v: serde_json::Value = serde_json::from_str(&check.stdout).unwrap();
    assert_eq!(v["unknown"][0], "20300102000000");
}

#[test]
fn tables_without_a_ledger_are_refused_before_anything_runs() {
    let db = TestDb::new();
    db.conn()
        .batch_execute("CREATE TABLE users (id int)")
        .unwrap();
    let r = run(&db, None, &["upgrade"]);
    assert_eq!(r.code, 1);
    for needle in ["users", "no migration ledger", "adopt", "stamp"] {
        assert!(r.stderr.contains(needle), "missing {needle}: {}", r.stderr);
    }
    assert!(db
        .lines("SELECT relname::text AS v FROM pg_class WHERE relname LIKE '\\_\\_%'")
        .is_empty());
}

#[test]
fn ddl_waiting_behind_a_long_transaction_fails_fast_and_says_so() {
    let db = TestDb::new();
    assert_eq!(run(&db, None, &["upgrade"]).code, 0);
    let dir = tempfile::tempdir().unwrap();
    for m in MigrationSet::load(&Source::Embedded).unwrap().all() {
        write_migration(
            dir.path(),
            &m.dir_name,
            &m.up_sql,
            m.down_sql.as_deref().unwrap(),
        );
    }
    write_migration(
        dir.path(),
        "2030-01-01-000000_tz",
        "ALTER TABLE users ADD COLUMN timezone text;",
        "ALTER TABLE users DROP COLUMN timezone;",
    );
    let mut reader = db.conn();
    reader
        .batch_execute("BEGIN; SELECT count(*) FROM users;")
        .unwrap();
    let started = Instant::now();
    let r = run(
        &db,
        Some(dir.path()),
        &["--ddl-lock-timeout", "1", "upgrade"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("lock timeout") && r.stderr.contains("--ddl-lock-timeout"),
        "{}",
        r.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    reader.batch_execute("COMMIT").unwrap();
    assert_eq!(run(&db, Some(dir.path()), &["upgrade"]).code, 0);
    let _ = server();
}
