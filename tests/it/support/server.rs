//! The test binary's PostgreSQL server: one throwaway cluster from the
//! library ([`ThrowawayCluster`]), started on first use. The kernel stops it
//! if the test binary dies in any way; on a normal exit an `atexit` hook
//! shuts it down and removes its directory; the directories of test runs
//! killed outright are swept by the next run.

use ragchat_migrate::server::throwaway::ThrowawayCluster;
use std::sync::OnceLock;

/// The prefix of the cluster directories in the temp directory.
const PREFIX: &str = "ragchat-test-pg-";

static SERVER: OnceLock<ThrowawayCluster> = OnceLock::new();

/// The cluster of this test binary, started on first use.
pub fn server() -> &'static ThrowawayCluster {
    SERVER.get_or_init(|| {
        let cluster = ThrowawayCluster::start(PREFIX)
            .unwrap_or_else(|e| panic!("cannot start the test cluster: {e}"));
        // SAFETY: registering a plain extern "C" function.
        unsafe { libc::atexit(stop_at_exit) };
        cluster
    })
}

extern "C" fn stop_at_exit() {
    if let Some(cluster) = SERVER.get() {
        cluster.stop();
    }
}
