//! Sends a plan's messages ([`messages::render`]) on a connection, timing
//! each step and reporting it, and says what failed when a message fails.
//!
//! The side table's records (checksums, timings) go in the batches the
//! renderer placed, with the durations measured here, and at the end of
//! the run; when a migration fails, the records of the steps before it are
//! written before the error is returned. Only a migrator killed outright
//! leaves a batch unwritten: the next run takes the missing records from the
//! files, as for another tool's versions, and purges the stale ones.

use crate::database::blame;
use crate::database::ledger::{PendingRecord, PendingSideRecords};
use crate::database::messages::{self, Message, Purpose, RenderOptions};
use crate::database::observer::{Observer, StepReport};
use crate::database::pg_error;
use crate::database::step_failure;
use crate::error::{Error, Result};
use crate::migrations::direction::Direction;
use crate::migrations::plan::Plan;
use diesel::connection::SimpleConnection;
use diesel::PgConnection;
use std::time::Instant;

const RECORDING: &str = "writing the side records of the migration ledger";

/// Runs `plan` as rendered with `options`; returns the steps that ran.
pub fn execute(
    conn: &mut PgConnection,
    plan: &Plan,
    options: &RenderOptions,
    observer: &mut dyn Observer,
) -> Result<Vec<StepReport>> {
    let mut run = Run {
        plan,
        options,
        durations: vec![0.0; plan.steps.len()],
        unrecorded: Vec::new(),
        reports: Vec::with_capacity(plan.steps.len()),
    };
    let mut started: Option<(usize, Instant)> = None;
    for message in messages::render(plan, options) {
        if let Some(step) = message.step() {
            if started.is_none_or(|(current, _)| current != step) {
                started = Some((step, Instant::now()));
            }
        }
        let text = message.text(|steps| run.side_records_sql(steps));
        // Empty: the end of a non-transactional step with no ledger.
        if !text.is_empty() {
            if let Err(e) = conn.batch_execute(&text) {
                return Err(run.failed(conn, &message, e));
            }
        }
        run.unrecorded
            .retain(|step| !message.side_records().contains(step));
        if let (Some(step), Some((_, at))) = (message.completes(), started) {
            run.completed(step, at.elapsed().as_secs_f64() * 1000.0, observer);
        }
    }
    // In one transaction nothing is applied until COMMIT: report then.
    if options.single_transaction {
        for report in &run.reports {
            observer.step_done(report);
        }
    }
    Ok(run.reports)
}

struct Run<'a, 's> {
    plan: &'a Plan<'s>,
    options: &'a RenderOptions<'a>,
    /// Each step's measured duration in milliseconds, once it completed.
    durations: Vec<f64>,
    /// Completed steps whose side records are not written yet.
    unrecorded: Vec<usize>,
    reports: Vec<StepReport>,
}

impl Run<'_, '_> {
    fn completed(&mut self, step: usize, duration_ms: f64, observer: &mut dyn Observer) {
        self.durations[step] = duration_ms;
        self.unrecorded.push(step);
        let migration = self.plan.steps[step].migration;
        let report = StepReport {
            direction: self.plan.steps[step].direction,
            version: migration.version.clone(),
            name: migration.dir_name.clone(),
            duration_ms,
        };
        if !self.options.single_transaction {
            observer.step_done(&report);
        }
        self.reports.push(report);
    }

    /// The side-table writes of these (completed) steps.
    fn side_records_sql(&self, steps: &[usize]) -> String {
        let mut records = PendingSideRecords::default();
        for &index in steps {
            let step = &self.plan.steps[index];
            match step.direction {
                Direction::Up => records.applied(PendingRecord {
                    migration: step.migration,
                    duration_ms: self.durations[index],
                }),
                Direction::Down => records.reverted(&step.migration.version),
            }
        }
        records.sql(self.options.tables)
    }

    /// The error of a failed message, after ending a transaction it may
    /// have left aborted and writing the records of the steps committed
    /// before it.
    fn failed(
        &self,
        conn: &mut PgConnection,
        message: &Message,
        error: diesel::result::Error,
    ) -> Error {
        let step = |index: usize| &self.plan.steps[index];
        let reported = match &message.purpose {
            Purpose::Open => {
                let what = format!(
                    "preparing the migration ledger ({})",
                    self.options.tables.diesel()
                );
                return pg_error::step_failed(&what, error);
            }
            Purpose::SideRecords => return pg_error::step_failed(RECORDING, error),
            Purpose::Commit => {
                let _ = conn.batch_execute("ROLLBACK");
                return pg_error::step_failed(RECORDING, error);
            }
            Purpose::Prelude => Error::from(error),
            Purpose::Migration(index) => {
                let place = self.place_in_message(conn, message, &error);
                step_failure::migration_failed(step(*index), error, place)
            }
            Purpose::Statement {
                step: index,
                statement,
            } => {
                let sql = messages::file_sql(step(*index));
                let place = blame::in_statement(sql, statement, pg_error::position(&error));
                let mut failure = step_failure::migration_failed(step(*index), error, Some(place));
                if let Error::MigrationFailed { message, .. } = &mut failure {
                    message.push_str(&step_failure::invalid_index_note(conn));
                }
                failure
            }
            Purpose::Ledger(index) => step_failure::ledger_write_failed(step(*index), error),
        };
        // Outside a transaction ROLLBACK only warns.
        let _ = conn.batch_execute("ROLLBACK");
        let ledger = self.options.ledger_writes != messages::LedgerWrites::None;
        if ledger && !self.options.single_transaction {
            // Should this fail too, the next run records them.
            let _ = conn.batch_execute(&self.side_records_sql(&self.unrecorded));
        }
        reported
    }

    /// Where a transactional step's message failed in its file: by the
    /// error's position, else (the migration ran in its own transaction) by
    /// a rolled-back replay.
    fn place_in_message(
        &self,
        conn: &mut PgConnection,
        message: &Message,
        error: &diesel::result::Error,
    ) -> Option<blame::Place> {
        let (sql, before) = message.sql_at(|steps| self.side_records_sql(steps))?;
        match pg_error::position(error) {
            Some(p) => p
                .checked_sub(before)
                .and_then(|p| blame::by_position(sql, p)),
            None if pg_error::concerns_ledger(error) => None,
            None if self.options.single_transaction => None,
            None => {
                let timeout = messages::lock_timeout_value(self.options.ddl_lock_timeout);
                blame::by_replay(conn, sql, &timeout, error)
            }
        }
    }
}
