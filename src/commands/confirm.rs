//! Asking before destroying: `reset`, `downgrade base` and `dev destroy`
//! ask on a terminal and need `--yes` without one. The question of commands
//! that revert everything names the database they would empty, its password
//! masked, so that nobody resets production while thinking of their laptop.

use super::context::Context;
use ragchat_migrate::config::database_choice::Choice;
use ragchat_migrate::config::database_url::DatabaseUrl;
use ragchat_migrate::error::Error;
use ragchat_migrate::error::Result;
use ragchat_migrate::server::dev::LocalCluster;
use std::io::IsTerminal;

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

/// `reset` and `dev destroy` ask on a terminal and need `--yes` without one.
pub(super) fn confirm(yes: bool, what: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(format!(
            "{what}\n  fix: there is no terminal to ask; pass --yes to confirm"
        )));
    }
    eprint!("{what}.\nType 'yes' to continue: ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::io("stdin", e))?;
    if answer.trim().eq_ignore_ascii_case("yes") || answer.trim().eq_ignore_ascii_case("y") {
        Ok(())
    } else {
        Err(Error::Usage("not confirmed; nothing was changed".into()))
    }
}
