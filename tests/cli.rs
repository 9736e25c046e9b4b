//! Issue 3: every command and error case, running the built binary against a
//! real database from the harness. Every URL carries a password, and every
//! captured output is checked for it.

mod common;

use assert_cmd::Command;
use common::{reference_catalog, server, table_migration, write_migration, Run, TestDb};
use diesel::connection::SimpleConnection;
use serde_json::Value;
use std::path::Path;

const PASSWORD: &str = "s3cr3t-Pw0rd";

/// The test database's URL with a password (the cluster trusts loopback, so
/// any password is accepted, and none may ever be printed).
fn url(db: &TestDb) -> String {
    format!(
        "postgres://postgres:{PASSWORD}@127.0.0.1:{}/{}",
        server().port,
        db.name
    )
}

/// Runs the binary in `dir` with a clean environment (no DATABASE_URL).
fn run_in(dir: &Path, args: &[&str]) -> Run {
    let out = Command::cargo_bin("ragchat-migrate")
        .unwrap()
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATIONS_DIR")
        .env_remove("NO_COLOR")
        .env("RAGCHAT_DEV_DIR", dir.join("no-local-cluster-expected"))
        .output()
        .unwrap();
    let run = Run::from(out);
    assert!(
        !run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD),
        "password leaked by {args:?}:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    run
}

fn run(db: &TestDb, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let url = url(db);
    let mut all = vec!["--database-url", url.as_str()];
    all.extend_from_slice(args);
    run_in(dir.path(), &all)
}

fn ok(db: &TestDb, args: &[&str]) -> String {
    let r = run(db, args);
    assert_eq!(r.code, 0, "{args:?} failed:\n{}\n{}", r.stdout, r.stderr);
    r.stdout
}

fn json(db: &TestDb, args: &[&str]) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = ok(db, &all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{all:?}: not JSON ({e}):\n{out}"))
}

fn ledger(db: &TestDb) -> Vec<String> {
    db.lines(
        "SELECT d.version || ' ' || coalesce(r.dir_name, '-') AS v \
         FROM __diesel_schema_migrations d LEFT JOIN __ragchat_migrations r USING (version) \
         ORDER BY 1",
    )
}

/// A migrations directory of three small migrations (optionally with one
/// replaced), for target and failure tests.
fn three_migrations(dir: &Path) {
    for (i, table) in ["alpha", "beta", "gamma"].iter().enumerate() {
        write_migration(
            dir,
            &format!("2030-01-0{}-000000_create_{table}", i + 1),
            &format!("CREATE TABLE {table} (id int);\n"),
            &format!("DROP TABLE {table};\n"),
        );
    }
}

fn tables(db: &TestDb) -> Vec<String> {
    db.lines(
        "SELECT tablename::text AS v FROM pg_tables WHERE schemaname = 'public' \
         AND tablename NOT LIKE '\\_\\_%' ORDER BY 1",
    )
}

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
fn global_options_work_after_the_subcommand_too() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        &["upgrade", "--database-url", &url(&db), "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["steps"].as_array().unwrap().len(), 1);
    assert_eq!(v["current"]["head"], true);
}

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
            server().port,
            db.name
        )
    );
}

