//! Errors at run time are located: the failing statement, in up.sql,
//! down.sql and non-transactional files, and nothing is left behind.

use crate::sql_rules::{run, tables, two_migrations};
use crate::support::{Run, TestDb};

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
        assert_eq!(db.applied_versions(), vec!["20300101000000"]);
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
    assert_eq!(
        db.applied_versions(),
        vec!["20300101000000", "20300102000000"]
    );

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
    assert_eq!(db.applied_versions(), vec!["20300101000000"]);
}

#[test]
fn a_failed_migration_keeps_the_server_error_as_its_source() {
    use ragchat_migrate::database::migrator::{self, Command, RunOptions, Silent};
    use ragchat_migrate::migrations::target::Target;
    use ragchat_migrate::{Error, MigrationSet, Source};
    use std::error::Error as _;
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_migrations(dir.path(), "SELECT 1/0;", "SELECT 1;");
    let set = MigrationSet::load(&Source::Directory(dir.path().into())).unwrap();
    let failed = migrator::run(
        &mut db.conn(),
        &set,
        &Command::Upgrade(Target::Head),
        &RunOptions::default(),
        &mut Silent,
    );
    let Err(error) = failed else {
        panic!("1/0 ran")
    };
    assert!(matches!(error, Error::MigrationFailed { .. }), "{error}");
    let source = error
        .source()
        .and_then(|s| s.downcast_ref::<diesel::result::Error>());
    assert!(
        matches!(source, Some(diesel::result::Error::DatabaseError(..))),
        "{source:?}"
    );
}
