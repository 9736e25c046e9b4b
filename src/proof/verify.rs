//! `verify`: proves every migration reversible on a scratch database, and
//! checks the whole history in one run.
//!
//! For each migration in order ([`crate::proof::verify_step`]): up, down
//! (the schema must be as before), up again (as after). A `down.sql` that forgets an index, a type or a column
//! shows up as the difference it leaves. A migration whose down fails or
//! leaves a difference is recorded as irreversible, and verification carries
//! on from the state that should exist after it: a failed transactional
//! down rolled back to exactly that state; anything else gets a fresh scratch
//! database brought up to that migration. A migration whose `down.sql` has
//! the line `-- ragchat-migrate: irreversible` is irreversible on purpose:
//! its down is not run, and it does not fail verification. Finally the
//! reversible suffix (everything after the last irreversible migration, or
//! the whole set) goes head → start of the suffix → head
//! ([`crate::proof::verify_round`]).
//!
//! The history may be checked in several consecutive stretches at once, each
//! on its own scratch database first brought to its start by a plain
//! upgrade ([`crate::proof::verify_segments`]): that is the state a rebuild
//! gives too, so the verdicts are those of one pass unless a down leaves
//! rows behind that a later migration depends on (verify compares schemas).
//!
//! Snapshots are incremental ([`crate::proof::catalog_tracker`]): each step reads
//! only the objects it touched, so a step costs the same at migration 2,000
//! as at migration 10.

use crate::error::Result;
use crate::migrations::source::MigrationSet;
pub use crate::proof::irreversible::{declared_irreversible, DECLARED_IRREVERSIBLE_MARKER};
use crate::proof::scratch::ScratchDb;
use crate::proof::verify_report::{skipped_round, totals};
pub use crate::proof::verify_report::{Problem, Report, Totals, Verdict};
use crate::proof::verify_segments;
pub use crate::proof::verify_step::FreshScratch;

/// A finished verification, and the scratch database it ended on: where an
/// up failed, or at head (kept with `--keep`, dropped otherwise).
pub struct Verified {
    /// What was found.
    pub report: Report,
    /// The scratch database the report ends on.
    pub scratch: ScratchDb,
}

/// Verifies the migrations of `set` after the first `start` (which are
/// applied first, unchecked: `--from`), in up to `jobs` stretches at once.
/// `fresh` makes new empty scratch databases; `on_verdict` sees each
/// verdict, in order, when it is known.
pub fn verify(
    fresh: &FreshScratch,
    set: &MigrationSet,
    start: usize,
    jobs: usize,
    on_verdict: &mut dyn FnMut(&Verdict),
) -> Result<Verified> {
    let checked = verify_segments::run_all(fresh, set, start, jobs, on_verdict)?;
    let mut scratch = checked.scratch;
    let round_trip = match checked.anchor {
        None => skipped_round(
            "a migration failed to apply, so the whole set was not run",
            false,
        ),
        Some(anchor) => crate::proof::verify_round::round_trip(&mut scratch, set, anchor)?,
    };
    on_verdict(&round_trip);
    let verdicts = checked.verdicts;
    let totals = totals(&verdicts, checked.rebuilds);
    let ok = verdicts.iter().all(|v| v.ok) && round_trip.ok;
    Ok(Verified {
        report: Report {
            migrations: verdicts,
            round_trip,
            totals,
            ok,
        },
        scratch: scratch.db,
    })
}
