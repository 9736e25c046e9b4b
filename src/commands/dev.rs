//! `dev start|stop|status|url|destroy`: the local PostgreSQL cluster.

use super::confirm::confirm;
use super::Context;
use crate::cli::DevAction;
use crate::outcome::Outcome;
use crate::output::Style;
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::server::dev::LocalCluster;
use serde_json::{json, Value};

impl Context {
    pub(super) fn dev(&self, action: DevAction) -> Result<Outcome> {
        let cluster = LocalCluster::locate()?;
        let p = &self.printer;
        match action {
            DevAction::Start => {
                let started = cluster.start_and_keep()?;
                let url = cluster.app_url().unwrap_or_default();
                p.note(if started {
                    "local cluster started; it keeps running until `dev stop`"
                } else {
                    "local cluster already running"
                });
                p.line(format!("DATABASE_URL={url}"));
                p.json(&json!({ "started": started, "database_url": url, "data_dir": cluster.data_dir }));
            }
            DevAction::Stop => {
                let stopped = cluster.stop()?;
                p.line(if stopped {
                    "local cluster stopped"
                } else {
                    "local cluster was not running"
                });
                p.json(&json!({ "stopped": stopped }));
            }
            DevAction::Status => {
                let s = cluster.status();
                p.line(format!(
                    "local cluster: {}",
                    if s.running {
                        p.paint("running", Style::Good)
                    } else if s.initialized {
                        p.paint("stopped", Style::Warn)
                    } else {
                        "not created yet".into()
                    }
                ));
                p.line(format!("  data directory: {}", s.data_dir.display()));
                if let Some(from) = &s.relocated_from {
                    p.line(format!(
                        "  (instead of {}, which the postgres OS user cannot reach)",
                        from.display()
                    ));
                }
                if let Some(pid) = s.pid {
                    p.line(format!("  server pid:     {pid}"));
                }
                if let Some(v) = &s.version {
                    p.line(format!("  PostgreSQL:     {v}"));
                }
                p.line(format!(
                    "  size on disk:   {:.1} MiB",
                    s.size_bytes as f64 / 1048576.0
                ));
                if let Some(u) = &s.url {
                    p.line(format!("  DATABASE_URL:   {u}"));
                }
                if let Some(port) = s.port {
                    p.line(format!(
                        "  TCP:            127.0.0.1:{port} (password in {})",
                        cluster.password_file().display()
                    ));
                }
                p.json(&serde_json::to_value(&s).unwrap_or(Value::Null));
            }
            DevAction::Url => {
                let url = cluster.app_url().ok_or_else(|| {
                    Error::Usage("the local cluster has not been created yet; fix: run `ragchat-migrate dev start`".into())
                })?;
                crate::local_notes::warn_if_stopped(p, &cluster);
                if p.json_mode() {
                    p.json(&json!({
                        "database_url": url,
                        "running": cluster.running_pid().is_some(),
                    }));
                } else {
                    crate::pipe::stdout(format!("{url}\n").as_bytes());
                }
            }
            DevAction::Destroy { yes } => {
                confirm(
                    yes,
                    &format!(
                        "dev destroy deletes the local cluster in {} with all its data",
                        cluster.server_dir.display()
                    ),
                )?;
                cluster.destroy()?;
                p.line("local cluster destroyed");
                p.json(&json!({ "destroyed": cluster.server_dir }));
            }
        }
        Ok(Outcome::Success)
    }
}
