//! `verify`: proves every migration reversible on a scratch database. For
//! each migration in order: snapshot, up, snapshot, down, snapshot (must equal
//! the first), up again, snapshot (must equal the second). Then the whole set:
//! `downgrade base` must give the empty start again and `upgrade head` the
//! same final schema. A `down.sql` that forgets an index, a type or a column
//! shows up as the difference it leaves.

use crate::catalog::{self, Snapshot};
use crate::error::Result;
use crate::migrator::{self, Command, RunOptions, Silent};
use crate::source::{MigrationScript, MigrationSet};
use crate::target::Target;
use diesel::PgConnection;
use serde::Serialize;
use std::time::Instant;

/// What went wrong at one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// `up`, `down`, `down leaves a difference`, `up again differs`, ...
    pub stage: String,
    /// The error or explanation.
    pub detail: String,
    /// The schema differences, as readable lines.
    pub diff: Vec<String>,
}

impl Problem {
    /// A stage that failed outright, with no schema difference to show.
    fn failed(stage: &str, detail: impl Into<String>) -> Self {
        Problem {
            stage: stage.into(),
            detail: detail.into(),
            diff: Vec::new(),
        }
    }
}

/// The verdict for one migration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The migration's version.
    pub version: String,
    /// Its directory name.
    pub name: String,
    /// True when every stage held.
    pub ok: bool,
    /// What failed.
    pub problems: Vec<Problem>,
    /// Milliseconds for up, down and up again.
    pub duration_ms: f64,
}

/// The whole verification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// One verdict per migration, in order (stops at a migration whose up fails).
    pub migrations: Vec<Verdict>,
    /// The base → head → base round trip of the whole set.
    pub round_trip: Verdict,
    /// True when everything passed.
    pub ok: bool,
}

/// Verifies `set` on `conn`, an empty scratch database. `on_verdict` sees
/// each verdict as soon as it is known.
pub fn verify(
    conn: &mut PgConnection,
    set: &MigrationSet,
    on_verdict: &mut dyn FnMut(&Verdict),
) -> Result<Report> {
    let empty = catalog::snapshot(conn)?;
    let mut verdicts = Vec::new();
    let mut all_applied = true;
    for m in set.all() {
        let verdict = verify_one(conn, set, m)?;
        on_verdict(&verdict);
        all_applied = verdict.problems.iter().all(|p| p.stage != "up");
        verdicts.push(verdict);
        if !all_applied {
            break;
        }
    }
    let round_trip = if all_applied {
        round_trip(conn, set, &empty)?
    } else {
        Verdict {
            version: String::new(),
            name: "head -> base -> head".into(),
            ok: false,
            problems: vec![Problem::failed(
                "skipped",
                "a migration failed to apply, so the whole set was not run",
            )],
            duration_ms: 0.0,
        }
    };
    on_verdict(&round_trip);
    let ok = verdicts.iter().all(|v| v.ok) && round_trip.ok;
    Ok(Report {
        migrations: verdicts,
        round_trip,
        ok,
    })
}

fn run(
    conn: &mut PgConnection,
    set: &MigrationSet,
    command: Command,
) -> std::result::Result<(), String> {
    migrator::run(conn, set, &command, &RunOptions::default(), &mut Silent)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn difference(
    stage: &str,
    detail: &str,
    expected: &Snapshot,
    actual: &Snapshot,
) -> Option<Problem> {
    let diff = expected.diff(actual);
    (!diff.is_empty()).then(|| Problem {
        stage: stage.into(),
        detail: detail.into(),
        diff: diff.iter().map(ToString::to_string).collect(),
    })
}

fn verify_one(conn: &mut PgConnection, set: &MigrationSet, m: &MigrationScript) -> Result<Verdict> {
    let started = Instant::now();
    let mut problems = Vec::new();
    let before = catalog::snapshot(conn)?;
    let up = Command::Upgrade(Target::Revision(m.version.clone()));
    if let Err(detail) = run(conn, set, up.clone()) {
        problems.push(Problem::failed("up", detail));
    } else {
        let after = catalog::snapshot(conn)?;
        if m.down_sql.is_none() {
            problems.push(Problem::failed(
                "down",
                "no down.sql: the migration cannot be reverted",
            ));
        } else if let Err(detail) = run(conn, set, Command::Downgrade(Target::Relative(-1))) {
            problems.push(Problem::failed("down", detail));
        } else {
            let reverted = catalog::snapshot(conn)?;
            problems.extend(difference(
                "down",
                "after down.sql the schema is not what it was before up.sql (- was there before and is missing now, + is left over)",
                &before,
                &reverted,
            ));
            match run(conn, set, up) {
                Err(detail) => problems.push(Problem::failed("up again", detail)),
                Ok(()) => {
                    let again = catalog::snapshot(conn)?;
                    problems.extend(difference(
                        "up again",
                        "applying up.sql a second time gives a different schema than the first time",
                        &after,
                        &again,
                    ));
                }
            }
        }
    }
    Ok(Verdict {
        version: m.version.clone(),
        name: m.dir_name.clone(),
        ok: problems.is_empty(),
        problems,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

fn round_trip(conn: &mut PgConnection, set: &MigrationSet, empty: &Snapshot) -> Result<Verdict> {
    let started = Instant::now();
    let mut problems = Vec::new();
    let head = catalog::snapshot(conn)?;
    if let Err(detail) = run(conn, set, Command::Downgrade(Target::Base)) {
        problems.push(Problem::failed("downgrade base", detail));
    } else {
        let base = catalog::snapshot(conn)?;
        problems.extend(difference(
            "downgrade base",
            "reverting everything does not give the empty database back",
            empty,
            &base,
        ));
        if let Err(detail) = run(conn, set, Command::Upgrade(Target::Head)) {
            problems.push(Problem::failed("upgrade head", detail));
        } else {
            let again = catalog::snapshot(conn)?;
            problems.extend(difference(
                "upgrade head",
                "base -> head gives a different schema than applying one by one",
                &head,
                &again,
            ));
        }
    }
    Ok(Verdict {
        version: String::new(),
        name: "head -> base -> head".into(),
        ok: problems.is_empty(),
        problems,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}
