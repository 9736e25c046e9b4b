//! The embedded default database: a local PostgreSQL cluster that the tool
//! creates and manages itself, used when no database URL is configured.
//!
//! It lives under the project in `.ragchat/` (ignored by git), or in the
//! platform data directory outside a project. A command that finds it stopped
//! starts it and stops it again when done; one that finds it running leaves
//! it running; `dev start` starts it and keeps it running.
//!
//! Concurrency: an exclusive `flock` on `.ragchat/cluster.lock` serialises
//! creation, start and stop; every command holds a shared `flock` on
//! `.ragchat/in-use.lock` while it works, so the command that started the
//! server stops it only after every other user is done.

use crate::config::database_url::DatabaseUrl;
use crate::error::{Error, Result};
use crate::server::cluster::{self, ServerBinaries, ServerUser};
use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;

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

/// A command's use of the local cluster; dropping it stops the server when
/// this command started it and no one else needs it.
pub struct Session {
    cluster: LocalCluster,
    url: DatabaseUrl,
    started_here: bool,
    in_use: Option<Flock<File>>,
}

impl Session {
    /// The URL the tool connects with (the unix socket).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// True when this command started the server.
    pub fn started_here(&self) -> bool {
        self.started_here
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        drop(self.in_use.take());
        if self.started_here {
            let _ = self.cluster.stop_when_unused();
        }
    }
}

impl LocalCluster {
    /// The cluster for the current directory: `.ragchat/` in the nearest
    /// directory that has one, else in the nearest project directory (one with
    /// `migrations/`, `diesel.toml`, `Cargo.toml` or `.git`), else in the
    /// platform data directory. `RAGCHAT_DEV_DIR` overrides all of this.
    /// Running as root, a directory the `postgres` OS user cannot reach is
    /// replaced by a stand-in of its own (see [`crate::server::dev_home`]).
    pub fn locate() -> Result<Self> {
        let natural = Self::natural_state_dir()?;
        if std::env::var_os("RAGCHAT_DEV_DIR").is_some_and(|d| !d.is_empty()) {
            return Ok(Self::at(natural));
        }
        let (dir, relocated_from) = crate::server::dev_home::reachable_state_dir(natural);
        Ok(LocalCluster {
            relocated_from,
            ..Self::at(dir)
        })
    }

