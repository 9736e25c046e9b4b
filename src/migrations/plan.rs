//! The planner: (migrations, ledger, target) → ordered steps, or a refusal
//! with the reason and the way out. Pure: it touches no database, so every
//! rule here is unit-tested without one. The migrator executes a plan, the
//! script writer renders it as SQL, and `current`/`history`/`check` describe
//! the [`Status`] it is computed from.

use crate::database::ledger::{AppliedMigration, Ledger};
use crate::error::{Error, Result};
use crate::migrations::source::{MigrationScript, MigrationSet};
use crate::migrations::target::{resolve_revision, Target};
use serde::Serialize;

/// Which way a step goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Run `up.sql`.
    Up,
    /// Run `down.sql`.
    Down,
}

/// One migration to run in one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step<'s> {
    /// Up or down.
    pub direction: Direction,
    /// The migration.
    pub migration: &'s MigrationScript,
}

/// The ordered steps of a command.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan<'s> {
    /// Steps in execution order.
    pub steps: Vec<Step<'s>>,
}

impl<'s> Plan<'s> {
    /// A plan that applies exactly these migrations, in this order.
    pub fn up(migrations: impl IntoIterator<Item = &'s MigrationScript>) -> Self {
        Plan {
            steps: migrations
                .into_iter()
                .map(|migration| Step {
                    direction: Direction::Up,
                    migration,
                })
                .collect(),
        }
    }

    /// A plan that reverts exactly these migrations, in this order.
    pub fn down(migrations: impl IntoIterator<Item = &'s MigrationScript>) -> Self {
        Plan {
            steps: migrations
                .into_iter()
                .map(|migration| Step {
                    direction: Direction::Down,
                    migration,
                })
                .collect(),
        }
    }

    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// True when some step must run outside a transaction.
    pub fn has_non_transactional(&self) -> bool {
        self.steps.iter().any(|s| !s.migration.run_in_transaction)
    }
}

/// Ledger writes that `stamp` makes, without running migration SQL.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StampPlan<'s> {
    /// Migrations to record as applied.
    pub record: Vec<&'s MigrationScript>,
    /// Versions to forget (known migrations beyond the target, and with
    /// `--purge`, versions this binary does not know).
    pub forget: Vec<String>,
}

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

/// Options that loosen the planner's refusals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Apply pending migrations older than the newest applied one.
    pub allow_out_of_order: bool,
}

/// Steps for `upgrade TARGET`.
pub fn upgrade<'s>(
    set: &'s MigrationSet,
    status: &Status,
    target: &Target,
    options: Options,
) -> Result<Plan<'s>> {
    refuse_anomalies(set, status, "upgrade")?;
    let pending: Vec<usize> = status.pending().collect();
    let chosen: Vec<usize> = match target {
        Target::Relative(n) if *n < 0 => {
            return Err(Error::Usage(format!(
                "upgrade cannot go to {target}; fix: use `downgrade {target}`"
            )))
        }
        Target::Relative(n) => {
            let n = *n as usize;
            if n > pending.len() {
                return Err(Error::Usage(format!(
                    "cannot upgrade +{n}: only {} migration(s) pending{}",
                    pending.len(),
                    the_most('+', pending.len())
                )));
            }
            pending[..n].to_vec()
        }
        Target::Head => pending,
        Target::Base => {
            if status.current().is_some() {
                return Err(Error::Usage(
                    "upgrade cannot go to base; fix: use `downgrade base` (or `reset`)".into(),
                ));
            }
            Vec::new()
        }
        Target::Revision(r) => {
            let index = resolve_revision(set, r)?;
            let below: Vec<usize> = pending.into_iter().filter(|&i| i <= index).collect();
            if below.is_empty() && status.current().is_some_and(|c| c > index) {
                return Err(Error::Usage(format!(
                    "{} is behind the current revision {}; fix: use `downgrade {}`",
                    set.all()[index].dir_name,
                    set.all()[status.current().unwrap()].dir_name,
                    set.all()[index].version
                )));
            }
            below
        }
    };
    if !options.allow_out_of_order {
        let late: Vec<&MigrationScript> = chosen
            .iter()
            .filter(|&&i| status.migrations[i].out_of_order)
            .map(|&i| &set.all()[i])
            .collect();
        if !late.is_empty() {
            let newest = &set.all()[status.current().unwrap_or(0)];
            return Err(Error::Refused(format!(
                "refusing to apply migration(s) older than the newest applied one ({}):\n{}\n\
                 This happens when two branches each added a migration. Check that they do \
                 not conflict, then rerun with --allow-out-of-order; or give the pending \
                 one a newer timestamp (rename its directory) if it was never deployed.",
                newest.dir_name,
                late.iter()
                    .map(|m| format!("  {}", m.dir_name))
                    .collect::<Vec<_>>()
                    .join("\n")
            )));
        }
    }
    Ok(Plan::up(chosen.into_iter().map(|i| &set.all()[i])))
}

