//! One function per command, each reading top to bottom like the user's
//! story of that command. Validation (targets, names, migration files) comes
//! before any connection, so bad input never changes the database.

use crate::cli::{Cli, Commands, DevAction, Global, SqlOptions};
use crate::output::{Printer, ProgressPrinter, Style};
use diesel::PgConnection;
use ragchat_migrate::config::database_choice::{self, Choice};
use ragchat_migrate::config::database_url::DatabaseUrl;
use ragchat_migrate::config::project::{self, Selection};
use ragchat_migrate::database::ledger::{self, AppliedMigration};
use ragchat_migrate::database::migrator::{self, Command, RunOptions};
use ragchat_migrate::database::script::{self, ScriptOptions};
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::migrations::plan::{self, Status};
use ragchat_migrate::migrations::source::{MigrationScript, MigrationSet, Source};
use ragchat_migrate::migrations::target::{resolve_revision, Target};
use ragchat_migrate::proof::scratch::ScratchDb;
use ragchat_migrate::proof::{adopt, catalog, drift, verify};
use ragchat_migrate::server::dev::{self, LocalCluster};
use serde_json::{json, Value};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

mod autogen_cmd;
mod confirm_db;
mod history_filter;
mod lint;
mod offline;
mod redo_accept;
mod show;

/// Exit code when `check` finds the database not clean.
const CHECK_FAILED: u8 = 3;

/// Runs the parsed command line; returns the exit code on success.
pub fn run(cli: Cli, printer: Printer) -> Result<u8> {
    let ctx = Context {
        global: cli.global,
        printer,
        selection: std::cell::OnceCell::new(),
    };
    match cli.command {
        Commands::Upgrade {
            target,
            single_transaction,
            allow_out_of_order,
            no_lint,
            sql,
        } => {
            let options = ctx.run_options(single_transaction, allow_out_of_order)?;
            let (target, sql) = offline::split_range(&target, &sql)?;
            ctx.migrate(
                "upgrade",
                Command::Upgrade(target.parse()?),
                options,
                &sql,
                !no_lint,
            )
        }
        Commands::Downgrade {
            target,
            yes,
            single_transaction,
            sql,
        } => {
            let options = ctx.run_options(single_transaction, false)?;
            let (target, sql) = offline::split_range(&target, &sql)?;
            let target: Target = target.parse()?;
            if target == Target::Base && !sql.sql {
                ctx.confirm_on_database(
                    yes,
                    "downgrade base reverts EVERY applied migration and drops their tables and data",
                )?;
            }
            ctx.migrate(
                "downgrade",
                Command::Downgrade(target),
                options,
                &sql,
                false,
            )
        }
        Commands::Reset {
            yes,
            single_transaction,
            sql,
        } => {
            let options = ctx.run_options(single_transaction, false)?;
            if !sql.sql {
                ctx.confirm_on_database(
                    yes,
                    "reset reverts EVERY applied migration and drops their tables and data",
                )?;
            }
            ctx.migrate(
                "reset",
                Command::Downgrade(Target::Base),
                options,
                &sql,
                false,
            )
        }
        Commands::Redo {
            n,
            accept,
            single_transaction,
            sql,
        } => {
            let options = ctx.run_options(single_transaction, false)?;
            if accept {
                return ctx.redo_accept(n, options);
            }
            ctx.migrate("redo", Command::Redo(n), options, &sql, false)
        }
        Commands::Current => ctx.current(),
        Commands::History {
            verbose,
            range,
            limit,
        } => ctx.history(verbose, &history_filter::Filter::new(range, limit)?),
        Commands::Show { target, down } => ctx.show(&target, down),
        Commands::Pending => ctx.pending(),
        Commands::Create { name, autogen, .. } if autogen.autogenerate => {
            ctx.autogenerate(&name, &autogen)
        }
        Commands::Create {
            name,
            no_transaction,
            ..
        } => ctx.create(&name, no_transaction),
        Commands::Stamp {
            target,
            purge,
            force,
            sql,
        } => {
            let (target, sql) = offline::split_range(&target, &sql)?;
            ctx.stamp(&target.parse()?, purge, force, &sql)
        }
        Commands::Accept { target } => ctx.accept(&target),
        Commands::Lint(args) => ctx.lint(&args),
        Commands::Check => ctx.check(),
        Commands::Verify { keep, from } => ctx.verify(keep, from.as_deref()),
        Commands::Adopt => ctx.adopt(),
        Commands::Dev { action } => ctx.dev(action),
        Commands::Completions { shell } => {
            use clap::CommandFactory;
            // Written at once, so that a closed pipe ends it quietly.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ragchat-migrate", &mut script);
            crate::pipe::stdout(&script);
            Ok(0)
        }
    }
}

