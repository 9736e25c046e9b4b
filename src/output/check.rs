//! The report of `check`, the CI gate: clean, or what is not.

use super::status::{CurrentRef, MigrationRef};
use super::{Printer, Report, Style};
use ragchat_migrate::lint::{render, LintReport};
use serde::Serialize;

/// `check`.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// At head, nothing edited, unknown, drifted, or running.
    pub ok: bool,
    /// The masked URL.
    pub database: String,
    /// A run held the lock: what it has done so far is not a state to approve.
    pub migration_in_progress: bool,
    /// The newest applied migration.
    pub current: CurrentRef,
    /// Migrations not applied yet.
    pub pending: Vec<MigrationRef>,
    /// `dir/file` of each file edited after it was applied.
    pub changed: Vec<String>,
    /// Applied versions the source does not have.
    pub unknown: Vec<String>,
    /// Pending migrations older than the newest applied one.
    pub out_of_order: Vec<String>,
    /// How the schema differs from what the applied migrations make.
    pub drift: Vec<String>,
    /// The lint document of the pending migrations.
    #[serde(serialize_with = "lint_json")]
    pub lint: LintReport,
    /// The state in words.
    #[serde(skip)]
    pub described: String,
    /// The unknown versions in words.
    #[serde(skip)]
    pub unknown_summary: Option<String>,
}

/// The lint section as the engine's JSON document.
fn lint_json<S: serde::Serializer>(report: &LintReport, s: S) -> Result<S::Ok, S::Error> {
    render::json_summary(report).serialize(s)
}

impl Report for CheckReport {
    fn text(&self, p: &Printer) -> Vec<String> {
        if self.ok {
            let ok = p.paint("ok:", Style::Good);
            let clean = "at head, nothing edited, unknown or drifted";
            return vec![format!("{ok} {clean}: {}", self.described)];
        }
        let failed = p.paint("check failed:", Style::Bad);
        let mut lines = vec![format!(
            "{failed} the database is not clean ({})",
            self.described
        )];
        if self.migration_in_progress {
            lines.push(
                "  in progress: a migration run holds the lock; check again when it ends".into(),
            );
        }
        for m in &self.pending {
            lines.push(format!("  pending:   {}", m.name));
        }
        if !self.lint.files.is_empty() {
            lines.push(render::text(&self.lint, p.color));
        }
        for c in &self.changed {
            lines.push(format!("  changed:   {c} (edited after it was applied)"));
        }
        if let Some(summary) = &self.unknown_summary {
            lines.push(format!("  unknown:   {summary}"));
        }
        for o in &self.out_of_order {
            lines.push(format!("  out of order: {o}"));
        }
        if !self.drift.is_empty() {
            lines.push("  drift: the schema differs from what the applied migrations produce (- missing here, + only here, ~ different):".into());
            lines.extend(self.drift.iter().map(|d| format!("    {d}")));
        }
        lines
    }
}
