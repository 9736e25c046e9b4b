//! The reports of the commands that run a plan (`upgrade`, `downgrade`,
//! `reset`, `redo`, `redo --accept`) and of their offline scripts.

use super::status::CurrentRef;
use super::{duration, Printer, Report};
use ragchat_migrate::database::migrator::StepReport;
use ragchat_migrate::migrations::source::MigrationSet;
use ragchat_migrate::Error;
use serde::Serialize;

/// A run that finished: the steps it applied and where the database is now.
#[derive(Debug, Serialize)]
pub struct RunReport {
    /// Always true: a failed run is an error document.
    pub ok: bool,
    /// The masked URL.
    pub database: String,
    /// Redo --accept: the versions whose new checksums were recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<Vec<String>>,
    /// Each step, in order.
    pub steps: Vec<StepReport>,
    /// The steps' time, in milliseconds.
    pub total_ms: f64,
    /// Where the database is now.
    pub current: CurrentRef,
    /// `applied` (upgrade) or `ran` (the others).
    #[serde(skip)]
    pub verb: &'static str,
    /// Where the database is now, in words.
    #[serde(skip)]
    pub now_at: String,
    /// Redo --accept: the directory names of the accepted versions.
    #[serde(skip)]
    pub accepted_dirs: Vec<String>,
}

impl RunReport {
    /// The report of `steps`, `total_ms` summed from them.
    pub fn new(
        database: &str,
        steps: Vec<StepReport>,
        current: CurrentRef,
        now_at: String,
    ) -> Self {
        RunReport {
            ok: true,
            database: database.to_string(),
            accepted: None,
            total_ms: steps.iter().map(|r| r.duration_ms).sum(),
            steps,
            current,
            verb: "ran",
            now_at,
            accepted_dirs: Vec::new(),
        }
    }

    fn summary(&self) -> String {
        format!(
            "{} {} step(s) in {}; now at {}",
            self.verb,
            self.steps.len(),
            duration(self.total_ms),
            self.now_at
        )
    }
}

impl Report for RunReport {
    fn text(&self, _: &Printer) -> Vec<String> {
        let Some(accepted) = &self.accepted else {
            return vec![if self.steps.is_empty() {
                "nothing to do".to_string()
            } else {
                self.summary()
            }];
        };
        let mut lines = Vec::new();
        if accepted.is_empty() {
            lines.push("nothing was edited: this was a plain redo, no checksum changed".into());
        }
        for dir in &self.accepted_dirs {
            lines.push(format!(
                "accepted the edit of {dir}: reverted with the current down.sql, applied the \
                 current up.sql, recorded the new checksums"
            ));
        }
        lines.push(self.summary());
        lines
    }
}

/// An offline script (`--sql`) as a JSON document; as text, the script is
/// printed as it is.
#[derive(Debug, Serialize)]
pub struct ScriptReport<'a> {
    /// Always true.
    pub ok: bool,
    /// The script.
    pub sql: &'a str,
    /// How many migration steps it holds (`null` for stamp).
    pub steps: Option<usize>,
}

/// What the error document of a failed run adds: the database, the steps
/// applied (committed) before the failure, and the step that failed (`null`
/// when the run failed before or between migrations, e.g. on the lock or a
/// refusal).
#[derive(Debug, Serialize)]
pub struct FailedRun {
    /// The masked URL.
    pub database: String,
    /// The steps committed before the failure.
    pub steps: Vec<StepReport>,
    /// The step that failed.
    pub failed: Option<FailedStep>,
}

/// The migration step a run failed in.
#[derive(Debug, Serialize)]
pub struct FailedStep {
    /// `up` or `down`.
    pub direction: &'static str,
    /// Its version.
    pub version: Option<String>,
    /// Its directory name.
    pub name: String,
    /// `up.sql` or `down.sql`.
    pub file: &'static str,
    /// Where in the file PostgreSQL located the error, when it did.
    pub line: Option<usize>,
}

impl FailedRun {
    /// The detail of `error`, after the steps `done` of a run on `set`.
    pub fn new(database: &str, set: &MigrationSet, done: &[StepReport], error: &Error) -> Self {
        let failed = match error {
            Error::MigrationFailed {
                dir, file, line, ..
            } => Some(FailedStep {
                direction: if *file == "down.sql" { "down" } else { "up" },
                version: set
                    .all()
                    .iter()
                    .find(|m| &m.dir_name == dir)
                    .map(|m| m.version.clone()),
                name: dir.clone(),
                file,
                line: line.0,
            }),
            _ => None,
        };
        FailedRun {
            database: database.to_string(),
            steps: done.to_vec(),
            failed,
        }
    }

    /// Records it for the error document (see `json_contract`).
    pub fn record(&self) {
        if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(self) {
            crate::output::json_contract::set_failure_detail(fields);
        }
    }
}