struct Context {
    global: Global,
    printer: Printer,
    /// Which migrations run, chosen (and announced) on first use.
    selection: std::cell::OnceCell<Selection>,
}

/// An open connection, and the local cluster's session when that is the
/// database (dropping it stops a server this command started).
struct Connected {
    conn: PgConnection,
    url: DatabaseUrl,
    _local: Option<dev::Session>,
}

impl Context {
    /// The migrations this command runs (see `project`), named on stderr
    /// and in the JSON document the first time they are asked for.
    fn source(&self) -> Result<Source> {
        if let Some(selection) = self.selection.get() {
            return Ok(selection.source.clone());
        }
        let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
        let selection = Selection::choose(
            self.global.migrations_dir.as_deref(),
            self.global.embedded,
            &cwd,
        )?;
        self.printer.note(selection.describe());
        crate::output::set_source(selection.to_json());
        Ok(self.selection.get_or_init(|| selection).source.clone())
    }

    /// The source the migrations were loaded from (chosen by then), for
    /// messages that name it.
    fn loaded_source(&self) -> Source {
        self.source().unwrap_or(Source::Embedded)
    }

    /// Says once when the project's folder and the binary's set differ.
    fn note_divergence(&self, set: &MigrationSet) {
        if let Some(note) = self
            .selection
            .get()
            .and_then(|s| project::divergence(s, set))
        {
            self.printer.note(note);
        }
    }

    fn load_set(&self) -> Result<MigrationSet> {
        let set = MigrationSet::load(&self.source()?)?;
        self.note_divergence(&set);
        Ok(set)
    }

    /// The database to use: the configured URL or the local cluster; an
    /// empty URL, or no URL in CI, is refused (exit 2) before anything runs.
    fn database(&self) -> Result<Choice> {
        database_choice::choose(self.global.database_url.as_deref(), self.global.local)
    }

    /// Reads the migrations (by name only when `names_only`) and checks the
    /// command's input against them (`validate`) while the connection is
    /// being set up: the server's start-up handshake is mostly waiting, and a
    /// large migrations folder takes as long to read. Bad input is still
    /// reported as such (exit 2), before a connection error, and nothing
    /// runs before both are done. Without a URL the folder is read and the
    /// input checked first, so that bad input never starts the local cluster.
    fn load_and_connect(
        &self,
        names_only: bool,
        validate: impl FnOnce(&MigrationSet) -> Result<()> + Send,
    ) -> Result<(MigrationSet, Connected)> {
        let database = self.database()?;
        let source = self.source()?;
        let load = move || -> Result<MigrationSet> {
            let set = if names_only {
                MigrationSet::list(&source)?
            } else {
                MigrationSet::load(&source)?
            };
            validate(&set)?;
            Ok(set)
        };
        if database == Choice::Local {
            let set = load()?;
            self.note_divergence(&set);
            return Ok((set, self.connect()?));
        }
        let (set, connected) = std::thread::scope(|scope| {
            let loading = scope.spawn(load);
            let connected = self.connect();
            let set = loading
                .join()
                .map_err(|_| Error::Internal("reading the migrations panicked".to_string()))??;
            Ok::<_, Error>((set, connected))
        })?;
        self.note_divergence(&set);
        Ok((set, connected?))
    }

    fn run_options(
        &self,
        single_transaction: bool,
        allow_out_of_order: bool,
    ) -> Result<RunOptions> {
        Ok(RunOptions {
            lock_timeout: seconds("--lock-timeout", self.global.lock_timeout)?,
            ddl_lock_timeout: match seconds("--ddl-lock-timeout", self.global.ddl_lock_timeout)? {
                d if d.is_zero() => None,
                d => Some(d),
            },
            single_transaction,
            plan: plan::Options { allow_out_of_order },
        })
    }

    /// The configured database, or the local cluster when none is.
    fn connect(&self) -> Result<Connected> {
        let (url, local) = match self.database()? {
            Choice::Url(raw) => (DatabaseUrl::parse(&raw)?, None),
            Choice::Local => {
                let cluster = LocalCluster::locate()?;
                crate::local_notes::announce(&self.printer, &cluster, self.global.local);
                let session = cluster.use_for_command()?;
                (session.url().clone(), Some(session))
            }
        };
        let conn = url.connect(self.global.connect_timeout)?;
        Ok(Connected {
            conn,
            url,
            _local: local,
        })
    }

