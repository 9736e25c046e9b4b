//! Runs a command on a connection, under the migration lock: read the
//! ledger, plan ([`plan::for_command`]), prepare the ledger, and send the
//! plan's messages (`database::messages`, which `--sql` prints
//! too) through `database::execute`. Diesel's
//! `__diesel_schema_migrations` is written exactly as Diesel would.

use crate::database::execute::execute;
use crate::database::ledger::{self, LedgerTables};
use crate::database::lock;
use crate::database::messages::{LedgerWrites, PreludePlacement, RenderOptions};
pub use crate::database::observer::{Observer, Silent, StepReport};
use crate::database::pg_error;
use crate::database::progress_hook;
use crate::error::{Error, Result};
use crate::migrations::direction::Direction;
pub use crate::migrations::plan::Command;
use crate::migrations::plan::{self, Plan, Step};
use crate::migrations::source::{MigrationScript, MigrationSet};
use crate::migrations::sql_check;
use crate::migrations::status::Status;
use crate::refusal::Refusal;
use diesel::connection::SimpleConnection;
use diesel::PgConnection;
use std::time::Duration;

/// How to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// How long to wait for another migrator's lock.
    pub lock_timeout: Duration,
    /// `lock_timeout` for migration SQL; `None` waits indefinitely.
    pub ddl_lock_timeout: Option<Duration>,
    /// The planner's options, `--single-transaction` among them.
    pub plan: plan::Options,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            lock_timeout: Duration::from_secs(60),
            ddl_lock_timeout: Some(Duration::from_secs(5)),
            plan: plan::Options::default(),
        }
    }
}

impl RunOptions {
    /// How a live run renders a plan on `tables`, `prelude` first.
    fn render<'a>(&self, tables: &'a LedgerTables, prelude: &'a str) -> RenderOptions<'a> {
        RenderOptions {
            single_transaction: self.plan.single_transaction,
            ddl_lock_timeout: self.ddl_lock_timeout,
            tables,
            ledger_writes: LedgerWrites::Batched,
            prelude,
            prelude_placement: PreludePlacement::WithFirstMessage,
        }
    }
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
                let _ = ledger::prepare(conn, &located, &adopt);
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
        if options.plan.single_transaction {
            ledger::upgrade_layout(conn, &located)?;
            prelude.push_str(&ledger::prepare_sql(&located, &adopt));
        } else {
            ledger::prepare(conn, &located, &adopt)?;
        }
        let render = options.render(&ledger.tables, &prelude);
        let steps = execute(conn, &plan, &render, observer)?;
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
    applying(set, migrations, |plan| {
        with_lock(
            conn,
            options.lock_timeout,
            &mut StepReporter,
            |conn, observer| {
                let (ledger, located) = ledger::read_located(conn)?;
                located.require_writable()?;
                let adopt = ledger::adopt_unrecorded_sql(&ledger, |v| set.by_version(v));
                ledger::prepare(conn, &located, &adopt)?;
                execute(conn, &plan, &options.render(&ledger.tables, ""), observer)
            },
        )
    })
}

/// Applies exactly `migrations`, in order, on a scratch database that only
/// has to show the schema they make (a cold `check`, `adopt`): no lock and
/// no ledger, so each migration is its SQL in its transaction and nothing
/// else (a ledger row in every message costs the server more than anything
/// else the toolkit adds).
pub fn apply_for_schema(
    conn: &mut PgConnection,
    set: &MigrationSet,
    migrations: Vec<&MigrationScript>,
) -> Result<Vec<StepReport>> {
    applying(set, migrations, |plan| {
        let tables = LedgerTables::unqualified();
        let options = RunOptions::default();
        let mut render = options.render(&tables, "");
        render.ledger_writes = LedgerWrites::None;
        execute(conn, &plan, &render, &mut StepReporter)
    })
}

/// What applying exactly `migrations` on a scratch database takes around
/// `apply` (given their plan): their texts read and checked, progress
/// reported; nothing to do for none.
fn applying(
    set: &MigrationSet,
    migrations: Vec<&MigrationScript>,
    apply: impl FnOnce(Plan) -> Result<Vec<StepReport>>,
) -> Result<Vec<StepReport>> {
    set.require_contents()?;
    if migrations.is_empty() {
        return Ok(Vec::new());
    }
    sql_check::check_migrations(&migrations)?;
    progress_hook::emit(progress_hook::Event::Started(migrations.len()));
    let result = apply(Plan::up(migrations));
    progress_hook::emit(progress_hook::Event::Finished);
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
    // made (and checked) by the planner.
    plan.check_sql()?;
    // A scratch database's session has the target's search_path: the bare
    // names resolve to the ledger made there.
    let tables = LedgerTables::unqualified();
    execute(conn, plan, &options.render(&tables, ""), &mut Silent)
}

/// The plan for a command ([`plan::for_command`]).
pub fn make_plan<'s>(
    set: &'s MigrationSet,
    status: &Status,
    command: &Command,
    options: &RunOptions,
) -> Result<Plan<'s>> {
    plan::for_command(set, status, command, options.plan)
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
        .map_err(|e| pg_error::step_error("taking the migration lock", e))?;
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
    Err(Error::Refused(Refusal::UnmanagedSchema { relations }))
}

/// Asks the server (PostgreSQL 14+) to notice within a second when this
/// client dies, so a killed migrator's half-run migration is rolled back and
/// its lock freed instead of running on. Older servers lack the setting, and
/// then the message simply runs to its end. A session setting, kept once the
/// first migration's transaction commits (if that one fails, the run stops).
const WATCH_FOR_CLIENT_DEATH_SQL: &str =
    "SELECT set_config('client_connection_check_interval', '1000', false) \
     WHERE current_setting('server_version_num')::int >= 140000;\n";

/// An observer that reports each finished step to the progress hook.
struct StepReporter;

impl Observer for StepReporter {
    fn step_done(&mut self, _report: &StepReport) {
        progress_hook::emit(progress_hook::Event::Step);
    }
}
