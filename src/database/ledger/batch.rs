//! A run's side records, written in batches: Diesel's row goes with each
//! migration's SQL, the toolkit's record follows with a later message.

use super::applied::RecordedBy;
use super::tables::{literal, LedgerTables};
use crate::migrations::direction::Direction;
use crate::migrations::source::MigrationScript;

/// How many side-table changes may wait before they are written with the
/// next migration's message. A migrator that dies or loses its connection
/// before writing them leaves at most this many (plus the run's last ones)
/// unwritten: records of applied migrations, which the next run takes from
/// the files as for versions another tool applied (an edit made in between
/// goes unnoticed), and records of reverted versions, which no read joins
/// to and the next run purges.
pub const RECORD_BATCH: usize = 100;

/// A side record waiting to be written: the migration and its measured
/// duration in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct PendingRecord<'a> {
    /// The migration that ran.
    pub migration: &'a MigrationScript,
    /// How long its message took, as the client measured it.
    pub duration_ms: f64,
}

/// The side table's changes of a run that are not written yet: records of
/// applied migrations and records of reverted ones to delete. Diesel's own
/// rows are never deferred; they go with each migration's SQL.
#[derive(Debug, Default)]
pub struct PendingSideRecords<'a> {
    applied: Vec<PendingRecord<'a>>,
    reverted: Vec<&'a str>,
}

impl<'a> PendingSideRecords<'a> {
    /// A migration was applied.
    pub fn applied(&mut self, record: PendingRecord<'a>) {
        self.applied.push(record);
    }

    /// A migration was reverted.
    pub fn reverted(&mut self, version: &'a str) {
        self.reverted.push(version);
    }

    /// Whether the changes must go out with the message of a step in
    /// `next` direction: a full batch, a re-applied version whose old record
    /// must be gone first, or records to insert before a step that deletes.
    pub fn due_before(&self, next: Direction) -> bool {
        self.applied.len() + self.reverted.len() >= RECORD_BATCH
            || (next == Direction::Up && !self.reverted.is_empty())
            || (next == Direction::Down && !self.applied.is_empty())
    }

    /// The SQL that writes every waiting change (deletions first); empty
    /// when nothing waits. [`PendingSideRecords::clear`] once it committed.
    pub fn sql(&self, t: &LedgerTables) -> String {
        let mut sql = String::new();
        if !self.reverted.is_empty() {
            let versions: Vec<String> = self.reverted.iter().map(|v| literal(v)).collect();
            sql.push_str(&format!(
                "DELETE FROM {} WHERE version IN ({});\n",
                t.side(),
                versions.join(", ")
            ));
        }
        sql.push_str(&record_run_batch_sql(t, &self.applied));
        sql
    }

    /// Forgets the waiting changes, once written.
    pub fn clear(&mut self) {
        self.applied.clear();
        self.reverted.clear();
    }
}

/// The side records of migrations this toolkit ran, whose Diesel rows are
/// already written (committed, or earlier in the same transaction). Their
/// time and `diesel_run_on` are taken from those rows, so they agree with
/// Diesel exactly. Empty for no records.
fn record_run_batch_sql(t: &LedgerTables, records: &[PendingRecord]) -> String {
    if records.is_empty() {
        return String::new();
    }
    let rows: Vec<String> = records
        .iter()
        .map(|r| {
            let m = r.migration;
            format!(
                "({}, {}, {}, {}, {}::float8)",
                literal(&m.version),
                literal(&m.dir_name),
                literal(&m.up_sha256),
                m.down_sha256
                    .as_deref()
                    .map(literal)
                    .unwrap_or_else(|| "NULL".into()),
                r.duration_ms
            )
        })
        .collect();
    format!(
        "INSERT INTO {side} \
         (version, dir_name, up_sha256, down_sha256, applied_at, duration_ms, applied_by, \
          diesel_run_on) \
         SELECT v.version, v.dir_name, v.up_sha256, v.down_sha256, d.run_on::timestamptz, \
          v.duration_ms, {by}, d.run_on \
         FROM (VALUES {rows}) AS v (version, dir_name, up_sha256, down_sha256, duration_ms) \
         JOIN {diesel} d ON d.version = v.version;\n",
        side = t.side(),
        diesel = t.diesel(),
        by = literal(&RecordedBy::Run.label()),
        rows = rows.join(",\n  ")
    )
}
