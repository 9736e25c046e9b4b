//! `verify --jobs N`: the history is cut into consecutive stretches that are
//! checked at once, each on its own scratch database first brought to its
//! start by a plain upgrade. The verdicts come out in the history's order,
//! as one pass would give them: after an up that failed, every later
//! migration is "not checked", whichever stretch had already looked at it.

use crate::error::Result;
use crate::migrations::source::MigrationSet;
use crate::proof::catalog::Snapshot;
use crate::proof::verify_report::{not_checked, Verdict};
use crate::proof::verify_step::{check_segment, FreshScratch, Scratch, SegmentEnd};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// What bringing a scratch database one migration further (a plain up)
/// costs, next to checking one (up, down, up again, three catalog reads):
/// measured on realistic histories, about a ninth.
const APPLY_PER_CHECK: f64 = 1.0 / 9.0;

/// The fewest migrations a stretch checks: below that, the scratch
/// database it needs costs more than the time it saves.
const MIN_SEGMENT: usize = 20;

/// A stretch that ended, or one that could not start: bringing its
/// scratch database to its start failed. That is expected when an earlier
/// up fails (an earlier stretch reports it); otherwise it is the error.
pub(crate) enum Stretch<'a> {
    /// Checked to its end, or to an up that failed.
    Ended(Box<SegmentEnd<'a>>),
    /// Not started: the plain upgrade to `from` failed with `error`.
    NotStarted {
        /// Where the stretch starts.
        from: usize,
        /// Why it could not get there.
        error: crate::error::Error,
    },
}

/// Every stretch checked, put together.
pub(crate) struct Checked<'a> {
    /// One verdict per migration after the start, in order.
    pub(crate) verdicts: Vec<Verdict>,
    /// The scratch database the check ends on: where an up failed, or at
    /// head.
    pub(crate) scratch: Scratch<'a>,
    /// Where the round trip goes down to (`None` when an up failed).
    pub(crate) anchor: Option<(usize, Snapshot)>,
    /// Fresh scratch databases built to carry on after a failure.
    pub(crate) rebuilds: usize,
}

/// The stretches `[from, to)` that check `start..total` with `jobs` at once,
/// sized so that they finish together: a later stretch first applies more
/// migrations unchecked, and the last also does the round trip.
pub(crate) fn cut(total: usize, start: usize, jobs: usize) -> Vec<(usize, usize)> {
    let count = total.saturating_sub(start);
    let mut jobs = jobs.min(count / MIN_SEGMENT).max(1);
    loop {
        let lengths = lengths(total, start, jobs);
        if jobs == 1 || lengths.iter().all(|&len| len >= MIN_SEGMENT) {
            let mut from = start;
            return lengths
                .iter()
                .map(|len| {
                    from += len;
                    (from - len, from)
                })
                .collect();
        }
        jobs -= 1;
    }
}

/// How many migrations each of `jobs` stretches checks: the shortest
/// common finishing time whose stretches cover the history, found by
/// bisection (the last stretch takes what is left).
fn lengths(total: usize, start: usize, jobs: usize) -> Vec<usize> {
    let count = total - start;
    let round_trip = 2.0 * count as f64 * APPLY_PER_CHECK;
    let plan = |finish: f64| {
        let mut from = start;
        let mut lengths = Vec::with_capacity(jobs);
        for k in 0..jobs {
            let extra = if k + 1 == jobs { round_trip } else { 0.0 };
            let budget = finish - from as f64 * APPLY_PER_CHECK - extra;
            let len = (budget.max(0.0) as usize).min(total - from);
            lengths.push(len);
            from += len;
        }
        lengths
    };
    let (mut low, mut high) = (
        0.0,
        count as f64 + round_trip + total as f64 * APPLY_PER_CHECK,
    );
    for _ in 0..64 {
        let middle = (low + high) / 2.0;
        if plan(middle).iter().sum::<usize>() >= count {
            high = middle;
        } else {
            low = middle;
        }
    }
    let mut lengths = plan(high);
    let before_last: usize = lengths[..jobs - 1].iter().sum();
    lengths[jobs - 1] = count - before_last;
    lengths
}

/// What the stretches tell each other: the first up that failed (no later
/// migration needs checking), or an error (nothing does).
struct StopSignal {
    first_up_failed: AtomicUsize,
    aborted: AtomicBool,
}

impl StopSignal {
    fn new() -> Self {
        StopSignal {
            first_up_failed: AtomicUsize::new(usize::MAX),
            aborted: AtomicBool::new(false),
        }
    }

    fn up_failed(&self, index: usize) {
        self.first_up_failed.fetch_min(index, Ordering::SeqCst);
    }

    fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
    }

    /// Whether checking migration `index` is pointless now.
    fn stopped(&self, index: usize) -> bool {
        self.aborted.load(Ordering::SeqCst) || index > self.first_up_failed.load(Ordering::SeqCst)
    }
}

