//! `verify`'s last stage: the reversible suffix of the history goes head →
//! its start → head, compared with the schemas the step-wise pass saw.

use crate::database::migrator::{self, Command, RunOptions, Silent};
use crate::error::Result;
use crate::migrations::source::MigrationSet;
use crate::migrations::target::Target;
use crate::proof::catalog::{self, Snapshot};
use crate::proof::verify_report::{skipped_round, Problem, Verdict};
use crate::proof::verify_step::{one_line, Scratch};
use diesel::PgConnection;
use std::time::Instant;

/// head → the start of the reversible suffix → head, compared with the
/// schemas seen on the way up.
pub(crate) fn round_trip(
    scratch: &mut Scratch<'_>,
    set: &MigrationSet,
    anchor: (usize, Snapshot),
) -> Result<Verdict> {
    let (from, expected_low) = anchor;
    let all = set.all();
    let (target, low_name) = if from == 0 {
        (Target::Base, "base".to_string())
    } else {
        (
            Target::Revision(all[from - 1].version.clone()),
            all[from - 1].dir_name.clone(),
        )
    };
    let mut verdict = skipped_round("", true);
    verdict.name = format!(
        "head -> {} -> head",
        crate::migrations::names::shown(&low_name)
    );
    if from >= all.len() {
        verdict.problems.clear();
        verdict.verdict = format!(
            "skipped: no reversible migration after {}",
            crate::migrations::names::shown(&low_name)
        );
        return Ok(verdict);
    }
    verdict.verdict = format!(
        "round trip over the reversible suffix: {} migration(s), {} .. {}",
        all.len() - from,
        crate::migrations::names::shown(&all[from].dir_name),
        crate::migrations::names::shown(&all[all.len() - 1].dir_name)
    );
    let started = Instant::now();
    verdict.problems = down_and_up(scratch, set, target, &low_name, &expected_low)?;
    verdict.ok = verdict.problems.is_empty();
    verdict.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(verdict)
}

/// The round trip proper: down to `target` (whose schema was
/// `expected_low`) and up to head again, compared with what the step-wise
/// pass saw; the problems found.
fn down_and_up(
    scratch: &mut Scratch<'_>,
    set: &MigrationSet,
    target: Target,
    low_name: &str,
    expected_low: &Snapshot,
) -> Result<Vec<Problem>> {
    let mut problems = Vec::new();
    // Head as the step-wise pass left it (brought up to date, which costs
    // one summary, not a full read); the low point is read the same way.
    // Only the schema after going up again is read in full: an independent
    // check of everything the tracker assembled.
    scratch.tracker.refresh(&mut scratch.conn)?;
    let head = scratch.tracker.snapshot();
    let Scratch { conn, tracker, .. } = scratch;
    let run = |conn: &mut PgConnection, command: Command| {
        migrator::run(conn, set, &command, &RunOptions::default(), &mut Silent)
            .map(|_| ())
            .map_err(|e| one_line(&e.to_string()))
    };
    let compare = |stage: &str, detail: &str, expected: &Snapshot, actual: &Snapshot| {
        let diff = expected.diff(actual);
        (!diff.is_empty()).then(|| Problem {
            stage: stage.into(),
            detail: detail.into(),
            diff: diff.iter().map(ToString::to_string).collect(),
        })
    };
    if let Err(detail) = run(conn, Command::Downgrade(target)) {
        problems.push(Problem::failed("downgrade", detail));
    } else {
        tracker.refresh(conn)?;
        let low = tracker.snapshot();
        problems.extend(compare(
            "downgrade",
            &format!(
                "reverting to {} does not give its schema back",
                crate::migrations::names::shown(low_name)
            ),
            expected_low,
            &low,
        ));
        if let Err(detail) = run(conn, Command::Upgrade(Target::Head)) {
            problems.push(Problem::failed("upgrade head", detail));
        } else {
            let again = catalog::snapshot(conn)?;
            problems.extend(compare(
                "upgrade head",
                "going up again gives a different schema than applying one by one",
                &head,
                &again,
            ));
        }
    }
    Ok(problems)
}
