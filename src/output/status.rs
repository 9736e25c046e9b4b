//! The reports of `current` and `pending`, and the two references every
//! status document shares: a migration, and the current state.

use super::{Printer, Report};
use ragchat_migrate::database::ledger::AppliedMigration;
use ragchat_migrate::migrations::source::{MigrationScript, MigrationSet};
use ragchat_migrate::migrations::status::Status;
use ragchat_migrate::migrations::unknown;
use serde::Serialize;

/// A migration as documents name it.
#[derive(Debug, Clone, Serialize)]
pub struct MigrationRef {
    /// Its version.
    pub version: String,
    /// Its directory name.
    pub name: String,
}

impl MigrationRef {
    /// The reference to `m`.
    pub fn of(m: &MigrationScript) -> Self {
        MigrationRef {
            version: m.version.clone(),
            name: m.dir_name.clone(),
        }
    }
}

/// The database's current state: the newest applied migration (or base),
/// and whether that is the head with nothing applied beyond it.
#[derive(Debug, Clone, Serialize)]
pub struct CurrentRef {
    /// The newest applied version; `null` at base.
    pub version: Option<String>,
    /// Its directory name, or `base`.
    pub name: String,
    /// Nothing pending, and no unknown version newer than the head.
    pub head: bool,
}

impl CurrentRef {
    /// Where `status` stands in `set`.
    pub fn of(set: &MigrationSet, status: &Status) -> Self {
        match status.current() {
            None => CurrentRef {
                version: None,
                name: "base".to_string(),
                head: set.is_empty(),
            },
            Some(i) => {
                let m = &set.all()[i];
                let ahead = unknown::ahead_of(set, status);
                CurrentRef {
                    version: Some(m.version.clone()),
                    name: m.dir_name.clone(),
                    head: status.at_head() && ahead.is_none(),
                }
            }
        }
    }
}

/// When a migration was applied: the toolkit's record, else Diesel's `run_on`.
pub fn applied_when(a: &AppliedMigration) -> String {
    match &a.record {
        Some(r) => r.applied_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        None => a.run_on.format("%Y-%m-%d %H:%M:%S").to_string(),
    }
}

/// `current`.
#[derive(Debug, Serialize)]
pub struct CurrentReport {
    /// The masked URL.
    pub database: String,
    /// The newest applied migration.
    pub current: CurrentRef,
    /// The newest migration of the source.
    pub head: Option<MigrationRef>,
    /// Nothing pending and nothing unknown applied.
    pub at_head: bool,
    /// How many are pending.
    pub pending: usize,
    /// Applied versions the source does not have.
    pub unknown: Vec<String>,
    /// A run held the lock while the ledger was read.
    pub migration_in_progress: bool,
    /// The state in words (`describe_current`).
    #[serde(skip)]
    pub described: String,
}

impl Report for CurrentReport {
    fn text(&self, _: &Printer) -> Vec<String> {
        vec![self.described.clone()]
    }
}

/// `pending`.
#[derive(Debug, Serialize)]
pub struct PendingReport {
    /// The masked URL.
    pub database: String,
    /// A run held the lock while the ledger was read.
    pub migration_in_progress: bool,
    /// What an upgrade to head would apply, oldest first.
    pub pending: Vec<MigrationRef>,
}

impl Report for PendingReport {
    fn text(&self, _: &Printer) -> Vec<String> {
        self.pending
            .iter()
            .map(|m| format!("{} {}", m.version, m.name))
            .collect()
    }
}
