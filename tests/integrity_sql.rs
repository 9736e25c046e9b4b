//! Issue 11, items 1, 2, 6 (runtime errors) and 7: transaction control and
//! psql-only commands refused before anything runs, non-transactional
//! migrations sent statement by statement as `--sql` prints them, runtime
//! errors located to their statement, and `create` racing itself. Real
//! processes against the harness's real server.

mod common;

use common::{server, table_migration, write_migration, Run, TestDb};
use std::path::Path;
use std::time::Duration;

fn cmd(db: &TestDb, dir: &Path, args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("ragchat-migrate"));
    c.arg("--database-url")
        .arg(db.url())
        .arg("--migrations-dir")
        .arg(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATIONS_DIR")
        .env("RAGCHAT_CACHE_DIR", dir.join(".cache"));
    c
}

fn run(db: &TestDb, dir: &Path, args: &[&str]) -> Run {
    let out = assert_cmd::Command::from_std(cmd(db, dir, args))
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    Run::from(out)
}

fn ledger(db: &TestDb) -> Vec<String> {
    db.lines("SELECT version::text AS v FROM __diesel_schema_migrations ORDER BY 1")
}

fn ledger_or_none(db: &TestDb) -> Vec<String> {
    let exists =
        db.lines("SELECT coalesce(to_regclass('__diesel_schema_migrations')::text, '') AS v");
    if exists[0].is_empty() {
        Vec::new()
    } else {
        ledger(db)
    }
}

fn tables(db: &TestDb) -> Vec<String> {
    db.lines(
        "SELECT tablename::text AS v FROM pg_tables WHERE schemaname = 'public' \
         AND tablename NOT LIKE '\\_\\_%' ORDER BY 1",
    )
}

/// A valid first migration (so "nothing ran" is visible) and `up` second.
fn two_migrations(dir: &Path, up: &str, down: &str) {
    table_migration(dir, "2030-01-01-000000_first", "first_table");
    write_migration(dir, "2030-01-02-000000_second", up, down);
}

