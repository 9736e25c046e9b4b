//! The report of `history`: every migration listed, applied or pending,
//! and the applied versions the source does not have.

use super::status::applied_when;
use super::{Printer, Report, Style};
use ragchat_migrate::database::ledger::AppliedMigration;
use ragchat_migrate::migrations::source::MigrationScript;
use ragchat_migrate::migrations::status::{ChecksumChange, MigrationState};
use serde::Serialize;

/// `history`.
#[derive(Debug, Serialize)]
pub struct HistoryReport {
    /// The masked URL.
    pub database: String,
    /// A run held the lock while the ledger was read.
    pub migration_in_progress: bool,
    /// The migrations listed, oldest first.
    pub migrations: Vec<HistoryEntry>,
    /// Applied versions the source does not have.
    pub unknown: Vec<UnknownEntry>,
    /// Where the migrations come from, for the UNKNOWN mark.
    #[serde(skip)]
    pub origin: String,
    /// A range narrowed the listing: unknown versions have no place in it.
    #[serde(skip)]
    pub ranged: bool,
    /// The source has no migrations at all.
    #[serde(skip)]
    pub no_migrations: bool,
}

/// One migration of the listing.
#[derive(Debug, Serialize)]
pub struct HistoryEntry {
    /// Its version.
    pub version: String,
    /// Its directory name.
    pub name: String,
    /// `applied` or `pending`.
    pub state: &'static str,
    /// When it was applied.
    pub applied_at: Option<String>,
    /// How long it took, when the toolkit recorded it.
    pub duration_ms: Option<f64>,
    /// Who applied it, when the toolkit recorded it.
    pub applied_by: Option<String>,
    /// The newest applied migration.
    pub current: bool,
    /// The newest migration.
    pub head: bool,
    /// Pending although a newer one is applied.
    pub out_of_order: bool,
    /// With `--verbose`: checksums and transaction mode.
    #[serde(flatten)]
    pub details: Option<EntryDetails>,
    /// Its name without the version.
    #[serde(skip)]
    pub label: String,
}

/// What `--verbose` adds to an entry.
#[derive(Debug, Serialize)]
pub struct EntryDetails {
    /// Files edited since it was applied.
    pub changed: Vec<ChecksumChange>,
    /// up.sql's checksum.
    pub up_sha256: String,
    /// down.sql's checksum, when there is one.
    pub down_sha256: Option<String>,
    /// False with metadata.toml's run_in_transaction = false.
    pub run_in_transaction: bool,
}

/// An applied version the source does not have.
#[derive(Debug, Serialize)]
pub struct UnknownEntry {
    /// Its version.
    pub version: String,
    /// Its directory name, when the toolkit recorded it.
    pub name: Option<String>,
    /// When it was applied.
    pub applied_at: String,
}

impl HistoryEntry {
    /// The entry of `m` in `state`; `verbose` adds the details.
    pub fn new(m: &MigrationScript, state: &MigrationState, verbose: bool) -> Self {
        let record = state.applied.as_ref().and_then(|a| a.record.as_ref());
        HistoryEntry {
            version: m.version.clone(),
            name: m.dir_name.clone(),
            state: if state.applied.is_some() {
                "applied"
            } else {
                "pending"
            },
            applied_at: state.applied.as_ref().map(applied_when),
            duration_ms: record.and_then(|r| r.duration_ms),
            applied_by: record.map(|r| r.applied_by.clone()),
            current: false,
            head: false,
            out_of_order: state.out_of_order,
            details: verbose.then(|| EntryDetails {
                changed: state.changes.clone(),
                up_sha256: m.up_sha256.clone(),
                down_sha256: m.down_sha256.clone(),
                run_in_transaction: m.run_in_transaction,
            }),
            label: m.label().to_string(),
        }
    }

    fn lines(&self, p: &Printer, lines: &mut Vec<String>) {
        let mut marks = Vec::new();
        if self.current {
            marks.push(p.paint("(current)", Style::Bold));
        }
        if self.head {
            marks.push(p.paint("(head)", Style::Bold));
        }
        if self.out_of_order {
            marks.push(p.paint("(out of order: older than the newest applied)", Style::Warn));
        }
        for change in self.details.iter().flat_map(|d| &d.changed) {
            let mark = format!("(CHANGED: {} edited since applied)", change.file);
            marks.push(p.paint(&mark, Style::Bad));
        }
        let (box_, when) = match &self.applied_at {
            Some(at) => (p.paint("[x]", Style::Good), format!("applied {at}")),
            None => (p.paint("[ ]", Style::Warn), "pending".to_string()),
        };
        let line = format!(
            "{box_} {}  {:<32} {when} {}",
            self.version,
            self.label,
            marks.join(" ")
        );
        lines.push(line.trim_end().to_string());
        if let Some(details) = &self.details {
            self.detail_lines(details, lines);
        }
    }

    fn detail_lines(&self, d: &EntryDetails, lines: &mut Vec<String>) {
        lines.push(format!("      directory:   {}", self.name));
        lines.push(format!("      up.sql:      sha256 {}", d.up_sha256));
        if let Some(down) = &d.down_sha256 {
            lines.push(format!("      down.sql:    sha256 {down}"));
        }
        if let Some(by) = &self.applied_by {
            let took = self
                .duration_ms
                .map(|d| format!(", took {d:.1} ms"))
                .unwrap_or_default();
            lines.push(format!("      recorded by: {by}{took}"));
        }
        if !d.run_in_transaction {
            lines.push("      runs outside a transaction (metadata.toml)".to_string());
        }
    }
}

impl UnknownEntry {
    /// The entry of the unknown applied version `a`.
    pub fn new(a: &AppliedMigration) -> Self {
        UnknownEntry {
            version: a.version.clone(),
            name: a.record.as_ref().map(|r| r.dir_name.clone()),
            applied_at: applied_when(a),
        }
    }
}

impl Report for HistoryReport {
    fn text(&self, p: &Printer) -> Vec<String> {
        let mut lines = Vec::new();
        for entry in &self.migrations {
            entry.lines(p, &mut lines);
        }
        for unknown in self.unknown.iter().filter(|_| !self.ranged) {
            let mark = format!("(UNKNOWN: applied, but not in {})", self.origin);
            lines.push(format!(
                "{} {}  {:<32} applied {} {}",
                p.paint("[?]", Style::Bad),
                unknown.version,
                unknown.name.as_deref().unwrap_or("(unknown)"),
                unknown.applied_at,
                p.paint(&mark, Style::Bad)
            ));
        }
        if self.no_migrations && self.unknown.is_empty() {
            lines.push("no migrations".to_string());
        }
        lines
    }
}
