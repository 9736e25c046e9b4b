//! The shared context of every command: which migrations, which database,
//! the connection, and the progress printer.

use crate::cli::Global;
use crate::commands::run_observer::RunObserver;
use crate::output::Printer;
use diesel::PgConnection;
use ragchat_migrate::config::database_choice::{self, Choice};
use ragchat_migrate::config::database_url::DatabaseUrl;
use ragchat_migrate::config::project::{self, Selection};
use ragchat_migrate::database::ledger;
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::migrations::source::{MigrationSet, Source};
use ragchat_migrate::migrations::status::Status;
use ragchat_migrate::server::dev::{self, LocalCluster};
use std::path::PathBuf;

/// What every command works with: the global options, where it prints, and
/// the migrations it chose.
pub(super) struct Context {
    /// The options every command accepts.
    pub(super) global: Global,
    /// Where and how it prints.
    pub(super) printer: Printer,
    /// Which migrations run, chosen (and announced) on first use.
    pub(super) selection: std::cell::OnceCell<Selection>,
}

/// An open connection, and the local cluster's session when that is the
/// database (dropping it stops a server this command started).
pub(super) struct Connected {
    /// The connection.
    pub(super) conn: PgConnection,
    /// Where it goes (`masked()` for reports).
    pub(super) url: DatabaseUrl,
    /// Kept for its drop.
    pub(super) _local: Option<dev::Session>,
}

/// What a read-only command sees: the migrations, the connection, their
/// status against the committed ledger, and whether a run held the lock.
pub(super) struct Observed {
    /// The migrations.
    pub(super) set: MigrationSet,
    /// The connection.
    pub(super) db: Connected,
    /// The migrations against the ledger.
    pub(super) status: Status,
    /// A migration run held the lock (its work is not in `status` yet).
    pub(super) migrating: bool,
}

impl Context {
    /// The context of one command run.
    pub(super) fn new(global: Global, printer: Printer) -> Self {
        Context {
            global,
            printer,
            selection: std::cell::OnceCell::new(),
        }
    }

    /// The migrations this command runs (see `project`), named on stderr
    /// and in the JSON document the first time they are asked for.
    pub(super) fn source(&self) -> Result<Source> {
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
        crate::output::set_source(
            serde_json::to_value(selection.json_source()).unwrap_or_default(),
        );
        Ok(self.selection.get_or_init(|| selection).source.clone())
    }

    /// The source the migrations were loaded from (chosen by then), for
    /// messages that name it.
    pub(super) fn loaded_source(&self) -> Source {
        self.source().unwrap_or(Source::Embedded)
    }

    /// Where `status` stands, in words, naming the source for versions it
    /// does not have.
    pub(super) fn describe(&self, set: &MigrationSet, status: &Status) -> String {
        ragchat_migrate::migrations::unknown::describe_current(set, status, &self.loaded_source())
    }

    /// Says once when the project's folder and the binary's set differ.
    pub(super) fn note_divergence(&self, set: &MigrationSet) {
        if let Some(note) = self
            .selection
            .get()
            .and_then(|s| project::divergence(s, set))
        {
            self.printer.note(note);
        }
    }

    pub(super) fn load_set(&self) -> Result<MigrationSet> {
        let set = MigrationSet::load(&self.source()?)?;
        self.note_divergence(&set);
        Ok(set)
    }

    /// The database to use: the configured URL or the local cluster; an
    /// empty URL, or no URL in CI, is refused (exit 2) before anything runs.
    pub(super) fn database(&self) -> Result<Choice> {
        database_choice::choose(self.global.database_url.as_deref(), self.global.local)
    }

    /// Reads the migrations (by name only when `names_only`) and checks the
    /// command's input against them (`validate`) while the connection is
    /// being set up: the server's start-up handshake is mostly waiting, and a
    /// large migrations folder takes as long to read. Bad input is still
    /// reported as such (exit 2), before a connection error, and nothing
    /// runs before both are done. Without a URL the folder is read and the
    /// input checked first, so that bad input never starts the local cluster.
    pub(super) fn load_and_connect(
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

    /// The configured database, or the local cluster when none is.
    pub(super) fn connect(&self) -> Result<Connected> {
        let (url, local) = match self.database()? {
            Choice::Url(raw) => (DatabaseUrl::parse(&raw)?, None),
            Choice::Local => {
                let cluster = LocalCluster::locate()?;
                crate::output::local_notes::announce(&self.printer, &cluster, self.global.local);
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

    /// The observer of a migrator run: progress lines, the lock wait, the
    /// steps done (no lint gate unless the command adds one).
    pub(super) fn observer(&self) -> RunObserver {
        RunObserver {
            printer: self.printer,
            total: 0,
            done: Vec::new(),
            gate: None,
        }
    }

    /// What a read-only command needs: the migrations (by name only unless
    /// the ledger's checksums are wanted, which means reading and hashing
    /// every file), a connection, and the committed ledger, read without
    /// waiting for the migration lock. A run in progress is mentioned, since
    /// its work is not in the answer yet.
    pub(super) fn observe(&self, detail: ledger::Detail) -> Result<Observed> {
        self.observe_checked(detail, |_| Ok(()))
    }

    /// [`Self::observe`], checking the command's input against the
    /// migrations (`validate`) before anything is reported.
    pub(super) fn observe_checked(
        &self,
        detail: ledger::Detail,
        validate: impl FnOnce(&MigrationSet) -> Result<()> + Send,
    ) -> Result<Observed> {
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
        Ok(Observed {
            set,
            db,
            status,
            migrating: observed.migrating.is_some(),
        })
    }

    /// The folder new migrations go in (`create`, `lint --fix`): the flag,
    /// else the project's; never the embedded set.
    pub(super) fn migrations_dir_for_create(&self) -> Result<PathBuf> {
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

    /// Warns on stderr about unknown applied versions and edited applied
    /// migrations.
    pub(super) fn warn_about_anomalies(&self, set: &MigrationSet, status: &Status) {
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
