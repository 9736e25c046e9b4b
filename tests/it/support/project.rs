//! Runs that must never show a password: the test database's URL carries
//! one, and every output is searched for it. A project here is a temporary
//! directory of the test's own migrations, where a local cluster must
//! never be started.

use super::{server, table_migration, Run, TestDb, Tool};
use std::path::{Path, PathBuf};

/// The password in every URL of these runs (the cluster trusts loopback,
/// so any password is accepted, and none may ever be printed).
pub const PASSWORD: &str = "s3cr3t-Pw0rd";

/// The URL of `db`, with the password.
pub fn url(db: &TestDb) -> String {
    format!(
        "postgres://postgres:{PASSWORD}@127.0.0.1:{}/{}",
        server().port(),
        db.name
    )
}

/// The binary run in `dir`, where falling back to a local cluster would
/// create `no-local-cluster-expected/`.
pub fn in_dir(dir: &Path) -> Tool {
    Tool::new()
        .current_dir(dir)
        .env("RAGCHAT_DEV_DIR", dir.join("no-local-cluster-expected"))
}

/// [`in_dir`], configured for `db` (when given) and `migrations` through
/// the environment, as an application's deployment would.
pub fn configured(dir: &Path, db: Option<&TestDb>, migrations: Option<&Path>) -> Tool {
    let mut tool = in_dir(dir);
    if let Some(db) = db {
        tool = tool.env("DATABASE_URL", url(db));
    }
    if let Some(m) = migrations {
        tool = tool.env("MIGRATIONS_DIR", m);
    }
    tool
}

/// Runs, checking that the password did not leak and nothing panicked.
pub fn checked(tool: Tool, args: &[&str]) -> Run {
    let run = tool.args(args).run();
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

/// [`configured`], run and [`checked`].
pub fn run(dir: &Path, db: Option<&TestDb>, migrations: Option<&Path>, args: &[&str]) -> Run {
    checked(configured(dir, db, migrations), args)
}

/// A project: a temporary directory with `migrations/` holding `n` table
/// migrations `2025-01-0N-000000_create_tN`.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    /// A project of `n` migrations.
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

    /// Its `migrations/`.
    pub fn migrations(&self) -> PathBuf {
        self.dir.path().join("migrations")
    }

    /// Its directory.
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

/// The versions in Diesel's ledger, oldest first (none without a ledger).
pub fn applied(db: &TestDb) -> Vec<String> {
    let exists =
        db.lines("SELECT coalesce(to_regclass('__diesel_schema_migrations')::text, '') AS v");
    if exists[0].is_empty() {
        return Vec::new();
    }
    db.applied_versions()
}