    fn observer(&self) -> ProgressPrinter {
        ProgressPrinter {
            printer: self.printer,
            total: 0,
            done: Vec::new(),
        }
    }

    /// What a read-only command needs: the migrations (by name only unless
    /// the ledger's checksums are wanted, which means reading and hashing
    /// every file), a connection, and the committed ledger, read without
    /// waiting for the migration lock. A run in progress is mentioned, since
    /// its work is not in the answer yet.
    fn observe(&self, detail: ledger::Detail) -> Result<(MigrationSet, Connected, Status, bool)> {
        self.observe_checked(detail, |_| Ok(()))
    }

    /// [`Self::observe`], checking the command's input against the
    /// migrations (`validate`) before anything is reported.
    fn observe_checked(
        &self,
        detail: ledger::Detail,
        validate: impl FnOnce(&MigrationSet) -> Result<()> + Send,
    ) -> Result<(MigrationSet, Connected, Status, bool)> {
        let (set, mut db) = self.load_and_connect(detail != ledger::Detail::Checksums, validate)?;
        let observed = ledger::observe(&mut db.conn, detail)?;
        if let Some(pid) = observed.migrating {
            self.printer.note(format!(
                "note: a migration run is in progress{}; this is the state committed before it",
                pid.map(|p| format!(" (backend pid {p})"))
                    .unwrap_or_default()
            ));
        }
        let status = Status::new(&set, &observed.ledger);
        Ok((set, db, status, observed.migrating.is_some()))
    }

    fn migrate(
        &self,
        name: &str,
        command: Command,
        options: RunOptions,
        sql: &SqlOptions,
        lint_gate: bool,
    ) -> Result<u8> {
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
        Ok(0)
    }

    fn offline(
        &self,
        name: &str,
        set: &MigrationSet,
        command: &Command,
        options: &RunOptions,
        sql: &SqlOptions,
    ) -> Result<u8> {
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
        Ok(0)
    }

    fn current(&self) -> Result<u8> {
        let (set, db, status, migrating) = self.observe(ledger::Detail::Versions)?;
        self.warn_about_anomalies(&set, &status);
        self.printer
            .line(ragchat_migrate::migrations::unknown::describe_current(
                &set,
                &status,
                &self.loaded_source(),
            ));
        self.printer.json(&json!({
            "database": db.url.masked(),
            "current": current_json(&set, &status),
            "head": set.all().last().map(migration_json),
            "at_head": status.at_head() && status.unknown.is_empty(),
            "pending": status.pending().count(),
            "unknown": status.unknown.iter().map(|a| &a.version).collect::<Vec<_>>(),
            "migration_in_progress": migrating,
        }));
        Ok(0)
    }

