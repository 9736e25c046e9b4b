//! What the ledger says was applied: versions with Diesel's `run_on`, and
//! the toolkit's side records (checksums, timing, who ran it).

use super::tables::LedgerTables;
use crate::migrations::source::MigrationScript;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

/// Who wrote a side-table row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordedBy {
    /// The migration's SQL was run by this toolkit.
    Run,
    /// `stamp` recorded it without running SQL.
    Stamp,
    /// It was applied by another tool (diesel_cli, or the Python system via
    /// `adopt`), or by a run killed before it wrote its batch of side
    /// records, and its checksum was taken from the files on first sight.
    Adopted,
}

impl RecordedBy {
    /// The `applied_by` text of a record written this way.
    pub(crate) fn label(self) -> String {
        let tool = concat!("ragchat-migrate ", env!("CARGO_PKG_VERSION"));
        match self {
            RecordedBy::Run => tool.to_string(),
            RecordedBy::Stamp => format!("{tool} (stamp)"),
            RecordedBy::Adopted => format!("{tool} (adopted)"),
        }
    }
}

/// One version the database records as applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppliedMigration {
    /// Diesel's version string.
    pub version: String,
    /// Diesel's `run_on` (the server's local time, as Diesel stores it).
    pub run_on: NaiveDateTime,
    /// The toolkit's record, absent when another tool applied it.
    pub record: Option<SideRecord>,
}

/// The toolkit's side-table record for an applied version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideRecord {
    /// The directory name when it was applied.
    pub dir_name: String,
    /// The files' checksums when it was applied; `None` when the read left
    /// them out (status commands that compare no checksums).
    pub checksums: Option<RecordedChecksums>,
    /// When it was applied.
    pub applied_at: DateTime<Utc>,
    /// How long its SQL took on the server, in milliseconds.
    pub duration_ms: Option<f64>,
    /// Which tool and command recorded it.
    pub applied_by: String,
}

/// The checksums recorded for an applied migration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedChecksums {
    /// SHA-256 of `up.sql` when it was applied.
    pub up_sha256: String,
    /// SHA-256 of `down.sql` when it was applied.
    pub down_sha256: Option<String>,
}

/// Everything the database says it has applied, ordered by version.
///
/// A side record counts only while Diesel's `run_on` for its version is the
/// one it saw: a version reverted and re-applied by another tool (diesel_cli)
/// gets a new `run_on`, and its old checksum must not be held against the
/// file applied since.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Ledger {
    /// Applied versions, oldest first.
    pub applied: Vec<AppliedMigration>,
    /// False when the database has no `__diesel_schema_migrations` table:
    /// no Diesel-compatible tool ever migrated it.
    pub exists: bool,
    /// Where the ledger's tables are (bare names for an offline script).
    #[serde(skip)]
    pub tables: LedgerTables,
}

impl Ledger {
    /// The ledger a database has after exactly `migrations` were applied by
    /// this tool, with their current checksums: the starting point of an
    /// offline `--sql` script, and of planner tests.
    pub fn assuming_applied<'a>(migrations: impl IntoIterator<Item = &'a MigrationScript>) -> Self {
        Ledger::default().after(migrations, &[])
    }

    /// This ledger once `applied` were applied by this tool and `reverted`
    /// reverted, without reading the database again: what a run knows of
    /// where it left the database. The new entries carry their checksums;
    /// their times are unknown here and left at zero.
    pub fn after<'a>(
        &self,
        applied: impl IntoIterator<Item = &'a MigrationScript>,
        reverted: &[&str],
    ) -> Self {
        let mut entries: Vec<AppliedMigration> = self
            .applied
            .iter()
            .filter(|a| !reverted.contains(&a.version.as_str()))
            .cloned()
            .collect();
        entries.extend(applied.into_iter().map(|m| AppliedMigration {
            version: m.version.clone(),
            run_on: NaiveDateTime::default(),
            record: Some(SideRecord {
                dir_name: m.dir_name.clone(),
                checksums: Some(RecordedChecksums {
                    up_sha256: m.up_sha256.clone(),
                    down_sha256: m.down_sha256.clone(),
                }),
                applied_at: DateTime::default(),
                duration_ms: None,
                applied_by: RecordedBy::Run.label(),
            }),
        }));
        entries.sort_by(|a, b| a.version.cmp(&b.version));
        Ledger {
            applied: entries,
            exists: true,
            tables: self.tables.clone(),
        }
    }

    /// The record for a version, if applied.
    pub fn get(&self, version: &str) -> Option<&AppliedMigration> {
        self.applied
            .binary_search_by(|a| a.version.as_str().cmp(version))
            .ok()
            .map(|i| &self.applied[i])
    }

    /// True when the version is applied.
    pub fn contains(&self, version: &str) -> bool {
        self.get(version).is_some()
    }
}
