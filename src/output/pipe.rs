//! Output into a closed pipe (`upgrade --sql | head -1`): the reader has
//! what it wanted, so the command ends quietly with exit 0, the way `cat`
//! or `rg` does, instead of Rust's "failed printing to stdout" panic.
//!
//! Commands whose output IS the result (scripts, listings, completions)
//! write through [`stdout`]; the progress lines of a run that changes the
//! database ignore write errors, so a closed pipe never interrupts a
//! migration. A panic hook catches any `println!` left elsewhere.

use crate::outcome::{exit_now, Abrupt};
use std::io::Write;

/// Writes `text` to stdout; a closed pipe ends the process with exit 0.
pub fn stdout(text: &[u8]) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            exit_now(Abrupt::ReaderGone);
        }
        eprintln!("error: cannot write to stdout: {e}");
        exit_now(Abrupt::CannotPrint);
    }
}

/// Turns the standard library's panic on a broken stdout or stderr pipe
/// into a quiet exit 0 (any other failure to print into exit 1); every
/// other panic is reported as usual.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.contains("Broken pipe") || message.contains("os error 32") {
            exit_now(Abrupt::ReaderGone);
        }
        // stdout or stderr unusable otherwise (closed, disk full): there is
        // nowhere to report it; fail without a panic's exit code 101.
        if message.starts_with("failed printing to") {
            exit_now(Abrupt::CannotPrint);
        }
        default(info);
    }));
}