/// Steps for `downgrade TARGET` (and `reset`, which is `downgrade base`).
pub fn downgrade<'s>(set: &'s MigrationSet, status: &Status, target: &Target) -> Result<Plan<'s>> {
    refuse_anomalies(set, status, "downgrade")?;
    let applied: Vec<usize> = status.applied().collect();
    let chosen: Vec<usize> = match target {
        Target::Relative(n) if *n > 0 => {
            return Err(Error::Usage(format!(
                "downgrade cannot go to {target}; fix: use `upgrade {target}`"
            )))
        }
        Target::Relative(n) => {
            let n = n.unsigned_abs() as usize;
            if n > applied.len() {
                return Err(Error::Usage(format!(
                    "cannot downgrade -{n}: only {} migration(s) applied{}",
                    applied.len(),
                    match applied.len() {
                        0 => the_most('-', 0),
                        k => format!("{} (or `base`)", the_most('-', k)),
                    }
                )));
            }
            applied[applied.len() - n..].to_vec()
        }
        Target::Base => applied,
        Target::Head | Target::Revision(_) => {
            let index = match target {
                Target::Revision(r) => resolve_revision(set, r)?,
                _ => set.len().saturating_sub(1),
            };
            if status
                .migrations
                .get(index)
                .is_none_or(|m| m.applied.is_none())
            {
                return Err(Error::Usage(format!(
                    "{} is not applied, so it cannot be the state after a downgrade; fix: \
                     use `upgrade {}`, or downgrade to an applied revision or base",
                    set.all()
                        .get(index)
                        .map(|m| m.dir_name.as_str())
                        .unwrap_or("head"),
                    target
                )));
            }
            applied.into_iter().filter(|&i| i > index).collect()
        }
    };
    for &i in &chosen {
        let m = &set.all()[i];
        if m.down_sql.is_none() {
            return Err(Error::InvalidMigration {
                path: format!("{}/down.sql", m.dir_name),
                reason: "missing, so this migration cannot be reverted; fix: write a \
                         down.sql that undoes up.sql"
                    .into(),
            });
        }
    }
    Ok(Plan::down(chosen.into_iter().rev().map(|i| &set.all()[i])))
}

/// Steps for `redo -n N`: revert the newest N applied, then apply them again.
pub fn redo<'s>(set: &'s MigrationSet, status: &Status, n: usize) -> Result<Plan<'s>> {
    if n == 0 {
        return Err(Error::Usage(
            "redo -n 0 does nothing; fix: use -n 1 or more".into(),
        ));
    }
    let down = downgrade(set, status, &Target::Relative(-(n as i64)))?;
    let mut steps = down.steps.clone();
    steps.extend(down.steps.iter().rev().map(|s| Step {
        direction: Direction::Up,
        migration: s.migration,
    }));
    Ok(Plan { steps })
}

