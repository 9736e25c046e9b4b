//! `history -r FROM:TO` and `--limit N`: narrowing a long listing the way
//! Alembic's `history -r` does.

use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::migrations::source::MigrationSet;
use ragchat_migrate::migrations::target::{resolve_revision, Target};
use std::ops::Range;

/// Which migrations `history` lists.
#[derive(Debug, Clone, Default)]
pub(super) struct Filter {
    range: Option<(String, String)>,
    limit: Option<usize>,
}

impl Filter {
    /// From the options; a malformed range is bad usage. FROM and TO are
    /// versions (or prefixes, or directory names), `base`, `current` or
    /// `head`.
    pub fn new(range: Option<String>, limit: Option<usize>) -> Result<Self> {
        if limit == Some(0) {
            return Err(Error::Usage(
                "--limit 0 lists nothing; fix: give 1 or more".into(),
            ));
        }
        let range = match range {
            None => None,
            Some(text) => match text.split_once(':') {
                Some((from, to)) => Some((from.trim().to_string(), to.trim().to_string())),
                None => {
                    return Err(Error::Usage(format!(
                        "-r {text}: a range is FROM:TO, FROM: or :TO (e.g. `-r 2025-10-21:head`)"
                    )))
                }
            },
        };
        Ok(Filter { range, limit })
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
        if let Some((from, to)) = &self.range {
            let start = bound(set, from, 0, true, current)?;
            let end = bound(set, to, set.len(), false, current)?;
            if start > end {
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
    text: &str,
    open: usize,
    start: bool,
    current: Option<Option<usize>>,
) -> Result<usize> {
    if text.is_empty() {
        return Ok(open);
    }
    if text == "current" {
        return Ok(match current {
            None => open,
            // At base, nothing is before or at current.
            Some(None) => 0,
            Some(Some(i)) if start => i,
            Some(Some(i)) => i + 1,
        });
    }
    match text.parse::<Target>()? {
        Target::Base => Ok(0),
        Target::Head => Ok(set.len()),
        Target::Revision(r) => {
            let i = resolve_revision(set, &r)?;
            Ok(if start { i } else { i + 1 })
        }
        Target::Relative(_) => Err(Error::Usage(format!(
            "-r takes versions, base, current or head, not `{text}`; fix: use --limit N for the newest N"
        ))),
    }
}
