//! How the CLI watches a run of the migrator: a line per step (`[k/N]` on a
//! terminal), the lock wait, the steps done (for a failure's report), and,
//! before an upgrade runs, the lint gate.

use crate::commands::lint_gate::LintGate;
use crate::output::progress::enabled;
use crate::output::{duration, Printer, Style};
use diesel::PgConnection;
use ragchat_migrate::database::migrator::{Observer, StepReport};
use ragchat_migrate::error::Result;
use ragchat_migrate::migrations::direction::Direction;
use ragchat_migrate::migrations::plan::Plan;
use ragchat_migrate::migrations::status::Status;

/// Prints the migrator's progress and keeps the steps done; with a gate,
/// lints what is about to run first.
pub struct RunObserver {
    /// Where to print.
    pub printer: Printer,
    /// Steps in the plan, once known.
    pub total: usize,
    /// Steps finished so far.
    pub done: Vec<StepReport>,
    /// The lint gate (`upgrade` without `--no-lint`).
    pub gate: Option<LintGate>,
}

impl Observer for RunObserver {
    fn waiting_for_lock(&mut self, holder_pid: Option<i32>) {
        self.printer.note(format!(
            "waiting for the migration lock, held by {} ...",
            holder_pid.map_or("another session".to_string(), |p| format!(
                "backend pid {p}"
            ))
        ));
    }

    fn plan_ready(&mut self, steps: usize) {
        self.total = steps;
    }

    fn step_done(&mut self, report: &StepReport) {
        self.done.push(report.clone());
        let verb = match report.direction {
            Direction::Up => self.printer.paint("applied ", Style::Good),
            Direction::Down => self.printer.paint("reverted", Style::Warn),
        };
        let counter = if enabled(&self.printer) && self.total > 0 {
            let width = self.total.to_string().len();
            format!("[{:>width$}/{}] ", self.done.len(), self.total)
        } else {
            String::new()
        };
        self.printer.line(format!(
            "{counter}{verb} {}  {}",
            ragchat_migrate::migrations::names::shown(&report.name),
            self.printer
                .paint(&format!("({})", duration(report.duration_ms)), Style::Dim)
        ));
    }

    fn before_run(&mut self, conn: &mut PgConnection, plan: &Plan, status: &Status) -> Result<()> {
        match &self.gate {
            Some(gate) => gate.check(&self.printer, conn, plan, status),
            None => Ok(()),
        }
    }
}
