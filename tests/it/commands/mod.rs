//! Every command and its error cases, end to end: the built binary against
//! a real database of the test server. Every URL carries a password, and
//! every captured output is checked for it.

mod connection;
mod create;
mod failures;
mod moving;
mod offline;
mod reading;

use crate::support::project::{checked, in_dir, url, PASSWORD};
use crate::support::Tool;
use crate::support::{write_migration, Run, TestDb};
use serde_json::Value;
use std::path::Path;
/// Runs the binary in `dir` with a clean environment (no DATABASE_URL),
/// checking that no output shows the password.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    checked(in_dir(dir), args)
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
