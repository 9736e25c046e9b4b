//! `accept VERSION`: record the current checksums of an applied migration
//! whose files were edited, once a person decided the edit is harmless.

use super::context::Context;
use crate::outcome::Outcome;
use crate::output::ledger::AcceptReport;
use ragchat_migrate::database::bookkeeping;
use ragchat_migrate::error::Result;
use ragchat_migrate::migrations::target::resolve_revision;

impl Context {
    /// `accept VERSION`: under the lock, record the current checksums of an
    /// applied migration whose files were edited.
    pub(super) fn accept(&self, target: &str) -> Result<Outcome> {
        let set = self.load_set()?;
        let index = resolve_revision(&set, target)?;
        let m = &set.all()[index];
        let mut db = self.connect()?;
        let mut observer = self.observer();
        let timeout = self.global.lock_timeout;
        let changes = bookkeeping::accept(&mut db.conn, &set, index, timeout, &mut observer)?;
        self.printer.report(&AcceptReport {
            database: db.url.masked().to_string(),
            accepted: m.version.clone(),
            changes,
            dir_name: m.dir_name.clone(),
        });
        Ok(Outcome::Success)
    }
}
