//! Inspecting the history: `history` ranges, `show`, and close candidates
//! for a mistyped target.

use crate::support::project::{applied, Project};
use crate::support::TestDb;

#[test]
fn show_history_ranges_and_close_candidates() {
    let p = Project::new(8);
    let db = TestDb::new();
    p.ok(&db, &["upgrade", "+2"]);
    let out = p.ok(&db, &["show", "2025-01-02", "--down"]);
    for want in [
        "version:     20250102000000",
        "name:        create_t2",
        "create_t2",
        "transaction: runs in a transaction",
        "up.sql:      sha256 ",
        "down.sql:    sha256 ",
        "applied:     yes,",
        "CREATE TABLE t2 (id int);",
        "DROP TABLE t2;",
    ] {
        assert!(out.contains(want), "missing {want:?} in\n{out}");
    }
    assert!(out.contains(
        &p.migrations()
            .join("2025-01-02-000000_create_t2")
            .display()
            .to_string()
    ));
    let current = p.ok(&db, &["show", "current"]);
    assert!(current.contains("version:     20250102000000"), "{current}");
    let pending = p.ok(&db, &["show", "head"]);
    assert!(pending.contains("applied:     no (pending)") && !pending.contains("DROP TABLE"));
    // Without a database the state is unknown, and it says so.
    let r =
        crate::support::project::run(p.path(), None, Some(&p.migrations()), &["show", "20250103"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("applied:     unknown"), "{}", r.stdout);
    let json: serde_json::Value =
        serde_json::from_str(&p.ok(&db, &["--format", "json", "show", "20250101"])).unwrap();
    assert_eq!(json["applied"], true);
    assert_eq!(json["version"], "20250101000000");
    // history -r and --limit.
    let h = p.ok(&db, &["history", "-r", "2025-01-03:2025-01-05"]);
    assert_eq!(h.lines().count(), 3, "{h}");
    assert!(h.contains("create_t3") && h.contains("create_t5") && !h.contains("create_t6"));
    let h = p.ok(&db, &["history", "--limit", "2"]);
    assert_eq!(h.lines().count(), 2, "{h}");
    assert!(h.contains("create_t8") && h.contains("create_t7"), "{h}");
    let h = p.ok(&db, &["history", "-r", "2025-01-06:"]);
    assert_eq!(h.lines().count(), 3, "{h}");
    let h = p.ok(&db, &["history", "-r", "current:"]);
    assert_eq!(h.lines().count(), 7, "{h}");
    assert!(h.lines().next().unwrap().contains("create_t2"), "{h}");
    let r = p.run(&db, &["history", "-r", "2025-01-05:2025-01-03"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // An unknown target lists the five closest, not all eight.
    let r = p.run(&db, &["upgrade", "create_t9"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let candidates = r.stderr.lines().filter(|l| l.contains("_create_t")).count();
    assert_eq!(candidates, 5, "{}", r.stderr);
    assert_eq!(applied(&db).len(), 2);
    // `revision` is `create`.
    let r = p.run(&db, &["revision", "add_widgets"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let made =
        crate::support::fixtures::count_entries(&p.migrations(), |n| n.ends_with("_add_widgets"));
    assert_eq!(made, 1);
}
