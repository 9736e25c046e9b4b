//! `redo --accept`: the dev loop on a migration not yet released. The
//! newest applied migration was edited; revert it with the CURRENT
//! down.sql, apply the current up.sql, and record the new checksums, in
//! one call under the migration lock. Only the migrations being redone may
//! be edited: an older edited one is refused, as every other command
//! refuses it. When the redo fails, migrations it did not revert get their
//! old checksums back.

use crate::database::ledger::{self, LedgerTables, RecordedChecksums};
use crate::database::migrator::{self, Command, Observer, RunOptions, RunOutcome, StepReport};
use crate::error::{Error, Result};
use crate::migrations::plan::Plan;
use crate::migrations::source::MigrationSet;
use crate::migrations::status::Status;
use diesel::PgConnection;

/// What `redo --accept` did.
#[derive(Debug)]
pub struct RedoAccepted {
    /// The versions whose new checksums were recorded (none: a plain redo).
    pub accepted: Vec<String>,
    /// The redo's steps and the state it left.
    pub run: RunOutcome,
}

/// An applied migration's recorded checksums, to restore when the redo
/// fails before reverting it.
struct Recorded {
    tables: LedgerTables,
    version: String,
    checksums: RecordedChecksums,
}

/// Records the new checksums of the edited migrations among the newest `n`
/// applied ones, then reverts and re-applies those `n`, all under one lock.
pub fn redo_accept(
    conn: &mut PgConnection,
    set: &MigrationSet,
    n: usize,
    options: &RunOptions,
    observer: &mut dyn Observer,
) -> Result<RedoAccepted> {
    migrator::with_lock(conn, options.lock_timeout, observer, |conn, observer| {
        let recorded = accept_newest(conn, set, n)?;
        let accepted = recorded.iter().map(|r| r.version.clone()).collect();
        let mut tracking = Tracking {
            inner: observer,
            done: Vec::new(),
        };
        // The lock is re-entrant within this session.
        let run = migrator::run_and_report(conn, set, &Command::Redo(n), options, &mut tracking);
        if run.is_err() {
            restore(conn, &recorded, &tracking.done);
        }
        Ok(RedoAccepted {
            accepted,
            run: run?,
        })
    })
}

/// Passes the events on, keeping the versions of the steps done.
struct Tracking<'o> {
    inner: &'o mut dyn Observer,
    done: Vec<String>,
}

impl Observer for Tracking<'_> {
    fn waiting_for_lock(&mut self, holder_pid: Option<i32>) {
        self.inner.waiting_for_lock(holder_pid);
    }

    fn plan_ready(&mut self, steps: usize) {
        self.inner.plan_ready(steps);
    }

    fn step_done(&mut self, report: &StepReport) {
        self.done.push(report.version.clone());
        self.inner.step_done(report);
    }

    fn before_run(&mut self, conn: &mut PgConnection, plan: &Plan, status: &Status) -> Result<()> {
        self.inner.before_run(conn, plan, status)
    }
}

/// Records the current checksums of the edited migrations among the newest
/// `n` applied ones; refuses when an older applied migration is edited.
/// Returns what was recorded before, for [`restore`].
fn accept_newest(conn: &mut PgConnection, set: &MigrationSet, n: usize) -> Result<Vec<Recorded>> {
    let read = ledger::read(conn)?;
    let status = Status::new(set, &read);
    let applied: Vec<usize> = status.applied().collect();
    if n > applied.len() {
        return Err(Error::Usage(format!(
            "cannot redo {n}: only {} migration(s) applied",
            applied.len()
        )));
    }
    let newest = &applied[applied.len() - n..];
    let older: Vec<&str> = status
        .changed()
        .filter(|s| !newest.contains(&s.index))
        .map(|s| set.all()[s.index].dir_name.as_str())
        .collect();
    if !older.is_empty() {
        return Err(Error::refused(format!(
            "refusing to redo --accept: {} edited, but redo --accept re-runs only the newest \
             {n} applied migration(s); an older migration's edit never reaches the database \
             this way.\n  fix: restore it (git checkout) and put the change in a new \
             migration, redo more of them with -n, or accept a harmless edit with \
             `ragchat-migrate accept <version>`",
            older.join(", ")
        )));
    }
    let mut recorded = Vec::new();
    for state in status.changed() {
        let m = &set.all()[state.index];
        let Some(old) = state
            .applied
            .as_ref()
            .and_then(|a| a.record.as_ref())
            .and_then(|r| r.checksums.as_ref())
        else {
            continue;
        };
        let current = RecordedChecksums {
            up_sha256: m.up_sha256.clone(),
            down_sha256: m.down_sha256.clone(),
        };
        ledger::overwrite_checksums(conn, &read.tables, &m.version, &current)?;
        recorded.push(Recorded {
            tables: read.tables.clone(),
            version: m.version.clone(),
            checksums: old.clone(),
        });
    }
    Ok(recorded)
}

/// After a failed redo: migrations that were not reverted still hold what
/// their old files made, so their old checksums go back.
fn restore(conn: &mut PgConnection, recorded: &[Recorded], done: &[String]) {
    for r in recorded {
        let reverted = done.contains(&r.version);
        if !reverted {
            let _ = ledger::overwrite_checksums(conn, &r.tables, &r.version, &r.checksums);
        }
    }
}
