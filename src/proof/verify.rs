//! `verify`: proves every migration reversible on a scratch database, and
//! checks the whole history in one run.
//!
//! For each migration in order: up, down (the schema must be as before), up
//! again (as after). A `down.sql` that forgets an index, a type or a column
//! shows up as the difference it leaves. A migration whose down fails or
//! leaves a difference is recorded as irreversible, and verification carries
//! on from the state that should exist after it: a failed transactional
//! down rolled back to exactly that state; anything else gets a fresh scratch
//! database brought up to that migration. A migration whose `down.sql` has
//! the line `-- ragchat-migrate: irreversible` is irreversible on purpose:
//! its down is not run, and it does not fail verification. Finally the
//! reversible suffix (everything after the last irreversible migration, or
//! the whole set) goes head → start of the suffix → head.
//!
//! Snapshots are incremental ([`crate::proof::catalog_tracker`]): each step reads
//! only the objects it touched, so a step costs the same at migration 2,000
//! as at migration 10.

use crate::database::migrator::{self, Command, RunOptions, Silent};
use crate::error::Result;
use crate::migrations::plan::Plan;
use crate::migrations::source::{MigrationScript, MigrationSet};
use crate::migrations::target::Target;
use crate::proof::catalog::{self, Snapshot};
use crate::proof::catalog_tracker::{Owner, Picture, Tracker};
pub use crate::proof::irreversible::{declared_irreversible, DECLARED_IRREVERSIBLE_MARKER};
use crate::proof::verify_report::{not_checked, skipped_round, totals};
pub use crate::proof::verify_report::{Problem, Report, Totals, Verdict};
use diesel::connection::SimpleConnection;
use diesel::PgConnection;
use std::collections::HashMap;
use std::time::Instant;

/// Where verification runs: a connection to the current scratch database,
/// and a way to get a fresh empty one (the old one may then be dropped).
pub struct Scratch<'a> {
    conn: PgConnection,
    fresh: &'a mut dyn FnMut() -> Result<PgConnection>,
    tracker: Tracker,
    rebuilds: usize,
}

impl Scratch<'_> {
    /// A fresh scratch database with exactly `migrations` applied.
    fn rebuild(&mut self, migrations: &[MigrationScript]) -> Result<()> {
        let mut conn = (self.fresh)()?;
        conn.batch_execute(&crate::database::ledger::create_ledger_sql(
            &crate::database::ledger::LedgerTables::unqualified(),
        ))?;
        migrator::run_unlocked(&mut conn, &Plan::up(migrations), &RunOptions::default())?;
        self.tracker = Tracker::start(&mut conn)?;
        self.conn = conn;
        Ok(())
    }

    fn step(&mut self, plan: Plan) -> std::result::Result<(), String> {
        migrator::run_unlocked(&mut self.conn, &plan, &RunOptions::default())
            .map(|_| ())
            .map_err(|e| one_line(&e.to_string()))
    }
}

/// Migrations between two vacuums of the scratch database's catalogs.
const VACUUM_EVERY: usize = 100;

/// The catalogs that each up, down and up again writes: every migration
/// leaves dead rows in them (a table created and dropped is a few dozen),
/// and each catalog lookup of a later step wades through them. Autovacuum
/// gets to them only after about a thousand migrations, so until then the
/// cost of a step grows with the history (verify of 1,000 migrations:
/// ~11 ms a migration at the start, ~29 ms before autovacuum ran).
const CHURNED_CATALOGS: &str = "VACUUM pg_catalog.pg_class, pg_catalog.pg_attribute, \
     pg_catalog.pg_type, pg_catalog.pg_depend, pg_catalog.pg_constraint, pg_catalog.pg_index, \
     pg_catalog.pg_attrdef, pg_catalog.pg_sequence, pg_catalog.pg_trigger, \
     pg_catalog.pg_rewrite, pg_catalog.pg_proc, pg_catalog.pg_description";

