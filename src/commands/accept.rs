//! `accept VERSION`: record the current checksums of an applied migration
//! whose files were edited, once a person decided the edit is harmless.

use super::context::Context;
use crate::outcome::Outcome;
use crate::output::ledger::AcceptReport;
use ragchat_migrate::database::ledger;
use ragchat_migrate::database::migrator;
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::migrations::plan::Status;
use ragchat_migrate::migrations::target::resolve_revision;

impl Context {
    /// `accept VERSION`: under the lock, record the current checksums of an
    /// applied migration whose files were edited.
    pub(super) fn accept(&self, target: &str) -> Result<Outcome> {
        let set = self.load_set()?;
        let index = resolve_revision(&set, target)?;
        let m = &set.all()[index];
        let mut db = self.connect()?;
        let timeout = self.global.lock_timeout;
        let changes =
            migrator::with_lock(&mut db.conn, timeout, &mut self.observer(), |conn, _| {
                let read = ledger::read(conn)?;
                let status = Status::new(&set, &read);
                let state = &status.migrations[index];
                if state.applied.is_none() {
                    return Err(Error::Usage(format!(
                        "{} is not applied; nothing to accept",
                        m.dir_name
                    )));
                }
                if !state.changes.is_empty() {
                    ledger::accept_checksums(conn, &read.tables, m)?;
                }
                Ok(state.changes.clone())
            })?;
        self.printer.report(&AcceptReport {
            database: db.url.masked().to_string(),
            accepted: m.version.clone(),
            changes,
            dir_name: m.dir_name.clone(),
        });
        Ok(Outcome::Success)
    }
}
