//! Runs a plan on a connection, under the migration lock.
//!
//! Diesel's harness sends each migration as four messages (BEGIN, the SQL,
//! a prepared ledger INSERT, COMMIT). Here each transactional migration is
//! one message, `BEGIN; <sql>; <Diesel's ledger row>; COMMIT;`, writing
//! `__diesel_schema_migrations` exactly as Diesel would. PostgreSQL runs a
//! multi-statement message as one unit: on error nothing of that migration
//! remains, and the error position maps back to a line of the file.
//!
//! The side table's records (checksums, timings) are written, and those of
//! reverted migrations deleted, in batches: with every
//! [`ledger::RECORD_BATCH`]th migration's message, before a step that needs
//! them gone, and at the end of the run (also when a migration fails). A
//! second statement in every message cost the server more than anything
//! else the toolkit adds. Only a migrator killed outright leaves a batch
//! unwritten: the next run takes the missing records from the files, as for
//! another tool's versions, and purges the stale ones.

use crate::database::ledger::{self, LedgerTables, RecordedBy};
use crate::database::ledger_schema;
use crate::database::lock;
use crate::database::pg_error;
use crate::error::{Error, Result, SqlLine};
use crate::migrations::blame;
use crate::migrations::plan::{self, Direction, Plan, Status, Step};
use crate::migrations::source::{MigrationScript, MigrationSet};
use crate::migrations::sql_check;
use crate::migrations::sql_text;
use crate::migrations::target::Target;
use diesel::connection::SimpleConnection;
use diesel::PgConnection;
use serde::Serialize;
use std::time::{Duration, Instant};

/// What the migrator tells its caller while it works. The CLI prints;
/// an application at start-up may stay silent ([`Silent`]).
pub trait Observer {
    /// The lock is held by another session; called once before waiting.
    fn waiting_for_lock(&mut self, _holder_pid: Option<i32>) {}
    /// The plan is made: this many steps will run.
    fn plan_ready(&mut self, _steps: usize) {}
    /// A step finished.
    fn step_done(&mut self, _report: &StepReport) {}
    /// The plan is about to run on a database in `status` (under the lock,
    /// nothing run yet); an error refuses the whole run. The CLI's lint
    /// gate lives here.
    fn before_run(
        &mut self,
        _conn: &mut PgConnection,
        _plan: &Plan<'_>,
        _status: &Status,
    ) -> Result<()> {
        Ok(())
    }
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// How to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// How long to wait for another migrator's lock.
    pub lock_timeout: Duration,
    /// `lock_timeout` for migration SQL; `None` waits indefinitely.
    pub ddl_lock_timeout: Option<Duration>,
    /// Run the whole plan in one transaction.
    pub single_transaction: bool,
    /// The planner's options.
    pub plan: plan::Options,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            lock_timeout: Duration::from_secs(60),
            ddl_lock_timeout: Some(Duration::from_secs(5)),
            single_transaction: false,
            plan: plan::Options::default(),
        }
    }
}

/// A command that changes the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Apply up to a target.
    Upgrade(Target),
    /// Revert down to a target.
    Downgrade(Target),
    /// Revert and re-apply the newest N.
    Redo(usize),
}

/// One step that ran.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepReport {
    /// Up or down.
    pub direction: Direction,
    /// The migration's version.
    pub version: String,
    /// The migration's directory name.
    pub name: String,
    /// Wall time of the step as the client saw it, in milliseconds.
    pub duration_ms: f64,
}

/// Runs `command` on `conn`: lock, read the ledger, plan, execute, unlock.
/// Returns the steps that ran (empty when there was nothing to do).
pub fn run(
    conn: &mut PgConnection,
    set: &MigrationSet,
    command: &Command,
    options: &RunOptions,
    observer: &mut dyn Observer,
) -> Result<Vec<StepReport>> {
    run_and_report(conn, set, command, options, observer).map(|outcome| outcome.steps)
}

/// What a run did and where it left the database.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    /// The steps that ran, in order.
    pub steps: Vec<StepReport>,
    /// The migrations against the ledger as the run left it (computed from
    /// the ledger read under the lock and the steps, not read again).
    pub status: Status,
}

