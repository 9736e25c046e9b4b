//! The confirmation of commands that revert everything (`reset`,
//! `downgrade base`) names the database they would empty, its password
//! masked, so that nobody resets production while thinking of their laptop.

use super::{confirm, Context};
use ragchat_migrate::config::database_choice::Choice;
use ragchat_migrate::config::database_url::DatabaseUrl;
use ragchat_migrate::error::Result;
use ragchat_migrate::server::dev::LocalCluster;

impl Context {
    /// Asks (or needs `--yes`) before `what` is done to the database.
    pub(super) fn confirm_on_database(&self, yes: bool, what: &str) -> Result<()> {
        if yes {
            return Ok(());
        }
        let database = match self.database()? {
            Choice::Url(raw) => DatabaseUrl::parse(&raw)?.masked().to_string(),
            Choice::Local => {
                let local = LocalCluster::locate()
                    .ok()
                    .and_then(|c| c.app_url())
                    .and_then(|u| DatabaseUrl::parse(&u).ok())
                    .map(|u| format!(" {}", u.masked()))
                    .unwrap_or_default();
                format!("the local database{local} (no DATABASE_URL is set)")
            }
        };
        confirm(false, &format!("{what} in {database}"))
    }
}
