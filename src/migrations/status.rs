//! Known migrations next to the ledger: what is applied, pending, changed,
//! out of order, and which applied versions the migrations at hand do not
//! contain. The planner refuses to move over the anomalies found here, and
//! `check` fails on them: both ask [`Status::anomalies`].

use crate::database::ledger::{AppliedMigration, Ledger};
use crate::migrations::source::MigrationSet;
use crate::refusal::{ChangedFile, Refusal};
use serde::Serialize;

/// How an applied migration's files differ from what was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChecksumChange {
    /// The file that changed: `up.sql` or `down.sql`.
    pub file: &'static str,
    /// The checksum recorded when it was applied.
    pub recorded: Option<String>,
    /// The checksum of the file now.
    pub current: Option<String>,
}

/// The state of one known migration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MigrationState {
    /// Position in the migration set.
    pub index: usize,
    /// The ledger's entry, when applied.
    pub applied: Option<AppliedMigration>,
    /// Files changed since it was applied.
    pub changes: Vec<ChecksumChange>,
    /// Pending although a newer migration is already applied.
    pub out_of_order: bool,
}

/// Known migrations next to the ledger: what is applied, pending, changed,
/// out of order, and which applied versions this binary does not know.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// One entry per known migration, oldest first.
    pub migrations: Vec<MigrationState>,
    /// Applied versions with no migration in the source.
    pub unknown: Vec<AppliedMigration>,
}

impl Status {
    /// Compares a migration set with a ledger.
    pub fn new(set: &MigrationSet, ledger: &Ledger) -> Self {
        let newest_applied_known = set.all().iter().rposition(|m| ledger.contains(&m.version));
        let migrations = set
            .all()
            .iter()
            .enumerate()
            .map(|(index, m)| {
                let applied = ledger.get(&m.version).cloned();
                // A listing of names, or a ledger read without checksums,
                // has nothing to compare.
                let changes = applied
                    .as_ref()
                    .filter(|_| set.has_contents())
                    .and_then(|a| a.record.as_ref())
                    .and_then(|r| r.checksums.as_ref())
                    .map(|r| {
                        let mut changes = Vec::new();
                        if r.up_sha256 != m.up_sha256 {
                            changes.push(ChecksumChange {
                                file: "up.sql",
                                recorded: Some(r.up_sha256.clone()),
                                current: Some(m.up_sha256.clone()),
                            });
                        }
                        if r.down_sha256 != m.down_sha256 {
                            changes.push(ChecksumChange {
                                file: "down.sql",
                                recorded: r.down_sha256.clone(),
                                current: m.down_sha256.clone(),
                            });
                        }
                        changes
                    })
                    .unwrap_or_default();
                let out_of_order =
                    applied.is_none() && newest_applied_known.is_some_and(|n| index < n);
                MigrationState {
                    index,
                    applied,
                    changes,
                    out_of_order,
                }
            })
            .collect();
        let unknown = ledger
            .applied
            .iter()
            .filter(|a| set.by_version(&a.version).is_none())
            .cloned()
            .collect();
        Status {
            migrations,
            unknown,
        }
    }

    /// The index of the newest applied known migration.
    pub fn current(&self) -> Option<usize> {
        self.migrations.iter().rposition(|m| m.applied.is_some())
    }

    /// Indexes of pending migrations, oldest first.
    pub fn pending(&self) -> impl Iterator<Item = usize> + '_ {
        self.migrations
            .iter()
            .filter(|m| m.applied.is_none())
            .map(|m| m.index)
    }

    /// Indexes of applied known migrations, oldest first.
    pub fn applied(&self) -> impl Iterator<Item = usize> + '_ {
        self.migrations
            .iter()
            .filter(|m| m.applied.is_some())
            .map(|m| m.index)
    }

    /// True when every known migration is applied.
    pub fn at_head(&self) -> bool {
        self.pending().next().is_none()
    }

    /// Applied migrations whose files changed.
    pub fn changed(&self) -> impl Iterator<Item = &MigrationState> {
        self.migrations.iter().filter(|m| !m.changes.is_empty())
    }
}

/// What makes moving the database unsafe, and `check` fail: applied
/// versions the migrations do not contain, applied files edited since they
/// ran, and pending migrations older than the newest applied one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Anomalies {
    /// Applied versions with no migration in the source, oldest first.
    pub unknown: Vec<String>,
    /// Applied migrations' files that changed, with both checksums.
    pub changed: Vec<ChangedFile>,
    /// Directory names of pending migrations older than the newest applied.
    pub out_of_order: Vec<String>,
}

impl Anomalies {
    /// True when nothing is anomalous.
    pub fn is_empty(&self) -> bool {
        self.unknown.is_empty() && self.changed.is_empty() && self.out_of_order.is_empty()
    }

    /// Why `command` must not move the database (unknown versions first,
    /// then changed files); `None` when it may. Out-of-order migrations are
    /// refused only when a plan would apply them (see the planner).
    pub fn refusal(&self, command: &'static str, origin: &str) -> Option<Refusal> {
        if !self.unknown.is_empty() {
            return Some(Refusal::UnknownApplied {
                command,
                origin: origin.to_string(),
                versions: self.unknown.clone(),
            });
        }
        if !self.changed.is_empty() {
            return Some(Refusal::ChangedChecksums {
                command,
                changes: self.changed.clone(),
            });
        }
        None
    }
}

impl Status {
    /// The anomalies of this status (see [`Anomalies`]).
    pub fn anomalies(&self, set: &MigrationSet) -> Anomalies {
        let dir_name = |index: usize| set.all()[index].dir_name.clone();
        Anomalies {
            unknown: self.unknown.iter().map(|a| a.version.clone()).collect(),
            changed: self
                .changed()
                .flat_map(|m| {
                    m.changes.iter().map(move |c| ChangedFile {
                        dir_name: dir_name(m.index),
                        file: c.file,
                        recorded: c.recorded.clone(),
                        current: c.current.clone(),
                    })
                })
                .collect(),
            out_of_order: self
                .migrations
                .iter()
                .filter(|m| m.out_of_order)
                .map(|m| dir_name(m.index))
                .collect(),
        }
    }

    /// `check`'s verdict on the migrations and the ledger (drift, lint and
    /// a run in progress are checked beside it): every migration applied
    /// and nothing anomalous.
    pub fn is_clean(&self, set: &MigrationSet) -> bool {
        self.at_head() && self.anomalies(set).is_empty()
    }
}