/// [`run`], also telling where the run left the database.
pub fn run_and_report(
    conn: &mut PgConnection,
    set: &MigrationSet,
    command: &Command,
    options: &RunOptions,
    observer: &mut dyn Observer,
) -> Result<RunOutcome> {
    set.require_contents()?;
    with_lock(conn, options.lock_timeout, observer, |conn, observer| {
        let (ledger, located) = ledger::read_for_run(conn)?;
        let status = Status::new(set, &ledger);
        let plan = make_plan(set, &status, command, options)?;
        observer.plan_ready(plan.steps.len());
        if plan.is_empty() {
            // Versions another tool applied get their checksums recorded
            // once, even when there is nothing to run.
            // Best effort: a role that may not create the side table still
            // gets its no-op upgrade.
            let adopt = ledger::adopt_unrecorded_sql(&ledger, |v| set.by_version(v));
            if !adopt.is_empty() && located.require_writable().is_ok() {
                let _ = ledger_schema::prepare(conn, &located, &adopt);
            }
            return Ok(RunOutcome {
                steps: Vec::new(),
                status,
            });
        }
        if !ledger.exists && located.also {
            refuse_unmanaged_schema(conn)?;
        }
        observer.before_run(conn, &plan, &status)?;
        located.require_writable()?;
        let adopt = ledger::adopt_unrecorded_sql(&ledger, |v| set.by_version(v));
        // Sent with the first migration rather than on its own; in one
        // transaction, the ledger's creation too (a failure leaves nothing).
        let mut prelude = WATCH_FOR_CLIENT_DEATH_SQL.to_string();
        if options.single_transaction {
            ledger_schema::upgrade_layout(conn, &located)?;
            prelude.push_str(&ledger_schema::prepare_sql(&located, &adopt));
        } else {
            ledger_schema::prepare(conn, &located, &adopt)?;
        }
        let steps = execute(conn, &plan, options, &ledger.tables, prelude, observer)?;
        let (ups, downs): (Vec<&Step>, Vec<&Step>) = plan
            .steps
            .iter()
            .partition(|s| s.direction == Direction::Up);
        let reverted: Vec<&str> = downs.iter().map(|s| s.migration.version.as_str()).collect();
        let after = ledger.after(ups.iter().map(|s| s.migration), &reverted);
        Ok(RunOutcome {
            steps,
            status: Status::new(set, &after),
        })
    })
}

/// Applies exactly `migrations`, in order, under the lock: how a scratch
/// database is brought to the state a live one records (gaps included).
pub fn apply_exactly(
    conn: &mut PgConnection,
    set: &MigrationSet,
    migrations: Vec<&MigrationScript>,
    options: &RunOptions,
) -> Result<Vec<StepReport>> {
    set.require_contents()?;
    if migrations.is_empty() {
        return Ok(Vec::new());
    }
    sql_check::check_migrations(&migrations)?;
    crate::database::progress_hook::emit(crate::database::progress_hook::Event::Started(
        migrations.len(),
    ));
    let mut reporter = crate::database::progress_hook::StepReporter;
    let result = with_lock(
        conn,
        options.lock_timeout,
        &mut reporter,
        |conn, observer| {
            let (ledger, located) = ledger::read_located(conn)?;
            located.require_writable()?;
            let adopt = ledger::adopt_unrecorded_sql(&ledger, |v| set.by_version(v));
            ledger_schema::prepare(conn, &located, &adopt)?;
            let plan = Plan::up(migrations);
            execute(
                conn,
                &plan,
                options,
                &ledger.tables,
                String::new(),
                observer,
            )
        },
    );
    crate::database::progress_hook::emit(crate::database::progress_hook::Event::Finished);
    result
}

/// Runs `plan` on a database that only this process uses (a scratch
/// database of `verify`), without the lock and without reading the ledger
/// first; the ledger tables must exist.
pub fn run_unlocked(
    conn: &mut PgConnection,
    plan: &Plan,
    options: &RunOptions,
) -> Result<Vec<StepReport>> {
    // `verify` replays single migrations through here, not through a plan
    // made (and checked) by `make_plan`.
    sql_check::check_plan(plan)?;
    // A scratch database's session has the target's search_path: the bare
    // names resolve to the ledger made there.
    let tables = LedgerTables::unqualified();
    execute(conn, plan, options, &tables, String::new(), &mut Silent)
}

