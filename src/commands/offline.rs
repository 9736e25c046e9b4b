//! Offline scripts (`--sql`): the plan rendered as the SQL that would run.
//! Where a script starts is written as Alembic users write it:
//! `--from TARGET`, `--from current` (read from the database), or a
//! `FROM:TO` range in place of the target, FROM being the state the script
//! starts from (`upgrade --sql 2025-10-21:head` prints only what comes after
//! that migration).

use super::context::Context;
use crate::cli::{SqlOptions, Start, TargetArg};
use crate::outcome::Outcome;
use crate::output::migrate::ScriptReport;
use ragchat_migrate::database::ledger::{self, Ledger};
use ragchat_migrate::database::migrator::{self, Command, RunOptions};
use ragchat_migrate::database::script::{self, ScriptOptions};
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::migrations::source::MigrationSet;
use ragchat_migrate::migrations::status::Status;
use ragchat_migrate::migrations::target::{resolve_revision, Target};

/// The state an offline script starts from.
pub(super) struct ScriptStart {
    /// The migrations against the assumed (or read) ledger.
    pub status: Status,
    /// The script must create the ledger tables first.
    pub create_ledger: bool,
    /// How the start was given, for the script's title.
    pub label: String,
}

/// Splits `FROM:TO` into the target TO and `--from FROM`. A range needs
/// `--sql` and excludes `--from`.
pub(super) fn split_range(target: &TargetArg, sql: &SqlOptions) -> Result<(Target, SqlOptions)> {
    let (text, from, to) = match target {
        TargetArg::Single(target) => return Ok((target.clone(), sql.clone())),
        TargetArg::Range { text, from, to } => (text, from, to),
    };
    if !sql.sql {
        return Err(Error::Usage(format!(
            "the range `{text}` is for offline scripts only; fix: add --sql to print the \
             script, or give a single target (e.g. `{to}`)"
        )));
    }
    if sql.from.is_some() {
        return Err(Error::Usage(format!(
            "`{text}` already says where the script starts; fix: drop --from, or give only \
             the target `{to}`"
        )));
    }
    let sql = SqlOptions {
        sql: true,
        from: Some(from.clone()),
    };
    Ok((to.clone(), sql))
}

impl Context {
    /// `--sql`: the plan from the script's start, printed as the script.
    pub(super) fn offline(
        &self,
        name: &str,
        set: &MigrationSet,
        command: &Command,
        options: &RunOptions,
        sql: &SqlOptions,
    ) -> Result<Outcome> {
        let start = self.offline_start(name, set, Some(command), None, sql)?;
        let plan = migrator::make_plan(set, &start.status, command, options)?;
        let title = format!(
            "ragchat-migrate {name} --sql (from {}): {} step(s)",
            start.label,
            plan.steps.len()
        );
        let script = script::render_plan(
            &plan,
            &title,
            ScriptOptions {
                single_transaction: options.plan.single_transaction,
                create_ledger: start.create_ledger,
                ddl_lock_timeout: options.ddl_lock_timeout,
            },
        );
        self.print_script(&script, Some(plan.steps.len()));
        Ok(Outcome::Success)
    }

    /// Prints an offline script: as it is, or with `--format json` as the
    /// command's one JSON document, the script in `sql` (a script on stdout
    /// would break a caller that parses the document).
    pub(super) fn print_script(&self, script: &str, steps: Option<usize>) {
        if self.printer.json_mode() {
            self.printer.json_of(&ScriptReport {
                ok: true,
                sql: script,
                steps,
            });
        } else {
            crate::output::pipe::stdout(script.as_bytes());
        }
    }

    /// The start of an offline script for `command` (`name`; `stamp` has
    /// no command but its `target`): the given
    /// `--from`, the database's state for `--from current`, else base for
    /// upgrade and stamp. Reverting needs a start: from base there is
    /// nothing to revert.
    pub(super) fn offline_start(
        &self,
        name: &str,
        set: &MigrationSet,
        command: Option<&Command>,
        target: Option<&Target>,
        sql: &SqlOptions,
    ) -> Result<ScriptStart> {
        let reverts = match command {
            Some(Command::Downgrade(_) | Command::Redo(_)) => true,
            Some(Command::Upgrade(_)) => false,
            // stamp -N forgets applied migrations: it needs a start too.
            None => matches!(target, Some(Target::Relative(n)) if *n < 0),
        };
        let (label, from) = match &sql.from {
            None if reverts => return Err(needs_a_start(name)),
            None => ("base", &Target::Base),
            Some(Start::Current) => return self.current_start(set),
            Some(Start::At { text, target }) => (text.as_str(), target),
        };
        let boundary = from_boundary(set, from)?;
        Ok(ScriptStart {
            status: Status::new(set, &Ledger::assuming_applied(&set.all()[..boundary])),
            create_ledger: boundary == 0,
            label: label.to_string(),
        })
    }

    /// `--from current`: the ledger as the database has it (read without
    /// the lock; the script is run later anyway).
    fn current_start(&self, set: &MigrationSet) -> Result<ScriptStart> {
        let mut db = self.connect().map_err(|e| match e {
            Error::Connect {
                url,
                reason,
                source,
            } => Error::Connect {
                url,
                source,
                reason: format!(
                    "{reason}\n  (`--from current` reads the applied state from the database; \
                     without one, give --from a version, or a FROM:TO range)"
                ),
            },
            other => other,
        })?;
        let ledger = ledger::read(&mut db.conn)?;
        let status = Status::new(set, &ledger);
        let label = match status.current() {
            Some(i) => format!("current = {}", set.all()[i].version),
            None => "current = base".to_string(),
        };
        Ok(ScriptStart {
            status,
            create_ledger: !ledger.exists,
            label,
        })
    }
}

/// `--from TARGET` as the number of migrations applied at the start.
fn from_boundary(set: &MigrationSet, from: &Target) -> Result<usize> {
    match from {
        Target::Base => Ok(0),
        Target::Head => Ok(set.len()),
        Target::Revision(r) => Ok(resolve_revision(set, r)? + 1),
        Target::Relative(n) if *n > 0 && *n as usize <= set.len() => Ok(*n as usize),
        t => Err(Error::Usage(format!(
            "--from {t} is out of range; fix: use base, head, a version, or +1..+{}",
            set.len()
        ))),
    }
}

/// Reverting offline needs to know what is applied: a script cannot ask.
fn needs_a_start(name: &str) -> Error {
    let range = match name {
        "downgrade" => ", or a FROM:TO range such as `downgrade --sql head:base`",
        "stamp" => ", or a FROM:TO range such as `stamp --sql head:-1`",
        _ => "",
    };
    Error::Usage(format!(
        "{name} --sql needs a starting point: an offline script cannot ask the \
         database what is applied.\n  fix: pass --from head (or a version, or \
         `current` to read it from the database){range}"
    ))
}
