//! The reports of `dev start|stop|status|destroy` (`dev url` prints the
//! bare URL, or [`DevUrl`] as JSON).

use super::{Printer, Report, Style};
use ragchat_migrate::server::dev::ClusterStatus;
use serde::Serialize;
use std::path::PathBuf;

/// `dev start`.
#[derive(Debug, Serialize)]
pub struct DevStarted {
    /// False when it was already running.
    pub started: bool,
    /// The local database's URL.
    pub database_url: String,
    /// The cluster's data directory.
    pub data_dir: PathBuf,
}

impl Report for DevStarted {
    fn text(&self, _: &Printer) -> Vec<String> {
        vec![format!("DATABASE_URL={}", self.database_url)]
    }
}

/// `dev stop`.
#[derive(Debug, Serialize)]
pub struct DevStopped {
    /// False when it was not running.
    pub stopped: bool,
}

impl Report for DevStopped {
    fn text(&self, _: &Printer) -> Vec<String> {
        vec![if self.stopped {
            "local cluster stopped"
        } else {
            "local cluster was not running"
        }
        .to_string()]
    }
}

/// `dev status`.
#[derive(Debug, Serialize)]
pub struct DevStatus {
    /// The cluster's state.
    #[serde(flatten)]
    pub status: ClusterStatus,
    /// Where the TCP password is kept.
    #[serde(skip)]
    pub password_file: PathBuf,
}

impl Report for DevStatus {
    fn text(&self, p: &Printer) -> Vec<String> {
        let s = &self.status;
        let state = if s.running {
            p.paint("running", Style::Good)
        } else if s.initialized {
            p.paint("stopped", Style::Warn)
        } else {
            "not created yet".into()
        };
        let mut lines = vec![format!("local cluster: {state}")];
        lines.push(format!("  data directory: {}", s.data_dir.display()));
        if let Some(from) = &s.relocated_from {
            lines.push(format!(
                "  (instead of {}, which the postgres OS user cannot reach)",
                from.display()
            ));
        }
        if let Some(pid) = s.pid {
            lines.push(format!("  server pid:     {pid}"));
        }
        if let Some(v) = &s.version {
            lines.push(format!("  PostgreSQL:     {v}"));
        }
        let mib = s.size_bytes as f64 / 1048576.0;
        lines.push(format!("  size on disk:   {mib:.1} MiB"));
        if let Some(u) = &s.url {
            lines.push(format!("  DATABASE_URL:   {u}"));
        }
        if let Some(port) = s.port {
            lines.push(format!(
                "  TCP:            127.0.0.1:{port} (password in {})",
                self.password_file.display()
            ));
        }
        lines
    }
}

/// `dev url --format json`.
#[derive(Debug, Serialize)]
pub struct DevUrl {
    /// The local database's URL.
    pub database_url: String,
    /// Whether the server runs (the URL answers).
    pub running: bool,
}

/// `dev destroy`.
#[derive(Debug, Serialize)]
pub struct DevDestroyed {
    /// The directory deleted.
    pub destroyed: PathBuf,
}

impl Report for DevDestroyed {
    fn text(&self, _: &Printer) -> Vec<String> {
        vec!["local cluster destroyed".to_string()]
    }
}