/// Computes the plan for a command, enforcing `--single-transaction` rules.
pub fn make_plan<'s>(
    set: &'s MigrationSet,
    status: &Status,
    command: &Command,
    options: &RunOptions,
) -> Result<Plan<'s>> {
    set.require_contents()?;
    let plan = match command {
        Command::Upgrade(target) => plan::upgrade(set, status, target, options.plan)?,
        Command::Downgrade(target) => plan::downgrade(set, status, target)?,
        Command::Redo(n) => plan::redo(set, status, *n)?,
    };
    if options.single_transaction && plan.has_non_transactional() {
        let names: Vec<&str> = plan
            .steps
            .iter()
            .filter(|s| !s.migration.run_in_transaction)
            .map(|s| s.migration.dir_name.as_str())
            .collect();
        return Err(Error::Usage(format!(
            "--single-transaction cannot include migrations that must run outside a \
             transaction (run_in_transaction = false): {}\n  fix: drop \
             --single-transaction, or stop before them with a target",
            names.join(", ")
        )));
    }
    sql_check::check_plan(&plan)?;
    Ok(plan)
}

/// Runs `body` while holding the migration lock; the lock is released
/// whatever the outcome.
pub fn with_lock<T>(
    conn: &mut PgConnection,
    timeout: Duration,
    observer: &mut dyn Observer,
    body: impl FnOnce(&mut PgConnection, &mut dyn Observer) -> Result<T>,
) -> Result<T> {
    lock::acquire(conn, timeout, &mut |pid| observer.waiting_for_lock(pid))
        .map_err(|e| ledger_schema::step_error("taking the migration lock", e))?;
    let result = body(conn, observer);
    if result.is_err() {
        // A failure may have left a transaction open and aborted, in which
        // the unlock below would fail and the session-level lock would stay
        // held for as long as the connection lives (a pooled one: forever).
        let _ = conn.batch_execute("ROLLBACK");
    }
    let released = lock::release(conn);
    let value = result?;
    released?;
    Ok(value)
}

/// A database with tables but no ledger was set up by something else (the
/// seed's "Table already exists"): running the first migration over it would
/// fail halfway or, worse, succeed on top of a different schema.
fn refuse_unmanaged_schema(conn: &mut PgConnection) -> Result<()> {
    let relations = ledger::unmanaged_relations(conn)?;
    if relations.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = relations.iter().take(8).map(String::as_str).collect();
    Err(Error::Refused(format!(
        "refusing to migrate: the database already has {} table(s) or other relations ({}{}) \
         but no migration ledger, so nothing records which migrations made them.\n  fix: if \
         the original Python/Alembic system migrated it, run `ragchat-migrate adopt`; if its \
         schema matches a migration, record that with `ragchat-migrate stamp <version>`; for a \
         throwaway database, drop those tables and upgrade again",
        relations.len(),
        shown.join(", "),
        if relations.len() > shown.len() {
            ", ..."
        } else {
            ""
        }
    )))
}

/// Asks the server (PostgreSQL 14+) to notice within a second when this
/// client dies, so a killed migrator's half-run migration is rolled back and
/// its lock freed instead of running on. Older servers lack the setting, and
/// then the message simply runs to its end. A session setting, kept once the
/// first migration's transaction commits (if that one fails, the run stops).
const WATCH_FOR_CLIENT_DEATH_SQL: &str =
    "SELECT set_config('client_connection_check_interval', '1000', false) \
     WHERE current_setting('server_version_num')::int >= 140000;\n";

/// The migration SQL of a step and the ledger writes that go with it, each
/// step recorded on its own (the offline script's form).
pub fn step_sql<'s>(t: &LedgerTables, step: &Step<'s>, duration_ms: &str) -> (&'s str, String) {
    let m = step.migration;
    match step.direction {
        Direction::Up => (
            m.up_sql.as_str(),
            ledger::record_applied_sql(t, m, RecordedBy::Run, duration_ms),
        ),
        Direction::Down => (
            m.down_sql.as_deref().unwrap_or_default(),
            ledger::record_reverted_sql(t, &m.version),
        ),
    }
}

/// The migration SQL of a step and the ledger write sent with it by a live
/// run: Diesel's row, inserted or deleted (the side record is batched).
fn live_step_sql<'s>(t: &LedgerTables, step: &Step<'s>) -> (&'s str, String) {
    let m = step.migration;
    match step.direction {
        Direction::Up => (
            m.up_sql.as_str(),
            ledger::record_diesel_row_sql(t, &m.version),
        ),
        Direction::Down => (
            m.down_sql.as_deref().unwrap_or_default(),
            ledger::forget_diesel_row_sql(t, &m.version),
        ),
    }
}