    fn history(&self, verbose: bool, filter: &history_filter::Filter) -> Result<u8> {
        // Checksums (and the CHANGED marks they give) need every file read:
        // only --verbose pays for that. The plain listing shows Diesel's
        // run_on, so it needs the side records (who, how long) only for JSON,
        // or to name versions this binary does not know.
        let detail = if verbose {
            ledger::Detail::Checksums
        } else if self.printer.json_mode() {
            ledger::Detail::Records
        } else {
            ledger::Detail::Versions
        };
        let (set, mut db, mut status, migrating) =
            self.observe_checked(detail, |set| filter.indexes(set, None).map(|_| ()))?;
        let shown = filter.indexes(&set, Some(status.current()))?;
        if detail == ledger::Detail::Versions && !status.unknown.is_empty() {
            let observed = ledger::observe(&mut db.conn, ledger::Detail::Records)?;
            status = Status::new(&set, &observed.ledger);
        }
        let current = status.current();
        let head = set.len().checked_sub(1);
        let p = &self.printer;
        let mut entries = Vec::new();
        // Collected and written at once: a long history is one write, not
        // one system call per line.
        let mut lines: Vec<String> = Vec::new();
        for state in &status.migrations[shown] {
            let m = &set.all()[state.index];
            let mut marks = Vec::new();
            if Some(state.index) == current {
                marks.push(p.paint("(current)", Style::Bold));
            }
            if Some(state.index) == head {
                marks.push(p.paint("(head)", Style::Bold));
            }
            if state.out_of_order {
                marks.push(p.paint("(out of order: older than the newest applied)", Style::Warn));
            }
            for change in &state.changes {
                marks.push(p.paint(
                    &format!("(CHANGED: {} edited since applied)", change.file),
                    Style::Bad,
                ));
            }
            let (box_, when) = match &state.applied {
                Some(a) => (
                    p.paint("[x]", Style::Good),
                    format!("applied {}", applied_when(a)),
                ),
                None => (p.paint("[ ]", Style::Warn), "pending".to_string()),
            };
            lines.push(
                format!(
                    "{box_} {}  {:<32} {when} {}",
                    m.version,
                    m.label(),
                    marks.join(" ")
                )
                .trim_end()
                .to_string(),
            );
            if verbose {
                lines.push(format!("      directory:   {}", m.dir_name));
                lines.push(format!("      up.sql:      sha256 {}", m.up_sha256));
                if let Some(d) = &m.down_sha256 {
                    lines.push(format!("      down.sql:    sha256 {d}"));
                }
                if let Some(r) = state.applied.as_ref().and_then(|a| a.record.as_ref()) {
                    lines.push(format!(
                        "      recorded by: {}{}",
                        r.applied_by,
                        r.duration_ms
                            .map(|d| format!(", took {d:.1} ms"))
                            .unwrap_or_default()
                    ));
                }
                if !m.run_in_transaction {
                    lines.push("      runs outside a transaction (metadata.toml)".to_string());
                }
            }
            if !p.json_mode() {
                continue;
            }
            let mut entry = json!({
                "version": m.version,
                "name": m.dir_name,
                "state": if state.applied.is_some() { "applied" } else { "pending" },
                "applied_at": state.applied.as_ref().map(applied_when),
                "duration_ms": state.applied.as_ref().and_then(|a| a.record.as_ref()).and_then(|r| r.duration_ms),
                "applied_by": state.applied.as_ref().and_then(|a| a.record.as_ref()).map(|r| r.applied_by.clone()),
                "current": Some(state.index) == current,
                "head": Some(state.index) == head,
                "out_of_order": state.out_of_order,
            });
            if verbose {
                entry["changed"] = json!(state.changes);
                entry["up_sha256"] = json!(m.up_sha256);
                entry["down_sha256"] = json!(m.down_sha256);
                entry["run_in_transaction"] = json!(m.run_in_transaction);
            }
            entries.push(entry);
        }
        for unknown in status.unknown.iter().filter(|_| !filter.has_range()) {
            lines.push(format!(
                "{} {}  {:<32} applied {} {}",
                p.paint("[?]", Style::Bad),
                unknown.version,
                unknown
                    .record
                    .as_ref()
                    .map_or("(unknown)", |r| r.dir_name.as_str()),
                applied_when(unknown),
                p.paint(
                    &format!("(UNKNOWN: applied, but not in {})", set.origin()),
                    Style::Bad
                )
            ));
        }
        if set.is_empty() && status.unknown.is_empty() {
            lines.push("no migrations".to_string());
        }
        if !lines.is_empty() {
            p.line(lines.join("\n"));
        }
        p.json(&json!({
            "database": db.url.masked(),
            "migration_in_progress": migrating,
            "migrations": entries,
            "unknown": status.unknown.iter().map(|a| json!({
                "version": a.version,
                "name": a.record.as_ref().map(|r| r.dir_name.clone()),
                "applied_at": applied_when(a),
            })).collect::<Vec<_>>(),
        }));
        Ok(0)
    }

    fn pending(&self) -> Result<u8> {
        let (set, db, status, migrating) = self.observe(ledger::Detail::Versions)?;
        let pending: Vec<&MigrationScript> = status.pending().map(|i| &set.all()[i]).collect();
        for m in &pending {
            self.printer.line(format!("{} {}", m.version, m.dir_name));
        }
        self.printer.json(&json!({
            "database": db.url.masked(),
            "migration_in_progress": migrating,
            "pending": pending.iter().map(|m| migration_json(m)).collect::<Vec<_>>(),
        }));
        Ok(0)
    }

