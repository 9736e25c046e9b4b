//! The suite's throwaway PostgreSQL cluster, started through the library's
//! server code (`ragchat_migrate::server::cluster`: finding the binaries,
//! the server's OS user, initdb, the settings, the readiness wait), the same
//! code the tests and the embedded default database use.
//!
//! It runs with fsync, synchronous_commit and full_page_writes off, its data
//! directory on tmpfs when there is one: the suite measures the migrator and
//! its round trips, not the disk. It is stopped when dropped, and the kernel
//! stops it if the suite dies outright.

use ragchat_migrate::server::cluster::{self, Auth, ServerBinaries, ServerUser};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::Duration;

/// A running throwaway cluster.
pub struct Cluster {
    /// The server binaries (psql is taken from the same directory).
    pub bins: ServerBinaries,
    /// The OS account the server runs as.
    pub user: ServerUser,
    /// `postgres://postgres@127.0.0.1:PORT`, without a database.
    pub url_base: String,
    /// Where the data directory lives, for the report: `tmpfs (DIR)` or `disk (DIR)`.
    pub placement: String,
    dir: PathBuf,
    on_tmpfs: bool,
    child: Child,
}

impl Cluster {
    /// initdb and start a cluster on tmpfs (or under `work` without one).
    pub fn start(work: &Path) -> Result<Cluster, String> {
        let bins = ServerBinaries::find().map_err(|e| e.to_string())?;
        let user = ServerUser::for_this_process().map_err(|e| e.to_string())?;
        let (dir, on_tmpfs) = match tmpfs_dir()? {
            Some(dir) => (dir, true),
            None => {
                let dir = work.join("pg");
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                (dir, false)
            }
        };
        let placement = format!(
            "{} ({})",
            if on_tmpfs { "tmpfs" } else { "disk" },
            dir.display()
        );
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| e.to_string())?;
        user.own(&dir).map_err(|e| e.to_string())?;
        let data = dir.join("data");
        cluster::initdb(&bins, &user, &data, "postgres", Auth::TrustAll)
            .map_err(|e| e.to_string())?;
        let port = cluster::free_port().map_err(|e| e.to_string())?;
        let log = std::fs::File::create(dir.join("server.log")).map_err(|e| e.to_string())?;
        let mut cmd = user.command(bins.bin("postgres"));
        cmd.arg("-D")
            .arg(&data)
            .args(cluster::server_args(port, &dir, true))
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        // SAFETY: prctl is async-signal-safe; it runs in the child after the
        // credential switch (which would otherwise clear it). The suite is
        // single-threaded when it starts the server, so the parent "thread"
        // whose end fires the signal is the whole process.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| format!("postgres: {e}"))?;
        let mut server = Cluster {
            bins,
            user,
            url_base: format!("postgres://postgres@127.0.0.1:{port}"),
            placement,
            dir,
            on_tmpfs,
            child,
        };
        let child = &mut server.child;
        cluster::wait_ready(&data, Duration::from_secs(60), || {
            matches!(child.try_wait(), Ok(None))
        })
        .map_err(|e| format!("{e}\n{}", server.log_tail()))?;
        Ok(server)
    }

    /// The URL of one database.
    pub fn url(&self, db: &str) -> String {
        format!("{}/{db}", self.url_base)
    }

    /// The last lines of the server log.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Immediate shutdown, as `pg_ctl stop -m immediate`: the data is of
        // no use after the run.
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGQUIT) };
        let _ = self.child.wait();
        // On tmpfs the data is memory; on disk it goes with the temp dir.
        if self.on_tmpfs {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A fresh directory on /dev/shm when it is writable with more than 4 GiB
/// free. On this kind of VM creating a file on ext4 takes ~0.25 ms and
/// varies 3x between runs, and every CREATE TABLE creates files.
fn tmpfs_dir() -> Result<Option<PathBuf>, String> {
    let shm = Path::new("/dev/shm");
    let Ok(path) = std::ffi::CString::new("/dev/shm") else {
        return Ok(None);
    };
    // SAFETY: statvfs with a valid path and out-pointer.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if !shm.is_dir() || unsafe { libc::statvfs(path.as_ptr(), &mut st) } != 0 {
        return Ok(None);
    }
    let free = st.f_bavail as u64 * st.f_frsize as u64;
    // SAFETY: access(2) with a valid path.
    let writable = unsafe { libc::access(path.as_ptr(), libc::W_OK) } == 0;
    if !writable || free <= 4 << 30 {
        return Ok(None);
    }
    let dir = tempfile::Builder::new()
        .prefix("ragchat-bench-pg.")
        .tempdir_in(shm)
        .map_err(|e| e.to_string())?
        .keep();
    Ok(Some(dir))
}

/// Stops a local cluster the tool created (the embedded-default scenarios)
/// if its server is still running.
pub fn stop_local_cluster(bins: &ServerBinaries, user: &ServerUser, data: &Path) {
    if data.join("postmaster.pid").is_file() {
        let _ = user
            .command(bins.bin("pg_ctl"))
            .args(["stop", "-m", "immediate", "-w", "-s", "-D"])
            .arg(data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