    fn natural_state_dir() -> Result<PathBuf> {
        if let Some(dir) = std::env::var_os("RAGCHAT_DEV_DIR").filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(dir));
        }
        let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
        let ancestors: Vec<&Path> = cwd.ancestors().collect();
        if let Some(dir) = ancestors.iter().find(|d| d.join(".ragchat").is_dir()) {
            return Ok(dir.join(".ragchat"));
        }
        let markers = ["migrations", "diesel.toml", "Cargo.toml", ".git"];
        if let Some(dir) = ancestors
            .iter()
            .find(|d| markers.iter().any(|m| d.join(m).exists()))
        {
            return Ok(dir.join(".ragchat"));
        }
        platform_data_dir()
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

    fn lock(&self, name: &str, arg: FlockArg) -> Result<Flock<File>> {
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

    fn port(&self) -> Option<u16> {
        std::fs::read_to_string(self.state_dir.join("port"))
            .ok()
            .and_then(|p| p.trim().parse().ok())
    }

    /// The directory of the server's unix socket. Socket paths are limited to
    /// about 100 bytes, so a deep project gets a short directory in /tmp.
    fn socket_dir(&self) -> PathBuf {
        if self.server_dir.as_os_str().len() < 80 {
            self.server_dir.clone()
        } else {
            let hash = crate::migrations::source::sha256_hex(&self.server_dir.to_string_lossy());
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

    fn superuser() -> String {
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

    /// Makes sure the cluster exists and runs, for the duration of a command.
    pub fn use_for_command(&self) -> Result<Session> {
        let guard = self.lock("cluster.lock", FlockArg::LockExclusive)?;
        let started_here = self.ensure_running()?;
        let in_use = self.lock("in-use.lock", FlockArg::LockShared)?;
        drop(guard);
        Ok(Session {
            cluster: self.clone(),
            url: self.socket_url()?,
            started_here,
            in_use: Some(in_use),
        })
    }

    /// `dev start`: start (creating on first use) and keep running.
    pub fn start_and_keep(&self) -> Result<bool> {
        let _guard = self.lock("cluster.lock", FlockArg::LockExclusive)?;
        let started = self.ensure_running()?;
        std::fs::write(self.state_dir.join("keep-running"), "dev start\n")
            .map_err(|e| Error::io(self.state_dir.display(), e))?;
        Ok(started)
    }

    /// `dev stop`: stop now. Returns false when it was not running.
    pub fn stop(&self) -> Result<bool> {
        let _guard = self.lock("cluster.lock", FlockArg::LockExclusive)?;
        // Let commands that are using the server finish first.
        let _users_done = self.lock("in-use.lock", FlockArg::LockExclusive)?;
        let _ = std::fs::remove_file(self.state_dir.join("keep-running"));
        self.pg_ctl_stop()
    }

    /// `dev destroy`: stop and delete everything it made: the cluster, its
    /// socket directory, and the state directory with its files.
    pub fn destroy(&self) -> Result<()> {
        let _guard = self.lock("cluster.lock", FlockArg::LockExclusive)?;
        let _users_done = self.lock("in-use.lock", FlockArg::LockExclusive)?;
        self.pg_ctl_stop()?;
        for path in [self.server_dir.clone(), self.socket_dir()] {
            if path.exists() {
                std::fs::remove_dir_all(&path).map_err(|e| Error::io(path.display(), e))?;
            }
        }
        for file in [
            "port",
            "keep-running",
            "password",
            ".gitignore",
            crate::server::dev_home::ORIGIN_FILE,
            "cluster.lock",
            "in-use.lock",
        ] {
            let _ = std::fs::remove_file(self.state_dir.join(file));
        }
        // Only when nothing else is in it: RAGCHAT_DEV_DIR may hold more.
        let _ = std::fs::remove_dir(&self.state_dir);
        if self.relocated_from.is_some() {
            // The stand-ins' root, when this was the last one.
            if let Some(root) = self.state_dir.parent() {
                let _ = std::fs::remove_dir(root);
            }
        }
        Ok(())
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

    fn stop_when_unused(&self) -> Result<()> {
        let _guard = self.lock("cluster.lock", FlockArg::LockExclusive)?;
        // Wait for every other command that uses the server to finish.
        let _all_done = self.lock("in-use.lock", FlockArg::LockExclusive)?;
        if self.state_dir.join("keep-running").exists() {
            return Ok(());
        }
        self.pg_ctl_stop().map(|_| ())
    }

    /// Creates the cluster if needed and starts it if stopped; true when it
    /// was started here. Caller holds `cluster.lock`.
    fn ensure_running(&self) -> Result<bool> {
        if self.is_initialized() && self.running_pid().is_some() {
            return Ok(false);
        }
        let bins = ServerBinaries::find()?;
        let user = ServerUser::for_this_process()?;
        if !self.is_initialized() {
            self.create(&bins, &user)?;
        }
        if self.running_pid().is_some() {
            return Ok(false);
        }
        self.remove_stale_lock_files();
        // A `dev start` whose server has since died (a crash, a reboot) no
        // longer asks for anything: who starts it now decides.
        let _ = std::fs::remove_file(self.state_dir.join("keep-running"));
        let port = match self.port() {
            Some(p) if std::net::TcpListener::bind(("127.0.0.1", p)).is_ok() => p,
            _ => {
                let p = cluster::free_port()?;
                std::fs::write(self.state_dir.join("port"), p.to_string())
                    .map_err(|e| Error::io(self.state_dir.display(), e))?;
                p
            }
        };
        let socket_dir = self.socket_dir();
        prepare_socket_dir(&socket_dir, &user)?;
        let options: Vec<String> = cluster::server_args(port, &socket_dir, false)
            .into_iter()
            .map(|a| crate::config::database_url::conninfo_quote(&a.to_string_lossy()))
            .chain(["-c".into(), "unix_socket_permissions=0700".into()])
            .collect();
        let out = user
            .command(bins.bin("pg_ctl"))
            .arg("start")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(self.server_dir.join("server.log"))
            .args(["-w", "-t", "60", "-s", "-o"])
            .arg(options.join(" "))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .output()
            .map_err(|e| Error::io(bins.bin("pg_ctl").display(), e))?;
        if !out.status.success() {
            let log =
                std::fs::read_to_string(self.server_dir.join("server.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(8).collect();
            return Err(Error::Server {
                message: format!(
                    "could not start the local PostgreSQL cluster in {}: {}\n{}",
                    self.data_dir.display(),
                    String::from_utf8_lossy(&out.stderr).trim(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                ),
                missing_binaries: false,
            });
        }
        self.create_database()?;
        Ok(true)
    }

    /// A crash leaves `postmaster.pid` and the socket's `.s.PGSQL.*.lock`
    /// behind, naming a pid that may now be a zombie or another process, and
    /// the server refuses to start while they name a live pid. The caller
    /// holds `cluster.lock` and found no server running, and the socket
    /// directory is this cluster's alone, so they are stale.
    fn remove_stale_lock_files(&self) {
        let _ = std::fs::remove_file(self.data_dir.join("postmaster.pid"));
        if let Ok(entries) = std::fs::read_dir(self.socket_dir()) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(".s.PGSQL.") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }

    fn create(&self, bins: &ServerBinaries, user: &ServerUser) -> Result<()> {
        // Leftovers of an initdb that did not finish.
        if self.server_dir.exists() {
            std::fs::remove_dir_all(&self.server_dir)
                .map_err(|e| Error::io(self.server_dir.display(), e))?;
        }
        std::fs::create_dir_all(&self.server_dir)
            .map_err(|e| Error::io(self.server_dir.display(), e))?;
        let gitignore = self.state_dir.join(".gitignore");
        if !gitignore.exists() {
            let _ = std::fs::write(
                &gitignore,
                "# the local PostgreSQL cluster of ragchat-migrate\n*\n",
            );
        }
        user.own(&self.server_dir)?;
        if user.switch {
            let reachable = user
                .command("test")
                .args(["-w"])
                .arg(&self.server_dir)
                .status()
                .is_ok_and(|s| s.success());
            if !reachable {
                let _ = std::fs::remove_dir_all(&self.server_dir);
                return Err(Error::Server {
                    message: format!(
                        "running as root, the local cluster's server runs as the `postgres` \
                         OS user, which cannot reach {} (a parent directory lacks o+x).\n  \
                         fix: `chmod o+x` the parent directories, set RAGCHAT_DEV_DIR to a \
                         directory it can reach, run as an ordinary user, or set DATABASE_URL",
                        self.server_dir.display()
                    ),
                    missing_binaries: false,
                });
            }
        }
        // TCP connections need this password; the socket (mode 0700) is
        // trusted for the server's own OS user only.
        let password = random_password()?;
        let secret = self.state_dir.join("password");
        write_private(&secret, &password)?;
        let pwfile = self.server_dir.join("initdb.pw");
        write_private(&pwfile, &password)?;
        user.own(&pwfile)?;
        let made = cluster::initdb(
            bins,
            user,
            &self.data_dir,
            &Self::superuser(),
            cluster::Auth::SocketTrustTcpPassword(&pwfile),
        );
        let _ = std::fs::remove_file(&pwfile);
        made
    }

    fn create_database(&self) -> Result<()> {
        let url = self.socket_url()?;
        let mut conn = url.with_dbname("postgres")?.connect(10)?;
        #[derive(diesel::QueryableByName)]
        struct Exists {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            exists: bool,
        }
        let found: Exists = diesel::sql_query(format!(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{DATABASE}') AS exists"
        ))
        .get_result(&mut conn)?;
        if !found.exists {
            conn.batch_execute(&format!("CREATE DATABASE {DATABASE}"))?;
        }
        Ok(())
    }

    fn pg_ctl_stop(&self) -> Result<bool> {
        let Some(pid) = self.running_pid() else {
            return Ok(false);
        };
        let bins = ServerBinaries::find()?;
        let user = ServerUser::for_this_process()?;
        let out = user
            .command(bins.bin("pg_ctl"))
            .arg("stop")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "fast", "-w", "-t", "60", "-s"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::io(bins.bin("pg_ctl").display(), e))?;
        if out.status.success() || self.running_pid().is_none() {
            // pg_ctl returns once postmaster.pid is gone, which the server
            // removes just before it exits: wait for the process itself.
            wait_for_exit(pid, std::time::Duration::from_secs(30));
            Ok(true)
        } else {
            Err(Error::Server {
                message: format!(
                    "could not stop the local PostgreSQL cluster: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
                missing_binaries: false,
            })
        }
    }
}

/// Waits until `pid` has exited (a zombie awaiting its reaper counts as gone).
fn wait_for_exit(pid: i32, timeout: std::time::Duration) {
    let started = std::time::Instant::now();
    while started.elapsed() < timeout {
        let alive = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => !stat
                .rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z')),
            Err(_) => {
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
                    && !Path::new("/proc/self").exists()
            }
        };
        if !alive {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// The socket directory must be the server user's alone (mode 0700): in
/// /tmp another user could otherwise create it first and swap the socket.
fn prepare_socket_dir(dir: &Path, user: &ServerUser) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
        user.own(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(dir.display(), e))?;
    }
    let meta = std::fs::metadata(dir).map_err(|e| Error::io(dir.display(), e))?;
    if meta.uid() != user.uid {
        return Err(Error::Server {
            message: format!(
                "the socket directory {} belongs to another user; fix: remove it, or set \
                 RAGCHAT_DEV_DIR to a shorter path",
                dir.display()
            ),
            missing_binaries: false,
        });
    }
    Ok(())
}

/// 32 hex characters from the kernel's random source.
fn random_password() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::io("/dev/urandom", e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = File::options()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path.display(), e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(path.display(), e))
}

fn platform_data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("ragchat-migrate"));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            Error::Usage(
                "no project directory and no HOME to keep the local cluster in; fix: set \
             RAGCHAT_DEV_DIR or DATABASE_URL"
                    .into(),
            )
        })?;
    let home = PathBuf::from(home);
    Ok(if cfg!(target_os = "macos") {
        home.join("Library/Application Support/ragchat-migrate")
    } else {
        home.join(".local/share/ragchat-migrate")
    })
}

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