/// The `lock_timeout` setting for migration SQL (`0` waits indefinitely).
pub fn lock_timeout_value(timeout: Option<Duration>) -> String {
    format!("'{}ms'", timeout.map_or(0, |t| t.as_millis()))
}

fn execute(
    conn: &mut PgConnection,
    plan: &Plan,
    options: &RunOptions,
    tables: &LedgerTables,
    prelude: String,
    observer: &mut dyn Observer,
) -> Result<Vec<StepReport>> {
    let ddl_timeout = lock_timeout_value(options.ddl_lock_timeout);
    let mut prelude = Some(prelude);
    if options.single_transaction {
        let begin = format!(
            "BEGIN;\nSET LOCAL lock_timeout = {ddl_timeout};\n{}",
            prelude.take().unwrap_or_default()
        );
        conn.batch_execute(&begin).map_err(|e| {
            ledger_schema::step_failed(
                &format!("preparing the migration ledger ({})", tables.diesel()),
                e,
            )
        })?;
    }
    let mut reports = Vec::with_capacity(plan.steps.len());
    let mut pending = ledger::PendingSideRecords::default();
    for step in &plan.steps {
        let started = Instant::now();
        // Waiting side-table changes go out with this step's message when
        // they are due; a failed message leaves them waiting.
        let flush = if pending.due_before(step.direction) {
            pending.sql(tables)
        } else {
            String::new()
        };
        let outcome = if options.single_transaction {
            run_message(conn, tables, step, &flush, "", None)
        } else if step.migration.run_in_transaction {
            let head = format!(
                "BEGIN;\nSET LOCAL lock_timeout = {ddl_timeout};\n{}{flush}",
                prelude.take().unwrap_or_default()
            );
            run_message(conn, tables, step, &head, "COMMIT;", Some(&ddl_timeout))
        } else {
            if let Some(sql) = prelude.take().filter(|sql| !sql.is_empty()) {
                conn.batch_execute(&sql)?;
            }
            run_outside_transaction(conn, tables, step, &flush)
        };
        if let Err(e) = outcome {
            // The failed message may have left a transaction aborted (also
            // the ledger message after a non-transactional step); end it.
            // Outside a transaction ROLLBACK only warns.
            let _ = conn.batch_execute("ROLLBACK");
            if !options.single_transaction {
                // The steps before this one are committed: record them now.
                // Should that fail too, the next run records them.
                let _ = conn.batch_execute(&pending.sql(tables));
            }
            return Err(e);
        }
        if !flush.is_empty() {
            pending.clear();
        }
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        match step.direction {
            Direction::Up => pending.applied(ledger::PendingRecord {
                migration: step.migration,
                duration_ms,
            }),
            Direction::Down => pending.reverted(&step.migration.version),
        }
        let report = StepReport {
            direction: step.direction,
            version: step.migration.version.clone(),
            name: step.migration.dir_name.clone(),
            duration_ms,
        };
        // In one transaction nothing is applied until COMMIT: report then.
        if !options.single_transaction {
            observer.step_done(&report);
        }
        reports.push(report);
    }
    let records = pending.sql(tables);
    let recording = "writing the side records of the migration ledger";
    if options.single_transaction {
        if let Err(e) = conn.batch_execute(&format!("{records}COMMIT;")) {
            let _ = conn.batch_execute("ROLLBACK");
            return Err(ledger_schema::step_failed(recording, e));
        }
        for report in &reports {
            observer.step_done(report);
        }
    } else if !records.is_empty() {
        conn.batch_execute(&records)
            .map_err(|e| ledger_schema::step_failed(recording, e))?;
    }
    Ok(reports)
}

/// Sends `head + sql + ledger writes + tail` as one message. An error
/// without a position is located by a rolled-back replay when
/// `replay_lock_timeout` is given (the migration ran on its own).
fn run_message(
    conn: &mut PgConnection,
    tables: &LedgerTables,
    step: &Step,
    head: &str,
    tail: &str,
    replay_lock_timeout: Option<&str>,
) -> Result<()> {
    let (sql, ledger_sql) = live_step_sql(tables, step);
    let message = format!("{head}{sql}\n;\n{ledger_sql}{tail}");
    conn.batch_execute(&message).map_err(|e| {
        let place = match pg_error::position(&e) {
            Some(p) => p
                .checked_sub(head.chars().count())
                .and_then(|p| blame::by_position(sql, p)),
            None if pg_error::concerns_ledger(&e) => None,
            None => replay_lock_timeout.and_then(|t| blame::by_replay(conn, sql, t, &e)),
        };
        failure(step, e, place)
    })
}