/// Ledger writes for `stamp TARGET`: afterwards exactly the migrations up to
/// TARGET are recorded as applied.
pub fn stamp<'s>(
    set: &'s MigrationSet,
    status: &Status,
    target: &Target,
    purge_unknown: bool,
) -> Result<StampPlan<'s>> {
    if !status.unknown.is_empty() && !purge_unknown {
        return Err(Error::Refused(format!(
            "the database records version(s) that are not in {}: {}\n  fix: build \
             from the code that has them, or rerun stamp with --purge to forget them",
            set.origin(),
            unknown_list(status)
        )));
    }
    // +N and -N count pending and applied migrations, as upgrade and
    // downgrade do; the other targets name the state to record.
    let (record, mut forget): (Vec<&MigrationScript>, Vec<String>) = match target {
        Target::Relative(n) => {
            let n_abs = n.unsigned_abs() as usize;
            let candidates: Vec<usize> = if *n > 0 {
                status.pending().collect()
            } else {
                status.applied().collect()
            };
            if n_abs > candidates.len() {
                return Err(Error::Usage(format!(
                    "cannot stamp {target}: {} migration(s) are {}{}",
                    candidates.len(),
                    if *n > 0 { "pending" } else { "applied" },
                    the_most(if *n > 0 { '+' } else { '-' }, candidates.len())
                )));
            }
            if *n > 0 {
                let record = candidates[..n_abs].iter().map(|&i| &set.all()[i]).collect();
                (record, Vec::new())
            } else {
                let forget = candidates[candidates.len() - n_abs..]
                    .iter()
                    .map(|&i| set.all()[i].version.clone())
                    .collect();
                (Vec::new(), forget)
            }
        }
        _ => {
            let boundary = match target {
                Target::Head => set.len(),
                Target::Base => 0,
                Target::Revision(r) => resolve_revision(set, r)? + 1,
                Target::Relative(_) => unreachable!("handled above"),
            };
            let record = set.all()[..boundary]
                .iter()
                .enumerate()
                .filter(|(i, _)| status.migrations[*i].applied.is_none())
                .map(|(_, m)| m)
                .collect();
            let forget = set.all()[boundary..]
                .iter()
                .enumerate()
                .filter(|(i, _)| status.migrations[boundary + i].applied.is_some())
                .map(|(_, m)| m.version.clone())
                .collect();
            (record, forget)
        }
    };
    if purge_unknown {
        forget.extend(status.unknown.iter().map(|a| a.version.clone()));
    }
    Ok(StampPlan { record, forget })
}

/// Unknown applied versions and changed files make `upgrade`/`downgrade`
/// unsafe: refuse, naming them and the way out.
fn refuse_anomalies(set: &MigrationSet, status: &Status, command: &str) -> Result<()> {
    if !status.unknown.is_empty() {
        return Err(Error::Refused(format!(
            "refusing to {command}: the database records version(s) that are not in \
             {}: {}\n  The database is ahead of this code, or a \
             migration directory was deleted or renamed.\n  fix: run the code that has \
             these migrations (git pull, or point --migrations-dir at them); if they are \
             truly gone and their changes were undone by hand, forget them with \
             `stamp <target> --purge`",
            set.origin(),
            unknown_list(status)
        )));
    }
    let changed: Vec<String> = status
        .changed()
        .flat_map(|m| {
            let dir = &set.all()[m.index].dir_name;
            m.changes.iter().map(move |c| {
                format!(
                    "  {dir}/{}: recorded {} but the file now has {}",
                    c.file,
                    c.recorded.as_deref().unwrap_or("(no file)"),
                    c.current.as_deref().unwrap_or("(no file)")
                )
            })
        })
        .collect();
    if !changed.is_empty() {
        return Err(Error::Refused(format!(
            "refusing to {command}: applied migration file(s) changed since they ran:\n{}\n  \
             An applied migration must not be edited: the database did not run the new \
             text.\n  fix: restore the file (git checkout), and put the change in a new \
             migration; if the edit is harmless (a comment, formatting), accept it with \
             `ragchat-migrate accept <version>`; while developing the newest migration \
             (not yet released), `ragchat-migrate redo --accept` reverts it with the \
             current down.sql and applies the current up.sql",
            changed.join("\n")
        )));
    }
    Ok(())
}

