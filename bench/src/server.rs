//! The suite's throwaway PostgreSQL cluster: the library's
//! `ThrowawayCluster` (the one the tests run on), with its directory on
//! tmpfs when there is one. It runs with fsync, synchronous_commit and
//! full_page_writes off: the suite measures the migrator and its round
//! trips, not the disk. It is stopped when dropped, and the kernel stops it
//! if the suite dies outright.

use ragchat_migrate::server::cluster::{ServerBinaries, ServerUser};
use ragchat_migrate::server::throwaway::ThrowawayCluster;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// A running throwaway cluster.
pub struct Cluster {
    /// The library's cluster.
    pub server: ThrowawayCluster,
    /// The OS account servers run as (for the tool's local clusters too).
    pub user: ServerUser,
    /// Where the data directory lives, for the report: `tmpfs (DIR)` or `disk (DIR)`.
    pub placement: String,
}

impl Cluster {
    /// Starts a cluster on tmpfs, or in the temp dir without one.
    pub fn start() -> Result<Cluster, String> {
        let user = ServerUser::for_this_process().map_err(|e| e.to_string())?;
        let (parent, kind) = match tmpfs() {
            Some(shm) => (shm, "tmpfs"),
            None => (std::env::temp_dir(), "disk"),
        };
        let server =
            ThrowawayCluster::start_in(&parent, "ragchat-bench-pg.").map_err(|e| e.to_string())?;
        let placement = format!("{kind} ({})", server.root().display());
        Ok(Cluster {
            server,
            user,
            placement,
        })
    }

    /// The URL of one database.
    pub fn url(&self, db: &str) -> String {
        self.server.url(db)
    }

    /// The server binaries (psql is taken from the same directory).
    pub fn bins(&self) -> &ServerBinaries {
        self.server.bins()
    }
}

/// /dev/shm when it is writable with more than 4 GiB free. On this kind of
/// VM creating a file on ext4 takes ~0.25 ms and varies 3x between runs, and
/// every CREATE TABLE creates files: a cost paid alike by the tool and the
/// floor that would only blur the ratios.
fn tmpfs() -> Option<PathBuf> {
    let path = std::ffi::CString::new("/dev/shm").ok()?;
    // SAFETY: statvfs with a valid path and out-pointer.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut st) } != 0 {
        return None;
    }
    let free = st.f_bavail as u64 * st.f_frsize as u64;
    // SAFETY: access(2) with a valid path.
    let writable = unsafe { libc::access(path.as_ptr(), libc::W_OK) } == 0;
    (writable && free > 4 << 30).then(|| PathBuf::from("/dev/shm"))
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
