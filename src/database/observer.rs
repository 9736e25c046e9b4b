//! What the migrator tells its caller while it works, and the report of a
//! step that ran. The CLI prints; an application at start-up may stay
//! silent ([`Silent`]).

use crate::error::Result;
use crate::migrations::direction::Direction;
use crate::migrations::plan::Plan;
use crate::migrations::status::Status;
use diesel::PgConnection;
use serde::Serialize;

/// Receives the migrator's progress.
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