    fn create(&self, name: &str, no_transaction: bool) -> Result<u8> {
        if name.is_empty()
            || name.len() > ragchat_migrate::migrations::names::MAX_CREATE_NAME_LEN
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(Error::Usage(format!(
                "invalid migration name {name:?}: use only lowercase letters, digits and `_`, \
                 at most {} characters (e.g. add_user_timezone_column)",
                ragchat_migrate::migrations::names::MAX_CREATE_NAME_LEN
            )));
        }
        let dir = self.migrations_dir_for_create()?;
        let ragchat_migrate::migrations::create::Created { dir_name, path } =
            ragchat_migrate::migrations::create::create_migration(
                &dir,
                name,
                no_transaction,
                chrono::Utc::now(),
            )?;
        self.printer.line(format!("created {}", path.display()));
        let mut files = vec![path.join("up.sql"), path.join("down.sql")];
        if no_transaction {
            files.push(path.join("metadata.toml"));
        }
        self.printer.json(&json!({
            "ok": true,
            // A list, as for `create --autogenerate` (which may write two).
            "created": [&path],
            "version": dir_name.split('_').next().unwrap_or_default().replace('-', ""),
            "name": dir_name,
            "directory": path,
            "files": files,
            "run_in_transaction": !no_transaction,
        }));
        Ok(0)
    }

    fn migrations_dir_for_create(&self) -> Result<PathBuf> {
        if let Some(dir) = &self.global.migrations_dir {
            return Ok(dir.clone());
        }
        let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
        project::folder_for_create(&cwd)?.ok_or_else(|| {
            Error::Usage(
                "no migrations/ directory here or in any parent; fix: run inside the \
                     project, or pass --migrations-dir"
                    .into(),
            )
        })
    }

    fn stamp(&self, target: &Target, purge: bool, force: bool, sql: &SqlOptions) -> Result<u8> {
        let set = self.load_set()?;
        if let Target::Revision(r) = target {
            resolve_revision(&set, r)?;
        }
        if sql.sql {
            let start = self.offline_start("stamp", &set, None, Some(target), sql)?;
            let stamp = plan::stamp(&set, &start.status, target, purge)?;
            let script = script::render_stamp(
                &stamp,
                &format!(
                    "ragchat-migrate stamp {target} --sql (from {})",
                    start.label
                ),
                start.create_ledger,
                &ledger::LedgerTables::unqualified(),
            );
            self.print_script(&script, None);
            return Ok(0);
        }
        let mut db = self.connect()?;
        let db_url = db.url.clone();
        let timeout = seconds("--lock-timeout", self.global.lock_timeout)?;
        let (recorded, forgot) =
            migrator::with_lock(&mut db.conn, timeout, &mut self.observer(), |conn, _| {
                let (read, located) = ledger::read_located(conn)?;
                let status = Status::new(&set, &read);
                let stamp = plan::stamp(&set, &status, target, purge)?;
                if !force {
                    self.refuse_stamp_over_other_schema(&db_url, conn, &set, &status, &stamp)?;
                }
                let counts = (stamp.record.len(), stamp.forget.len());
                if counts != (0, 0) {
                    let sql = script::render_stamp(&stamp, "stamp", false, &read.tables);
                    ledger::record_stamp(conn, &located, &sql)?;
                }
                Ok(counts)
            })?;
        let status = Status::new(&set, &ledger::read(&mut db.conn)?);
        self.printer.line(format!(
            "stamped {target}: recorded {recorded}, forgot {forgot} (no migration SQL was run); now at {}",
            ragchat_migrate::migrations::unknown::describe_current(&set, &status, &self.loaded_source())
        ));
        self.printer.json(&json!({
            "command": "stamp",
            "database": db.url.masked(),
            "recorded": recorded,
            "forgotten": forgot,
            "current": current_json(&set, &status),
        }));
        Ok(0)
    }

    fn accept(&self, target: &str) -> Result<u8> {
        let set = self.load_set()?;
        let index = resolve_revision(&set, target)?;
        let m = &set.all()[index];
        let mut db = self.connect()?;
        let timeout = seconds("--lock-timeout", self.global.lock_timeout)?;
        let changes =
            migrator::with_lock(&mut db.conn, timeout, &mut self.observer(), |conn, _| {
                let read = ledger::read(conn)?;
                let status = Status::new(&set, &read);
                let state = &status.migrations[index];
                if state.applied.is_none() {
                    return Err(Error::Usage(format!(
                        "{} is not applied; nothing to accept",
                        m.dir_name
                    )));
                }
                if !state.changes.is_empty() {
                    ledger::accept_checksums(conn, &read.tables, m)?;
                }
                Ok(state.changes.clone())
            })?;
        if changes.is_empty() {
            self.printer.line(format!(
                "{}: checksums already match; nothing to accept",
                m.dir_name
            ));
        }
        for c in &changes {
            self.printer.line(format!(
                "accepted {}/{}: {} -> {}",
                m.dir_name,
                c.file,
                c.recorded.as_deref().unwrap_or("(none)"),
                c.current.as_deref().unwrap_or("(none)")
            ));
        }
        self.printer.json(&json!({
            "database": db.url.masked(),
            "accepted": m.version,
            "changes": changes,
        }));
        Ok(0)
    }

    fn check(&self) -> Result<u8> {
        // No waiting for the lock: a run in progress fails the check (what
        // it has done so far is not a state to approve).
        let (set, mut db, status, migrating) = self.observe(ledger::Detail::Checksums)?;
        let pending: Vec<&MigrationScript> = status.pending().map(|i| &set.all()[i]).collect();
        let lint_report = self.lint_for_check(&pending, &mut db)?;
        let changed: Vec<String> = status
            .changed()
            .flat_map(|s| {
                let dir = &set.all()[s.index].dir_name;
                s.changes.iter().map(move |c| format!("{dir}/{}", c.file))
            })
            .collect();
        let out_of_order: Vec<&str> = status
            .migrations
            .iter()
            .filter(|s| s.out_of_order)
            .map(|s| set.all()[s.index].dir_name.as_str())
            .collect();
        let expected = drift::expected_schema_cached(
            &db.url,
            &mut db.conn,
            self.global.connect_timeout,
            &set,
            drift::applied_migrations(&set, &status),
        )?;
        let drifted: Vec<String> = drift::compare_cached(&expected, &db.url, &mut db.conn)?
            .iter()
            .map(ToString::to_string)
            .collect();
        let ok = !migrating
            && pending.is_empty()
            && changed.is_empty()
            && status.unknown.is_empty()
            && drifted.is_empty();
        let p = &self.printer;
        if ok {
            p.line(format!(
                "{} at head, nothing edited, unknown or drifted: {}",
                p.paint("ok:", Style::Good),
                ragchat_migrate::migrations::unknown::describe_current(
                    &set,
                    &status,
                    &self.loaded_source()
                )
            ));
        } else {
            p.line(format!(
                "{} the database is not clean ({})",
                p.paint("check failed:", Style::Bad),
                ragchat_migrate::migrations::unknown::describe_current(
                    &set,
                    &status,
                    &self.loaded_source()
                )
            ));
            if migrating {
                p.line("  in progress: a migration run holds the lock; check again when it ends");
            }
            for m in &pending {
                p.line(format!("  pending:   {}", m.dir_name));
            }
            if !lint_report.files.is_empty() {
                p.line(ragchat_migrate::lint::render::text(&lint_report, p.color));
            }
            for c in &changed {
                p.line(format!("  changed:   {c} (edited after it was applied)"));
            }
            if let Some(summary) =
                ragchat_migrate::migrations::unknown::summary(&status, &self.loaded_source())
            {
                p.line(format!("  unknown:   {summary}"));
            }
            for o in &out_of_order {
                p.line(format!("  out of order: {o}"));
            }
            if !drifted.is_empty() {
                p.line("  drift: the schema differs from what the applied migrations produce (- missing here, + only here, ~ different):");
                for d in &drifted {
                    p.line(format!("    {d}"));
                }
            }
        }
        p.json(&json!({
            "ok": ok,
            "database": db.url.masked(),
            "migration_in_progress": migrating,
            "current": current_json(&set, &status),
            "pending": pending.iter().map(|m| migration_json(m)).collect::<Vec<_>>(),
            "changed": changed,
            "unknown": status.unknown.iter().map(|a| &a.version).collect::<Vec<_>>(),
            "out_of_order": out_of_order,
            "drift": drifted,
            "lint": ragchat_migrate::lint::render::json(&lint_report),
        }));
        Ok(if ok { 0 } else { CHECK_FAILED })
    }

    fn dev(&self, action: DevAction) -> Result<u8> {
        let cluster = LocalCluster::locate()?;
        let p = &self.printer;
        match action {
            DevAction::Start => {
                let started = cluster.start_and_keep()?;
                let url = cluster.app_url().unwrap_or_default();
                p.note(if started {
                    "local cluster started; it keeps running until `dev stop`"
                } else {
                    "local cluster already running"
                });
                p.line(format!("DATABASE_URL={url}"));
                p.json(&json!({ "started": started, "database_url": url, "data_dir": cluster.data_dir }));
            }
            DevAction::Stop => {
                let stopped = cluster.stop()?;
                p.line(if stopped {
                    "local cluster stopped"
                } else {
                    "local cluster was not running"
                });
                p.json(&json!({ "stopped": stopped }));
            }
            DevAction::Status => {
                let s = cluster.status();
                p.line(format!(
                    "local cluster: {}",
                    if s.running {
                        p.paint("running", Style::Good)
                    } else if s.initialized {
                        p.paint("stopped", Style::Warn)
                    } else {
                        "not created yet".into()
                    }
                ));
                p.line(format!("  data directory: {}", s.data_dir.display()));
                if let Some(from) = &s.relocated_from {
                    p.line(format!(
                        "  (instead of {}, which the postgres OS user cannot reach)",
                        from.display()
                    ));
                }
                if let Some(pid) = s.pid {
                    p.line(format!("  server pid:     {pid}"));
                }
                if let Some(v) = &s.version {
                    p.line(format!("  PostgreSQL:     {v}"));
                }
                p.line(format!(
                    "  size on disk:   {:.1} MiB",
                    s.size_bytes as f64 / 1048576.0
                ));
                if let Some(u) = &s.url {
                    p.line(format!("  DATABASE_URL:   {u}"));
                }
                if let Some(port) = s.port {
                    p.line(format!(
                        "  TCP:            127.0.0.1:{port} (password in {})",
                        cluster.password_file().display()
                    ));
                }
                p.json(&serde_json::to_value(&s).unwrap_or(Value::Null));
            }
            DevAction::Url => {
                let url = cluster.app_url().ok_or_else(|| {
                    Error::Usage("the local cluster has not been created yet; fix: run `ragchat-migrate dev start`".into())
                })?;
                crate::local_notes::warn_if_stopped(p, &cluster);
                if p.json_mode() {
                    p.json(&json!({
                        "database_url": url,
                        "running": cluster.running_pid().is_some(),
                    }));
                } else {
                    crate::pipe::stdout(format!("{url}\n").as_bytes());
                }
            }
            DevAction::Destroy { yes } => {
                confirm(
                    yes,
                    &format!(
                        "dev destroy deletes the local cluster in {} with all its data",
                        cluster.server_dir.display()
                    ),
                )?;
                cluster.destroy()?;
                p.line("local cluster destroyed");
                p.json(&json!({ "destroyed": cluster.server_dir }));
            }
        }
        Ok(0)
    }

    /// Stamping records a schema as made by migrations: when the database
    /// has objects, they must be what those migrations make.
    fn refuse_stamp_over_other_schema(
        &self,
        url: &DatabaseUrl,
        conn: &mut PgConnection,
        set: &MigrationSet,
        status: &Status,
        stamp: &plan::StampPlan,
    ) -> Result<()> {
        if catalog::snapshot(conn)?.is_empty() {
            return Ok(());
        }
        let after: Vec<&MigrationScript> = set
            .all()
            .iter()
            .enumerate()
            .filter(|(i, m)| {
                let applied =
                    status.migrations[*i].applied.is_some() && !stamp.forget.contains(&m.version);
                applied || stamp.record.iter().any(|r| r.version == m.version)
            })
            .map(|(_, m)| m)
            .collect();
        let expected = drift::expected_schema(url, conn, self.global.connect_timeout, set, after)?;
        let changes = drift::compare(&expected, conn)?;
        if changes.is_empty() {
            return Ok(());
        }
        Err(Error::Refused(format!(
            "refusing to stamp: the live schema is not what those migrations produce \
             (- missing here, + only here, ~ different):\n{}\n  fix: stamp the version the \
             schema really is at, bring the schema in line, or pass --force if you are sure",
            drift::render(&changes)
        )))
    }

    fn verify(&self, keep: bool, from: Option<&str>) -> Result<u8> {
        let set = self.load_set()?;
        let start = crate::verify_output::start_index(&set, from)?;
        let mut db = self.connect()?;
        let timeout = self.global.connect_timeout;
        let mut scratches: Vec<ScratchDb> = Vec::new();
        let p = self.printer;
        let bar = crate::progress::enabled(&p)
            .then(|| crate::progress::bar("verifying", set.len().saturating_sub(start)));
        let report = {
            let mut fresh = || -> Result<diesel::PgConnection> {
                scratches.clear();
                let scratch = ScratchDb::create(&db.url, &mut db.conn, timeout)?;
                let conn = scratch.connect()?;
                scratches.push(scratch);
                Ok(conn)
            };
            verify::verify(&mut fresh, &set, start, &mut |v| match &bar {
                Some(bar) => {
                    bar.suspend(|| crate::verify_output::print_verdict(&p, v));
                    bar.inc(1);
                }
                None => crate::verify_output::print_verdict(&p, v),
            })?
        };
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        let scratch = scratches
            .last_mut()
            .expect("verify made a scratch database");
        if keep {
            scratch.keep();
            p.note(format!("kept the scratch database {}", scratch.url()));
        }
        crate::verify_output::print_summary(&p, &report);
        p.json(&json!({
            "ok": report.ok,
            "database": db.url.masked(),
            "scratch_database": scratch.name(),
            "kept": keep,
            "from": from,
            "migrations": report.migrations,
            "round_trip": report.round_trip,
            "totals": report.totals,
        }));
        Ok(if report.ok { 0 } else { 3 })
    }

    fn adopt(&self) -> Result<u8> {
        let set = self.load_set()?;
        let mut db = self.connect()?;
        let url = db.url.clone();
        let timeout = seconds("--lock-timeout", self.global.lock_timeout)?;
        let connect_timeout = self.global.connect_timeout;
        let adoption =
            migrator::with_lock(&mut db.conn, timeout, &mut self.observer(), |conn, _| {
                adopt::adopt(&url, conn, connect_timeout, &set)
            })?;
        let p = &self.printer;
        p.line(format!(
            "adopted the database of Alembic revision {}: its schema matches, and it is now \
             managed by ragchat-migrate (alembic_version was left in place)",
            adoption.alembic_revision
        ));
        for m in &adoption.recorded {
            p.line(format!("  recorded {m} as applied"));
        }
        for c in &adoption.created {
            p.line(format!(
                "  created {c} (the Python system refreshed updated_at in its ORM)"
            ));
        }
        p.json(&json!({ "database": db.url.masked(), "adoption": adoption }));
        Ok(0)
    }

    fn warn_about_anomalies(&self, set: &MigrationSet, status: &Status) {
        if let Some(summary) =
            ragchat_migrate::migrations::unknown::summary(status, &self.loaded_source())
        {
            self.printer.note(format!("warning: {summary}"));
        }
        for c in status.changed() {
            self.printer.note(format!(
                "warning: {} was edited after it was applied",
                set.all()[c.index].dir_name
            ));
        }
    }
}

