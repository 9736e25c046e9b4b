//! Rules on migration SQL: transaction control and psql-only commands
//! refused before anything runs, and non-transactional migrations sent
//! statement by statement as `--sql` prints them.

use crate::support::{table_migration, write_migration, Run, TestDb};
use std::path::Path;
/// The binary on `db` with the migrations in `dir`.
pub(crate) fn run(db: &TestDb, dir: &Path, args: &[&str]) -> Run {
    crate::support::run(db, Some(dir), args)
}

fn ledger_or_none(db: &TestDb) -> Vec<String> {
    let exists =
        db.lines("SELECT coalesce(to_regclass('__diesel_schema_migrations')::text, '') AS v");
    if exists[0].is_empty() {
        Vec::new()
    } else {
        db.applied_versions()
    }
}

pub(crate) fn tables(db: &TestDb) -> Vec<String> {
    db.lines(
        "SELECT tablename::text AS v FROM pg_tables WHERE schemaname = 'public' \
         AND tablename NOT LIKE '\\_\\_%' ORDER BY 1",
    )
}

/// A valid first migration (so "nothing ran" is visible) and `up` second.
pub(crate) fn two_migrations(dir: &Path, up: &str, down: &str) {
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
    assert_eq!(db.applied_versions(), vec!["20300101000000"]);
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
    assert_eq!(
        db.applied_versions(),
        vec!["20300101000000", "20300102000000"]
    );
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
    assert_eq!(
        db.applied_versions(),
        vec!["20300101000000", "20300102000000"]
    );
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
    assert_eq!(db.applied_versions(), vec!["20300101000000"]);
    // As if another tool had applied it: check replays what is recorded.
    exec("INSERT INTO __diesel_schema_migrations (version) VALUES ('20300102000000')");
    let r = run(&db, dir.path(), &["check"]);
    assert_refused(&r, "up.sql", 2, "`COMMIT`");
    let scratch = TestDb::new();
    let r = run(&scratch, dir.path(), &["verify"]);
    assert_ne!(r.code, 0, "{}", r.stdout);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("up.sql: line 2: `COMMIT`"), "{all}");
    assert_eq!(
        db.applied_versions(),
        vec!["20300101000000", "20300102000000"]
    );
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
    assert_eq!(
        db.applied_versions(),
        vec!["20300101000000", "20300102000000"]
    );
    let r = run(&db, dir.path(), &["downgrade"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(db.applied_versions(), vec!["20300101000000"]);
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
    assert_eq!(
        db.applied_versions(),
        vec!["20300101000000", "20300102000000"]
    );
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
