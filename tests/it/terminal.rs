//! Output a person (and a pipe) can live with: progress on a terminal only,
//! help under headings, a confirmation before reverting everything, a
//! closed pipe, colour as asked.

use crate::support::project::{applied, Project};
use crate::support::project::{configured, url};
use crate::support::Tool;
use crate::support::{write_migration, TestDb};
use std::process::Stdio;

// ---- item 5: progress, on a terminal only ----------------------------

/// Runs the binary under a pseudo-terminal (`script`), returning what the
/// terminal showed and the exit code; `None` when `script` is missing.
fn script_command(p: &Project, db: &TestDb, args: &[&str]) -> Option<(String, i32)> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|s| std::path::Path::new(s).exists())?;
    let bin = assert_cmd::cargo::cargo_bin("ragchat-migrate");
    let line = format!("{} {}", bin.display(), args.join(" "));
    let mut cmd = Tool::program(script)
        .current_dir(p.path())
        .env("DATABASE_URL", url(db))
        .env("MIGRATIONS_DIR", p.migrations())
        .env(
            "RAGCHAT_DEV_DIR",
            p.path().join("no-local-cluster-expected"),
        )
        .env("TERM", "xterm")
        .args(["-qec", &line, "/dev/null"])
        .command();
    let out = cmd.stdin(Stdio::null()).output().ok()?;
    Some((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    ))
}

#[test]
fn progress_counts_steps_on_a_terminal_and_nowhere_else() {
    let p = Project::new(3);
    let db = TestDb::new();
    // Not a terminal: plain lines, no counter, no bar.
    let plain = p.ok(&db, &["upgrade", "+1"]);
    assert!(
        plain.contains("applied  2025-01-01-000000_create_t1"),
        "{plain}"
    );
    assert!(!plain.contains("[1/"), "{plain}");
    let Some((tty, code)) = script_command(&p, &db, &["upgrade"]) else {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    };
    assert_eq!(code, 0, "{tty}");
    assert!(tty.contains("[1/2]") && tty.contains("[2/2]"), "{tty}");
    assert_eq!(applied(&db).len(), 3);
    // -q and --format json: nothing of it.
    p.ok(&db, &["downgrade", "base", "--yes"]);
    let (quiet, code) = script_command(&p, &db, &["-q", "upgrade"]).unwrap();
    assert_eq!(code, 0);
    assert!(
        !quiet.contains("[1/") && !quiet.contains("applied"),
        "{quiet}"
    );
    p.ok(&db, &["downgrade", "base", "--yes"]);
    let (json, code) = script_command(&p, &db, &["--format", "json", "upgrade"]).unwrap();
    assert_eq!(code, 0);
    assert!(
        !json.contains("[1/") && json.contains("\"format_version\""),
        "{json}"
    );
    // A cold check builds a scratch database: a bar, then the summary.
    let (check, code) = script_command(&p, &db, &["check"]).unwrap();
    assert_eq!(code, 0, "{check}");
    assert!(
        check.contains("built a scratch database: 3 migration(s) in"),
        "{check}"
    );
    let piped = p.run(&db, &["verify"]);
    assert_eq!(piped.code, 0, "{}", piped.stderr);
    assert!(!piped.stderr.contains("scratch database:") && !piped.stderr.contains("verifying"));
}

// ---- item 9: help, flags, confirmations, pipes, colour ------------------

#[test]
fn help_shows_what_each_command_uses_under_headings() {
    let p = Project::new(1);
    let db = TestDb::new();
    let create = p.ok(&db, &["create", "--help"]);
    // create takes no lock (--autogenerate connects, so the database stays).
    assert!(create.contains("--database-url"), "{create}");
    for hidden in ["--ddl-lock-timeout", "--lock-timeout"] {
        assert!(
            !create.contains(hidden),
            "{hidden} shown for create:\n{create}"
        );
    }
    let upgrade = p.ok(&db, &["upgrade", "--help"]);
    let own = upgrade.find("\nOptions:").expect("own options");
    let global = upgrade.find("\nGlobal options:").expect("global heading");
    assert!(own < global, "{upgrade}");
    assert!(upgrade[global..].contains("--ddl-lock-timeout"));
    assert!(upgrade[own..global].contains("--single-transaction"));
    for sub in [
        &["dev", "start", "--help"][..],
        &["completions", "--help"][..],
    ] {
        let out = p.ok(&db, sub);
        assert!(
            !out.contains("--ddl-lock-timeout") && !out.contains("--lock-timeout"),
            "{out}"
        );
    }
    // An unknown flag is a flag error, never a target; -1 still a target.
    for args in [
        &["upgrade", "--frobnicate"][..],
        &["downgrade", "--nope"][..],
        &["stamp", "--x"][..],
    ] {
        let r = p.run(&db, args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("unexpected argument"), "{}", r.stderr);
    }
    p.ok(&db, &["upgrade"]);
    p.ok(&db, &["downgrade", "-1"]);
    assert!(applied(&db).is_empty());
}

