//! Migrations the plan refuses: an edited applied migration, an
//! out-of-order pending one, unknown applied versions, and tables without a
//! ledger. Real processes, a real server.

use crate::support::run;
use crate::support::{table_migration, TestDb};
use diesel::connection::SimpleConnection;

#[test]
fn an_edited_applied_migration_is_refused_shown_and_can_be_accepted() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    table_migration(dir.path(), "2030-01-01-000000_one", "one");
    assert_eq!(run(&db, Some(dir.path()), &["upgrade"]).code, 0);
    // What table_migration wrote, before the edit.
    let before = ragchat_migrate::migrations::checksum::sha256_hex("CREATE TABLE one (id int);");
    // A harmless edit: a comment.
    let edited = "-- the first table\nCREATE TABLE one (id int);\n";
    std::fs::write(dir.path().join("2030-01-01-000000_one/up.sql"), edited).unwrap();
    let after = ragchat_migrate::migrations::checksum::sha256_hex(edited);
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
    assert_eq!(db.applied_versions().len(), 3);
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
    assert_eq!(db.applied_versions().len(), 2);
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
