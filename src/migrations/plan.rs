//! The planner: (migrations, ledger, target) → ordered steps, or a refusal
//! with the reason and the way out. Pure: it touches no database, so every
//! rule here is unit-tested without one. The migrator executes a plan, the
//! script writer renders it as SQL, and `current`/`history`/`check` describe
//! the [`Status`] it is computed from.

use crate::error::{Error, Result};
use crate::migrations::direction::Direction;
use crate::migrations::source::{MigrationScript, MigrationSet};
use crate::migrations::sql_check;
use crate::migrations::status::Status;
use crate::migrations::target::{resolve_revision, Target};
use crate::refusal::Refusal;

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
        Plan::all(Direction::Up, migrations)
    }

    /// A plan that reverts exactly these migrations, in this order.
    pub fn down(migrations: impl IntoIterator<Item = &'s MigrationScript>) -> Self {
        Plan::all(Direction::Down, migrations)
    }

    /// Every one of `migrations`, in this order, in one direction.
    fn all(
        direction: Direction,
        migrations: impl IntoIterator<Item = &'s MigrationScript>,
    ) -> Self {
        let steps = migrations
            .into_iter()
            .map(|migration| Step {
                direction,
                migration,
            })
            .collect();
        Plan { steps }
    }

    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The directory names of the steps that must run outside a
    /// transaction (`run_in_transaction = false`).
    pub fn non_transactional(&self) -> Vec<String> {
        self.steps
            .iter()
            .filter(|s| !s.migration.run_in_transaction)
            .map(|s| s.migration.dir_name.clone())
            .collect()
    }

    /// Refuses SQL that cannot run the way the migrator runs it (see
    /// `sql_check`), in the file each step runs.
    pub fn check_sql(&self) -> Result<()> {
        for step in &self.steps {
            let m = step.migration;
            let sql = match step.direction {
                Direction::Up => Some(m.up_sql.as_str()),
                Direction::Down => m.down_sql.as_deref(),
            };
            if let Some(sql) = sql {
                sql_check::check_file(m, step.direction.file(), sql)?;
            }
        }
        Ok(())
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

/// Options that loosen or tighten the planner's refusals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Apply pending migrations older than the newest applied one.
    pub allow_out_of_order: bool,
    /// The plan will run as one transaction: refuse migrations that must
    /// run outside one.
    pub single_transaction: bool,
}

/// A command that changes the schema: what the planner plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Apply up to a target.
    Upgrade(Target),
    /// Revert down to a target.
    Downgrade(Target),
    /// Revert and re-apply the newest N.
    Redo(usize),
}

/// The plan for `command`, or why it is refused: the command's own rules,
/// then `--single-transaction`'s, then the SQL each step would run.
pub fn for_command<'s>(
    set: &'s MigrationSet,
    status: &Status,
    command: &Command,
    options: Options,
) -> Result<Plan<'s>> {
    set.require_contents()?;
    let plan = match command {
        Command::Upgrade(target) => upgrade(set, status, target, options)?,
        Command::Downgrade(target) => downgrade(set, status, target)?,
        Command::Redo(n) => redo(set, status, *n)?,
    };
    let outside = plan.non_transactional();
    if options.single_transaction && !outside.is_empty() {
        return Err(Error::Refused(Refusal::NotInOneTransaction {
            migrations: outside,
        }));
    }
    plan.check_sql()?;
    Ok(plan)
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
        let late: Vec<String> = chosen
            .iter()
            .filter(|&&i| status.migrations[i].out_of_order)
            .map(|&i| set.all()[i].dir_name.clone())
            .collect();
        if !late.is_empty() {
            return Err(Error::Refused(Refusal::OutOfOrder {
                newest_applied: set.all()[status.current().unwrap_or(0)].dir_name.clone(),
                late,
            }));
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
        return Err(Error::Refused(Refusal::StampOverUnknown {
            origin: set.origin().to_string(),
            versions: status.anomalies(set).unknown,
        }));
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
fn refuse_anomalies(set: &MigrationSet, status: &Status, command: &'static str) -> Result<()> {
    match status.anomalies(set).refusal(command, set.origin()) {
        Some(refusal) => Err(Error::Refused(refusal)),
        None => Ok(()),
    }
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

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
