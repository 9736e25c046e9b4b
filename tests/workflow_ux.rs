//! Issue 13, items 5, 7, 8 and 9: progress on a terminal only, offline SQL
//! ranges and inspection, the `redo --accept` dev loop, and a help screen
//! and output a person (and a pipe) can live with. Each test runs the built
//! binary against the harness's real server.

mod common;
mod ux;

use common::{write_migration, TestDb};
use std::process::{Command, Stdio};
use ux::{applied, Project};

// ---- item 5: progress, on a terminal only ----------------------------

/// Runs the binary under a pseudo-terminal (`script`), returning what the
/// terminal showed and the exit code; `None` when `script` is missing.
fn script_command(p: &Project, db: &TestDb, args: &[&str]) -> Option<(String, i32)> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|s| std::path::Path::new(s).exists())?;
    let bin = assert_cmd::cargo::cargo_bin("ragchat-migrate");
    let line = format!("{} {}", bin.display(), args.join(" "));
    let mut cmd = Command::new(script);
    cmd.current_dir(p.path())
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .env("DATABASE_URL", ux::url(db))
        .env("MIGRATIONS_DIR", p.migrations())
        .env(
            "RAGCHAT_DEV_DIR",
            p.path().join("no-local-cluster-expected"),
        )
        .env("RAGCHAT_CACHE_DIR", p.path().join("cache"))
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .args(["-qec", &line, "/dev/null"]);
    let out = cmd.output().ok()?;
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

// ---- item 7: offline SQL and inspection -------------------------------

#[test]
fn offline_ranges_start_where_alembic_says() {
    let p = Project::new(3);
    let db = TestDb::new();
    // FROM:TO: only what comes after FROM, up to TO.
    let sql = p.ok(&db, &["upgrade", "--sql", "2025-01-01:head"]);
    assert!(
        !sql.contains("CREATE TABLE t1 ") && sql.contains("CREATE TABLE t2 "),
        "{sql}"
    );
    assert!(sql.contains("CREATE TABLE t3 "), "{sql}");
    let sql = p.ok(&db, &["upgrade", "--sql", "20250101000000:20250102000000"]);
    assert!(
        sql.contains("CREATE TABLE t2 ") && !sql.contains("t3"),
        "{sql}"
    );
    let sql = p.ok(&db, &["downgrade", "--sql", "head:2025-01-01"]);
    assert!(
        sql.contains("DROP TABLE t3") && sql.contains("DROP TABLE t2"),
        "{sql}"
    );
    assert!(!sql.contains("DROP TABLE t1"), "{sql}");
    // Reverting offline needs a start, said as such.
    for args in [
        &["downgrade", "--sql"][..],
        &["reset", "--sql"][..],
        &["redo", "--sql"][..],
        &["stamp", "-1", "--sql"][..],
    ] {
        let r = p.run(&db, args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains("needs a starting point") && r.stderr.contains("--from"));
        assert!(!r.stderr.contains("-0"), "{}", r.stderr);
    }
    // Online, on an empty database: nothing to move, not "the most is -0".
    let r = p.run(&db, &["downgrade", "-1"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("nothing to move") && !r.stderr.contains("-0"),
        "{}",
        r.stderr
    );
    // A range without --sql is bad usage, and nothing ran.
    let r = p.run(&db, &["upgrade", "base:head"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--sql"));
    assert!(applied(&db).is_empty());
    // --from current reads the database.
    p.ok(&db, &["upgrade", "+1"]);
    let sql = p.ok(&db, &["upgrade", "--sql", "--from", "current"]);
    assert!(sql.contains("current = 20250101000000"), "{sql}");
    assert!(
        !sql.contains("CREATE TABLE t1 ") && sql.contains("CREATE TABLE t3 "),
        "{sql}"
    );
    let sql = p.ok(&db, &["reset", "--sql", "--from", "current"]);
    assert!(
        sql.contains("DROP TABLE t1") && !sql.contains("DROP TABLE t2"),
        "{sql}"
    );
    assert_eq!(applied(&db), ["20250101000000"]);
}

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
    let r = ux::run(p.path(), None, Some(&p.migrations()), &["show", "20250103"]);
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
    let made = std::fs::read_dir(p.migrations())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with("_add_widgets")
        })
        .count();
    assert_eq!(made, 1);
}

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
            r.stderr
                .contains(&format!("127.0.0.1:{}/{}", common::server().port, db.name)),
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
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "{} {args} | head -1 >/dev/null; echo \"exit=${{PIPESTATUS[0]}}\"",
                bin.display()
            ))
            .current_dir(p.path())
            .env("DATABASE_URL", ux::url(&db))
            .env("MIGRATIONS_DIR", p.migrations())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "{args}: {stderr}"
        );
        assert!(stdout.contains("exit=0"), "{args}: {stdout} {stderr}");
    }
    // A reader that goes away at once: the child still ends cleanly.
    let mut child = ux::command(p.path(), Some(&db), Some(&p.migrations()))
        .args(["upgrade", "--sql"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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
