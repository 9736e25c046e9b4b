//! The reports of the commands that write the ledger without running
//! migration SQL: `stamp`, `accept` and `adopt`.

use super::status::CurrentRef;
use super::{Printer, Report};
use ragchat_migrate::migrations::status::ChecksumChange;
use ragchat_migrate::proof::adopt::Adoption;
use serde::Serialize;

/// `stamp`.
#[derive(Debug, Serialize)]
pub struct StampReport {
    /// The masked URL.
    pub database: String,
    /// How many versions were recorded as applied.
    pub recorded: usize,
    /// How many applied versions were forgotten.
    pub forgotten: usize,
    /// Where the database is now.
    pub current: CurrentRef,
    /// The target as given.
    #[serde(skip)]
    pub target: String,
    /// Where the database is now, in words.
    #[serde(skip)]
    pub now_at: String,
}

impl Report for StampReport {
    fn text(&self, _: &Printer) -> Vec<String> {
        vec![format!(
            "stamped {}: recorded {}, forgot {} (no migration SQL was run); now at {}",
            self.target, self.recorded, self.forgotten, self.now_at
        )]
    }
}

/// `accept`.
#[derive(Debug, Serialize)]
pub struct AcceptReport {
    /// The masked URL.
    pub database: String,
    /// The version whose checksums were accepted.
    pub accepted: String,
    /// The files whose new checksums were recorded (none: they matched).
    pub changes: Vec<ChecksumChange>,
    /// Its directory name.
    #[serde(skip)]
    pub dir_name: String,
}

impl Report for AcceptReport {
    fn text(&self, _: &Printer) -> Vec<String> {
        if self.changes.is_empty() {
            return vec![format!(
                "{}: checksums already match; nothing to accept",
                self.dir_name
            )];
        }
        self.changes
            .iter()
            .map(|c| {
                let was = c.recorded.as_deref().unwrap_or("(none)");
                let now = c.current.as_deref().unwrap_or("(none)");
                format!("accepted {}/{}: {was} -> {now}", self.dir_name, c.file)
            })
            .collect()
    }
}

/// `adopt`.
#[derive(Debug, Serialize)]
pub struct AdoptReport {
    /// The masked URL.
    pub database: String,
    /// What was checked and recorded.
    pub adoption: Adoption,
}

impl Report for AdoptReport {
    fn text(&self, _: &Printer) -> Vec<String> {
        let a = &self.adoption;
        let mut lines = vec![format!(
            "adopted the database of Alembic revision {}: its schema matches, and it is now \
             managed by ragchat-migrate (alembic_version was left in place)",
            a.alembic_revision
        )];
        for m in &a.recorded {
            lines.push(format!("  recorded {m} as applied"));
        }
        for c in &a.created {
            lines.push(format!(
                "  created {c} (the Python system refreshed updated_at in its ORM)"
            ));
        }
        lines
    }
}
