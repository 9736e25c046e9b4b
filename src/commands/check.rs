//! `check`: the CI gate: at head, nothing edited, unknown or drifted.

use super::context::{Context, Observed};
use crate::outcome::Outcome;
use crate::output::check::CheckReport;
use crate::output::status::{CurrentRef, MigrationRef};
use ragchat_migrate::database::ledger;
use ragchat_migrate::error::Result;
use ragchat_migrate::migrations::source::MigrationScript;
use ragchat_migrate::migrations::unknown;
use ragchat_migrate::proof::drift;

impl Context {
    /// `check`: read the ledger without waiting for the lock (a run in
    /// progress fails the check), lint what is pending, compare the schema
    /// with what the applied migrations make (read meanwhile when that must
    /// be built), and report.
    pub(super) fn check(&self) -> Result<Outcome> {
        let Observed {
            set,
            mut db,
            status,
            migrating,
        } = self.observe(ledger::Detail::Checksums)?;
        let pending: Vec<&MigrationScript> = status.pending().map(|i| &set.all()[i]).collect();
        let lint = self.lint_for_check(&pending, &mut db)?;
        let drift: Vec<String> = drift::drift_for_check(
            &db.url,
            &mut db.conn,
            self.global.connect_timeout,
            &set,
            drift::applied_migrations(&set, &status),
        )?
        .iter()
        .map(ToString::to_string)
        .collect();
        let anomalies = status.anomalies(&set);
        // The same anomalies the planner refuses to move over.
        let ok = !migrating && status.is_clean(&set) && drift.is_empty();
        self.printer.report(&CheckReport {
            ok,
            database: db.url.masked().to_string(),
            migration_in_progress: migrating,
            current: CurrentRef::of(&set, &status),
            pending: pending.iter().map(|m| MigrationRef::of(m)).collect(),
            changed: anomalies
                .changed
                .iter()
                .map(|c| format!("{}/{}", c.dir_name, c.file))
                .collect(),
            unknown: anomalies.unknown,
            out_of_order: anomalies.out_of_order,
            drift,
            lint,
            described: self.describe(&set, &status),
            unknown_summary: unknown::summary(&status, &self.loaded_source()),
        });
        Ok(Outcome::clean_if(ok))
    }
}
