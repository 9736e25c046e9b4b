//! Concurrent migrators (processes and library threads), a migrator killed
//! mid-run, and DDL that waits too long for a lock. Real processes, a real
//! server.

use crate::support::{on, run};
use crate::support::{server, table_migration, write_migration, TestDb};
use diesel::connection::SimpleConnection;
use ragchat_migrate::database::migrator::{self, RunOptions, Silent};
use ragchat_migrate::migrations::target::Target;
use ragchat_migrate::{MigrationSet, Source};
use std::path::Path;
use std::time::{Duration, Instant};

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

#[test]
fn sixteen_processes_at_once_apply_each_migration_exactly_once() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    counting_migrations(dir.path());
    let children: Vec<_> = (0..16)
        .map(|_| {
            on(&db, Some(dir.path()))
                .arg("upgrade")
                .command()
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
    assert_eq!(db.applied_versions().len(), 5);
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
    assert_eq!(app.catalog(), crate::support::reference_catalog());
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
    let mut child = on(&db, Some(dir.path()))
        .arg("upgrade")
        .command()
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
    assert_eq!(db.applied_versions(), ["20300101000000", "20300102000000"]);
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
