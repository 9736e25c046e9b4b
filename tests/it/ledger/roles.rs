//! Roles and the ledger: a role without CREATE, one that owns nothing, a
//! read-only one, a statement timeout on the role; a duplicated ledger row
//! and unknown applied versions.

use super::*;

use crate::support::{server, table_migration, TestDb};
use diesel::connection::SimpleConnection;

#[test]
fn no_permission_to_create_tables_is_exit_1_and_changes_nothing() {
    let db = TestDb::new();
    db.conn()
        .batch_execute(
            "DO $$ BEGIN CREATE ROLE limited_user LOGIN; \
             EXCEPTION WHEN duplicate_object THEN NULL; END $$; \
             REVOKE CREATE ON SCHEMA public FROM PUBLIC;",
        )
        .unwrap();
    let url = format!(
        "postgres://limited_user@127.0.0.1:{}/{}",
        server().port(),
        db.name
    );
    let r = Tool::new().url(&url).arg("upgrade").run();
    let (code, text) = (r.code, r.combined());
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("permission denied for schema public"),
        "{text}"
    );
    // Refused before any migration runs: the ledger cannot be created.
    assert!(
        text.contains("may not create the migration ledger"),
        "{text}"
    );
    assert!(!text.contains("(up.sql"), "{text}");
    assert!(db.relations().is_empty(), "{:?}", db.relations());
}

