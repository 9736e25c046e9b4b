//! The lint gate of `upgrade`: when the database already has applied
//! migrations (a live database receiving new work), the migrations about to
//! run are linted under the lock before any runs. Error-level findings
//! refuse the run (exit 3); warnings are printed and it goes on. From base
//! nothing is linted, so a fresh database pays nothing.

use crate::output::Printer;
use diesel::PgConnection;
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::lint::{self, render, LintConfig};
use ragchat_migrate::migrations::direction::Direction;
use ragchat_migrate::migrations::plan::Plan;
use ragchat_migrate::migrations::source::MigrationScript;
use ragchat_migrate::migrations::status::Status;

/// The gate, for migrations found under `location` (as findings show it).
#[derive(Debug, Clone)]
pub struct LintGate {
    /// The migrations directory as finding paths show it.
    pub location: String,
}

impl LintGate {
    /// Lints the up steps of `plan` about to run on a database in `status`;
    /// refuses on error-level findings when the database is live.
    pub fn check(
        &self,
        printer: &Printer,
        conn: &mut PgConnection,
        plan: &Plan<'_>,
        status: &Status,
    ) -> Result<()> {
        let live = status.applied().next().is_some() || !status.unknown.is_empty();
        if !live {
            return Ok(());
        }
        let ups: Vec<&MigrationScript> = plan
            .steps
            .iter()
            .filter(|s| s.direction == Direction::Up)
            .map(|s| s.migration)
            .collect();
        if ups.is_empty() {
            return Ok(());
        }
        let config = LintConfig::for_server(conn)?;
        let report = lint::lint_migrations(ups, &self.location, &config);
        if report.files.is_empty() {
            return Ok(());
        }
        printer.note(render::text(
            &report,
            printer.color && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        ));
        for failure in report.parse_failures() {
            printer.note(format!(
                "warning: {}:{}:{} was not linted (Squawk cannot parse it); upgrading anyway",
                failure.file, failure.line, failure.column
            ));
        }
        let errors: Vec<String> = report
            .findings()
            .filter(|f| f.level == lint::Level::Error)
            .map(|f| format!("  {}:{}:{} {}", f.file, f.line, f.column, f.rule))
            .collect();
        if errors.is_empty() {
            return Ok(());
        }
        Err(Error::LintRefused(format!(
            "refusing to upgrade: {} error-level lint finding(s) in migrations about to run on a \
             database that already has applied migrations:\n{}\n  fix: make the migration safe \
             (see the help above and docs/lint.md), accept a finding with `-- squawk-ignore \
             RULE` above its statement or in .squawk.toml, or pass --no-lint",
            errors.len(),
            errors.join("\n")
        )))
    }
}
