//! `history -r FROM:TO` and `--limit N`: narrowing a long listing the way
//! Alembic's `history -r` does.

use crate::cli::{HistoryRange, RangeEnd};
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::migrations::source::MigrationSet;
use ragchat_migrate::migrations::target::{resolve_revision, Target};
use std::ops::Range;

/// Which migrations `history` lists.
#[derive(Debug, Clone, Default)]
pub(super) struct Filter {
    range: Option<HistoryRange>,
    limit: Option<usize>,
}

impl Filter {
    /// From the options, as clap parsed them.
    pub fn new(range: Option<HistoryRange>, limit: Option<usize>) -> Self {
        Filter { range, limit }
    }

    /// True when a range narrows the listing (versions the binary does not
    /// know are then left out, as they have no place in it).
    pub fn has_range(&self) -> bool {
        self.range.is_some()
    }

    /// The indexes of `set` to list, oldest first. `current` is the index
    /// of the newest applied migration (`Some(None)` at base), or `None`
    /// while the database has not been read (only checking the input).
    pub fn indexes(
        &self,
        set: &MigrationSet,
        current: Option<Option<usize>>,
    ) -> Result<Range<usize>> {
        let mut range = 0..set.len();
        if let Some(r) = &self.range {
            let start = bound(set, &r.from, 0, true, current)?;
            let end = bound(set, &r.to, set.len(), false, current)?;
            if start > end {
                let (from, to) = (&r.from_text, &r.to_text);
                return Err(Error::Usage(format!(
                    "-r {from}:{to}: {from} comes after {to}; fix: give the older one first"
                )));
            }
            range = start..end;
        }
        if let Some(limit) = self.limit {
            range.start = range.start.max(range.end.saturating_sub(limit));
        }
        Ok(range)
    }
}

/// One side of a range as an index bound: `start` sides include the named
/// migration from below, end sides from above.
fn bound(
    set: &MigrationSet,
    end: &RangeEnd,
    open: usize,
    start: bool,
    current: Option<Option<usize>>,
) -> Result<usize> {
    match end {
        RangeEnd::Open => Ok(open),
        RangeEnd::Current => Ok(match current {
            None => open,
            // At base, nothing is before or at current.
            Some(None) => 0,
            Some(Some(i)) if start => i,
            Some(Some(i)) => i + 1,
        }),
        RangeEnd::At(Target::Base) => Ok(0),
        RangeEnd::At(Target::Head) => Ok(set.len()),
        RangeEnd::At(Target::Revision(r)) => {
            let i = resolve_revision(set, r)?;
            Ok(if start { i } else { i + 1 })
        }
        RangeEnd::At(Target::Relative(_)) => Err(Error::Internal(
            "a relative -r bound passed the command-line parser".into(),
        )),
    }
}
