//! The embedded default database: a local cluster of the project's own,
//! started when no database is named, and the rules for choosing it.

mod as_root;
mod choice;
mod cluster;

use crate::support::{Run, Tool};
use std::path::Path;
use std::time::Duration;

/// Runs in `project` with no database named: a local cluster is found from
/// the project directory (not `RAGCHAT_DEV_DIR`) with the server binaries
/// found as a user's shell finds them (not `PG_BIN`).
fn run(project: &Path, args: &[&str]) -> Run {
    Tool::new()
        .args(args)
        .current_dir(project)
        .env_remove("PG_BIN")
        .timeout(Duration::from_secs(120))
        .run()
}

/// [`run`], asserting exit 0.
fn ok(project: &Path, args: &[&str]) -> Run {
    let r = run(project, args);
    assert_eq!(r.code, 0, "{args:?}:\n{}\n{}", r.stdout, r.stderr);
    r
}

/// A fresh project directory (a `Cargo.toml` marks it as a project).
fn project() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("ragchat-dev-")
        .tempdir()
        .unwrap();
    std::fs::write(dir.path().join("Cargo.toml"), "[package]\nname = \"app\"\n").unwrap();
    dir
}
