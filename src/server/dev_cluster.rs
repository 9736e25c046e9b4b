//! The local cluster as it stands on disk: its directories, port, socket,
//! server pid and URLs, and the `flock`s that order its users. Reading
//! them changes nothing; `dev_server` starts and stops the server, and
//! `dev` hands it to commands.

use crate::config::database_url::DatabaseUrl;
use crate::error::{Error, Result};
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;
use std::path::{Path, PathBuf};

/// The database every command uses on the local cluster.
pub const DATABASE: &str = "ragchat";

/// Where the local cluster lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCluster {
    /// `.ragchat/`: lock files, the port, the keep-running marker.
    pub state_dir: PathBuf,
    /// `.ragchat/pg/`: owned by the server's OS user.
    pub server_dir: PathBuf,
    /// `.ragchat/pg/data`: the cluster.
    pub data_dir: PathBuf,
    /// Set when `state_dir` stands in for this directory, which the server's
    /// OS user cannot reach (running as root in a private directory).
    pub relocated_from: Option<PathBuf>,
}

/// What `dev status` reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClusterStatus {
    /// True when initdb has run.
    pub initialized: bool,
    /// True when the server runs.
    pub running: bool,
    /// The server's process id, when running.
    pub pid: Option<i32>,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The loopback TCP port.
    pub port: Option<u16>,
    /// The PostgreSQL version of the cluster.
    pub version: Option<String>,
    /// Bytes on disk under the cluster's directory.
    pub size_bytes: u64,
    /// The URL applications can use.
    pub url: Option<String>,
    /// The directory the cluster would live in, had the server's OS user
    /// been able to reach it.
    pub relocated_from: Option<PathBuf>,
}

impl LocalCluster {
    /// The cluster for the current directory (see
    /// [`crate::server::dev_home::state_dir`]). Running as root, a directory
    /// the `postgres` OS user cannot reach is replaced by a stand-in of its own.
    pub fn locate() -> Result<Self> {
        let (dir, relocated_from) = crate::server::dev_home::state_dir()?;
        Ok(LocalCluster {
            relocated_from,
            ..Self::at(dir)
        })
    }

    /// The cluster whose state lives in `state_dir`.
    pub fn at(state_dir: PathBuf) -> Self {
        let server_dir = state_dir.join("pg");
        LocalCluster {
            data_dir: server_dir.join("data"),
            server_dir,
            state_dir,
            relocated_from: None,
        }
    }

    pub(crate) fn lock(&self, name: &str, arg: FlockArg) -> Result<Flock<File>> {
        match &self.relocated_from {
            Some(from) => crate::server::dev_home::prepare_stand_in(&self.state_dir, from),
            None => std::fs::create_dir_all(&self.state_dir),
        }
        .map_err(|e| Error::io(self.state_dir.display(), e))?;
        let path = self.state_dir.join(name);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(path.display(), e))?;
        Flock::lock(file, arg).map_err(|(_, e)| Error::io(path.display(), e.into()))
    }

    /// True when the cluster has been created.
    pub fn is_initialized(&self) -> bool {
        self.data_dir.join("PG_VERSION").is_file()
    }

    pub(crate) fn port(&self) -> Option<u16> {
        std::fs::read_to_string(self.state_dir.join("port"))
            .ok()
            .and_then(|p| p.trim().parse().ok())
    }

    /// The directory of the server's unix socket. Socket paths are limited to
    /// about 100 bytes, so a deep project gets a short directory in /tmp.
    pub(crate) fn socket_dir(&self) -> PathBuf {
        if self.server_dir.as_os_str().len() < 80 {
            self.server_dir.clone()
        } else {
            let hash = crate::migrations::checksum::sha256_hex(&self.server_dir.to_string_lossy());
            std::env::temp_dir().join(format!("ragchat-{}", &hash[..12]))
        }
    }

    /// The pid of the running server, if it runs (a stale `postmaster.pid`
    /// left by a crash does not count).
    pub fn running_pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.data_dir.join("postmaster.pid")).ok()?;
        let pid: i32 = text.lines().next()?.trim().parse().ok()?;
        let alive = if Path::new("/proc/self").exists() {
            // A recycled pid that is not a postgres process means the file is stale.
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmd| String::from_utf8_lossy(&cmd).contains("postgres"))
        } else {
            nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
        };
        alive.then_some(pid)
    }

    pub(crate) fn superuser() -> String {
        nix::unistd::User::from_uid(nix::unistd::getuid())
            .ok()
            .flatten()
            .map(|u| u.name)
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "postgres".into())
    }

    /// The URL the tool uses: the unix socket.
    pub fn socket_url(&self) -> Result<DatabaseUrl> {
        let port = self.port().unwrap_or(5432);
        DatabaseUrl::parse(&format!(
            "host={} port={port} user={} dbname={DATABASE}",
            crate::config::database_url::conninfo_quote(&self.socket_dir().to_string_lossy()),
            crate::config::database_url::conninfo_quote(&Self::superuser())
        ))
    }

    /// The URL an application uses: the unix socket, which needs no
    /// password (libpq, Diesel, psycopg and asyncpg all take `?host=DIR`).
    /// TCP on 127.0.0.1 works too, with the password in `.ragchat/password`.
    pub fn app_url(&self) -> Option<String> {
        let dir = self.socket_dir();
        self.port().map(|port| {
            format!(
                "postgres://{}@localhost:{port}/{DATABASE}?host={}",
                Self::superuser(),
                dir.display()
            )
        })
    }

    /// Where the password for TCP connections is kept (mode 0600).
    pub fn password_file(&self) -> PathBuf {
        self.state_dir.join("password")
    }

    /// `dev status`.
    pub fn status(&self) -> ClusterStatus {
        let pid = self.running_pid();
        ClusterStatus {
            initialized: self.is_initialized(),
            running: pid.is_some(),
            pid,
            data_dir: self.data_dir.clone(),
            port: self.port(),
            version: std::fs::read_to_string(self.data_dir.join("PG_VERSION"))
                .ok()
                .map(|v| v.trim().to_string()),
            size_bytes: dir_size(&self.server_dir),
            url: self.app_url(),
            relocated_from: self.relocated_from.clone(),
        }
    }
}

/// Bytes in the files under `dir`.
fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(_) => e.metadata().map(|m| m.len()).unwrap_or(0),
            Err(_) => 0,
        })
        .sum()
}
