//! `upgrade`, `downgrade`, `reset` and `redo`: run a plan under the lock
//! (or print it with `--sql`) and report the steps applied.

use super::context::{Connected, Context};
use super::offline;
use crate::cli::{DowngradeArgs, RedoArgs, ResetArgs, SqlOptions, UpgradeArgs};
use crate::commands::lint_gate::LintGate;
use crate::outcome::Outcome;
use crate::output::migrate::{FailedRun, RunReport};
use crate::output::status::CurrentRef;
use ragchat_migrate::database::migrator::{self, Command, RunOptions, RunOutcome};
use ragchat_migrate::error::Result;
use ragchat_migrate::migrations::plan;
use ragchat_migrate::migrations::source::MigrationSet;
use ragchat_migrate::migrations::target::{resolve_revision, Target};

impl Context {
    /// `upgrade [TARGET]`: apply pending migrations, behind the lint gate.
    pub(super) fn upgrade(&self, args: UpgradeArgs) -> Result<Outcome> {
        let options = self.run_options(args.single_transaction, args.allow_out_of_order);
        let (target, sql) = offline::split_range(&args.target, &args.sql)?;
        let command = Command::Upgrade(target);
        self.migrate("upgrade", command, options, &sql, !args.no_lint)
    }

    /// `downgrade [TARGET]`: revert migrations; `base` asks first.
    pub(super) fn downgrade(&self, args: DowngradeArgs) -> Result<Outcome> {
        let options = self.run_options(args.run.single_transaction, false);
        let (target, sql) = offline::split_range(&args.target, &args.run.sql)?;
        if target == Target::Base && !sql.sql {
            self.confirm_on_database(
                args.yes,
                "downgrade base reverts EVERY applied migration and drops their tables and data",
            )?;
        }
        self.migrate(
            "downgrade",
            Command::Downgrade(target),
            options,
            &sql,
            false,
        )
    }

    /// `reset`: revert every applied migration, after asking.
    pub(super) fn reset(&self, args: ResetArgs) -> Result<Outcome> {
        let options = self.run_options(args.run.single_transaction, false);
        if !args.run.sql.sql {
            self.confirm_on_database(
                args.yes,
                "reset reverts EVERY applied migration and drops their tables and data",
            )?;
        }
        let command = Command::Downgrade(Target::Base);
        self.migrate("reset", command, options, &args.run.sql, false)
    }

    /// `redo [-n N] [--accept]`: revert and re-apply the newest migrations.
    pub(super) fn redo(&self, args: RedoArgs) -> Result<Outcome> {
        let options = self.run_options(args.run.single_transaction, false);
        if args.accept {
            return self.redo_accept(args.n, options);
        }
        self.migrate("redo", Command::Redo(args.n), options, &args.run.sql, false)
    }

    /// The run options from the global flags and the command's own.
    fn run_options(&self, single_transaction: bool, allow_out_of_order: bool) -> RunOptions {
        let ddl = self.global.ddl_lock_timeout;
        RunOptions {
            lock_timeout: self.global.lock_timeout,
            // 0 waits indefinitely: no lock_timeout is set.
            ddl_lock_timeout: (!ddl.is_zero()).then_some(ddl),
            plan: plan::Options {
                allow_out_of_order,
                single_transaction,
            },
        }
    }

    /// Checks the target, then runs the plan on the database under the
    /// lock (behind the lint gate when `lint_gate`), or prints it as a
    /// script with `--sql`.
    fn migrate(
        &self,
        name: &str,
        command: Command,
        options: RunOptions,
        sql: &SqlOptions,
        lint_gate: bool,
    ) -> Result<Outcome> {
        // A named target must exist before anything is touched.
        let validate = |set: &MigrationSet| match &command {
            Command::Upgrade(Target::Revision(r)) | Command::Downgrade(Target::Revision(r)) => {
                resolve_revision(set, r).map(|_| ())
            }
            _ => Ok(()),
        };
        // The offline script connects to nothing.
        if sql.sql {
            let set = self.load_set()?;
            validate(&set)?;
            return self.offline(name, &set, &command, &options, sql);
        }
        let (set, mut db) = self.load_and_connect(false, validate)?;
        let mut observer = self.observer();
        if lint_gate {
            observer.gate = Some(LintGate {
                location: self.lint_location(),
            });
        }
        let outcome =
            migrator::run_and_report(&mut db.conn, &set, &command, &options, &mut observer);
        let run = outcome
            .inspect_err(|e| FailedRun::new(db.url.masked(), &set, &observer.done, e).record())?;
        let mut report = self.run_report(&db, &set, run);
        if name == "upgrade" {
            report.verb = "applied";
        }
        self.printer.report(&report);
        Ok(Outcome::Success)
    }

    /// The report of a finished run on `db`.
    pub(super) fn run_report(
        &self,
        db: &Connected,
        set: &MigrationSet,
        run: RunOutcome,
    ) -> RunReport {
        let now_at = self.describe(set, &run.status);
        let current = CurrentRef::of(set, &run.status);
        RunReport::new(db.url.masked(), run.steps, current, now_at)
    }
}
