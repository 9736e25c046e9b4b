//! `current`: the applied version, `(head)` when nothing is pending.

use super::context::Context;
use crate::outcome::Outcome;
use crate::output::status::{CurrentRef, CurrentReport, MigrationRef};
use ragchat_migrate::database::ledger;
use ragchat_migrate::error::Result;

impl Context {
    /// `current`: read the ledger (names only, no lock) and say where it is.
    pub(super) fn current(&self) -> Result<Outcome> {
        let seen = self.observe(ledger::Detail::Versions)?;
        let (set, status) = (&seen.set, &seen.status);
        self.warn_about_anomalies(set, status);
        self.printer.report(&CurrentReport {
            database: seen.db.url.masked().to_string(),
            current: CurrentRef::of(set, status),
            head: set.all().last().map(MigrationRef::of),
            at_head: status.at_head() && status.unknown.is_empty(),
            pending: status.pending().count(),
            unknown: status.unknown.iter().map(|a| a.version.clone()).collect(),
            migration_in_progress: seen.migrating,
            described: self.describe(set, status),
        });
        Ok(Outcome::Success)
    }
}
