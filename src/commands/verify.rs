//! `verify`: every migration proven reversible on a scratch database.

use super::context::Context;
use crate::cli::VerifyFrom;
use crate::outcome::Outcome;
use crate::output::verify::{print_verdict, VerifyReport};
use ragchat_migrate::error::Error;
use ragchat_migrate::error::Result;
use ragchat_migrate::migrations::source::MigrationSet;
use ragchat_migrate::migrations::target::{resolve_revision, Target};
use ragchat_migrate::proof::connection_room::connections_left;
use ragchat_migrate::proof::scratch::ScratchDb;
use ragchat_migrate::proof::verify;
use std::sync::Mutex;

impl Context {
    /// `verify [--from TARGET] [--keep] [--jobs N]`: apply, revert and
    /// re-apply each migration on scratch databases, a verdict a line, then
    /// the table.
    pub(super) fn verify(
        &self,
        keep: bool,
        from: Option<&VerifyFrom>,
        jobs: Option<usize>,
    ) -> Result<Outcome> {
        let set = self.load_set()?;
        let start = start_index(&set, from)?;
        let mut db = self.connect()?;
        let jobs = self.verify_jobs(&mut db.conn, jobs)?;
        let timeout = self.global.connect_timeout;
        let p = self.printer;
        let bar = crate::output::progress::enabled(&p)
            .then(|| crate::output::progress::bar("verifying", set.len().saturating_sub(start)));
        let url = &db.url;
        // Scratch databases are created through the target's connection,
        // one at a time, from the threads that check stretches at once.
        let target = Mutex::new(db.conn);
        let fresh = || -> Result<ScratchDb> {
            let mut conn = target
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            ScratchDb::create(url, &mut conn, timeout)
        };
        let verified = verify::verify(&fresh, &set, start, jobs, &mut |v| match &bar {
            Some(bar) => {
                bar.suspend(|| print_verdict(&p, v));
                bar.inc(1);
            }
            None => print_verdict(&p, v),
        })?;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        let (report, mut scratch) = (verified.report, verified.scratch);
        if keep {
            scratch.keep();
            p.note(format!("kept the scratch database {}", scratch.url()));
        }
        let ok = report.ok;
        p.report(&VerifyReport {
            database: url.masked().to_string(),
            scratch_database: scratch.name().to_string(),
            kept: keep,
            from: from.map(|f| f.text.clone()),
            report,
        });
        Ok(Outcome::clean_if(ok))
    }
}

impl Context {
    /// How many stretches to check at once: `--jobs`, else one per core,
    /// lowered to what the server's connection limits leave room for (said
    /// in a note when `--jobs` asked for more).
    fn verify_jobs(&self, conn: &mut diesel::PgConnection, asked: Option<usize>) -> Result<usize> {
        let room = connections_left(conn)?;
        let wanted = asked.unwrap_or_else(default_jobs);
        let jobs = jobs_within(wanted, room);
        if jobs < wanted && asked.is_some() {
            self.printer.note(format!(
                "--jobs {wanted} lowered to {jobs}: the role may open only {room} more \
                 connection(s), and each stretch checked at once may hold {CONNECTIONS_PER_STRETCH}"
            ));
        }
        Ok(jobs)
    }
}

/// `--jobs` when not given: one stretch per CPU core, at most
/// [`MOST_DEFAULT_JOBS`] (the server does the work; more stretches than
/// cores only take turns).
fn default_jobs() -> usize {
    std::thread::available_parallelism()
        .map(usize::from)
        .unwrap_or(1)
        .min(MOST_DEFAULT_JOBS)
}

/// The most stretches `verify` checks at once unless `--jobs` says more.
const MOST_DEFAULT_JOBS: usize = 4;

/// The connections one stretch may hold at once: its scratch database's,
/// and a new one's while it rebuilds after a failure.
const CONNECTIONS_PER_STRETCH: usize = 2;

/// How many of the `wanted` stretches fit in `room` more connections, one
/// kept for dropping scratch databases; at least one (which, on a server
/// that full, fails with the server's own refusal).
fn jobs_within(wanted: usize, room: usize) -> usize {
    (room.saturating_sub(1) / CONNECTIONS_PER_STRETCH).clamp(1, wanted.max(1))
}

/// How many migrations `--from TARGET` applies before checking: those up to
/// and including TARGET (`base`: none, `head`: all).
fn start_index(set: &MigrationSet, from: Option<&VerifyFrom>) -> Result<usize> {
    match from.map(|f| &f.target) {
        None | Some(Target::Base) => Ok(0),
        Some(Target::Head) => Ok(set.len()),
        Some(Target::Revision(r)) => Ok(resolve_revision(set, r)? + 1),
        Some(Target::Relative(_)) => Err(Error::Internal(
            "verify --from took a relative target".into(),
        )),
    }
}