/// Vacuums [`CHURNED_CATALOGS`] on the scratch database (its owner may). A
/// refusal only leaves the cleaning to autovacuum.
fn vacuum_catalogs(conn: &mut PgConnection) {
    let _ = conn.batch_execute(CHURNED_CATALOGS);
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Verifies the migrations of `set` after the first `start` (which are
/// applied first, unchecked: `--from`). `fresh` gives a connection to a new
/// empty scratch database; `on_verdict` sees each verdict when it is known.
pub fn verify(
    fresh: &mut dyn FnMut() -> Result<PgConnection>,
    set: &MigrationSet,
    start: usize,
    on_verdict: &mut dyn FnMut(&Verdict),
) -> Result<Report> {
    let conn = fresh()?;
    let mut scratch = Scratch {
        conn,
        fresh,
        tracker: Tracker::default(),
        rebuilds: 0,
    };
    scratch
        .conn
        .batch_execute(&crate::database::ledger::create_ledger_sql(
            &crate::database::ledger::LedgerTables::unqualified(),
        ))?;
    if start > 0 {
        migrator::run_unlocked(
            &mut scratch.conn,
            &Plan::up(&set.all()[..start]),
            &RunOptions::default(),
        )?;
    }
    scratch.tracker = Tracker::start(&mut scratch.conn)?;
    // The schema the reversible suffix starts from: (index, snapshot).
    let mut anchor = (start, scratch.tracker.snapshot());
    let mut verdicts = Vec::new();
    let mut stopped = false;
    for (i, m) in set.all().iter().enumerate().skip(start) {
        if stopped {
            verdicts.push(not_checked(m));
            on_verdict(verdicts.last().expect("just pushed"));
            continue;
        }
        if (i - start) % VACUUM_EVERY == VACUUM_EVERY - 1 {
            vacuum_catalogs(&mut scratch.conn);
        }
        let verdict = verify_one(&mut scratch, set, i)?;
        stopped = verdict.verdict == "up failed";
        if !verdict.ok || verdict.verdict != "reversible" {
            anchor = (i + 1, scratch.tracker.snapshot());
        }
        on_verdict(&verdict);
        verdicts.push(verdict);
    }
    let round_trip = if stopped {
        skipped_round(
            "a migration failed to apply, so the whole set was not run",
            false,
        )
    } else {
        round_trip(&mut scratch, set, anchor)?
    };
    on_verdict(&round_trip);
    let totals = totals(&verdicts, scratch.rebuilds);
    let ok = verdicts.iter().all(|v| v.ok) && round_trip.ok;
    Ok(Report {
        migrations: verdicts,
        round_trip,
        totals,
        ok,
    })
}

/// Records the facts that owners had before a step: the first value seen
/// for an owner wins (an owner untouched until now still had it).
fn remember(
    into: &mut HashMap<Owner, Vec<catalog::Fact>>,
    old: HashMap<Owner, Vec<catalog::Fact>>,
) {
    for (owner, facts) in old {
        into.entry(owner).or_insert(facts);
    }
}

fn difference(stage: &str, detail: &str, expected: &Picture, actual: &Picture) -> Option<Problem> {
    let diff = expected.snapshot().diff(&actual.snapshot());
    (!diff.is_empty()).then(|| Problem {
        stage: stage.into(),
        detail: detail.into(),
        diff: diff.iter().map(ToString::to_string).collect(),
    })
}

/// up, down, up again for migration `i`; leaves the scratch database in the
/// state after migration `i` (rebuilding it when the steps could not).
fn verify_one(scratch: &mut Scratch, set: &MigrationSet, i: usize) -> Result<Verdict> {
    let m = &set.all()[i];
    let started = Instant::now();
    let mut verdict = Verdict {
        version: m.version.clone(),
        name: m.dir_name.clone(),
        verdict: "reversible".into(),
        ok: true,
        problems: Vec::new(),
        duration_ms: 0.0,
    };
    let mut before = Picture {
        owners: HashMap::new(),
        globals: scratch.tracker.globals().to_vec(),
    };
    if let Err(detail) = scratch.step(Plan::up([m])) {
        verdict.verdict = "up failed".into();
        verdict.ok = false;
        verdict.problems.push(Problem::failed("up", detail));
    } else {
        remember(
            &mut before.owners,
            scratch.tracker.refresh(&mut scratch.conn)?,
        );
        let after = scratch.tracker.picture(before.owners.keys());
        if declared_irreversible(m) {
            verdict.verdict = "irreversible (declared)".into();
        } else if m.down_sql.is_none() {
            irreversible(
                &mut verdict,
                Problem::failed("down", "no down.sql: the migration cannot be reverted"),
            );
        } else if let Err(detail) = scratch.step(Plan::down([m])) {
            irreversible(&mut verdict, Problem::failed("down", detail));
            // A transactional down rolled back; anything else needs a rebuild.
            if !m.run_in_transaction || !scratch.tracker.refresh(&mut scratch.conn)?.is_empty() {
                rebuild(scratch, set, i)?;
            }
        } else {
            down_then_up_again(scratch, set, i, &mut verdict, before, after)?;
        }
    }
    verdict.duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(verdict)
}

/// Marks `verdict` irreversible for `problem`.
fn irreversible(verdict: &mut Verdict, problem: Problem) {
    verdict.verdict = "irreversible".into();
    verdict.ok = false;
    verdict.problems.push(problem);
}

/// After a down.sql that ran: the schema must be `before` again, and up.sql
/// run a second time must give `after` again.
fn down_then_up_again(
    scratch: &mut Scratch,
    set: &MigrationSet,
    i: usize,
    verdict: &mut Verdict,
    mut before: Picture,
    mut after: Picture,
) -> Result<()> {
    let old = scratch.tracker.refresh(&mut scratch.conn)?;
    remember(&mut after.owners, old.clone());
    remember(&mut before.owners, old);
    let now = scratch.tracker.picture(before.owners.keys());
    let down_diff = difference(
        "down",
        "after down.sql the schema is not what it was before up.sql (- was there before and is missing now, + is left over)",
        &before,
        &now,
    );
    let restored = down_diff.is_none();
    if let Some(p) = down_diff {
        irreversible(verdict, p);
    }
    let again = match scratch.step(Plan::up([&set.all()[i]])) {
        Err(detail) => Some(Problem::failed("up again", detail)),
        Ok(()) => {
            remember(
                &mut after.owners,
                scratch.tracker.refresh(&mut scratch.conn)?,
            );
            let now = scratch.tracker.picture(after.owners.keys());
            difference(
                "up again",
                "applying up.sql a second time gives a different schema than the first time",
                &after,
                &now,
            )
        }
    };
    if let Some(p) = again {
        // After a clean down, an up that does not repeat itself is the
        // migration's own problem; after a broken down it may be a
        // consequence. Either way the state is unknown: rebuild.
        if restored {
            irreversible(verdict, p);
        } else {
            verdict.problems.push(p);
        }
        rebuild(scratch, set, i)?;
    }
    Ok(())
}

fn rebuild(scratch: &mut Scratch, set: &MigrationSet, i: usize) -> Result<()> {
    scratch.rebuilds += 1;
    scratch.rebuild(&set.all()[..=i])
}

/// head → the start of the reversible suffix → head, compared with the
/// schemas seen on the way up.
fn round_trip(
    scratch: &mut Scratch,
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
    scratch: &mut Scratch,
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
