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
pub use crate::server::dev_cluster::{ClusterStatus, LocalCluster, DATABASE};
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;

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

    fn stop_when_unused(&self) -> Result<()> {
        let _guard = self.lock("cluster.lock", FlockArg::LockExclusive)?;
        // Wait for every other command that uses the server to finish.
        let _all_done = self.lock("in-use.lock", FlockArg::LockExclusive)?;
        if self.state_dir.join("keep-running").exists() {
            return Ok(());
        }
        self.pg_ctl_stop().map(|_| ())
    }
}
