//! What `verify` found: a verdict per migration, the round trip, the
//! totals.

use crate::migrations::source::MigrationScript;
use serde::Serialize;

/// What went wrong at one stage.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    /// `up`, `down`, `up again`, `downgrade`, `upgrade head`, ...
    pub stage: String,
    /// The error or explanation, one line.
    pub detail: String,
    /// The schema differences, as readable lines.
    pub diff: Vec<String>,
}

impl Problem {
    /// A stage that failed with an error and no diff.
    pub fn failed(stage: &str, detail: impl Into<String>) -> Self {
        Problem {
            stage: stage.into(),
            detail: detail.into(),
            diff: Vec::new(),
        }
    }
}

/// The verdict for one migration: `reversible`, `irreversible`,
/// `irreversible (declared)`, `up failed` or `not checked`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The migration's version (empty for the round trip).
    pub version: String,
    /// Its directory name (or the round trip's range).
    pub name: String,
    /// The verdict in words.
    pub verdict: String,
    /// True unless the verdict fails verification.
    pub ok: bool,
    /// What failed.
    pub problems: Vec<Problem>,
    /// Milliseconds for up, down and up again.
    pub duration_ms: f64,
}

/// Counts of verdicts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Migrations checked (up was run).
    pub checked: usize,
    /// Down restored the schema and up again gave the same one.
    pub reversible: usize,
    /// Down failed, was missing, or did not restore the schema.
    pub irreversible: usize,
    /// Declared irreversible with the marker.
    pub declared: usize,
    /// Up failed (verification stopped there).
    pub up_failed: usize,
    /// Not reached because an up failed.
    pub not_checked: usize,
    /// Fresh scratch databases built to carry on after a failure.
    pub rebuilds: usize,
}

/// The whole verification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// One verdict per migration after the start, in order.
    pub migrations: Vec<Verdict>,
    /// The head → start → head round over the reversible suffix.
    pub round_trip: Verdict,
    /// The counts.
    pub totals: Totals,
    /// True when nothing failed (declared irreversible migrations pass).
    pub ok: bool,
}

pub(crate) fn totals(verdicts: &[Verdict], rebuilds: usize) -> Totals {
    let count = |word: &str| verdicts.iter().filter(|v| v.verdict == word).count();
    Totals {
        checked: verdicts.len() - count("not checked"),
        reversible: count("reversible"),
        irreversible: count("irreversible"),
        declared: count("irreversible (declared)"),
        up_failed: count("up failed"),
        not_checked: count("not checked"),
        rebuilds,
    }
}

pub(crate) fn not_checked(m: &MigrationScript) -> Verdict {
    Verdict {
        version: m.version.clone(),
        name: m.dir_name.clone(),
        verdict: "not checked".into(),
        ok: false,
        problems: Vec::new(),
        duration_ms: 0.0,
    }
}

pub(crate) fn skipped_round(reason: &str, ok: bool) -> Verdict {
    Verdict {
        version: String::new(),
        name: "head -> base -> head".into(),
        verdict: "skipped".into(),
        ok,
        problems: if ok {
            Vec::new()
        } else {
            vec![Problem::failed("skipped", reason)]
        },
        duration_ms: 0.0,
    }
}
