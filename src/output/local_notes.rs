//! What the CLI says about the local cluster: which one is used and where,
//! before any slow step, and that a URL printed for it will not answer
//! while it is stopped.

use crate::output::Printer;
use ragchat_migrate::server::dev::LocalCluster;

/// Says that the local database is used, where it lives (and why there,
/// when it had to move), and that a first run creates it, before the
/// cluster is created or started.
pub fn announce(printer: &Printer, cluster: &LocalCluster, asked_for: bool) {
    let why = if asked_for {
        "--local"
    } else {
        "no DATABASE_URL is set"
    };
    let moved = match &cluster.relocated_from {
        Some(from) => format!(
            "; running as root, the server's `postgres` OS user cannot reach {}, so the \
             cluster lives here instead",
            from.display()
        ),
        None => String::new(),
    };
    printer.note(format!(
        "using the local database in {} ({why}{moved}; `ragchat-migrate dev url` prints its URL)",
        cluster.state_dir.display()
    ));
    if !cluster.is_initialized() {
        printer.note(format!(
            "creating the local PostgreSQL cluster in {} (first run, a few seconds)",
            cluster.data_dir.display()
        ));
    }
}

/// `dev url` of a stopped cluster: the URL is right, but nothing answers yet.
pub fn warn_if_stopped(printer: &Printer, cluster: &LocalCluster) {
    if cluster.running_pid().is_none() {
        printer.note(
            "note: the local cluster is stopped: this URL answers once `ragchat-migrate dev \
             start` has started it",
        );
    }
}