/// Hands verdicts on in the history's order, whatever order they arrive
/// in; after an up that failed, the rest are "not checked".
struct InOrder<'s, 'f> {
    set: &'s MigrationSet,
    next: usize,
    waiting: BTreeMap<usize, Verdict>,
    up_failed: Option<usize>,
    verdicts: Vec<Verdict>,
    on_verdict: &'f mut dyn FnMut(&Verdict),
}

impl InOrder<'_, '_> {
    fn receive(&mut self, index: usize, verdict: Verdict) {
        self.waiting.insert(index, verdict);
        while let Some(verdict) = self.waiting.remove(&self.next) {
            if verdict.verdict == "up failed" {
                self.up_failed = Some(self.next);
            }
            self.emit(verdict);
            if self.up_failed.is_some() {
                self.finish();
            }
        }
    }

    fn emit(&mut self, verdict: Verdict) {
        (self.on_verdict)(&verdict);
        self.verdicts.push(verdict);
        self.next += 1;
    }

    /// Every migration not handed on yet is "not checked" (an up failed
    /// before it).
    fn finish(&mut self) {
        while self.next < self.set.len() {
            self.emit(not_checked(&self.set.all()[self.next]));
        }
        self.waiting.clear();
    }
}

/// Checks `set` after the first `start` migrations in up to `jobs`
/// stretches at once (see [`cut`]); `on_verdict` sees each verdict in
/// order.
pub(crate) fn run_all<'a>(
    fresh: &'a FreshScratch<'a>,
    set: &MigrationSet,
    start: usize,
    jobs: usize,
    on_verdict: &mut dyn FnMut(&Verdict),
) -> Result<Checked<'a>> {
    let segments = cut(set.len(), start, jobs);
    let last = segments.len() - 1;
    let signal = StopSignal::new();
    let mut order = InOrder {
        set,
        next: start,
        waiting: BTreeMap::new(),
        up_failed: None,
        verdicts: Vec::with_capacity(set.len() - start),
        on_verdict,
    };
    let (sender, received) = mpsc::channel::<(usize, Verdict)>();
    let ends = std::thread::scope(|threads| {
        let handles: Vec<_> = segments
            .iter()
            .enumerate()
            .map(|(k, &range)| {
                let (sender, signal) = (sender.clone(), &signal);
                threads.spawn(move || {
                    let mut send = |i, v| {
                        let _ = sender.send((i, v));
                    };
                    let stretch = check_stretch(fresh, set, range, true, signal, &mut send);
                    stretch.map(|stretch| let_go_unless_needed(stretch, k == last))
                })
            })
            .collect();
        drop(sender);
        for (index, verdict) in received {
            order.receive(index, verdict);
        }
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect::<Vec<_>>()
    });
    let mut ends = ends;
    // A stretch that could not start while the others ran (a connection
    // limit: each stretch holds a connection) is checked now, alone; if it
    // fails again, that is the error.
    let failed = ends.iter().any(Result::is_err);
    for (k, end) in ends.iter_mut().enumerate().filter(|_| !failed) {
        if let Ok(Stretch::NotStarted { from, .. }) = end {
            if order.up_failed.is_none_or(|i| i >= *from) {
                let mut send = |i, v| order.receive(i, v);
                *end = check_stretch(fresh, set, segments[k], false, &signal, &mut send)
                    .map(|stretch| let_go_unless_needed(stretch, k == last));
            }
        }
    }
    combine(ends, order.verdicts, order.up_failed)
}

/// A stretch's scratch database is let go as soon as it ends, unless the
/// check ends on it: the last stretch, or one where an up failed.
fn let_go_unless_needed(stretch: Stretch<'_>, last: bool) -> Stretch<'_> {
    match stretch {
        Stretch::Ended(mut end) if end.up_failed.is_none() && !last => {
            end.scratch = None;
            Stretch::Ended(end)
        }
        other => other,
    }
}

/// The stretch `range`: its scratch database brought to its start, then
/// checked; `send` gets each verdict. With `may_defer`, failing to get to
/// the start is not an error yet ([`Stretch::NotStarted`]): an earlier up
/// may explain it, or it is tried again alone, when the others are done.
fn check_stretch<'a>(
    fresh: &'a FreshScratch<'a>,
    set: &MigrationSet,
    range: (usize, usize),
    may_defer: bool,
    signal: &StopSignal,
    send: &mut dyn FnMut(usize, Verdict),
) -> Result<Stretch<'a>> {
    let checked = match Scratch::new(fresh, &set.all()[..range.0]) {
        Err(error) if may_defer => Ok(Stretch::NotStarted {
            from: range.0,
            error,
        }),
        Err(error) => Err(error),
        Ok(scratch) => {
            let stopped = |i| signal.stopped(i);
            check_segment(scratch, set, range, &stopped, &mut |i, v| {
                if v.verdict == "up failed" {
                    signal.up_failed(i);
                }
                send(i, v);
            })
            .map(|end| Stretch::Ended(Box::new(end)))
        }
    };
    if checked.is_err() {
        signal.abort();
    }
    checked
}

