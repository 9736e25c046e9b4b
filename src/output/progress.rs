//! Progress of long work on a terminal: whether it may be shown (also the
//! `[k/N]` counters of a run's step lines, see `run_observer`), and a bar
//! with the migration count and elapsed time while a scratch database is
//! built (`check` cold, `stamp`, `adopt`, `verify`) or `verify` runs.
//! Nothing of it appears when stderr is not a terminal, under `-q`, or with
//! `--format json`.

use crate::output::{duration, Printer};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ragchat_migrate::database::progress_hook::{self, Event};
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
