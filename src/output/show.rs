//! The report of `show`: one migration as a reviewer wants to see it.

use super::status::applied_when;
use super::{Printer, Report, Style};
use ragchat_migrate::migrations::source::MigrationScript;
use ragchat_migrate::migrations::status::{ChecksumChange, MigrationState};
use serde::Serialize;

/// What the ledger says of the migration shown.
#[derive(Debug, Clone)]
pub enum AppliedState {
    /// No database is configured (and the local cluster is not running).
    NoDatabase,
    /// The database could not be read, and why.
    Unreadable(String),
    /// The ledger's word.
    Known(MigrationState),
}

/// `show TARGET`.
#[derive(Debug, Serialize)]
pub struct ShowReport {
    /// Its version.
    pub version: String,
    /// Its directory name.
    pub name: String,
    /// Where it lives (or that it is embedded).
    pub directory: String,
    /// False with metadata.toml's run_in_transaction = false.
    pub run_in_transaction: bool,
    /// up.sql's checksum.
    pub up_sha256: String,
    /// down.sql's checksum, when there is one.
    pub down_sha256: Option<String>,
    /// The masked URL, when a database was read.
    pub database: Option<String>,
    /// Applied or not; `null` when unknown.
    pub applied: Option<bool>,
    /// When it was applied.
    pub applied_at: Option<String>,
    /// Why the state is unknown.
    pub state_unknown_reason: Option<String>,
    /// Files edited since it was applied.
    pub changed: Vec<ChecksumChange>,
    /// up.sql.
    pub up_sql: String,
    /// down.sql, with `--down`.
    pub down_sql: Option<String>,
    /// With `--down`.
    #[serde(skip)]
    pub show_down: bool,
    /// Its name without the version.
    #[serde(skip)]
    pub label: String,
    /// What the ledger says.
    #[serde(skip)]
    pub state: AppliedState,
}

impl ShowReport {
    /// The report of `m` in `state`, found at `directory`.
    pub fn new(
        m: &MigrationScript,
        directory: String,
        database: Option<String>,
        state: &AppliedState,
        down: bool,
    ) -> Self {
        let known = match state {
            AppliedState::Known(s) => Some(s),
            _ => None,
        };
        ShowReport {
            version: m.version.clone(),
            name: m.dir_name.clone(),
            directory,
            run_in_transaction: m.run_in_transaction,
            up_sha256: m.up_sha256.clone(),
            down_sha256: m.down_sha256.clone(),
            database,
            applied: known.map(|s| s.applied.is_some()),
            applied_at: known.and_then(|s| s.applied.as_ref()).map(applied_when),
            state_unknown_reason: match state {
                AppliedState::NoDatabase => Some("no database configured".to_string()),
                AppliedState::Unreadable(reason) => Some(reason.clone()),
                AppliedState::Known(_) => None,
            },
            changed: known.map(|s| s.changes.clone()).unwrap_or_default(),
            up_sql: m.up_sql.clone(),
            down_sql: if down { m.down_sql.clone() } else { None },
            show_down: down,
            label: m.label().to_string(),
            state: state.clone(),
        }
    }

    fn applied_text(&self, p: &Printer) -> String {
        match &self.state {
            AppliedState::NoDatabase => {
                "unknown (no database configured: set DATABASE_URL to see it)".into()
            }
            AppliedState::Unreadable(reason) => format!(
                "unknown (the database could not be read: {})",
                reason.lines().next().unwrap_or_default()
            ),
            AppliedState::Known(s) => match &s.applied {
                Some(a) => format!("{} {}", p.paint("yes,", Style::Good), applied_when(a)),
                None => p.paint("no (pending)", Style::Warn),
            },
        }
    }
}

impl Report for ShowReport {
    fn text(&self, p: &Printer) -> Vec<String> {
        let transaction = if self.run_in_transaction {
            "runs in a transaction with its ledger entry"
        } else {
            "runs OUTSIDE a transaction (metadata.toml: run_in_transaction = false)"
        };
        let down = self
            .down_sha256
            .as_ref()
            .map_or("(none: cannot be reverted)".to_string(), |d| {
                format!("sha256 {d}")
            });
        let mut lines = vec![
            format!("{} {}", p.paint("migration", Style::Bold), self.name),
            format!("  version:     {}", self.version),
            format!("  name:        {}", self.label),
            format!("  directory:   {}", self.directory),
            format!("  transaction: {transaction}"),
            format!("  up.sql:      sha256 {}", self.up_sha256),
            format!("  down.sql:    {down}"),
            format!("  applied:     {}", self.applied_text(p)),
        ];
        for c in &self.changed {
            let mark = format!("CHANGED: {} edited since it was applied", c.file);
            lines.push(format!("  {}", p.paint(&mark, Style::Bad)));
        }
        lines.push(String::new());
        lines.push(p.paint("-- up.sql", Style::Dim));
        lines.push(self.up_sql.trim_end().to_string());
        if self.show_down {
            lines.push(String::new());
            lines.push(p.paint("-- down.sql", Style::Dim));
            let sql = self.down_sql.as_deref().unwrap_or("-- (no down.sql)");
            lines.push(sql.trim_end().to_string());
        }
        lines
    }
}