/// `reset` and `dev destroy` ask on a terminal and need `--yes` without one.
fn confirm(yes: bool, what: &str) -> Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(format!(
            "{what}\n  fix: there is no terminal to ask; pass --yes to confirm"
        )));
    }
    eprint!("{what}.\nType 'yes' to continue: ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| Error::io("stdin", e))?;
    if answer.trim().eq_ignore_ascii_case("yes") || answer.trim().eq_ignore_ascii_case("y") {
        Ok(())
    } else {
        Err(Error::Usage("not confirmed; nothing was changed".into()))
    }
}

fn seconds(flag: &str, value: f64) -> Result<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| Error::Usage(format!("{flag} must be a number of seconds, 0 or more")))
}

/// `--from TARGET` as the number of migrations applied at the start.
fn from_boundary(set: &MigrationSet, from: Option<&str>) -> Result<usize> {
    match from.map(str::parse::<Target>).transpose()? {
        None | Some(Target::Base) => Ok(0),
        Some(Target::Head) => Ok(set.len()),
        Some(Target::Revision(r)) => Ok(resolve_revision(set, &r)? + 1),
        Some(Target::Relative(n)) if n > 0 && n as usize <= set.len() => Ok(n as usize),
        Some(t) => Err(Error::Usage(format!(
            "--from {t} is out of range; fix: use base, head, a version, or +1..+{}",
            set.len()
        ))),
    }
}

fn current_json(set: &MigrationSet, status: &Status) -> Value {
    match status.current() {
        None => json!({ "version": null, "name": "base", "head": set.is_empty() }),
        Some(i) => {
            let m = &set.all()[i];
            let ahead = ragchat_migrate::migrations::unknown::ahead_of(set, status);
            json!({ "version": m.version, "name": m.dir_name, "head": status.at_head() && ahead.is_none() })
        }
    }
}

fn migration_json(m: &MigrationScript) -> Value {
    json!({ "version": m.version, "name": m.dir_name })
}

fn applied_when(a: &AppliedMigration) -> String {
    match &a.record {
        Some(r) => r.applied_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        None => a.run_on.format("%Y-%m-%d %H:%M:%S").to_string(),
    }
}
