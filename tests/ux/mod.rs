//! Helpers of the workflow-ux tests: run the built binary against a test
//! database with a password in its URL (never to be printed), in a
//! directory of the test's own migrations.

#![allow(dead_code)]

use crate::common::{server, table_migration, Run, TestDb};
use std::path::Path;
use std::process::Command;

/// A password with the characters that URLs encode.
pub const PASSWORD: &str = "Ux-s3cr3t";

/// The URL of `db`, with the password (the cluster trusts loopback).
pub fn url(db: &TestDb) -> String {
    format!(
        "postgres://postgres:{PASSWORD}@127.0.0.1:{}/{}",
        server().port,
        db.name
    )
}

/// The binary, configured for `db` (when given) and `migrations`, run in
/// `dir` with no other configuration from the environment.
pub fn command(dir: &Path, db: Option<&TestDb>, migrations: Option<&Path>) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("ragchat-migrate"));
    cmd.current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("MIGRATIONS_DIR")
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .env("RAGCHAT_DEV_DIR", dir.join("no-local-cluster-expected"));
    if let Some(db) = db {
        cmd.env("DATABASE_URL", url(db));
    }
    if let Some(m) = migrations {
        cmd.env("MIGRATIONS_DIR", m);
    }
    cmd
}

/// Runs and checks that the password did not leak.
pub fn run(dir: &Path, db: Option<&TestDb>, migrations: Option<&Path>, args: &[&str]) -> Run {
    let out = command(dir, db, migrations).args(args).output().unwrap();
    let run = Run::from(out);
    assert!(
        !run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD),
        "password leaked by {args:?}:\n{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        !run.stderr.contains("panicked"),
        "{args:?} panicked:\n{}",
        run.stderr
    );
    run
}

/// A project: a temporary directory with `migrations/` holding `n` table
/// migrations `2025-01-0N-000000_create_tN`.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new(n: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("migrations")).unwrap();
        let p = Project { dir };
        for i in 1..=n {
            p.add(i);
        }
        p
    }

    /// Adds migration number `i` (creates table `t{i}`).
    pub fn add(&self, i: usize) {
        table_migration(
            &self.migrations(),
            &format!("2025-01-{:02}-000000_create_t{i}", i),
            &format!("t{i}"),
        );
    }

    pub fn migrations(&self) -> std::path::PathBuf {
        self.dir.path().join("migrations")
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs the binary on `db` with this project's migrations.
    pub fn run(&self, db: &TestDb, args: &[&str]) -> Run {
        run(self.path(), Some(db), Some(&self.migrations()), args)
    }

    /// [`Self::run`], asserting exit 0; returns stdout.
    pub fn ok(&self, db: &TestDb, args: &[&str]) -> String {
        let r = self.run(db, args);
        assert_eq!(r.code, 0, "{args:?} failed:\n{}\n{}", r.stdout, r.stderr);
        r.stdout
    }
}

/// The versions in Diesel's ledger, oldest first.
pub fn applied(db: &TestDb) -> Vec<String> {
    let exists =
        db.lines("SELECT coalesce(to_regclass('__diesel_schema_migrations')::text, '') AS v");
    if exists[0].is_empty() {
        return Vec::new();
    }
    db.lines("SELECT version::text AS v FROM __diesel_schema_migrations ORDER BY version")
}
