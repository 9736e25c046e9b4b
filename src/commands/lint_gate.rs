//! The lint gate of `upgrade`: error-level findings in the migrations about
//! to run on a database that already has applied migrations refuse the run.

use crate::progress::ProgressPrinter;
use diesel::PgConnection;
use ragchat_migrate::database::migrator::{Observer, StepReport};
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::lint::{self, render, LintConfig};
use ragchat_migrate::migrations::plan::{Direction, Plan, Status};
use ragchat_migrate::migrations::source::MigrationScript;

/// The `upgrade` observer with the lint gate: when the database already has
/// applied migrations (a live database receiving new work), the migrations
/// about to run are linted under the lock before any runs. Error-level
/// findings refuse the run (exit 3); warnings are printed and it goes on.
/// From base nothing is linted, so a fresh database pays nothing.
/// With `enabled` false (`--no-lint`, or not an upgrade) it only passes
/// the events on.
pub(super) struct Gate<'p> {
    inner: &'p mut ProgressPrinter,
    location: String,
    enabled: bool,
}

impl<'p> Gate<'p> {
    pub(super) fn new(inner: &'p mut ProgressPrinter, location: String, enabled: bool) -> Self {
        Gate {
            inner,
            location,
            enabled,
        }
    }
}

impl Observer for Gate<'_> {
    fn waiting_for_lock(&mut self, holder_pid: Option<i32>) {
        self.inner.waiting_for_lock(holder_pid);
    }

    fn plan_ready(&mut self, steps: usize) {
        self.inner.plan_ready(steps);
    }

    fn step_done(&mut self, report: &StepReport) {
        self.inner.step_done(report);
    }

    fn before_run(
        &mut self,
        conn: &mut PgConnection,
        plan: &Plan<'_>,
        status: &Status,
    ) -> Result<()> {
        let live = status.applied().next().is_some() || !status.unknown.is_empty();
        if !self.enabled || !live {
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
        let printer = self.inner.printer;
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
