//! The programs the suite runs: the tool and the floor (built next to this
//! binary by scripts/bench), psql, diesel_cli and strace.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where each program is.
#[derive(Debug)]
pub struct Tools {
    /// ragchat-migrate, release build.
    pub tool: PathBuf,
    /// The floor (bench/src/floor.rs), release build.
    pub floor: PathBuf,
    /// The real psql binary of the server's bin directory: Debian's
    /// /usr/bin/psql is pg_wrapper, a Perl script that costs ~20 ms per
    /// start, far too slow for the connect floor.
    pub psql: PathBuf,
    /// diesel_cli, or why there is none.
    pub diesel: Result<PathBuf, String>,
    /// `diesel --version`'s version.
    pub diesel_version: Option<String>,
    /// strace, for counting round trips.
    pub strace: Option<PathBuf>,
}

impl Tools {
    /// Finds everything; `build_dir` is where the release binaries are.
    pub fn find(
        build_dir: &Path,
        server_bindir: &Path,
        install_root: &Path,
        res: &Path,
    ) -> Result<Tools, String> {
        let tool = build_dir.join("ragchat-migrate");
        let floor = build_dir.join("floor");
        for p in [&tool, &floor] {
            if !p.is_file() {
                return Err(format!(
                    "{} is missing: run scripts/bench, which builds it",
                    p.display()
                ));
            }
        }
        let psql = Some(server_bindir.join("psql"))
            .filter(|p| p.is_file())
            .or_else(|| on_path("psql"))
            .ok_or("no psql: install postgresql-client")?;
        let diesel = find_diesel(install_root, res);
        let diesel_version = diesel.as_ref().ok().and_then(|d| {
            let out = Command::new(d).arg("--version").output().ok()?;
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.lines()
                .find(|l| l.contains("Version"))
                .and_then(|l| l.split_whitespace().nth(1))
                .map(str::to_string)
        });
        Ok(Tools {
            tool,
            floor,
            psql,
            diesel,
            diesel_version,
            strace: on_path("strace"),
        })
    }
}

/// A program on PATH.
pub fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// diesel_cli is the comparison for tiny upgrades: on PATH, in ~/.cargo/bin,
/// or installed once into a local root next to the build.
fn find_diesel(root: &Path, res: &Path) -> Result<PathBuf, String> {
    let home_bin = std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo/bin/diesel"));
    let local = root.join("bin/diesel");
    if let Some(found) = on_path("diesel")
        .or(home_bin.filter(|p| p.is_file()))
        .or(Some(local.clone()).filter(|p| p.is_file()))
    {
        return Ok(found);
    }
    eprintln!(
        "\x1b[1m== installing diesel_cli into {} (once)\x1b[0m",
        root.display()
    );
    let log_path = res.join("diesel-install.log");
    let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let ok = Command::new("cargo")
        .args([
            "install",
            "diesel_cli",
            "--no-default-features",
            "--features",
            "postgres",
            "--root",
        ])
        .arg(root)
        .stdout(Stdio::null())
        .stderr(log)
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Ok(local);
    }
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    let last = text.lines().last().unwrap_or("no output");
    Err(format!(
        "diesel_cli could not be installed ({last}); comparison skipped"
    ))
}