/// `run_in_transaction = false`: the SQL alone (PostgreSQL refuses e.g.
/// `CREATE INDEX CONCURRENTLY` in a transaction block), then the ledger.
/// No `lock_timeout` here: `CREATE INDEX CONCURRENTLY` waits for every older
/// transaction by design, and cancelling that wait would leave an INVALID
/// index behind.
///
/// The statements go one by one, as `--sql` prints them ([`sql_text`]):
/// PostgreSQL runs a multi-statement message as one implicit transaction,
/// in which `CREATE INDEX CONCURRENTLY` is refused.
fn run_outside_transaction(
    conn: &mut PgConnection,
    tables: &LedgerTables,
    step: &Step,
    flush: &str,
) -> Result<()> {
    let (sql, ledger_sql) = live_step_sql(tables, step);
    for statement in sql_text::parse(sql).statements {
        if let Err(e) = conn.batch_execute(statement.text) {
            let place = blame::in_statement(sql, &statement, pg_error::position(&e));
            let mut error = failure(step, e, Some(place));
            if let Error::MigrationFailed { message, .. } = &mut error {
                message.push_str(&invalid_index_note(conn));
            }
            return Err(error);
        }
    }
    conn.batch_execute(&format!("BEGIN;\n{flush}{ledger_sql}COMMIT;"))
        .map_err(|e| own_failure(step, e))?;
    Ok(())
}

/// A failed `CREATE INDEX CONCURRENTLY` leaves an INVALID index that makes
/// every rerun fail with "already exists"; name them and the way out.
fn invalid_index_note(conn: &mut PgConnection) -> String {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let invalid: Vec<Name> = diesel::sql_query(
        "SELECT i.indexrelid::regclass::text AS name FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT i.indisvalid AND n.nspname = current_schema()",
    )
    .load(conn)
    .unwrap_or_default();
    if invalid.is_empty() {
        return String::new();
    }
    let names: Vec<String> = invalid.into_iter().map(|n| n.name).collect();
    format!(
        "\n  the failed statement left INVALID index(es): {}; fix: `DROP INDEX CONCURRENTLY` \
         them, then rerun",
        names.join(", ")
    )
}

/// An error of the ledger writes that go with a step's SQL.
fn own_failure(step: &Step, error: diesel::result::Error) -> Error {
    ledger_schema::step_failed(
        &format!(
            "recording {} {} in the migration ledger (the migration's own SQL had run)",
            step.migration.dir_name,
            match step.direction {
                Direction::Up => "as applied",
                Direction::Down => "as reverted",
            }
        ),
        error,
    )
}

fn failure(step: &Step, error: diesel::result::Error, place: Option<blame::Place>) -> Error {
    let line = place.as_ref().map(|p| p.line);
    // The message also carries the toolkit's ledger writes: an error that
    // names a ledger table is theirs, not the migration's.
    if pg_error::concerns_ledger(&error) {
        return own_failure(step, error);
    }
    let mut message = pg_error::describe(&error);
    if pg_error::classify(&error) == pg_error::OwnErrorClass::StatementTimeout {
        message.push_str(
            "\n  statement_timeout (set for the role, the database or the URL's options) \
             cancelled the migration's SQL; fix: raise or reset it for the migration role",
        );
    }
    if message.contains("lock timeout") {
        message.push_str(
            "\n  the migration waited longer than --ddl-lock-timeout for a lock that \
             another session holds (a long query or transaction on the same table); \
             fix: rerun when that session is done, or raise --ddl-lock-timeout (0 waits \
             indefinitely)",
        );
    }
    if let Some(place) = &place {
        message.push_str(&place.note());
    }
    Error::MigrationFailed {
        dir: step.migration.dir_name.clone(),
        file: match step.direction {
            Direction::Up => "up.sql",
            Direction::Down => "down.sql",
        },
        line: SqlLine(line),
        message,
    }
}
