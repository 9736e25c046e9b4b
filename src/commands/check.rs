//! `check`: the CI gate: at head, nothing edited, unknown or drifted.

use super::context::{Context, Observed};
use crate::outcome::Outcome;
use crate::output::check::CheckReport;
use crate::output::status::{CurrentRef, MigrationRef};
use ragchat_migrate::database::ledger;
use ragchat_migrate::error::Result;
use ragchat_migrate::migrations::plan::Status;
use ragchat_migrate::migrations::source::{MigrationScript, MigrationSet};
use ragchat_migrate::migrations::unknown;
use ragchat_migrate::proof::drift;

impl Context {
    /// `check`: read the ledger without waiting for the lock (a run in
    /// progress fails the check), lint what is pending, compare the schema
    /// with what the applied migrations make, and report.
    pub(super) fn check(&self) -> Result<Outcome> {
        let Observed {
            set,
            mut db,
            status,
            migrating,
        } = self.observe(ledger::Detail::Checksums)?;
        let pending: Vec<&MigrationScript> = status.pending().map(|i| &set.all()[i]).collect();
        let lint = self.lint_for_check(&pending, &mut db)?;
        let expected = drift::expected_schema_cached(
            &db.url,
            &mut db.conn,
            self.global.connect_timeout,
            &set,
            drift::applied_migrations(&set, &status),
        )?;
        let drift: Vec<String> = drift::compare_cached(&expected, &db.url, &mut db.conn)?
            .iter()
            .map(ToString::to_string)
            .collect();
        let changed = changed_files(&set, &status);
        let ok = !migrating
            && pending.is_empty()
            && changed.is_empty()
            && status.unknown.is_empty()
            && drift.is_empty();
        self.printer.report(&CheckReport {
            ok,
            database: db.url.masked().to_string(),
            migration_in_progress: migrating,
            current: CurrentRef::of(&set, &status),
            pending: pending.iter().map(|m| MigrationRef::of(m)).collect(),
            changed,
            unknown: status.unknown.iter().map(|a| a.version.clone()).collect(),
            out_of_order: out_of_order(&set, &status),
            drift,
            lint,
            described: self.describe(&set, &status),
            unknown_summary: unknown::summary(&status, &self.loaded_source()),
        });
        Ok(Outcome::clean_if(ok))
    }
}

/// `dir/file` of each file edited after its migration was applied.
fn changed_files(set: &MigrationSet, status: &Status) -> Vec<String> {
    status
        .changed()
        .flat_map(|s| {
            let dir = &set.all()[s.index].dir_name;
            s.changes.iter().map(move |c| format!("{dir}/{}", c.file))
        })
        .collect()
}

/// The directory names of pending migrations older than the newest applied.
fn out_of_order(set: &MigrationSet, status: &Status) -> Vec<String> {
    status
        .migrations
        .iter()
        .filter(|s| s.out_of_order)
        .map(|s| set.all()[s.index].dir_name.clone())
        .collect()
}