fn assert_refused(r: &Run, file: &str, line: usize, what: &str) {
    assert_eq!(r.code, 2, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    let want = format!("2030-01-02-000000_second/{file}: line {line}: ");
    assert!(r.stderr.contains(&want), "{want:?} not in {}", r.stderr);
    assert!(r.stderr.contains(what), "{what:?} not in {}", r.stderr);
}

#[test]
fn the_issue_examples_are_refused_and_nothing_runs() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_migrations(
        dir.path(),
        "BEGIN; CREATE TABLE w2(id int); COMMIT; BEGIN; CREATE TABLE w3(id int); SELECT 1/0; COMMIT;",
        "DROP TABLE w3; DROP TABLE w2;",
    );
    let r = run(&db, dir.path(), &["upgrade"]);
    assert_refused(&r, "up.sql", 1, "`BEGIN` is transaction control");
    assert!(
        r.stderr.contains("run_in_transaction = false"),
        "{}",
        r.stderr
    );
    assert_eq!(tables(&db), Vec::<String>::new());
    assert_eq!(ledger_or_none(&db), Vec::<String>::new());
    let r = run(&db, dir.path(), &["upgrade", "--sql"]);
    assert_refused(&r, "up.sql", 1, "`BEGIN`");
    assert!(r.stdout.is_empty(), "{}", r.stdout);

    write_migration(
        dir.path(),
        "2030-01-02-000000_second",
        "CREATE TABLE r1(id int);\nROLLBACK;\nCREATE TABLE r2(id int);",
        "DROP TABLE r2; DROP TABLE r1;",
    );
    let r = run(&db, dir.path(), &["upgrade"]);
    assert_refused(&r, "up.sql", 2, "`ROLLBACK`");
    assert_eq!(tables(&db), Vec::<String>::new());
    assert_eq!(ledger_or_none(&db), Vec::<String>::new());
    // Up to the valid first one is fine: the refusal is about what runs.
    let r = run(&db, dir.path(), &["upgrade", "2030-01-01"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(ledger(&db), vec!["20300101000000"]);
}

#[test]
fn every_transaction_control_statement_is_refused() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    for (sql, name) in [
        ("SELECT 1;\nSTART TRANSACTION;", "START TRANSACTION"),
        (
            "SELECT 1;\n  /* x */ CoMmIt\n  AND CHAIN;",
            "COMMIT AND CHAIN",
        ),
        ("SELECT 1;\nEND;", "END"),
        ("SELECT 1;\nabort work;", "ABORT WORK"),
        (
            "SELECT 1;\nBEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE;",
            "BEGIN TRANSACTION",
        ),
        (
            "SELECT 1;\nPREPARE TRANSACTION 'p1';",
            "PREPARE TRANSACTION",
        ),
        ("SELECT 1;\nCOMMIT PREPARED 'p1';", "COMMIT PREPARED"),
        ("SELECT 1;\nROLLBACK PREPARED 'p1';", "ROLLBACK PREPARED"),
        ("SELECT 1;\nrollback and no chain", "ROLLBACK AND NO CHAIN"),
    ] {
        two_migrations(
            dir.path(),
            &format!("CREATE TABLE x(id int);\n{sql}"),
            "SELECT 1;",
        );
        let r = run(&db, dir.path(), &["upgrade"]);
        assert_refused(&r, "up.sql", 3, &format!("`{name}`"));
        assert_eq!(tables(&db), Vec::<String>::new(), "{sql}");
    }
    assert_eq!(ledger_or_none(&db), Vec::<String>::new());
}

#[test]
fn quoted_commented_and_body_text_and_savepoints_still_apply() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_migrations(
        dir.path(),
        "CREATE TABLE s (note text); -- then COMMIT\n\
         /* ROLLBACK; /* nested END; */ BEGIN; */\n\
         INSERT INTO s VALUES ('COMMIT; ROLLBACK;'), (E'it\\'s; END'), ($q$ BEGIN; $q$);\n\
         SAVEPOINT sp; INSERT INTO s VALUES ('gone'); ROLLBACK TO SAVEPOINT sp; RELEASE sp;\n\
         DO $$ BEGIN INSERT INTO s VALUES ('do'); END $$;\n\
         CREATE PROCEDURE batches() LANGUAGE plpgsql AS $body$ BEGIN COMMIT; END $body$;\n\
         CREATE FUNCTION two() RETURNS int LANGUAGE sql\n\
         BEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 2 END;\nEND;\n\
         CREATE TABLE \"commit\" (\"end\" int);",
        "DROP TABLE \"commit\"; DROP FUNCTION two(); DROP PROCEDURE batches(); DROP TABLE s;",
    );
    let r = run(&db, dir.path(), &["upgrade"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(ledger(&db), vec!["20300101000000", "20300102000000"]);
    assert_eq!(
        db.lines("SELECT note AS v FROM s ORDER BY 1"),
        vec![" BEGIN; ", "COMMIT; ROLLBACK;", "do", "it's; END"]
    );
    assert_eq!(db.lines("SELECT two()::text AS v"), vec!["2"]);
    assert_eq!(tables(&db), vec!["commit", "first_table", "s"]);
    let r = run(&db, dir.path(), &["redo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_down_sql_with_transaction_control_is_refused_by_downgrade() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_migrations(
        dir.path(),
        "CREATE TABLE d (id int);",
        "DROP TABLE d;\nCOMMIT;",
    );
    assert_eq!(run(&db, dir.path(), &["upgrade"]).code, 0);
    for args in [
        &["downgrade"][..],
        &["reset", "--yes"],
        &["redo"],
        &["downgrade", "--sql", "--from", "head"],
    ] {
        let r = run(&db, dir.path(), args);
        assert_refused(&r, "down.sql", 2, "`COMMIT`");
    }
    assert_eq!(ledger(&db), vec!["20300101000000", "20300102000000"]);
    assert_eq!(tables(&db), vec!["d", "first_table"]);
}

#[test]
fn replaying_commands_report_instead_of_replaying() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_migrations(
        dir.path(),
        "CREATE TABLE q (id int);\nCOMMIT;",
        "DROP TABLE q;",
    );
    assert_eq!(run(&db, dir.path(), &["upgrade", "2030-01-01"]).code, 0);
    let exec = |sql: &str| {
        diesel::connection::SimpleConnection::batch_execute(&mut db.conn(), sql).unwrap()
    };
    // The second one's table made by hand: stamp compares the schema with a
    // replay of the migrations.
    exec("CREATE TABLE q (id int)");
    let r = run(&db, dir.path(), &["stamp", "head"]);
    assert_refused(&r, "up.sql", 2, "`COMMIT`");
    assert_eq!(ledger(&db), vec!["20300101000000"]);
    // As if another tool had applied it: check replays what is recorded.
    exec("INSERT INTO __diesel_schema_migrations (version) VALUES ('20300102000000')");
    let r = run(&db, dir.path(), &["check"]);
    assert_refused(&r, "up.sql", 2, "`COMMIT`");
    let scratch = TestDb::new();
    let r = run(&scratch, dir.path(), &["verify"]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("up.sql: line 2: `COMMIT`"), "{all}");
    assert_eq!(ledger(&db), vec!["20300101000000", "20300102000000"]);
}

#[test]
fn two_concurrent_index_builds_in_one_file_work_live_as_printed() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    table_migration(dir.path(), "2030-01-01-000000_first", "t");
    let up =
        "-- two indexes, each on its own\nCREATE INDEX CONCURRENTLY t_a ON t (id) -- first\n;\n\
              CREATE INDEX CONCURRENTLY t_b\n  ON t (id);";
    write_migration(
        dir.path(),
        "2030-01-02-000000_second",
        up,
        "DROP INDEX CONCURRENTLY t_b; DROP INDEX CONCURRENTLY t_a;",
    );
    std::fs::write(
        dir.path().join("2030-01-02-000000_second/metadata.toml"),
        "run_in_transaction = false\n",
    )
    .unwrap();
    let script = run(&db, dir.path(), &["upgrade", "--sql"]);
    assert_eq!(script.code, 0, "{}", script.stderr);
    assert!(
        script.stdout.contains(
            "CREATE INDEX CONCURRENTLY t_a ON t (id);\nCREATE INDEX CONCURRENTLY t_b\n  ON t (id);\n"
        ),
        "{}",
        script.stdout
    );
    let r = run(&db, dir.path(), &["upgrade"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        db.lines(
            "SELECT c.relname::text || ' ' || i.indisvalid AS v FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 't\\_%' ORDER BY 1"
        ),
        vec!["t_a true", "t_b true"]
    );
    assert_eq!(ledger(&db), vec!["20300101000000", "20300102000000"]);
    let r = run(&db, dir.path(), &["downgrade"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(ledger(&db), vec!["20300101000000"]);
}

#[test]
fn non_transactional_migrations_may_manage_but_not_leave_transactions() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let meta = dir.path().join("2030-01-02-000000_second/metadata.toml");
    two_migrations(
        dir.path(),
        "SELECT 1;\nBEGIN;\nCREATE TABLE n (id int);",
        "",
    );
    std::fs::write(&meta, "run_in_transaction = false\n").unwrap();
    let r = run(&db, dir.path(), &["upgrade"]);
    assert_refused(&r, "up.sql", 2, "leaves a transaction open");
    assert_eq!(tables(&db), Vec::<String>::new());
    two_migrations(
        dir.path(),
        "BEGIN;\nCREATE TABLE n (id int);\nCOMMIT;\nCREATE TABLE m (id int);",
        "DROP TABLE m; DROP TABLE n;",
    );
    std::fs::write(&meta, "run_in_transaction = false\n").unwrap();
    let r = run(&db, dir.path(), &["upgrade"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(tables(&db), vec!["first_table", "m", "n"]);
    assert_eq!(ledger(&db), vec!["20300101000000", "20300102000000"]);
}

#[test]
fn copy_with_the_client_and_psql_commands_are_refused_anywhere() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let meta = dir.path().join("2030-01-02-000000_second/metadata.toml");
    for non_transactional in [false, true] {
        for (sql, what) in [
            (
                "CREATE TABLE c (id int);\nCOPY c FROM stdin;\n1\n\\.\n",
                "`COPY ... FROM STDIN`",
            ),
            (
                "CREATE TABLE c (id int);\ncopy (select 1) to STDOUT;",
                "`COPY ... TO STDOUT`",
            ),
            (
                "CREATE TABLE c (id int);\n\\copy c from 'c.csv'",
                "`\\copy`",
            ),
            ("CREATE TABLE c (id int);\n\\i other.sql", "`\\i`"),
            ("CREATE TABLE c (id int);\n\\set x 1", "`\\set`"),
        ] {
            two_migrations(dir.path(), sql, "DROP TABLE c;");
            if non_transactional {
                std::fs::write(&meta, "run_in_transaction = false\n").unwrap();
            }
            let r = run(&db, dir.path(), &["upgrade"]);
            assert_refused(&r, "up.sql", 2, what);
            assert!(r.stderr.contains("psql"), "{}", r.stderr);
        }
    }
    assert_eq!(tables(&db), Vec::<String>::new());
    assert_eq!(ledger_or_none(&db), Vec::<String>::new());
}

fn assert_located(r: &Run, file: &str, line: usize, statement: &str, message: &str) {
    assert_eq!(r.code, 1, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    let head =
        format!("migration 2030-01-02-000000_second failed ({file}, line {line}): {message}");
    assert!(r.stderr.contains(&head), "{head:?} not in {}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("failing statement (line {line}): {statement}")),
        "{statement:?} not in {}",
        r.stderr
    );
}

#[test]
fn runtime_errors_name_the_failing_statement_and_leave_nothing() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("SELECT 1/0;", "division by zero"),
        ("DROP TABLE userz;", "table \"userz\" does not exist"),
        (
            "INSERT INTO userz\n  VALUES (1);",
            "relation \"userz\" does not exist",
        ),
        (
            "ALTER TABLE userz ADD COLUMN x int;",
            "relation \"userz\" does not exist",
        ),
        ("INSERT INTO kept VALUES (1), (1);", "duplicate key value"),
    ];
    for (failing, message) in cases {
        let up = format!(
            "CREATE TABLE kept (id int PRIMARY KEY);\nCREATE SEQUENCE kept_seq;\n\n{failing}\nCREATE TABLE after (id int);"
        );
        two_migrations(dir.path(), &up, "DROP TABLE kept;");
        // --no-lint: the lint gate (issue 16) would refuse `DROP TABLE` on
        // this live database before the server could fail it.
        let r = run(&db, dir.path(), &["upgrade", "--no-lint"]);
        let first = failing.lines().next().unwrap().trim_end_matches(';');
        assert_located(&r, "up.sql", 4, first, message);
        // The first migration stays; nothing of the second, diagnostic
        // replay included.
        assert_eq!(tables(&db), vec!["first_table"], "{failing}");
        assert_eq!(ledger(&db), vec!["20300101000000"]);
        assert_eq!(
            db.lines("SELECT count(*)::text AS v FROM pg_class WHERE relname = 'kept_seq'"),
            vec!["0"]
        );
    }
}

#[test]
fn runtime_errors_are_located_in_down_sql_and_non_transactional_files() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_migrations(
        dir.path(),
        "CREATE TABLE g (id int);",
        "DROP TABLE g;\nSELECT 1;\nSELECT 1/0;",
    );
    assert_eq!(run(&db, dir.path(), &["upgrade"]).code, 0);
    let r = run(&db, dir.path(), &["downgrade"]);
    assert_located(&r, "down.sql", 3, "SELECT 1/0", "division by zero");
    assert_eq!(tables(&db), vec!["first_table", "g"]);
    assert_eq!(ledger(&db), vec!["20300101000000", "20300102000000"]);

    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_migrations(
        dir.path(),
        "CREATE INDEX CONCURRENTLY f_a ON first_table (id);\n\nCREATE INDEX CONCURRENTLY f_b\n  ON userz (id);",
        "",
    );
    std::fs::write(
        dir.path().join("2030-01-02-000000_second/metadata.toml"),
        "run_in_transaction = false\n",
    )
    .unwrap();
    let r = run(&db, dir.path(), &["upgrade"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("(up.sql, line 3): relation \"userz\" does not exist"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("failing statement (line 3): CREATE INDEX CONCURRENTLY f_b"),
        "{}",
        r.stderr
    );
    assert_eq!(ledger(&db), vec!["20300101000000"]);
}

#[test]
fn concurrent_creates_get_distinct_versions_and_complete_folders() {
    let _ = server();
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    let spawn = |name: String| {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("ragchat-migrate"))
            .arg("--migrations-dir")
            .arg(&migrations)
            .args(["create", &name])
            .env_remove("DATABASE_URL")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        // A reader loading the folder the whole time never sees half a
        // migration, nor an entry that vanishes under it (Diesel stats every
        // entry it lists, hidden ones included).
        let reader = scope.spawn(|| {
            let mut loads = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let source = ragchat_migrate::Source::Directory(migrations.clone());
                if let Err(e) = ragchat_migrate::MigrationSet::load(&source) {
                    panic!("a reader saw a broken folder: {e}");
                }
                let diesel =
                    diesel_migrations::FileBasedMigrations::from_path(&migrations).unwrap();
                let listed =
                    diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&diesel)
                        .unwrap();
                for m in listed {
                    let name = m.name().to_string();
                    assert!(
                        migrations.join(&name).join("down.sql").is_file(),
                        "Diesel listed {name} before it was complete"
                    );
                }
                loads += 1;
            }
            loads
        });
        let children: Vec<_> = (0..12).map(|i| spawn(format!("racer_{i}"))).collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        stop.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(reader.join().unwrap() > 0);
    });
    let mut names: Vec<String> = std::fs::read_dir(&migrations)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 12, "{names:?}");
    let mut versions: Vec<&str> = names.iter().map(|n| n.split('_').next().unwrap()).collect();
    versions.dedup();
    assert_eq!(versions.len(), 12, "{names:?}");
    for n in &names {
        let d = migrations.join(n);
        assert!(
            d.join("up.sql").is_file() && d.join("down.sql").is_file(),
            "{n}"
        );
    }
    // The same name twice at once: one wins, the other is told.
    let a = spawn("same".into());
    let b = spawn("same".into());
    let codes = [a, b].map(|c| c.wait_with_output().unwrap().status.code());
    let created = std::fs::read_dir(&migrations)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .ends_with("_same")
        })
        .count();
    assert!(created >= 1, "{codes:?}");
    assert!(!std::fs::read_dir(&migrations).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with('.')));
    // The reservations were made (and removed) beside the folder.
    assert!(!std::fs::read_dir(dir.path()).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .contains(".creating")));
}