#[test]
fn reverting_everything_names_the_database_and_asks() {
    let p = Project::new(2);
    let db = TestDb::new();
    p.ok(&db, &["upgrade"]);
    for args in [&["reset"][..], &["downgrade", "base"][..]] {
        let r = p.run(&db, args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!(
                "127.0.0.1:{}/{}",
                crate::support::server().port(),
                db.name
            )),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("--yes"), "{}", r.stderr);
        assert_eq!(applied(&db).len(), 2, "{args:?} changed the database");
    }
    p.ok(&db, &["downgrade", "base", "--yes"]);
    assert!(applied(&db).is_empty());
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let p = Project::new(0);
    // More than a pipe holds, so the writer meets the closed pipe.
    let pad = "-- padding line of a long migration\n".repeat(200);
    for i in 1..=60 {
        write_migration(
            &p.migrations(),
            &format!("2025-03-{:02}-{:06}_m{i}", 1 + i / 30, i),
            &format!("{pad}CREATE TABLE m{i} ();"),
            &format!("DROP TABLE m{i};"),
        );
    }
    let db = TestDb::new();
    p.ok(&db, &["upgrade", "+30"]);
    let bin = assert_cmd::cargo::cargo_bin("ragchat-migrate");
    for args in [
        "upgrade --sql",
        "completions zsh",
        "history",
        "show head",
        "--help",
    ] {
        let out = Tool::program("bash")
            .arg("-c")
            .arg(format!(
                "{} {args} | head -1 >/dev/null; echo \"exit=${{PIPESTATUS[0]}}\"",
                bin.display()
            ))
            .current_dir(p.path())
            .env("DATABASE_URL", url(&db))
            .env("MIGRATIONS_DIR", p.migrations())
            .run();
        let (stdout, stderr) = (out.stdout, out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args}: {stderr}"
        );
        assert!(stdout.contains("exit=0"), "{args}: {stdout} {stderr}");
    }
    // A reader that goes away at once: the child still ends cleanly.
    let mut child = configured(p.path(), Some(&db), Some(&p.migrations()))
        .args(["upgrade", "--sql"])
        .spawn();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_ne!(out.status.code(), Some(101));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn error_is_coloured_as_asked() {
    let p = Project::new(1);
    let db = TestDb::new();
    let r = p.run(&db, &["--color", "always", "upgrade", "nope"]);
    assert_eq!(r.code, 2);
    // After the line naming the migrations' source.
    assert!(
        r.stderr
            .lines()
            .any(|l| l.starts_with("\x1b[31;1merror:\x1b[0m")),
        "{:?}",
        r.stderr
    );
    let r = p.run(&db, &["--color", "never", "upgrade", "nope"]);
    assert!(
        r.stderr
            .lines()
            .any(|l| l.starts_with("error: unknown target")),
        "{:?}",
        r.stderr
    );
    // A refused command line under --format json still gives a document.
    let r = p.run(&db, &["--format", "json", "upgrade", "--frobnicate"]);
    assert_eq!(r.code, 2);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (doc["format_version"].clone(), doc["ok"].clone()),
        (1.into(), false.into())
    );
    assert_eq!(doc["command"], "upgrade");
    let r = p.run(&db, &["--color", "always", "upgrade", "--frobnicate"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("\x1b["),
        "clap's error uncoloured: {:?}",
        r.stderr
    );
    assert!(applied(&db).is_empty());
}