/// The end of a "cannot move N" message: the largest move there is, or that
/// there is none (never "the most is -0").
fn the_most(sign: char, count: usize) -> String {
    if count == 0 {
        ", so there is nothing to move".to_string()
    } else {
        format!(", so the most is {sign}{count}")
    }
}

fn unknown_list(status: &Status) -> String {
    status
        .unknown
        .iter()
        .map(|a| a.version.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(n: usize) -> MigrationSet {
        MigrationSet::from_scripts(
            (0..n)
                .map(|i| MigrationScript {
                    version: format!("2025010100000{i}"),
                    dir_name: format!("2025-01-01-00000{i}_m{i}"),
                    up_sql: format!("CREATE TABLE t{i} ()"),
                    down_sql: Some(format!("DROP TABLE t{i}")),
                    run_in_transaction: true,
                    up_sha256: format!("up{i}"),
                    down_sha256: Some(format!("down{i}")),
                })
                .collect(),
        )
        .unwrap()
    }

    fn ledger(set: &MigrationSet, applied: &[usize], extra: &[&str]) -> Ledger {
        let mut ledger = Ledger::assuming_applied(applied.iter().map(|&i| &set.all()[i]));
        ledger
            .applied
            .extend(extra.iter().map(|v| AppliedMigration {
                version: v.to_string(),
                run_on: chrono::NaiveDateTime::default(),
                record: None,
            }));
        ledger.applied.sort_by(|a, b| a.version.cmp(&b.version));
        ledger
    }

    fn names(plan: &Plan) -> Vec<(Direction, String)> {
        plan.steps
            .iter()
            .map(|s| (s.direction, s.migration.label().to_string()))
            .collect()
    }

    #[test]
    fn upgrade_head_applies_pending_oldest_first() {
        let s = set(3);
        let st = Status::new(&s, &ledger(&s, &[0], &[]));
        let plan = upgrade(&s, &st, &Target::Head, Options::default()).unwrap();
        assert_eq!(
            names(&plan),
            vec![(Direction::Up, "m1".into()), (Direction::Up, "m2".into())]
        );
    }

    #[test]
    fn relative_targets_are_bounded() {
        let s = set(3);
        let st = Status::new(&s, &ledger(&s, &[0], &[]));
        assert_eq!(
            upgrade(&s, &st, &Target::Relative(1), Options::default())
                .unwrap()
                .steps
                .len(),
            1
        );
        let err = upgrade(&s, &st, &Target::Relative(3), Options::default()).unwrap_err();
        assert!(err.to_string().contains("the most is +2"), "{err}");
        assert_eq!(err.exit_code(), 2);
        let err = downgrade(&s, &st, &Target::Relative(-2)).unwrap_err();
        assert!(err.to_string().contains("the most is -1"), "{err}");
        assert_eq!(
            names(&downgrade(&s, &st, &Target::Relative(-1)).unwrap()).len(),
            1
        );
    }

    #[test]
    fn upgrade_to_a_revision_stops_there_and_refuses_to_go_back() {
        let s = set(3);
        let st = Status::new(&s, &ledger(&s, &[], &[]));
        let plan = upgrade(
            &s,
            &st,
            &Target::Revision("20250101000001".into()),
            Options::default(),
        )
        .unwrap();
        assert_eq!(plan.steps.len(), 2);
        let st = Status::new(&s, &ledger(&s, &[0, 1, 2], &[]));
        let err = upgrade(
            &s,
            &st,
            &Target::Revision("20250101000000".into()),
            Options::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("downgrade"), "{err}");
        assert!(upgrade(&s, &st, &Target::Head, Options::default())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn downgrade_reverts_newest_first_down_to_the_target() {
        let s = set(3);
        let st = Status::new(&s, &ledger(&s, &[0, 1, 2], &[]));
        let plan = downgrade(&s, &st, &Target::Revision("20250101000000".into())).unwrap();
        assert_eq!(
            names(&plan),
            vec![
                (Direction::Down, "m2".into()),
                (Direction::Down, "m1".into())
            ]
        );
        assert_eq!(downgrade(&s, &st, &Target::Base).unwrap().steps.len(), 3);
        let st = Status::new(&s, &ledger(&s, &[0], &[]));
        let err = downgrade(&s, &st, &Target::Revision("20250101000002".into())).unwrap_err();
        assert!(err.to_string().contains("not applied"), "{err}");
    }

    #[test]
    fn redo_reverts_then_reapplies() {
        let s = set(3);
        let st = Status::new(&s, &ledger(&s, &[0, 1, 2], &[]));
        let plan = redo(&s, &st, 2).unwrap();
        assert_eq!(
            names(&plan),
            vec![
                (Direction::Down, "m2".into()),
                (Direction::Down, "m1".into()),
                (Direction::Up, "m1".into()),
                (Direction::Up, "m2".into())
            ]
        );
    }

    #[test]
    fn out_of_order_pending_is_refused_unless_allowed() {
        let s = set(3);
        let st = Status::new(&s, &ledger(&s, &[0, 2], &[]));
        assert!(st.migrations[1].out_of_order);
        let err = upgrade(&s, &st, &Target::Head, Options::default()).unwrap_err();
        assert!(err.to_string().contains("m1"), "{err}");
        assert_eq!(err.exit_code(), 1);
        let plan = upgrade(
            &s,
            &st,
            &Target::Head,
            Options {
                allow_out_of_order: true,
            },
        )
        .unwrap();
        assert_eq!(names(&plan), vec![(Direction::Up, "m1".into())]);
    }

    #[test]
    fn unknown_applied_versions_are_refused() {
        let s = set(2);
        let st = Status::new(&s, &ledger(&s, &[0], &["29990101000000"]));
        assert_eq!(st.unknown.len(), 1);
        let err = upgrade(&s, &st, &Target::Head, Options::default()).unwrap_err();
        assert!(err.to_string().contains("29990101000000"), "{err}");
        assert!(downgrade(&s, &st, &Target::Relative(-1)).is_err());
    }

    #[test]
    fn changed_files_are_refused_with_both_checksums() {
        let s = set(2);
        let mut l = ledger(&s, &[0], &[]);
        l.applied[0]
            .record
            .as_mut()
            .unwrap()
            .checksums
            .as_mut()
            .unwrap()
            .up_sha256 = "old".into();
        let st = Status::new(&s, &l);
        let err = upgrade(&s, &st, &Target::Head, Options::default()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("up.sql") && text.contains("old") && text.contains("up0"),
            "{text}"
        );
        assert!(text.contains("accept"), "{text}");
    }

    #[test]
    fn stamp_records_and_forgets_to_reach_the_target() {
        let s = set(3);
        let st = Status::new(&s, &ledger(&s, &[0, 1], &[]));
        let p = stamp(&s, &st, &Target::Head, false).unwrap();
        assert_eq!(p.record.len(), 1);
        let p = stamp(&s, &st, &Target::Base, false).unwrap();
        assert_eq!(p.forget.len(), 2);
        let st = Status::new(&s, &ledger(&s, &[0], &["29990101000000"]));
        assert!(stamp(&s, &st, &Target::Head, false).is_err());
        let p = stamp(&s, &st, &Target::Head, true).unwrap();
        assert_eq!(p.forget, vec!["29990101000000".to_string()]);
        assert!(stamp(&s, &st, &Target::Relative(5), false).is_err());
        // With a gap (m0, m2 applied, m1 pending), +1 records m1 and -1 forgets m2.
        let st = Status::new(&s, &ledger(&s, &[0, 2], &[]));
        let p = stamp(&s, &st, &Target::Relative(1), false).unwrap();
        assert_eq!(
            p.record.iter().map(|m| m.label()).collect::<Vec<_>>(),
            ["m1"]
        );
        let p = stamp(&s, &st, &Target::Relative(-1), false).unwrap();
        assert_eq!(p.forget, vec!["20250101000002".to_string()]);
        assert!(p.record.is_empty());
    }
}