/// The stretches' ends put together: the first error, else the verdicts,
/// the scratch database to end on, the round trip's anchor and the rebuilds.
fn combine<'a>(
    stretches: Vec<Result<Stretch<'a>>>,
    verdicts: Vec<Verdict>,
    up_failed: Option<usize>,
) -> Result<Checked<'a>> {
    // A real error first: a stretch that could not start may have been
    // refused its database only because of it.
    let mut stretches = stretches;
    if let Some(at) = stretches.iter().position(Result::is_err) {
        stretches.swap_remove(at)?;
    }
    let mut ends = Vec::with_capacity(stretches.len());
    for stretch in stretches {
        match stretch? {
            Stretch::Ended(end) => ends.push(*end),
            // An up before `from` failed, and an earlier stretch said so.
            Stretch::NotStarted { from, .. } if up_failed.is_some_and(|i| i < from) => {}
            Stretch::NotStarted { error, .. } => return Err(error),
        }
    }
    // As one pass counts them: none after an up that failed.
    let rebuilds = ends
        .iter()
        .filter(|end| up_failed.is_none_or(|i| end.from <= i))
        .map(|end| end.rebuilds)
        .sum();
    let anchor = up_failed.is_none().then(|| {
        let moved = ends.iter().rev().find(|end| end.anchor_moved);
        moved.unwrap_or(&ends[0]).anchor.clone()
    });
    let ending = match up_failed {
        Some(index) => ends.into_iter().find(|end| end.up_failed == Some(index)),
        None => ends.into_iter().last(),
    };
    let scratch = ending
        .and_then(|end| end.scratch)
        .ok_or_else(|| crate::error::Error::Internal("verify lost its scratch database".into()))?;
    Ok(Checked {
        verdicts,
        scratch,
        anchor,
        rebuilds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked_count(segments: &[(usize, usize)]) -> usize {
        segments.iter().map(|(from, to)| to - from).sum()
    }

    #[test]
    fn one_job_or_a_short_history_is_one_stretch() {
        assert_eq!(cut(1000, 0, 1), vec![(0, 1000)]);
        assert_eq!(cut(30, 0, 4), vec![(0, 30)]);
        assert_eq!(cut(0, 0, 4), vec![(0, 0)]);
        assert_eq!(cut(500, 500, 4), vec![(500, 500)]);
    }

    #[test]
    fn stretches_are_consecutive_and_cover_the_history() {
        for (total, start, jobs) in [(1000, 0, 2), (2000, 0, 4), (1000, 400, 3), (97, 3, 4)] {
            let segments = cut(total, start, jobs);
            assert_eq!(segments[0].0, start);
            assert_eq!(segments.last().unwrap().1, total);
            assert!(segments.windows(2).all(|w| w[0].1 == w[1].0));
            assert_eq!(checked_count(&segments), total - start);
            assert!(segments.len() == 1 || segments.iter().all(|(f, t)| t - f >= MIN_SEGMENT));
        }
    }

    #[test]
    fn later_stretches_are_shorter_as_they_start_further() {
        let segments = cut(1000, 0, 2);
        assert_eq!(segments.len(), 2);
        let (first, second) = (segments[0].1 - segments[0].0, segments[1].1 - segments[1].0);
        assert!(first > second, "{segments:?}");
        // They finish together: the first's checks equal the second's
        // unchecked prefix, its checks and the round trip.
        let a = APPLY_PER_CHECK;
        let second_cost = first as f64 * a + second as f64 + 2000.0 * a;
        assert!((first as f64 - second_cost).abs() < 2.0, "{segments:?}");
    }

    #[test]
    fn the_parallel_tests_history_is_cut_in_three() {
        // tests/it/verify_parallel.rs compares --jobs 3 with --jobs 1 on
        // 240 migrations: that must really be three stretches.
        assert_eq!(cut(240, 0, 3).len(), 3);
    }

    #[test]
    fn too_many_jobs_for_the_history_use_fewer_stretches() {
        let segments = cut(60, 0, 4);
        assert!(segments.len() < 4, "{segments:?}");
        assert!(
            segments.iter().all(|(f, t)| t - f >= MIN_SEGMENT),
            "{segments:?}"
        );
    }

    #[test]
    fn a_stop_covers_later_migrations_only() {
        let signal = StopSignal::new();
        assert!(!signal.stopped(5));
        signal.up_failed(7);
        signal.up_failed(9);
        assert!(!signal.stopped(7));
        assert!(signal.stopped(8));
        signal.abort();
        assert!(signal.stopped(0));
    }
}
