//! [`Tool`]: the one way the tests launch the built binary (or a program
//! that runs it, like `script`). Every launch gets an environment of its
//! own: nothing the tool reads is inherited from the developer's shell, and
//! `HOME`, the cache and data directories point into a temporary directory
//! of the test's thread (so a test's runs share a cache, and no test writes
//! to `~/.cache`).

use super::TestDb;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Variables the tool (or libpq, or clap) reads, never inherited.
const NOT_INHERITED: &[&str] = &[
    "DATABASE_URL",
    "MIGRATIONS_DIR",
    "RAGCHAT_DEV_DIR",
    "RAGCHAT_CACHE_DIR",
    "CI",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "COLUMNS",
    "LINES",
    "XDG_RUNTIME_DIR",
];

thread_local! {
    /// The test's own home: one per test thread, removed when it ends.
    static SANDBOX: tempfile::TempDir = tempfile::Builder::new()
        .prefix("ragchat-test-home-")
        .tempdir()
        .expect("a temporary home directory");
}

/// The temporary directory standing in for the test's home directories.
pub fn sandbox() -> PathBuf {
    SANDBOX.with(|dir| dir.path().to_path_buf())
}

/// What a finished command printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// stdout then stderr, as a terminal would show them.
    pub fn combined(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Self {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// A launch of the built `ragchat-migrate` in an isolated environment.
pub struct Tool {
    cmd: Command,
    timeout: Option<Duration>,
}

impl Tool {
    /// The built binary, isolated.
    pub fn new() -> Self {
        Self::program(assert_cmd::cargo::cargo_bin("ragchat-migrate"))
    }

    /// Another program, isolated the same way (it may run the binary).
    pub fn program(program: impl AsRef<OsStr>) -> Self {
        let mut cmd = Command::new(program);
        for (name, _) in std::env::vars_os() {
            let text = name.to_string_lossy();
            // libpq reads PGHOST, PGPASSWORD, PGSERVICE...; PG_BIN only
            // says where the server binaries are.
            if text.starts_with("PG") && text != "PG_BIN" {
                cmd.env_remove(&name);
            }
        }
        for name in NOT_INHERITED {
            cmd.env_remove(name);
        }
        let home = sandbox();
        for (name, dir) in [
            ("HOME", "home"),
            ("XDG_CACHE_HOME", "cache"),
            ("XDG_DATA_HOME", "data"),
            ("XDG_CONFIG_HOME", "config"),
        ] {
            let dir = home.join(dir);
            std::fs::create_dir_all(&dir).expect("a sandbox directory");
            cmd.env(name, dir);
        }
        Tool { cmd, timeout: None }
    }

    /// `--database-url` of the test database.
    pub fn db(self, db: &TestDb) -> Self {
        self.url(&db.url())
    }

    /// `--database-url URL`.
    pub fn url(self, url: &str) -> Self {
        self.arg("--database-url").arg(url)
    }

    /// `--migrations-dir DIR`.
    pub fn migrations(self, dir: &Path) -> Self {
        self.arg("--migrations-dir").arg(dir)
    }

    /// One argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.cmd.arg(arg);
        self
    }

    /// Several arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// Sets a variable for this launch.
    pub fn env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.cmd.env(name, value);
        self
    }

    /// Removes a variable for this launch.
    pub fn env_remove(mut self, name: impl AsRef<OsStr>) -> Self {
        self.cmd.env_remove(name);
        self
    }

    /// Runs in `dir` (else in the test's working directory).
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    /// Kills the process after `limit`.
    pub fn timeout(mut self, limit: Duration) -> Self {
        self.timeout = Some(limit);
        self
    }

    /// The configured command, for a test that drives the process itself.
    pub fn command(self) -> Command {
        self.cmd
    }

    /// Starts the process with stdout and stderr piped.
    pub fn spawn(mut self) -> Child {
        self.cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the binary")
    }

    /// Runs to the end.
    pub fn run(self) -> Run {
        let mut cmd = assert_cmd::Command::from_std(self.cmd);
        if let Some(limit) = self.timeout {
            cmd.timeout(limit);
        }
        Run::from(cmd.output().expect("run the binary"))
    }
}

/// The binary on `db` with the migrations in `dir` (else the ones the
/// working directory's project or the binary holds), killed after two
/// minutes.
pub fn on(db: &TestDb, dir: Option<&Path>) -> Tool {
    let tool = Tool::new().db(db).timeout(Duration::from_secs(120));
    match dir {
        Some(dir) => tool.migrations(dir),
        None => tool,
    }
}

/// Runs `args` with [`on`].
pub fn run(db: &TestDb, dir: Option<&Path>, args: &[&str]) -> Run {
    on(db, dir).args(args).run()
}
