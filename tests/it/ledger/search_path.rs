//! One ledger in one schema whatever the search_path, from the URL or the
//! role, and side by side with diesel_cli.

use super::*;

use crate::support::TestDb;
use diesel::connection::SimpleConnection;

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
    crate::support::diesel_on(&url, dir.path(), &["migration", "run"]);
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