#[test]
fn seed_env_file_with_the_asyncpg_url_works_unchanged() {
    let db = TestDb::new();
    let project = tempfile::tempdir().unwrap();
    let nested = project.path().join("backend/app");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(
        project.path().join(".env"),
        format!(
            "DATABASE_URL=postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:{}/{}\n",
            server().port,
            db.name
        ),
    )
    .unwrap();
    // dotenvy finds .env in a parent directory.
    let r = run_in(&nested, &["upgrade"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(db.catalog(), reference_catalog());
    // An explicit flag wins over .env.
    let other = TestDb::new();
    let r = run_in(&nested, &["--database-url", &url(&other), "current"]);
    assert_eq!(r.stdout.trim(), "base");
}

#[test]
fn flag_beats_environment_beats_env_file() {
    let good = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "DATABASE_URL=postgres://nobody@127.0.0.1:1/nothing\n",
    )
    .unwrap();
    let out = Command::cargo_bin("ragchat-migrate")
        .unwrap()
        .arg("current")
        .current_dir(dir.path())
        .env("DATABASE_URL", url(&good))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::cargo_bin("ragchat-migrate")
        .unwrap()
        .args(["--database-url", &url(&good), "current"])
        .current_dir(dir.path())
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/nothing")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn url_spellings_and_conninfo_are_accepted() {
    let db = TestDb::new();
    let port = server().port;
    for u in [
        format!(
            "postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/{}",
            db.name
        ),
        format!(
            "postgresql+psycopg2://postgres:{PASSWORD}@127.0.0.1:{port}/{}",
            db.name
        ),
        format!(
            "postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{port}/{}",
            db.name
        ),
        format!(
            "host=127.0.0.1 port={port} user=postgres password={PASSWORD} dbname={}",
            db.name
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let r = run_in(dir.path(), &["--database-url", &u, "current"]);
        assert_eq!((r.code, r.stdout.trim()), (0, "base"), "{u}: {}", r.stderr);
    }
}

#[test]
fn malformed_urls_are_usage_errors_that_say_why() {
    let dir = tempfile::tempdir().unwrap();
    for (bad, why) in [
        (format!("mysql://u:{PASSWORD}@h/db"), "unsupported scheme"),
        (
            format!("postgresql://u:{PASSWORD}@h:99999/db"),
            "invalid port",
        ),
        ("just words".to_string(), "neither a URL"),
        (format!("host=h password={PASSWORD} nonsense=1"), "nonsense"),
    ] {
        let r = run_in(dir.path(), &["--database-url", &bad, "upgrade"]);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(
            r.stderr.contains("invalid database URL") && r.stderr.contains(why),
            "{bad}: {}",
            r.stderr
        );
    }
}

#[test]
fn unreachable_server_is_exit_1_with_the_masked_url_and_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    let port = common::server().port + 1; // nothing listens next to the test server
    let started = std::time::Instant::now();
    let r = run_in(
        dir.path(),
        &[
            "--database-url",
            &format!("postgres://u:{PASSWORD}@127.0.0.1:{port}/db"),
            "--connect-timeout",
            "2",
            "current",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("postgres://u:***@127.0.0.1:{port}/db")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("fix:"), "{}", r.stderr);
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn missing_database_is_exit_1_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        &[
            "--database-url",
            &format!(
                "postgres://postgres:{PASSWORD}@127.0.0.1:{}/no_such_db",
                server().port
            ),
            "current",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("no_such_db") && r.stderr.contains("createdb"),
        "{}",
        r.stderr
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
fn create_makes_templates_and_refuses_hostile_or_duplicate_names() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    let r = run_in(dir.path(), &["create", "add_user_timezone"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let created: Vec<_> = std::fs::read_dir(&migrations)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert_eq!(created.len(), 1);
    let name = &created[0];
    assert!(
        name.ends_with("_add_user_timezone")
            && name.len() == "YYYY-MM-DD-HHMMSS_add_user_timezone".len(),
        "{name}"
    );
    let up = std::fs::read_to_string(migrations.join(name).join("up.sql")).unwrap();
    assert!(
        up.lines().all(|l| l.is_empty() || l.starts_with("--")),
        "{up}"
    );
    assert!(migrations.join(name).join("down.sql").exists());
    assert!(!migrations.join(name).join("metadata.toml").exists());

    let dup = run_in(dir.path(), &["create", "add_user_timezone"]);
    assert_eq!(dup.code, 2);
    assert!(dup.stderr.contains("already exists"), "{}", dup.stderr);
    for hostile in [
        "../escape",
        "a/b",
        "Upper",
        "with space",
        "",
        "semi;colon",
        "..",
        "x.sql",
    ] {
        let r = run_in(dir.path(), &["create", hostile]);
        assert_eq!(r.code, 2, "{hostile:?} was accepted");
        assert!(r.stderr.contains("invalid migration name"), "{}", r.stderr);
    }
    assert!(!dir.path().join("escape").exists());
    assert_eq!(std::fs::read_dir(&migrations).unwrap().count(), 1);

    let r = run_in(
        dir.path(),
        &["create", "index_concurrently", "--no-transaction"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m = std::fs::read_dir(&migrations)
        .unwrap()
        .flatten()
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .ends_with("index_concurrently")
        })
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(m.path().join("metadata.toml"))
            .unwrap()
            .trim(),
        "run_in_transaction = false"
    );
    // What create makes is a valid migration for the toolkit.
    let db = TestDb::new();
    let u = url(&db);
    let r = run_in(
        dir.path(),
        &[
            "--database-url",
            &u,
            "--migrations-dir",
            migrations.to_str().unwrap(),
            "upgrade",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn non_transactional_migrations_run_outside_a_transaction() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    table_migration(dir.path(), "2030-01-01-000000_t", "t");
    write_migration(
        dir.path(),
        "2030-01-02-000000_ix",
        "CREATE INDEX CONCURRENTLY ix_t_id ON t (id);",
        "DROP INDEX CONCURRENTLY ix_t_id;",
    );
    std::fs::write(
        dir.path().join("2030-01-02-000000_ix/metadata.toml"),
        "run_in_transaction = false\n",
    )
    .unwrap();
    let m = dir.path().to_str().unwrap();
    let single = run(
        &db,
        &["--migrations-dir", m, "upgrade", "--single-transaction"],
    );
    assert_eq!(single.code, 2);
    assert!(
        single.stderr.contains("2030-01-02-000000_ix"),
        "{}",
        single.stderr
    );
    assert!(tables(&db).is_empty(), "refused plan changed the database");
    ok(&db, &["--migrations-dir", m, "upgrade"]);
    assert_eq!(
        db.lines("SELECT indexname::text AS v FROM pg_indexes WHERE tablename = 't'"),
        ["ix_t_id"]
    );
    ok(&db, &["--migrations-dir", m, "downgrade"]);
    assert!(db
        .lines("SELECT indexname::text AS v FROM pg_indexes WHERE tablename = 't'")
        .is_empty());
}

#[test]
fn a_failing_migration_names_its_file_and_line_and_keeps_the_ones_before() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    three_migrations(dir.path());
    write_migration(
        dir.path(),
        "2030-01-02-000000_create_beta",
        "-- beta\nCREATE TABLE beta (id int);\nSELEC 1;\n",
        "DROP TABLE beta;",
    );
    let m = dir.path().to_str().unwrap();
    let r = run(&db, &["--migrations-dir", m, "upgrade"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("2030-01-02-000000_create_beta") && r.stderr.contains("up.sql, line 3"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("syntax error"), "{}", r.stderr);
    assert_eq!(tables(&db), ["alpha"], "beta must leave no trace");
    assert_eq!(
        ledger(&db),
        ["20300101000000 2030-01-01-000000_create_alpha"]
    );
    // Fixed, the rerun continues from beta.
    table_migration(dir.path(), "2030-01-02-000000_create_beta", "beta");
    ok(&db, &["--migrations-dir", m, "upgrade"]);
    assert_eq!(tables(&db), ["alpha", "beta", "gamma"]);
}

#[test]
fn single_transaction_failure_changes_nothing_at_all() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    three_migrations(dir.path());
    write_migration(
        dir.path(),
        "2030-01-03-000000_create_gamma",
        "CREATE TABLE gamma (id nosuchtype);",
        "DROP TABLE gamma;",
    );
    let m = dir.path().to_str().unwrap();
    let r = run(
        &db,
        &["--migrations-dir", m, "upgrade", "--single-transaction"],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("create_gamma") && r.stderr.contains("nosuchtype"),
        "{}",
        r.stderr
    );
    assert!(tables(&db).is_empty());
    assert!(
        db.lines("SELECT relname::text AS v FROM pg_class WHERE relname LIKE '\\_\\_%'")
            .is_empty(),
        "ledger tables were created"
    );
}

/// Writes one malformed migration into a directory.
type MakeDir = dyn Fn(&Path);

#[test]
fn malformed_migration_directories_are_exit_2_naming_the_file() {
    let db = TestDb::new();
    let cases: Vec<(&str, Box<MakeDir>)> = vec![
        (
            "up.sql",
            Box::new(|d: &Path| {
                std::fs::create_dir_all(d.join("2030-01-01-000000_x")).unwrap();
                std::fs::write(d.join("2030-01-01-000000_x/down.sql"), "x").unwrap();
            }),
        ),
        (
            // Diesel accepts any version (issue 14); a target keyword is refused.
            "base_x",
            Box::new(|d: &Path| write_migration(d, "base_x", "SELECT 1;", "SELECT 1;")),
        ),
        (
            "metadata.toml",
            Box::new(|d: &Path| {
                write_migration(d, "2030-01-01-000000_x", "SELECT 1;", "SELECT 1;");
                std::fs::write(
                    d.join("2030-01-01-000000_x/metadata.toml"),
                    "run_in_transaction = 'maybe'",
                )
                .unwrap();
            }),
        ),
        (
            "up.sql",
            Box::new(|d: &Path| write_migration(d, "2030-01-01-000000_empty", "  \n", "SELECT 1;")),
        ),
        (
            "up.sql",
            Box::new(|d: &Path| {
                write_migration(d, "2030-01-01-000000_latin1", "SELECT 1;", "SELECT 1;");
                std::fs::write(d.join("2030-01-01-000000_latin1/up.sql"), b"SELECT '\xe9';")
                    .unwrap();
            }),
        ),
    ];
    for (file, make) in cases {
        let dir = tempfile::tempdir().unwrap();
        make(dir.path());
        let r = run(
            &db,
            &["--migrations-dir", dir.path().to_str().unwrap(), "upgrade"],
        );
        assert_eq!(r.code, 2, "{file}: {}", r.stderr);
        assert!(r.stderr.contains(file), "{file}: {}", r.stderr);
    }
    assert!(db
        .lines("SELECT relname::text AS v FROM pg_class WHERE relname LIKE '\\_\\_%'")
        .is_empty());
}

#[test]
fn offline_sql_needs_no_database_and_replays_to_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let unreachable = format!("postgres://u:{PASSWORD}@127.0.0.1:1/none");
    let r = run_in(
        dir.path(),
        &["--database-url", &unreachable, "upgrade", "--sql"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("BEGIN;")
            && r.stdout.contains("COMMIT;")
            && r.stdout
                .contains("CREATE TABLE IF NOT EXISTS __diesel_schema_migrations")
    );
    let script = r.stdout;

    let online = TestDb::new();
    ok(&online, &["upgrade"]);
    let offline = TestDb::new();
    psql(&offline, &script);
    assert_eq!(offline.catalog(), online.catalog());
    assert_eq!(ledger(&offline), ledger(&online));
    let sums = |db: &TestDb| {
        db.lines("SELECT version || up_sha256 || coalesce(down_sha256, '') AS v FROM __ragchat_migrations ORDER BY 1")
    };
    assert_eq!(sums(&offline), sums(&online));

    // Down from head, and one transaction for all.
    let down = run_in(
        dir.path(),
        &["downgrade", "base", "--sql", "--from", "head"],
    );
    assert_eq!(down.code, 0, "{}", down.stderr);
    psql(&offline, &down.stdout);
    assert!(offline.catalog().is_empty() && ledger(&offline).is_empty());
    let single = run_in(dir.path(), &["upgrade", "--sql", "--single-transaction"]);
    assert_eq!(single.stdout.matches("BEGIN;").count(), 1);
    let stamp = run_in(dir.path(), &["stamp", "head", "--sql"]);
    let stamped = TestDb::new();
    psql(&stamped, &stamp.stdout);
    assert_eq!(ledger(&stamped), ledger(&online));
    assert!(stamped.catalog().is_empty());
}

fn psql(db: &TestDb, script: &str) {
    let psql = server().bins.bin("psql");
    let mut child = std::process::Command::new(psql)
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", &db.url()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "psql failed on:\n{script}");
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
fn a_held_lock_times_out_with_exit_4_naming_the_holder() {
    let db = TestDb::new();
    let mut holder = db.conn();
    holder
        .batch_execute("SELECT pg_advisory_lock(hashtextextended('ragchat-migrate:' || current_database(), 0))")
        .unwrap();
    let r = run(&db, &["--lock-timeout", "0.5", "upgrade"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("waiting for the migration lock, held by backend pid"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("timed out"), "{}", r.stderr);
    assert!(db.catalog().is_empty());
    // Status commands answer at once with the committed state, and say that
    // a run is in progress; check refuses to call that clean.
    let current = run(&db, &["--lock-timeout", "30", "current"]);
    assert_eq!(current.code, 0, "{}", current.stderr);
    assert_eq!(current.stdout.trim(), "base");
    assert!(
        current
            .stderr
            .contains("a migration run is in progress (backend pid"),
        "{}",
        current.stderr
    );
    let v = json(&db, &["pending"]);
    assert_eq!(v["migration_in_progress"], true);
    let check = run(&db, &["check"]);
    assert_eq!(check.code, 3, "{}", check.stdout);
    assert!(check.stdout.contains("in progress"), "{}", check.stdout);
    drop(holder);
    ok(&db, &["upgrade"]);
    assert_eq!(json(&db, &["current"])["migration_in_progress"], false);
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
    let out = Command::cargo_bin("ragchat-migrate")
        .unwrap()
        .args(["--color", "auto", "history", "--database-url", &url(&db)])
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
    let bash = run_in(dir.path(), &["completions", "bash"]);
    assert!(
        bash.code == 0
            && bash.stdout.contains("ragchat-migrate")
            && bash.stdout.contains("upgrade")
    );
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
