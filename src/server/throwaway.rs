//! A throwaway PostgreSQL cluster tied to the life of this process: `initdb`
//! into a fresh temporary directory, a free loopback port, its socket in
//! that directory, fsync off, trust authentication. The test suite runs on
//! one; the benchmark may too.
//!
//! No server outlives its process: the postmaster is our direct child,
//! spawned from a thread that lives as long as the server with
//! `PR_SET_PDEATHSIG`, so the kernel stops it when the process dies in any
//! way. [`ThrowawayCluster::stop`] (or dropping the value) shuts it down,
//! waits for it and removes its directory; a process killed outright leaves
//! only the directory, which [`sweep_stale_roots`] removes later.
//!
//! As root, the server runs as the `postgres` OS user, which owns the
//! directory (see [`cluster::ServerUser`]).

use super::cluster::{self, Auth, ServerBinaries, ServerUser};
use crate::error::{Error, Result};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The superuser of every throwaway cluster (trusted on loopback).
pub const SUPERUSER: &str = "postgres";

/// The file in a cluster's root naming the process that owns it.
const OWNER_FILE: &str = "owner.pid";

/// A running throwaway cluster. Dropping it stops the server; a value kept
/// in a `static` is never dropped, so call [`ThrowawayCluster::stop`] at
/// exit (the kernel stops the server anyway when the process ends).
#[derive(Debug)]
pub struct ThrowawayCluster {
    root: PathBuf,
    port: u16,
    pid: i32,
    bins: ServerBinaries,
}

impl ThrowawayCluster {
    /// Starts a cluster in a new directory `<temp dir>/<prefix>XXXXXX`, after
    /// removing the stale directories of earlier processes with this prefix.
    pub fn start(prefix: &str) -> Result<Self> {
        Self::start_in(&std::env::temp_dir(), prefix)
    }

    /// [`ThrowawayCluster::start`] in `<parent>/<prefix>XXXXXX` (the
    /// benchmark puts its cluster on tmpfs).
    pub fn start_in(parent: &Path, prefix: &str) -> Result<Self> {
        let bins = ServerBinaries::find()?;
        let user = ServerUser::for_this_process()?;
        sweep_stale_roots_in(parent, prefix);
        let root = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir_in(parent)
            .map_err(|e| Error::io(parent.display(), e))?
            .keep();
        let owner = root.join(OWNER_FILE);
        std::fs::write(&owner, std::process::id().to_string())
            .map_err(|e| Error::io(owner.display(), e))?;
        user.own(&root)?;
        let data = root.join("data");
        cluster::initdb(&bins, &user, &data, SUPERUSER, Auth::TrustAll)?;
        let port = cluster::free_port()?;
        let pid = spawn_tied_to_this_process(server_command(&bins, &user, &root, port)?)?;
        let cluster = ThrowawayCluster {
            root,
            port,
            pid,
            bins,
        };
        cluster::wait_ready(&data, Duration::from_secs(60), || cluster.is_alive()).map_err(
            |e| {
                let log = std::fs::read_to_string(cluster.log_file()).unwrap_or_default();
                Error::Server {
                    message: format!("{e}\nserver log:\n{log}"),
                    missing_binaries: false,
                }
            },
        )?;
        Ok(cluster)
    }

    /// The loopback TCP port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The cluster's directory: `data/`, `server.log` and the unix socket.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The data directory (`pg_hba.conf`, `postgresql.conf`...).
    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }

    /// The server's log file.
    pub fn log_file(&self) -> PathBuf {
        self.root.join("server.log")
    }

    /// The directory of the server's unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.root
    }

    /// The postmaster's process id.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The server binaries it runs (with `psql`, `pg_dump` beside them).
    pub fn bins(&self) -> &ServerBinaries {
        &self.bins
    }

    /// A URL for database `db` as the superuser, over loopback TCP.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{db}", self.port)
    }

    /// True while the postmaster runs.
    pub fn is_alive(&self) -> bool {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid), None).is_ok()
    }

    /// Fast shutdown; waits until the server has exited (killing it after
    /// 15 s) and removes the cluster's directory. Safe to call twice, and
    /// from an `atexit` hook.
    pub fn stop(&self) {
        use nix::sys::signal::{kill, Signal};
        let pid = nix::unistd::Pid::from_raw(self.pid);
        let _ = kill(pid, Signal::SIGINT);
        let started = Instant::now();
        while self.is_alive() {
            if started.elapsed() > Duration::from_secs(15) {
                let _ = kill(pid, Signal::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Drop for ThrowawayCluster {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `postgres` command for a cluster in `root`, logging to its file.
fn server_command(
    bins: &ServerBinaries,
    user: &ServerUser,
    root: &Path,
    port: u16,
) -> Result<Command> {
    let log_path = root.join("server.log");
    let log = std::fs::File::create(&log_path).map_err(|e| Error::io(log_path.display(), e))?;
    let log_too = log
        .try_clone()
        .map_err(|e| Error::io(log_path.display(), e))?;
    let mut cmd = user.command(bins.bin("postgres"));
    cmd.arg("-D")
        .arg(root.join("data"))
        .args(cluster::server_args(port, root, true))
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_too);
    // SAFETY: prctl is async-signal-safe; it runs in the child after the
    // credential switch (which would otherwise clear the setting).
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(cmd)
}

/// `PR_SET_PDEATHSIG` fires when the spawning *thread* ends, so the server
/// is spawned from a thread that lives exactly as long as the server: it
/// waits on (and so reaps) the server, and the process's exit ends it.
fn spawn_tied_to_this_process(mut cmd: Command) -> Result<i32> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || match cmd.spawn() {
        Ok(mut child) => {
            let _ = tx.send(Ok(child.id() as i32));
            let _ = child.wait();
        }
        Err(e) => {
            let _ = tx.send(Err(e));
        }
    });
    let spawned = rx.recv().map_err(|_| Error::Server {
        message: "the thread starting the PostgreSQL server ended".into(),
        missing_binaries: false,
    })?;
    spawned.map_err(|e| Error::io("postgres", e))
}

/// Removes the directories `<temp dir>/<prefix>*` whose owning process is
/// gone (a process killed outright leaves its directory; its server died
/// with it).
pub fn sweep_stale_roots(prefix: &str) {
    sweep_stale_roots_in(&std::env::temp_dir(), prefix);
}

fn sweep_stale_roots_in(parent: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(prefix) {
            continue;
        }
        let path = entry.path();
        let owner = std::fs::read_to_string(path.join(OWNER_FILE))
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok());
        if owner.is_some_and(|pid| !process_is_running(pid)) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// True when `pid` names a running process; a killed owner may linger a
/// moment as a zombie, which counts as gone.
fn process_is_running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        })
        .unwrap_or_else(|_| nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok())
}
