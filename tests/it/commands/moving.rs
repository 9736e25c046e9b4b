//! Commands that move the database: `upgrade`, targets up and down,
//! `redo`, `stamp`, `reset`, and the ledger they record.

use super::*;

use crate::support::{reference_catalog, table_migration, TestDb};
use diesel::connection::SimpleConnection;

#[test]
fn upgrade_applies_every_migration_with_a_line_each_and_exact_schema() {
    let db = TestDb::new();
    let out = ok(&db, &["upgrade"]);
    let applied: Vec<&str> = out.lines().filter(|l| l.starts_with("applied ")).collect();
    assert_eq!(applied.len(), 2, "{out}"); // one step line and the summary
    assert!(
        applied[0].contains("2025-10-21-000000_initial_schema") && applied[0].contains(" ms)"),
        "{out}"
    );
    assert_eq!(db.catalog(), reference_catalog());
    assert!(ok(&db, &["upgrade"]).contains("nothing to do"));
}

#[test]
fn targets_move_up_and_down_and_refuse_what_cannot_be() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    three_migrations(dir.path());
    let m = dir.path().to_str().unwrap();
    let mig = |args: &[&str]| {
        let mut all = vec!["--migrations-dir", m];
        all.extend_from_slice(args);
        run(&db, &all)
    };
    assert_eq!(mig(&["upgrade", "2030-01-02"]).code, 0); // unique prefix, dashed
    assert_eq!(tables(&db), ["alpha", "beta"]);
    assert_eq!(mig(&["downgrade"]).code, 0); // default -1
    assert_eq!(tables(&db), ["alpha"]);
    assert_eq!(mig(&["upgrade", "2030-01-03-000000_create_gamma"]).code, 0); // directory name
    assert_eq!(tables(&db), ["alpha", "beta", "gamma"]);
    assert_eq!(mig(&["downgrade", "20300101000000"]).code, 0); // full version
    assert_eq!(tables(&db), ["alpha"]);
    assert_eq!(mig(&["upgrade", "+2"]).code, 0);
    assert_eq!(mig(&["downgrade", "-2"]).code, 0);
    assert_eq!(tables(&db), ["alpha"]);

    let before = ledger(&db);
    let unknown = mig(&["upgrade", "2099"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("unknown target") && unknown.stderr.contains("create_gamma"),
        "{}",
        unknown.stderr
    );
    let ambiguous = mig(&["upgrade", "203001"]);
    assert_eq!(ambiguous.code, 2);
    assert!(
        ambiguous.stderr.contains("ambiguous") && ambiguous.stderr.contains("create_beta"),
        "{}",
        ambiguous.stderr
    );
    let past_head = mig(&["upgrade", "+3"]);
    assert_eq!(past_head.code, 2);
    assert!(
        past_head.stderr.contains("the most is +2"),
        "{}",
        past_head.stderr
    );
    let past_base = mig(&["downgrade", "-2"]);
    assert_eq!(past_base.code, 2);
    assert!(
        past_base.stderr.contains("the most is -1"),
        "{}",
        past_base.stderr
    );
    assert_eq!(ledger(&db), before, "refused commands changed the ledger");
    assert_eq!(mig(&["downgrade", "base", "--yes"]).code, 0);
    assert!(tables(&db).is_empty());
}

#[test]
fn redo_reverts_and_reapplies_the_newest() {
    let db = TestDb::new();
    ok(&db, &["upgrade"]);
    db.conn()
        .batch_execute(
            "INSERT INTO users (email, username, hashed_password) VALUES ('a@b', 'a', 'h')",
        )
        .unwrap();
    let out = ok(&db, &["redo"]);
    assert!(
        out.contains("reverted 2025-10-21-000000_initial_schema")
            && out.contains("applied  2025-10-21-000000_initial_schema"),
        "{out}"
    );
    assert_eq!(db.catalog(), reference_catalog());
    assert!(db.lines("SELECT email::text AS v FROM users").is_empty());
    let too_many = run(&db, &["redo", "-n", "2"]);
    assert_eq!(too_many.code, 2, "{}", too_many.stderr);
}

#[test]
fn stamp_writes_only_the_ledger() {
    let db = TestDb::new();
    ok(&db, &["stamp", "head"]);
    assert!(db.catalog().is_empty(), "stamp ran migration SQL");
    assert_eq!(
        ok(&db, &["current"]).trim(),
        "20251021000000 initial_schema (head)"
    );
    assert!(db.lines("SELECT applied_by AS v FROM __ragchat_migrations")[0].contains("stamp"));
    ok(&db, &["stamp", "base"]);
    assert_eq!(ok(&db, &["current"]).trim(), "base");
    assert!(ledger(&db).is_empty());
    ok(&db, &["upgrade"]);
    ok(&db, &["stamp", "base", "--force"]);
    assert_eq!(
        db.catalog(),
        reference_catalog(),
        "stamp base dropped tables"
    );
}

