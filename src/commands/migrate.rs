//! `upgrade`, `downgrade`, `reset` and `redo`: run a plan under the lock
//! (or print it with `--sql`) and report the steps applied.

use super::{current_json, lint, offline, Context};
use crate::cli::{DowngradeArgs, RedoArgs, ResetArgs, SqlOptions, UpgradeArgs};
use crate::outcome::Outcome;
use ragchat_migrate::database::migrator::{self, Command, RunOptions};
use ragchat_migrate::database::script::{self, ScriptOptions};
use ragchat_migrate::error::Result;
use ragchat_migrate::migrations::plan;
use ragchat_migrate::migrations::source::MigrationSet;
use ragchat_migrate::migrations::target::{resolve_revision, Target};
use serde_json::json;

impl Context {
    /// `upgrade [TARGET]`: apply pending migrations, behind the lint gate.
    pub(super) fn upgrade(&self, args: UpgradeArgs) -> Result<Outcome> {
        let options = self.run_options(args.single_transaction, args.allow_out_of_order);
        let (target, sql) = offline::split_range(&args.target, &args.sql)?;
        let command = Command::Upgrade(target.parse()?);
        self.migrate("upgrade", command, options, &sql, !args.no_lint)
    }

    /// `downgrade [TARGET]`: revert migrations; `base` asks first.
    pub(super) fn downgrade(&self, args: DowngradeArgs) -> Result<Outcome> {
        let options = self.run_options(args.single_transaction, false);
        let (target, sql) = offline::split_range(&args.target, &args.sql)?;
        let target: Target = target.parse()?;
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
        let options = self.run_options(args.single_transaction, false);
        if !args.sql.sql {
            self.confirm_on_database(
                args.yes,
                "reset reverts EVERY applied migration and drops their tables and data",
            )?;
        }
        let command = Command::Downgrade(Target::Base);
        self.migrate("reset", command, options, &args.sql, false)
    }

    /// `redo [-n N] [--accept]`: revert and re-apply the newest migrations.
    pub(super) fn redo(&self, args: RedoArgs) -> Result<Outcome> {
        let options = self.run_options(args.single_transaction, false);
        if args.accept {
            return self.redo_accept(args.n, options);
        }
        self.migrate("redo", Command::Redo(args.n), options, &args.sql, false)
    }

    /// The run options from the global flags and the command's own.
    fn run_options(&self, single_transaction: bool, allow_out_of_order: bool) -> RunOptions {
        let ddl = self.global.ddl_lock_timeout;
        RunOptions {
            lock_timeout: self.global.lock_timeout,
            // 0 waits indefinitely: no lock_timeout is set.
            ddl_lock_timeout: (!ddl.is_zero()).then_some(ddl),
            single_transaction,
            plan: plan::Options { allow_out_of_order },
        }
    }

    pub(super) fn migrate(
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
        let (set, db) = if sql.sql {
            let set = self.load_set()?;
            validate(&set)?;
            (set, None)
        } else {
            let (set, db) = self.load_and_connect(false, validate)?;
            (set, Some(db))
        };
        let Some(mut db) = db else {
            return self.offline(name, &set, &command, &options, sql);
        };
        let mut observer = self.observer();
        let mut gate = lint::Gate::new(&mut observer, self.lint_location(), lint_gate);
        let outcome = migrator::run_and_report(&mut db.conn, &set, &command, &options, &mut gate);
        let migrator::RunOutcome {
            steps: reports,
            status,
        } = outcome.inspect_err(|e| {
            crate::json_contract::set_failure_detail(crate::json_contract::failure_detail(
                db.url.masked(),
                &set,
                &observer.done,
                e,
            ))
        })?;
        let total: f64 = reports.iter().map(|r| r.duration_ms).sum();
        if reports.is_empty() {
            self.printer.line("nothing to do");
        } else {
            let verb = if name == "upgrade" { "applied" } else { "ran" };
            self.printer.line(format!(
                "{verb} {} step(s) in {}; now at {}",
                reports.len(),
                crate::progress::duration(total),
                ragchat_migrate::migrations::unknown::describe_current(
                    &set,
                    &status,
                    &self.loaded_source()
                )
            ));
        }
        self.printer.json(&json!({
            "ok": true,
            "database": db.url.masked(),
            "steps": reports,
            "total_ms": total,
            "current": current_json(&set, &status),
        }));
        Ok(Outcome::Success)
    }

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
                single_transaction: options.single_transaction,
                create_ledger: start.create_ledger,
                ddl_lock_timeout: options.ddl_lock_timeout,
            },
        );
        self.print_script(&script, Some(plan.steps.len()));
        Ok(Outcome::Success)
    }
}
