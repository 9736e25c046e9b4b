//! `redo --accept`: the dev loop on a migration not yet released. The
//! newest applied migration was edited; revert it with the CURRENT
//! down.sql, apply the current up.sql, and record the new checksums, in
//! one command under the migration lock. Only the migrations being redone
//! may be edited: an older edited one is refused, as every other command
//! refuses it.

use super::context::Context;
use crate::outcome::Outcome;
use crate::output::migrate::{FailedRun, RunReport};
use crate::output::status::CurrentRef;
use diesel::PgConnection;
use ragchat_migrate::database::ledger::{self, LedgerTables, RecordedChecksums};
use ragchat_migrate::database::migrator::{self, Command, RunOptions, RunOutcome};
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::migrations::plan::Status;
use ragchat_migrate::migrations::source::MigrationSet;

/// An applied migration's recorded checksums, to restore when the redo
/// fails before reverting it.
struct Recorded {
    tables: LedgerTables,
    version: String,
    checksums: RecordedChecksums,
}

impl Context {
    /// `redo --accept`: accept the newest edits, then redo, under one lock.
    pub(super) fn redo_accept(&self, n: usize, options: RunOptions) -> Result<Outcome> {
        if n == 0 {
            return Err(Error::Usage(
                "redo -n 0 does nothing; fix: use -n 1 or more".into(),
            ));
        }
        let (set, mut db) = self.load_and_connect(false, |_| Ok(()))?;
        let mut observer = self.observer();
        let mut lock_observer = self.observer();
        let mut accepted = Vec::new();
        let result = migrator::with_lock(
            &mut db.conn,
            options.lock_timeout,
            &mut lock_observer,
            |conn, _| {
                let recorded = accept_newest(conn, &set, n)?;
                accepted = recorded.iter().map(|r| r.version.clone()).collect();
                // The lock is re-entrant within this session.
                let run = migrator::run_and_report(
                    conn,
                    &set,
                    &Command::Redo(n),
                    &options,
                    &mut observer,
                );
                if run.is_err() {
                    restore(conn, &recorded, &observer.done);
                }
                run
            },
        );
        let RunOutcome { steps, status } = result
            .inspect_err(|e| FailedRun::new(db.url.masked(), &set, &observer.done, e).record())?;
        let mut report = RunReport::new(
            db.url.masked(),
            steps,
            CurrentRef::of(&set, &status),
            self.describe(&set, &status),
        );
        report.accepted_dirs = accepted
            .iter()
            .filter_map(|v| set.by_version(v).map(|m| m.dir_name.clone()))
            .collect();
        report.accepted = Some(accepted);
        self.printer.report(&report);
        Ok(Outcome::Success)
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
fn restore(conn: &mut PgConnection, recorded: &[Recorded], done: &[migrator::StepReport]) {
    for r in recorded {
        let reverted = done.iter().any(|s| s.version == r.version);
        if !reverted {
            let _ = ledger::overwrite_checksums(conn, &r.tables, &r.version, &r.checksums);
        }
    }
}