#[test]
fn reset_needs_yes_without_a_terminal() {
    let db = TestDb::new();
    ok(&db, &["upgrade"]);
    let r = run(&db, &["reset"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--yes"), "{}", r.stderr);
    assert_eq!(db.catalog(), reference_catalog());
    ok(&db, &["reset", "--yes"]);
    assert!(db.catalog().is_empty());
    assert_eq!(ok(&db, &["current"]).trim(), "base");
}

#[test]
fn long_runs_record_every_migration_with_diesels_time_and_its_checksums() {
    // More migrations than one batch of side records, and not a multiple.
    let n = ragchat_migrate::database::ledger::RECORD_BATCH * 2 + 37;
    let dir = tempfile::tempdir().unwrap();
    for i in 0..n {
        table_migration(
            dir.path(),
            &format!("2030-01-01-{i:06}_t{i}"),
            &format!("t{i}"),
        );
    }
    let set = ragchat_migrate::MigrationSet::load(&ragchat_migrate::Source::Directory(
        dir.path().to_path_buf(),
    ))
    .unwrap();
    let expected: Vec<String> = set
        .all()
        .iter()
        .map(|m| {
            format!(
                "{} {} {} {}",
                m.version,
                m.dir_name,
                m.up_sha256,
                m.down_sha256.as_deref().unwrap()
            )
        })
        .collect();
    let m = dir.path().to_str().unwrap();
    for mode in [&[][..], &["--single-transaction"][..]] {
        let db = TestDb::new();
        let mut args = vec!["--migrations-dir", m, "upgrade"];
        args.extend_from_slice(mode);
        ok(&db, &args);
        let query = "SELECT r.version || ' ' || r.dir_name || ' ' || r.up_sha256 || ' ' || r.down_sha256 AS v \
             FROM __ragchat_migrations r JOIN __diesel_schema_migrations d USING (version) \
             WHERE r.diesel_run_on = d.run_on AND r.applied_at = d.run_on::timestamptz \
               AND r.applied_by = 'ragchat-migrate ' || $$VERSION$$ \
               AND r.duration_ms >= 0 \
             ORDER BY 1"
            .replace("$$VERSION$$", &format!("'{}'", env!("CARGO_PKG_VERSION")));
        let recorded = db.lines(&query);
        assert_eq!(recorded.len(), n, "{mode:?}");
        assert_eq!(recorded, expected, "{mode:?}");
        assert_eq!(json(&db, &["--migrations-dir", m, "check"])["ok"], true);

        // Reverting and re-applying more than a batch: the old records are
        // gone before the new ones are written, and the new ones carry the
        // new run_on.
        let mut args = vec!["--migrations-dir", m, "redo", "-n", "150"];
        args.extend_from_slice(mode);
        ok(&db, &args);
        assert_eq!(db.lines(&query).len(), n, "{mode:?} after redo");
        assert_eq!(json(&db, &["--migrations-dir", m, "check"])["ok"], true);
        let mut args = vec!["--migrations-dir", m, "downgrade", "base", "--yes"];
        args.extend_from_slice(mode);
        ok(&db, &args);
        assert_eq!(
            db.lines("SELECT count(*)::text AS v FROM __ragchat_migrations"),
            ["0"],
            "{mode:?}: the side records of reverted migrations are deleted"
        );
    }
}

#[test]
fn a_malformed_target_or_duration_is_refused_in_our_words_without_clap_framing() {
    for (args, says) in [
        (
            &["upgrade", "+0", "--sql"][..],
            "error: relative target `+0` moves nowhere; fix: use +1 or more",
        ),
        (
            &["--lock-timeout=-1", "current"][..],
            "error: --lock-timeout must be a number of seconds, 0 or more",
        ),
        (
            &["--ddl-lock-timeout", "soon", "upgrade"][..],
            "error: --ddl-lock-timeout must be a number of seconds, 0 or more",
        ),
    ] {
        let r = crate::support::Tool::new().args(args).run();
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with(says), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("invalid value"), "{}", r.stderr);
        assert!(!r.stderr.contains("--help"), "{}", r.stderr);
    }
    let json = crate::support::Tool::new()
        .args(["upgrade", "+0", "--sql", "--format", "json"])
        .run();
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        doc["error"],
        "relative target `+0` moves nowhere; fix: use +1 or more, -1 or more"
    );
    assert_eq!(doc["exit_code"], 2);
    // clap's own refusals keep the framing that names the flag.
    let number = crate::support::Tool::new()
        .args(["--connect-timeout", "abc", "current"])
        .run();
    assert_eq!(number.code, 2);
    assert!(
        number
            .stderr
            .contains("invalid value 'abc' for '--connect-timeout"),
        "{}",
        number.stderr
    );
}
