//! The ledger: one ledger in one schema whatever the search_path, roles
//! that own nothing or may not write, errors of the toolkit's own steps
//! naming the step, and unknown applied versions reported once. Real
//! processes, a real server.

mod roles;
mod search_path;

use crate::support::Tool;
use crate::support::{server, table_migration, Run, TestDb};
use diesel::connection::SimpleConnection;
use std::path::Path;
use std::time::Duration;
fn run_url(url: &str, dir: &Path, args: &[&str]) -> Run {
    Tool::new()
        .url(url)
        .migrations(dir)
        .args(args)
        .timeout(Duration::from_secs(120))
        .run()
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
    let url = format!(
        "postgres://{name}@127.0.0.1:{}/{}",
        server().port(),
        db.name
    );
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
