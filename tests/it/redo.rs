//! The `redo --accept` dev loop: rerun the edited newest migration, and
//! keep the old checksums when it fails.

use crate::support::project::{applied, Project};
use crate::support::{write_migration, TestDb};

// ---- item 8: redo --accept ----------------------------------------------

#[test]
fn redo_accept_reruns_the_edited_newest_migration() {
    let p = Project::new(2);
    let db = TestDb::new();
    p.ok(&db, &["upgrade"]);
    // The newest migration is edited while developing it.
    write_migration(
        &p.migrations(),
        "2025-01-02-000000_create_t2",
        "CREATE TABLE t2 (id int, note text);",
        "DROP TABLE t2;",
    );
    for args in [&["redo"][..], &["downgrade"][..]] {
        let r = p.run(&db, args);
        assert_eq!(r.code, 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("redo --accept") && r.stderr.contains("accept <version>"),
            "{}",
            r.stderr
        );
    }
    assert!(db.lines("SELECT column_name::text AS v FROM information_schema.columns WHERE table_name = 't2' AND column_name = 'note'").is_empty());
    let out = p.ok(&db, &["redo", "--accept"]);
    assert!(
        out.contains("accepted the edit of 2025-01-02-000000_create_t2"),
        "{out}"
    );
    assert_eq!(
        db.lines("SELECT column_name::text AS v FROM information_schema.columns WHERE table_name = 't2' AND column_name = 'note'"),
        ["note"]
    );
    // The new checksums are recorded: nothing is reported edited any more.
    let h = p.ok(&db, &["history", "--verbose"]);
    assert!(!h.contains("CHANGED"), "{h}");
    p.ok(&db, &["redo"]);
    // An older edited migration is not the dev loop: refused, nothing changed.
    write_migration(
        &p.migrations(),
        "2025-01-01-000000_create_t1",
        "CREATE TABLE t1 (id bigint);",
        "DROP TABLE t1;",
    );
    let r = p.run(&db, &["redo", "--accept"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("create_t1") && r.stderr.contains("newest"),
        "{}",
        r.stderr
    );
    assert_eq!(applied(&db).len(), 2);
    assert!(p
        .ok(&db, &["history", "--verbose"])
        .contains("CHANGED: up.sql"));
}

#[test]
fn a_failed_redo_accept_keeps_the_old_checksums() {
    let p = Project::new(2);
    let db = TestDb::new();
    p.ok(&db, &["upgrade"]);
    let before = db.lines(
        "SELECT up_sha256 || ' ' || down_sha256 AS v FROM __ragchat_migrations ORDER BY version",
    );
    // The edit's down.sql cannot run: nothing is reverted, nothing accepted.
    write_migration(
        &p.migrations(),
        "2025-01-02-000000_create_t2",
        "CREATE TABLE t2 (id int, note text);",
        "DROP TABLE no_such_table;",
    );
    let r = p.run(&db, &["redo", "--accept"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("down.sql"), "{}", r.stderr);
    assert_eq!(applied(&db).len(), 2);
    assert_eq!(
        db.lines("SELECT up_sha256 || ' ' || down_sha256 AS v FROM __ragchat_migrations ORDER BY version"),
        before,
        "the old checksums must stay: the database still has what the old files made"
    );
    assert!(p.ok(&db, &["history", "--verbose"]).contains("CHANGED"));
    // Nothing edited: a plain redo, and it says so.
    write_migration(
        &p.migrations(),
        "2025-01-02-000000_create_t2",
        "CREATE TABLE t2 (id int);",
        "DROP TABLE t2;",
    );
    let out = p.ok(&db, &["redo", "--accept"]);
    assert!(out.contains("nothing was edited"), "{out}");
}
