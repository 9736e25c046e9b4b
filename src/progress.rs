//! Progress of long work: the migrator's step lines (`[k/N]` on a
//! terminal) and lock wait, and a bar with the migration count and elapsed
//! time while a scratch database is built (`check` cold, `stamp`, `adopt`,
//! `verify`). Counters and bars appear only when stderr is a terminal, and
//! neither `-q` nor `--format json` was given.

use crate::output::{duration, Printer, Style};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ragchat_migrate::database::migrator::{Observer, StepReport};
use ragchat_migrate::database::progress_hook::{self, Event};
use ragchat_migrate::migrations::plan::Direction;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

/// True when progress may be shown: stderr is a terminal, and neither `-q`
/// nor `--format json` was given.
pub fn enabled(printer: &Printer) -> bool {
    !printer.quiet && !printer.json_mode() && std::io::stderr().is_terminal()
}

/// A progress bar on stderr for `len` migrations, labelled `what`.
pub fn bar(what: &str, len: usize) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{spinner} {msg} [{wide_bar}] {pos}/{len} migrations, {elapsed}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what.to_string());
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    bar
}

/// Shows a bar whenever the library builds a scratch database, when
/// progress is [`enabled`] for `printer`.
pub fn install_scratch_bar(printer: &Printer) {
    if !enabled(printer) {
        return;
    }
    let current: Arc<Mutex<Option<ProgressBar>>> = Arc::default();
    progress_hook::set(move |event| {
        let Ok(mut slot) = current.lock() else {
            return;
        };
        match event {
            Event::Started(n) => *slot = Some(bar("building a scratch database", n)),
            Event::Step => {
                if let Some(b) = slot.as_ref() {
                    b.inc(1);
                }
            }
            Event::Finished => {
                if let Some(b) = slot.take() {
                    let took = duration(b.elapsed().as_secs_f64() * 1000.0);
                    b.finish_and_clear();
                    eprintln!(
                        "built a scratch database: {} migration(s) in {took}",
                        b.position()
                    );
                }
            }
        }
    });
}

/// Prints the migrator's progress: a line per step (`[k/N]` on a
/// terminal), and the lock wait; keeps the steps done for the failure report.
pub struct ProgressPrinter {
    /// Where to print.
    pub printer: Printer,
    /// Steps in the plan, once known.
    pub total: usize,
    /// Steps finished so far.
    pub done: Vec<StepReport>,
}

impl Observer for ProgressPrinter {
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
}