#[test]
fn a_role_that_owns_nothing_upgrades_and_downgrades() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_tables(dir.path());
    table_migration(dir.path(), "2030-01-03-000000_three", "t3");
    assert_eq!(run_url(&db.url(), dir.path(), &["upgrade", "+1"]).code, 0);
    let (name, url) = role(&db, "", &[]);
    db.conn()
        .batch_execute(&format!(
            "GRANT SELECT, INSERT, DELETE ON __diesel_schema_migrations, \
             __ragchat_migrations TO {name}; GRANT CREATE ON SCHEMA public TO {name}"
        ))
        .unwrap();
    let up = run_url(&url, dir.path(), &["upgrade"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    let down = run_url(&url, dir.path(), &["downgrade", "-1"]);
    assert_eq!(down.code, 0, "{}", down.stderr);
    let versions = db.lines("SELECT version::text AS v FROM __diesel_schema_migrations ORDER BY 1");
    assert_eq!(versions, ["20300101000000", "20300102000000"]);
    let side = db.lines("SELECT version::text AS v FROM __ragchat_migrations ORDER BY 1");
    assert_eq!(side, versions);
    // An old side-table layout needs its owner once: the refusal says so,
    // names the table, and nothing runs.
    db.conn()
        .batch_execute("ALTER TABLE __ragchat_migrations DROP COLUMN diesel_run_on")
        .unwrap();
    let old = run_url(&url, dir.path(), &["upgrade"]);
    assert_eq!(old.code, 1, "{}", old.stderr);
    assert!(
        old.stderr.contains("\"public\".__ragchat_migrations"),
        "{}",
        old.stderr
    );
    assert!(
        old.stderr.contains("as the table's owner (postgres)"),
        "{}",
        old.stderr
    );
    assert!(!old.stderr.contains("(up.sql"), "{}", old.stderr);
    assert_eq!(tables(&db), ["public.t1", "public.t2"]);
    // The owner's run upgrades the layout once, and the role goes on.
    let owner = run_url(&db.url(), dir.path(), &["upgrade"]);
    assert_eq!(owner.code, 0, "{}", owner.stderr);
    let column = db.lines(
        "SELECT attname::text AS v FROM pg_attribute WHERE attrelid = \
         '__ragchat_migrations'::regclass AND attname = 'diesel_run_on'",
    );
    assert_eq!(column, ["diesel_run_on"]);
    db.conn()
        .batch_execute(&format!("ALTER TABLE t3 OWNER TO {name}"))
        .unwrap();
    let again = run_url(&url, dir.path(), &["downgrade", "-1"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(tables(&db), ["public.t1", "public.t2"]);
    let side = db.lines("SELECT version::text AS v FROM __ragchat_migrations ORDER BY 1");
    assert_eq!(side, ["20300101000000", "20300102000000"]);
}

#[test]
fn a_read_only_role_or_session_is_refused_naming_the_ledger() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_tables(dir.path());
    let (_, url) = role(&db, "ro", &["default_transaction_read_only = on"]);
    own_step_fails(&db, &url, dir.path(), "session is read-only");
    let session = format!("{}?options=-cdefault_transaction_read_only%3Don", db.url());
    own_step_fails(&db, &session, dir.path(), "__diesel_schema_migrations");
    assert!(ledgers(&db).is_empty());
    // A role that may read but not write the ledger: named, with the grant.
    assert_eq!(run_url(&db.url(), dir.path(), &["upgrade", "+1"]).code, 0);
    db.conn().batch_execute("DROP TABLE t1").unwrap();
    let (name, reader) = role(&db, "rd", &[]);
    db.conn()
        .batch_execute(&format!(
            "GRANT SELECT ON __diesel_schema_migrations, __ragchat_migrations TO {name};              GRANT CREATE ON SCHEMA public TO {name}"
        ))
        .unwrap();
    let r = own_step_fails(
        &db,
        &reader,
        dir.path(),
        "may not write the migration ledger",
    );
    assert!(
        r.stderr.contains("GRANT SELECT, INSERT, DELETE"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_duplicated_ledger_row_is_blamed_on_the_ledger_not_a_migration() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_tables(dir.path());
    // A ledger made by hand without its primary key, holding a row twice.
    db.conn()
        .batch_execute(
            "CREATE TABLE t1 (id int); \
             CREATE TABLE __diesel_schema_migrations (version varchar(50) NOT NULL, \
               run_on timestamp NOT NULL DEFAULT now()); \
             INSERT INTO __diesel_schema_migrations (version) \
               VALUES ('20300101000000'), ('20300101000000')",
        )
        .unwrap();
    let r = run_url(&db.url(), dir.path(), &["upgrade"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("holds version 20300101000000 2 times"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("\"public\".__diesel_schema_migrations"),
        "{}",
        r.stderr
    );
    let status = run_url(&db.url(), dir.path(), &["history"]);
    assert_eq!(status.code, 1, "{}", status.stderr);
    assert!(!r.stderr.contains("(up.sql"), "{}", r.stderr);
    assert_eq!(tables(&db), ["public.t1"]);
}

#[test]
fn a_statement_timeout_on_the_role_is_not_a_connection_failure() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_tables(dir.path());
    // 1 ms cancels whichever statement runs longest first: the session's
    // set-up, the ledger probe, or a migration. None of them is a
    // connection failure, and each names statement_timeout.
    let (_, url) = role(&db, "", &["statement_timeout = '1ms'"]);
    for args in [&["current"][..], &["upgrade"], &["history"], &["upgrade"]] {
        let r = run_url(&url, dir.path(), args);
        assert!(!r.stderr.contains("could not connect"), "{}", r.stderr);
        if r.code != 0 {
            assert_eq!(r.code, 1, "{args:?}: {}{}", r.stdout, r.stderr);
            assert!(r.stderr.contains("statement_timeout"), "{}", r.stderr);
        }
    }
    // Whatever ran, the ledger agrees with the tables.
    let applied = if ledgers(&db).is_empty() {
        0
    } else {
        db.lines("SELECT version::text AS v FROM __diesel_schema_migrations")
            .len()
    };
    assert_eq!(applied, tables(&db).len());
}

#[test]
fn unknown_applied_versions_are_one_list_and_current_says_ahead() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_tables(dir.path());
    assert_eq!(run_url(&db.url(), dir.path(), &["upgrade"]).code, 0);
    db.conn()
        .batch_execute(
            "INSERT INTO __diesel_schema_migrations (version) \
             VALUES ('20300201000000'), ('20300202000000')",
        )
        .unwrap();
    let source = dir.path().display().to_string();
    let current = run_url(&db.url(), dir.path(), &["current"]);
    assert_eq!(current.code, 0, "{}", current.stderr);
    assert!(!current.stdout.contains("(head)"), "{}", current.stdout);
    assert!(current.stdout.contains("ahead of"), "{}", current.stdout);
    assert!(
        current.stdout.contains("20300202000000"),
        "{}",
        current.stdout
    );
    let wanted = format!("2 applied versions are not in {source}: 20300201000000, 20300202000000");
    assert_eq!(
        current.stderr.matches(&wanted).count(),
        1,
        "{}",
        current.stderr
    );
    let check = run_url(&db.url(), dir.path(), &["check"]);
    assert_eq!(check.code, 3, "{}", check.stderr);
    assert_eq!(
        check.stdout.matches("applied versions are not in").count(),
        1
    );
    assert!(check.stdout.contains(&wanted), "{}", check.stdout);
    let json = run_url(&db.url(), dir.path(), &["current", "--format", "json"]);
    assert!(
        json.stdout.contains("\"at_head\": false"),
        "{}",
        json.stdout
    );
    let history = run_url(&db.url(), dir.path(), &["history"]);
    assert!(
        history.stdout.contains(&format!("not in {source})")),
        "{}",
        history.stdout
    );
    let upgrade = run_url(&db.url(), dir.path(), &["upgrade"]);
    assert_eq!(upgrade.code, 1, "{}", upgrade.stderr);
    assert!(
        upgrade
            .stderr
            .contains(&format!("not in {source}: 20300201000000")),
        "{}",
        upgrade.stderr
    );
    let versions = db.lines("SELECT version::text AS v FROM __diesel_schema_migrations");
    assert_eq!(versions.len(), 4);
}
