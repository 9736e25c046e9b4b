//! One stretch of `verify`: for each migration, up, down (the schema must
//! be as before) and up again (as after), on a scratch database; a
//! migration whose down fails or leaves a difference is recorded as
//! irreversible, and the check carries on from the state that should exist
//! after it (a failed transactional down rolled back to exactly that;
//! anything else gets a fresh scratch database brought up to it).

use crate::database::migrator::{self, RunOptions};
use crate::error::Result;
use crate::migrations::plan::Plan;
use crate::migrations::source::{MigrationScript, MigrationSet};
use crate::proof::catalog::{self, Snapshot};
use crate::proof::catalog_tracker::{Owner, Picture, Tracker};
use crate::proof::irreversible::declared_irreversible;
use crate::proof::scratch::ScratchDb;
use crate::proof::verify_report::{Problem, Verdict};
use diesel::connection::SimpleConnection;
use diesel::PgConnection;
use std::collections::HashMap;
use std::time::Instant;

/// Makes a new, empty scratch database. Stretches of the history are
/// checked on threads of their own, so it is called from several at once.
pub type FreshScratch<'a> = dyn Fn() -> Result<ScratchDb> + Sync + 'a;

/// Where verification runs: the current scratch database and a connection
/// to it, and the way to get a fresh one (the old one is then dropped).
pub(crate) struct Scratch<'a> {
    pub(crate) conn: PgConnection,
    pub(crate) db: ScratchDb,
    fresh: &'a FreshScratch<'a>,
    pub(crate) tracker: Tracker,
    pub(crate) rebuilds: usize,
}

impl<'a> Scratch<'a> {
    /// A fresh scratch database with exactly `migrations` applied, its
    /// schema tracked from there.
    pub(crate) fn new(fresh: &'a FreshScratch<'a>, migrations: &[MigrationScript]) -> Result<Self> {
        let mut db = fresh()?;
        let mut conn = db.take_connection()?;
        conn.batch_execute(&crate::database::ledger::create_ledger_sql(
            &crate::database::ledger::LedgerTables::unqualified(),
        ))?;
        if !migrations.is_empty() {
            migrator::run_unlocked(&mut conn, &Plan::up(migrations), &RunOptions::default())?;
        }
        let tracker = Tracker::start(&mut conn)?;
        Ok(Scratch {
            conn,
            db,
            fresh,
            tracker,
            rebuilds: 0,
        })
    }

    /// Replaces the scratch database with a fresh one with exactly
    /// `migrations` applied (the old one is dropped).
    fn rebuild(&mut self, migrations: &[MigrationScript]) -> Result<()> {
        let Scratch {
            conn, db, tracker, ..
        } = Scratch::new(self.fresh, migrations)?;
        self.conn = conn;
        self.db = db;
        self.tracker = tracker;
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

pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How one stretch ended.
pub(crate) struct SegmentEnd<'a> {
    /// Its scratch database, at the end of the stretch or where an up
    /// failed (`None` once a middle stretch let it go).
    pub(crate) scratch: Option<Scratch<'a>>,
    /// Fresh scratch databases built to carry on after a failure.
    pub(crate) rebuilds: usize,
    /// Where the stretch starts.
    pub(crate) from: usize,
    /// Where the reversible suffix starts as far as this stretch knows:
    /// after its last migration that is not plainly reversible, else its
    /// start; with the schema there.
    pub(crate) anchor: (usize, Snapshot),
    /// True when some migration of the stretch moved the anchor.
    pub(crate) anchor_moved: bool,
    /// The migration whose up failed, ending the stretch.
    pub(crate) up_failed: Option<usize>,
}

/// Checks `set[from..to]` on `scratch`, a scratch database of its own
/// brought to `from` unchecked ([`Scratch::new`]). `stopped(i)` says that an earlier up failed before
/// `i`, so that checking `i` is pointless; `on_verdict(i, verdict)` gets
/// each verdict. Ends where an up failed, or after `to`.
pub(crate) fn check_segment<'a>(
    mut scratch: Scratch<'a>,
    set: &MigrationSet,
    (from, to): (usize, usize),
    stopped: &dyn Fn(usize) -> bool,
    on_verdict: &mut dyn FnMut(usize, Verdict),
) -> Result<SegmentEnd<'a>> {
    // The schema the reversible suffix starts from: (index, snapshot).
    let mut anchor = (from, scratch.tracker.snapshot());
    let mut anchor_moved = false;
    for i in from..to {
        if stopped(i) {
            break;
        }
        if (i - from) % VACUUM_EVERY == VACUUM_EVERY - 1 {
            vacuum_catalogs(&mut scratch.conn);
        }
        let verdict = verify_one(&mut scratch, set, i)?;
        let up_failed = verdict.verdict == "up failed";
        if !verdict.ok || verdict.verdict != "reversible" {
            anchor = (i + 1, scratch.tracker.snapshot());
            anchor_moved = true;
        }
        on_verdict(i, verdict);
        if up_failed {
            return Ok(SegmentEnd {
                rebuilds: scratch.rebuilds,
                from,
                scratch: Some(scratch),
                anchor,
                anchor_moved,
                up_failed: Some(i),
            });
        }
    }
    Ok(SegmentEnd {
        rebuilds: scratch.rebuilds,
        from,
        scratch: Some(scratch),
        anchor,
        anchor_moved,
        up_failed: None,
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
fn verify_one(scratch: &mut Scratch<'_>, set: &MigrationSet, i: usize) -> Result<Verdict> {
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
    scratch: &mut Scratch<'_>,
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

fn rebuild(scratch: &mut Scratch<'_>, set: &MigrationSet, i: usize) -> Result<()> {
    scratch.rebuilds += 1;
    scratch.rebuild(&set.all()[..=i])
}
