//! `pending`: the migrations an upgrade to head would apply, one a line.

use super::context::Context;
use crate::outcome::Outcome;
use crate::output::status::{MigrationRef, PendingReport};
use ragchat_migrate::database::ledger;
use ragchat_migrate::error::Result;

impl Context {
    /// `pending`: read the ledger (names only, no lock) and list the rest.
    pub(super) fn pending(&self) -> Result<Outcome> {
        let seen = self.observe(ledger::Detail::Versions)?;
        let (set, status) = (&seen.set, &seen.status);
        self.printer.report(&PendingReport {
            database: seen.db.url.masked().to_string(),
            migration_in_progress: seen.migrating,
            pending: status
                .pending()
                .map(|i| MigrationRef::of(&set.all()[i]))
                .collect(),
        });
        Ok(Outcome::Success)
    }
}
