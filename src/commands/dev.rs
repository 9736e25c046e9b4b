//! `dev start|stop|status|url|destroy`: the local PostgreSQL cluster.

use super::confirm::confirm;
use super::context::Context;
use crate::cli::DevAction;
use crate::outcome::Outcome;
use crate::output::dev::{DevDestroyed, DevStarted, DevStatus, DevStopped, DevUrl};
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::server::dev::LocalCluster;

impl Context {
    /// `dev ACTION` on the local cluster of this project (or user).
    pub(super) fn dev(&self, action: DevAction) -> Result<Outcome> {
        let cluster = LocalCluster::locate()?;
        match action {
            DevAction::Start => self.dev_start(&cluster)?,
            DevAction::Stop => self.printer.report(&DevStopped {
                stopped: cluster.stop()?,
            }),
            DevAction::Status => self.printer.report(&DevStatus {
                status: cluster.status(),
                password_file: cluster.password_file(),
            }),
            DevAction::Url => self.dev_url(&cluster)?,
            DevAction::Destroy { yes } => {
                let what = format!(
                    "dev destroy deletes the local cluster in {} with all its data",
                    cluster.server_dir.display()
                );
                confirm(yes, &what)?;
                cluster.destroy()?;
                self.printer.report(&DevDestroyed {
                    destroyed: cluster.server_dir.clone(),
                });
            }
        }
        Ok(Outcome::Success)
    }

    /// `dev start`: start it (creating it on first use) and leave it running.
    fn dev_start(&self, cluster: &LocalCluster) -> Result<()> {
        let started = cluster.start_and_keep()?;
        self.printer.note(if started {
            "local cluster started; it keeps running until `dev stop`"
        } else {
            "local cluster already running"
        });
        self.printer.report(&DevStarted {
            started,
            database_url: cluster.app_url().unwrap_or_default(),
            data_dir: cluster.data_dir.clone(),
        });
        Ok(())
    }

    /// `dev url`: the bare URL, for `export DATABASE_URL=$(...)`.
    fn dev_url(&self, cluster: &LocalCluster) -> Result<()> {
        let url = cluster.app_url().ok_or_else(|| {
            Error::Usage(
                "the local cluster has not been created yet; fix: run `ragchat-migrate dev start`"
                    .into(),
            )
        })?;
        crate::output::local_notes::warn_if_stopped(&self.printer, cluster);
        if self.printer.json_mode() {
            self.printer.json_of(&DevUrl {
                database_url: url,
                running: cluster.running_pid().is_some(),
            });
        } else {
            crate::output::pipe::stdout(format!("{url}\n").as_bytes());
        }
        Ok(())
    }
}
