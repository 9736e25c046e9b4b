//! diesel_cli, run side by side with the toolkit. `scripts/test` puts it on
//! PATH (installing it into target/ if needed).

use super::Tool;
use std::path::{Path, PathBuf};

/// diesel_cli on PATH.
fn diesel_bin() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("diesel"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!("diesel_cli is not on PATH; run the suite with scripts/test, which installs it")
    })
}

/// `diesel ARGS` on `url` with the migrations in `migrations`, from a
/// scratch directory whose config regenerates no schema.rs; asserts
/// success and returns stdout.
pub fn diesel_on(url: &str, migrations: &Path, args: &[&str]) -> String {
    let scratch = tempfile::tempdir().unwrap();
    let config = scratch.path().join("diesel.toml");
    std::fs::write(&config, "[migrations_directory]\ndir = \"migrations\"\n").unwrap();
    let out = Tool::program(diesel_bin())
        .args(args)
        .arg("--database-url")
        .arg(url)
        .arg("--config-file")
        .arg(&config)
        .arg("--migration-dir")
        .arg(migrations)
        .current_dir(scratch.path())
        .run();
    assert!(
        out.code == 0,
        "diesel {args:?}: {}{}",
        out.stdout,
        out.stderr
    );
    out.stdout
}

/// `diesel print-schema` on `url`, with the `diesel.toml` of `project`.
pub fn print_schema(url: &str, project: &Path) -> String {
    let out = Tool::program(diesel_bin())
        .args(["print-schema", "--database-url", url])
        .current_dir(project)
        .run();
    assert!(out.code == 0, "{}", out.stderr);
    out.stdout
}
