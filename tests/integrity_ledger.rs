//! Issue 11, items 3, 4, 6 (the toolkit's own SQL) and 10: one ledger in
//! one schema whatever the search_path, a role that owns nothing can
//! migrate, errors of the toolkit's own steps name the step, and unknown
//! applied versions are reported once. Real processes, a real server.

mod common;

use assert_cmd::Command;
use common::{server, table_migration, Run, TestDb};
use diesel::connection::SimpleConnection;
use std::path::Path;
use std::time::Duration;

fn run_url(url: &str, dir: &Path, args: &[&str]) -> Run {
    let out = Command::cargo_bin("ragchat-migrate")
        .unwrap()
        .arg("--database-url")
        .arg(url)
        .arg("--migrations-dir")
        .arg(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATIONS_DIR")
        .env("RAGCHAT_CACHE_DIR", dir.join(".cache"))
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    Run::from(out)
}

/// A login role named after the test database, with the given settings
/// for that database.
fn role(db: &TestDb, tag: &str, settings: &[&str]) -> (String, String) {
    let name = format!("r{tag}_{}", db.name);
    let mut sql = format!(
        "CREATE ROLE {name} LOGIN CREATEDB; GRANT CREATE ON DATABASE {} TO {name}; \
         GRANT CREATE ON SCHEMA public TO {name};",
        db.name
    );
    for s in settings {
        sql.push_str(&format!(
            "ALTER ROLE {name} IN DATABASE {} SET {s};",
            db.name
        ));
    }
    db.conn().batch_execute(&sql).unwrap();
    let url = format!("postgres://{name}@127.0.0.1:{}/{}", server().port, db.name);
    (name, url)
}

fn two_tables(dir: &Path) {
    table_migration(dir, "2030-01-01-000000_one", "t1");
    table_migration(dir, "2030-01-02-000000_two", "t2");
}

fn ledgers(db: &TestDb) -> Vec<String> {
    db.lines(
        "SELECT n.nspname || '.' || c.relname AS v FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname IN ('__diesel_schema_migrations', '__ragchat_migrations') ORDER BY 1",
    )
}

fn tables(db: &TestDb) -> Vec<String> {
    db.lines(
        "SELECT n.nspname || '.' || c.relname AS v FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relname IN ('t1', 't2') ORDER BY 1",
    )
}

#[test]
fn a_role_search_path_changed_after_the_first_run_keeps_the_one_ledger() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_tables(dir.path());
    let first = run_url(&db.url(), dir.path(), &["upgrade", "+1"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    db.conn().batch_execute("CREATE SCHEMA other").unwrap();
    let (_, url) = role(&db, "", &["search_path = other, public"]);
    db.conn()
        .batch_execute(&format!(
            "GRANT ALL ON SCHEMA other, public TO r_{0}; \
             GRANT ALL ON ALL TABLES IN SCHEMA public TO r_{0}",
            db.name
        ))
        .unwrap();
    let pending = run_url(&url, dir.path(), &["pending"]);
    assert_eq!(pending.code, 0, "{}", pending.stderr);
    assert_eq!(
        pending.stdout.trim(),
        "20300102000000 2030-01-02-000000_two"
    );
    let up = run_url(&url, dir.path(), &["upgrade"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert!(up.stdout.contains("applied 1 step(s)"), "{}", up.stdout);
    assert_eq!(
        ledgers(&db),
        [
            "public.__diesel_schema_migrations",
            "public.__ragchat_migrations"
        ]
    );
    assert_eq!(tables(&db), ["other.t2", "public.t1"]);
    let rows = db.lines("SELECT version::text AS v FROM public.__diesel_schema_migrations");
    assert_eq!(rows.len(), 2);
}

#[test]
fn a_search_path_from_the_url_builds_ledger_and_tables_there_and_check_agrees() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_tables(dir.path());
    db.conn().batch_execute("CREATE SCHEMA other").unwrap();
    let url = format!("{}?options=-csearch_path%3Dother,public", db.url());
    let up = run_url(&url, dir.path(), &["upgrade"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    assert_eq!(
        ledgers(&db),
        [
            "other.__diesel_schema_migrations",
            "other.__ragchat_migrations"
        ]
    );
    assert_eq!(tables(&db), ["other.t1", "other.t2"]);
    for args in [["check"], ["verify"], ["current"]] {
        let r = run_url(&url, dir.path(), &args);
        assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
    }
    let check = run_url(&url, dir.path(), &["check"]);
    assert!(check.stdout.starts_with("ok:"), "{}", check.stdout);
    // Seen from the default search_path there is no ledger: nothing applied.
    let plain = run_url(&db.url(), dir.path(), &["current"]);
    assert_eq!(plain.stdout.trim(), "base");
}

#[test]
fn a_role_with_a_changed_search_path_from_the_start_interoperates_with_diesel_cli() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_tables(dir.path());
    db.conn().batch_execute("CREATE SCHEMA other").unwrap();
    let (name, url) = role(&db, "", &["search_path = other, public"]);
    db.conn()
        .batch_execute(&format!("GRANT ALL ON SCHEMA other TO {name}"))
        .unwrap();
    let up = run_url(&url, dir.path(), &["upgrade", "+1"]);
    assert_eq!(up.code, 0, "{}", up.stderr);
    let diesel = std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join("diesel"))
        .find(|p| p.is_file())
        .expect("diesel_cli on PATH (scripts/test installs it)");
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("diesel.toml"), "").unwrap();
    let out = std::process::Command::new(diesel)
        .args([
            "migration",
            "run",
            "--database-url",
            &url,
            "--migration-dir",
        ])
        .arg(dir.path())
        .current_dir(work.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        ledgers(&db),
        [
            "other.__diesel_schema_migrations",
            "other.__ragchat_migrations"
        ]
    );
    let current = run_url(&url, dir.path(), &["current"]);
    assert_eq!(
        current.stdout.trim(),
        "20300102000000 two (head)",
        "{}",
        current.stderr
    );
    let check = run_url(&url, dir.path(), &["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
}

#[test]
fn two_ledgers_on_the_search_path_are_refused_naming_both() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_tables(dir.path());
    assert_eq!(run_url(&db.url(), dir.path(), &["upgrade", "+1"]).code, 0);
    db.conn()
        .batch_execute(
            "CREATE SCHEMA other; CREATE TABLE other.__diesel_schema_migrations \
             (version varchar(50) PRIMARY KEY, run_on timestamp NOT NULL DEFAULT now())",
        )
        .unwrap();
    let url = format!("{}?options=-csearch_path%3Dother,public", db.url());
    for args in [&["upgrade"][..], &["current"], &["history"], &["check"]] {
        let r = run_url(&url, dir.path(), args);
        assert_eq!(r.code, 1, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("two migration ledgers"), "{}", r.stderr);
        assert!(r.stderr.contains("\"other\"") && r.stderr.contains("\"public\""));
    }
    assert_eq!(tables(&db), ["public.t1"]);
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

/// Runs `upgrade` and asserts that it failed in the toolkit's own step
/// `step`, not in a migration, and that nothing was applied.
fn own_step_fails(db: &TestDb, url: &str, dir: &Path, step: &str) -> Run {
    let r = run_url(url, dir, &["upgrade"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains(step), "wanted {step:?}: {}", r.stderr);
    assert!(!r.stderr.contains("(up.sql"), "{}", r.stderr);
    assert!(!r.stderr.contains("could not connect"), "{}", r.stderr);
    assert!(tables(db).is_empty(), "{:?}", tables(db));
    r
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
fn a_search_path_naming_only_a_missing_schema_is_refused_as_such() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    two_tables(dir.path());
    let url = format!("{}?options=-csearch_path%3Dnosuch", db.url());
    let r = own_step_fails(&db, &url, dir.path(), "names no schema that exists");
    assert!(r.stderr.contains("nosuch"), "{}", r.stderr);
    let status = run_url(&url, dir.path(), &["current"]);
    assert_eq!(status.code, 1, "{}", status.stderr);
    assert!(ledgers(&db).is_empty());
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
