//! Commands that only read: `current`, `history`, `check`, and the output
//! options (colour, quiet, completions).

use super::*;

use crate::support::{server, TestDb};
use serde_json::Value;

#[test]
fn current_says_base_then_version_name_and_head() {
    let db = TestDb::new();
    assert_eq!(ok(&db, &["current"]).trim(), "base");
    ok(&db, &["upgrade"]);
    assert_eq!(
        ok(&db, &["current"]).trim(),
        "20251021000000 initial_schema (head)"
    );
    let v = json(&db, &["current"]);
    assert_eq!(v["current"]["version"], "20251021000000");
    assert_eq!(v["at_head"], true);
    assert_eq!(
        v["database"],
        format!(
            "postgres://postgres:***@127.0.0.1:{}/{}",
            server().port(),
            db.name
        )
    );
}

#[test]
fn history_marks_applied_pending_current_and_head() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    three_migrations(dir.path());
    let m = dir.path().to_str().unwrap();
    ok(&db, &["--migrations-dir", m, "upgrade", "+1"]);
    let out = ok(&db, &["--migrations-dir", m, "history"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("[x] 20300101000000")
            && lines[0].contains("applied 2")
            && lines[0].contains("(current)"),
        "{out}"
    );
    assert!(
        lines[1].starts_with("[ ] 20300102000000") && lines[1].contains("pending"),
        "{out}"
    );
    assert!(
        lines[2].contains("(head)") && !lines[2].contains("(current)"),
        "{out}"
    );
    let v = json(&db, &["--migrations-dir", m, "history"]);
    let entries = v["migrations"].as_array().unwrap();
    assert_eq!(entries[0]["state"], "applied");
    assert_eq!(entries[0]["current"], true);
    assert!(entries[0]["applied_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(entries[2]["head"], true);
    let verbose = ok(&db, &["--migrations-dir", m, "history", "--verbose"]);
    assert!(
        verbose.contains("sha256") && verbose.contains("recorded by: ragchat-migrate"),
        "{verbose}"
    );
    assert_eq!(
        ok(&db, &["--migrations-dir", m, "pending"])
            .lines()
            .collect::<Vec<_>>(),
        [
            "20300102000000 2030-01-02-000000_create_beta",
            "20300103000000 2030-01-03-000000_create_gamma"
        ]
    );
    assert_eq!(
        json(&db, &["--migrations-dir", m, "pending"])["pending"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn check_is_exit_3_until_at_head() {
    let db = TestDb::new();
    let r = run(&db, &["--format", "json", "check"]);
    assert_eq!(r.code, 3);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["pending"].as_array().unwrap().len(), 1);
    ok(&db, &["upgrade"]);
    assert_eq!(json(&db, &["check"])["ok"], true);
}

#[test]
fn colour_quiet_and_completions() {
    let db = TestDb::new();
    let coloured = ok(&db, &["--color", "always", "upgrade"]);
    assert!(coloured.contains("\x1b["), "{coloured:?}");
    let plain = ok(&db, &["--color", "never", "history"]);
    assert!(!plain.contains('\x1b'));
    let quiet = run(&db, &["-q", "downgrade"]);
    assert_eq!(
        (quiet.code, quiet.stdout.as_str(), quiet.stderr.as_str()),
        (0, "", "")
    );
    let dir = tempfile::tempdir().unwrap();
    let out = Tool::new()
        .args(["--color", "auto", "history", "--database-url", &url(&db)])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .run();
    assert!(!out.stdout.contains('\x1b'));
    let bash = run_in(dir.path(), &["completions", "bash"]);
    assert!(
        bash.code == 0
            && bash.stdout.contains("ragchat-migrate")
            && bash.stdout.contains("upgrade")
    );
}
