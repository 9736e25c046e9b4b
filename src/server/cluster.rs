//! Running a PostgreSQL server of our own: finding the server binaries,
//! `initdb`, starting and stopping. Used by the throwaway cluster of the
//! tests ([`super::throwaway`]) and by the embedded default database.
//!
//! PostgreSQL refuses to run as root; when we are root, the server runs as
//! the `postgres` OS user and owns its data directory.

use crate::error::{Error, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The directory holding `initdb`, `postgres` and `pg_ctl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerBinaries {
    /// The bin directory.
    pub bindir: PathBuf,
}

const NEEDED: [&str; 3] = ["initdb", "postgres", "pg_ctl"];

impl ServerBinaries {
    /// Finds the server binaries: `PG_BIN`, then `PATH`, then
    /// `pg_config --bindir`, then `/usr/lib/postgresql/*/bin` (newest first).
    pub fn find() -> Result<Self> {
        Self::find_in(std::env::var_os("PG_BIN"), std::env::var_os("PATH"))
    }

    /// [`ServerBinaries::find`] with explicit `PG_BIN` and `PATH` values.
    pub fn find_in(pg_bin: Option<OsString>, path: Option<OsString>) -> Result<Self> {
        let complete = |dir: &Path| NEEDED.iter().all(|b| dir.join(b).is_file());
        if let Some(dir) = pg_bin.filter(|d| !d.is_empty()).map(PathBuf::from) {
            return if complete(&dir) {
                Ok(ServerBinaries { bindir: dir })
            } else {
                Err(missing(&format!(
                    "PG_BIN={} does not contain initdb, postgres and pg_ctl",
                    dir.display()
                )))
            };
        }
        // Lazily, in order: running pg_config costs a process, and is only
        // asked when PATH has no server.
        let on_path: Vec<PathBuf> = path
            .as_ref()
            .map(|p| std::env::split_paths(p).collect())
            .unwrap_or_default();
        let candidates = on_path
            .into_iter()
            .chain(std::iter::once_with(|| pg_config_bindir(path.as_ref())).flatten())
            .chain(std::iter::once_with(debian_bindirs).flatten());
        for dir in candidates {
            if complete(&dir) {
                // A PATH entry may hold symlinks; the real directory is where
                // the server's version and share/ files belong.
                let real = dir
                    .join("postgres")
                    .canonicalize()
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .filter(|d| complete(d))
                    .unwrap_or(dir);
                return Ok(ServerBinaries { bindir: real });
            }
        }
        Err(missing(
            "no PostgreSQL server binaries (initdb, postgres, pg_ctl) were found",
        ))
    }

    /// The path of one binary.
    pub fn bin(&self, name: &str) -> PathBuf {
        self.bindir.join(name)
    }

    /// The server's version, e.g. `15.18`.
    pub fn version(&self) -> Result<String> {
        let out = Command::new(self.bin("postgres"))
            .arg("--version")
            .output()
            .map_err(|e| Error::io(self.bin("postgres").display(), e))?;
        let text = String::from_utf8_lossy(&out.stdout);
        Ok(text
            .split_whitespace()
            .last()
            .unwrap_or_default()
            .to_string())
    }
}

fn pg_config_bindir(path: Option<&OsString>) -> Option<PathBuf> {
    let mut cmd = Command::new("pg_config");
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    let out = cmd.arg("--bindir").stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn debian_bindirs() -> Vec<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let major = e.file_name().to_string_lossy().parse::<u32>().ok()?;
                    Some((major, e.path().join("bin")))
                })
                .collect()
        })
        .unwrap_or_default();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.0));
    dirs.into_iter().map(|(_, d)| d).collect()
}

fn missing(what: &str) -> Error {
    Error::Server {
        message: format!(
            "{what}.\n  fix: install the PostgreSQL server:\n    Debian/Ubuntu: sudo apt-get \
             install postgresql\n    Fedora/RHEL:   sudo dnf install postgresql-server\n    \
             macOS:         brew install postgresql\n    Arch:          sudo pacman -S \
             postgresql\n  or point PG_BIN at its bin directory, or set DATABASE_URL (or \
             --database-url) to use an existing server instead"
        ),
        missing_binaries: true,
    }
}

/// The OS account the server runs as: ourselves, or `postgres` when we are
/// root (PostgreSQL refuses to run as root).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerUser {
    /// Numeric user id.
    pub uid: u32,
    /// Numeric group id.
    pub gid: u32,
    /// True when this is not the current user (we switch to it).
    pub switch: bool,
}

impl ServerUser {
    /// Picks the account for this process.
    pub fn for_this_process() -> Result<Self> {
        let uid = nix::unistd::getuid();
        if !uid.is_root() {
            return Ok(ServerUser {
                uid: uid.as_raw(),
                gid: nix::unistd::getgid().as_raw(),
                switch: false,
            });
        }
        let user = nix::unistd::User::from_name("postgres")
            .ok()
            .flatten()
            .ok_or_else(|| Error::Server {
                message: "running as root, but there is no `postgres` OS user to run the \
                          server as (PostgreSQL refuses to run as root).\n  fix: install the \
                          postgresql package (it creates the user), `useradd --system \
                          postgres`, or run as an ordinary user"
                    .into(),
                missing_binaries: false,
            })?;
        Ok(ServerUser {
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
            switch: true,
        })
    }

    /// A command that runs as this user.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new(program);
        if self.switch {
            cmd.uid(self.uid).gid(self.gid);
            // The server user may not be allowed into our working directory.
            cmd.current_dir("/");
        }
        cmd
    }

    /// Gives a directory (not recursively) to this user.
    pub fn own(&self, dir: &Path) -> Result<()> {
        if self.switch {
            nix::unistd::chown(
                dir,
                Some(nix::unistd::Uid::from_raw(self.uid)),
                Some(nix::unistd::Gid::from_raw(self.gid)),
            )
            .map_err(|e| Error::io(dir.display(), e.into()))?;
        }
        Ok(())
    }
}

/// How a new cluster authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth<'a> {
    /// Trust every local connection (throwaway test clusters).
    TrustAll,
    /// Trust the unix socket (its directory and mode keep others out);
    /// TCP needs the superuser's password, read by initdb from this file.
    SocketTrustTcpPassword(&'a Path),
}

/// Runs `initdb` for a new cluster with the given superuser name.
pub fn initdb(
    bins: &ServerBinaries,
    user: &ServerUser,
    data: &Path,
    superuser: &str,
    auth: Auth,
) -> Result<()> {
    let mut cmd = user.command(bins.bin("initdb"));
    cmd.arg("-D")
        .arg(data)
        .args(["-U", superuser, "-E", "UTF8", "--locale=C", "-N"]);
    match auth {
        Auth::TrustAll => {
            cmd.args(["-A", "trust"]);
        }
        Auth::SocketTrustTcpPassword(pwfile) => {
            cmd.args(["--auth-local=trust", "--auth-host=scram-sha-256"])
                .arg(format!("--pwfile={}", pwfile.display()));
        }
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::io(bins.bin("initdb").display(), e))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(Error::Server {
            message: format!(
                "initdb {} failed: {}{}",
                data.display(),
                String::from_utf8_lossy(&out.stderr).trim(),
                if user.switch {
                    "\n  note: the server runs as the `postgres` OS user, which must be able \
                     to reach this directory (every parent directory needs o+x)"
                } else {
                    ""
                }
            ),
            missing_binaries: false,
        })
    }
}

/// A loopback TCP port that was free a moment ago.
pub fn free_port() -> Result<u16> {
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io("127.0.0.1:0", e))?;
    let port = listener
        .local_addr()
        .map_err(|e| Error::io("127.0.0.1:0", e))?
        .port();
    Ok(port)
}

/// The settings every server of ours runs with, as `postgres` arguments.
pub fn server_args(port: u16, socket_dir: &Path, fast_and_unsafe: bool) -> Vec<OsString> {
    let mut args: Vec<OsString> = vec![
        "-p".into(),
        port.to_string().into(),
        "-k".into(),
        socket_dir.as_os_str().to_owned(),
        "-c".into(),
        "listen_addresses=127.0.0.1".into(),
        "-c".into(),
        "max_connections=200".into(),
    ];
    if fast_and_unsafe {
        for setting in [
            "fsync=off",
            "synchronous_commit=off",
            "full_page_writes=off",
        ] {
            args.push("-c".into());
            args.push(setting.into());
        }
    }
    args
}

/// Waits until the server of `data` reports "ready" in `postmaster.pid`.
/// `alive` is polled too, so a server that died is reported at once.
pub fn wait_ready(data: &Path, timeout: Duration, mut alive: impl FnMut() -> bool) -> Result<()> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if let Ok(text) = std::fs::read_to_string(data.join("postmaster.pid")) {
            if text.lines().nth(7).map(str::trim) == Some("ready") {
                return Ok(());
            }
        }
        if !alive() {
            return Err(Error::Server {
                message: format!(
                    "the PostgreSQL server for {} exited while starting",
                    data.display()
                ),
                missing_binaries: false,
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(Error::Server {
        message: format!(
            "the PostgreSQL server for {} was not ready after {}s",
            data.display(),
            timeout.as_secs()
        ),
        missing_binaries: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_binaries_name_the_package_to_install() {
        let empty = tempfile::tempdir().unwrap();
        let err = ServerBinaries::find_in(
            Some(empty.path().as_os_str().to_owned()),
            Some(OsString::new()),
        )
        .unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::BadInput);
        let text = err.to_string();
        assert!(text.contains("apt-get install postgresql"), "{text}");
        assert!(text.contains("brew install postgresql"), "{text}");
        assert!(text.contains("DATABASE_URL"), "{text}");
    }
}
