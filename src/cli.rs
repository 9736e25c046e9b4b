//! The command line: clap definitions and help text only.

mod values;

use clap::{Args, Parser, Subcommand, ValueEnum};
use ragchat_migrate::lint::PgVersion;
use std::path::PathBuf;
use std::time::Duration;
pub use values::ValueError;
use values::{
    ddl_lock_timeout, history_limit, history_range, lint_range, lock_timeout, ours, pg_version,
    show_target, start, target_arg, verify_from, verify_jobs,
};
pub use values::{HistoryRange, LintRange, RangeEnd, ShowTarget, Start, TargetArg, VerifyFrom};

/// Diesel-powered migrations for the RAG chat PostgreSQL schema.
///
/// With no database configured, commands use a local PostgreSQL cluster that
/// the tool creates and manages itself (see `dev`).
#[derive(Debug, Parser)]
#[command(name = "ragchat-migrate", version, about, long_about)]
pub struct Cli {
    /// Options every command accepts.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Commands,
}

/// Options accepted before or after the subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The database: postgres://, postgresql://, postgresql+asyncpg:// (and
    /// +psycopg2, +psycopg) URLs or `key=value` conninfo. Default: the
    /// DATABASE_URL environment variable, then `.env`, then the local cluster.
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Read migrations from this directory. Default: the project's folder
    /// (diesel.toml's migrations_directory, else the nearest migrations/ in
    /// this directory or a parent), else the set embedded in the binary.
    #[arg(long, global = true, env = "MIGRATIONS_DIR")]
    pub migrations_dir: Option<PathBuf>,

    /// Use the migrations embedded in the binary, even inside a project.
    #[arg(long, global = true)]
    pub embedded: bool,

    /// Use the local PostgreSQL cluster (the default without DATABASE_URL),
    /// also in CI, where it must be asked for.
    #[arg(long, global = true)]
    pub local: bool,

    /// Output format for commands that report state.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// When to colour the output (NO_COLOR is honoured with `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Print nothing but errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Seconds to wait for another migrator's lock before giving up (exit 4).
    #[arg(long, global = true, default_value = "60", value_name = "SECONDS", value_parser = ours(lock_timeout))]
    pub lock_timeout: Duration,

    /// Seconds to wait for the database server to answer a connection.
    #[arg(long, global = true, default_value_t = 10, value_name = "SECONDS")]
    pub connect_timeout: u64,

    /// lock_timeout for migration SQL, so a migration stuck behind a long
    /// query fails fast instead of stalling traffic; 0 waits indefinitely.
    #[arg(long, global = true, default_value = "5", value_name = "SECONDS", value_parser = ours(ddl_lock_timeout))]
    pub ddl_lock_timeout: Duration,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable text.
    Text,
    /// One JSON document on stdout.
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and NO_COLOR is unset.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// Options of the commands that can print their SQL instead of running it.
#[derive(Debug, Args, Clone)]
pub struct SqlOptions {
    /// Print the SQL script instead of running it; connects to nothing
    /// (unless --from current).
    #[arg(long)]
    pub sql: bool,
    /// With --sql: the state the script starts from: base (upgrade's
    /// default), head, a version, or current (read from the database).
    /// A FROM:TO target says the same.
    #[arg(long, value_name = "TARGET", requires = "sql", value_parser = ours(start))]
    pub from: Option<Start>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Apply pending migrations up to TARGET (default: head).
    Upgrade(UpgradeArgs),
    /// Revert migrations down to TARGET (default: -1).
    Downgrade(DowngradeArgs),
    /// Revert every applied migration.
    Reset(ResetArgs),
    /// Revert and re-apply the newest N applied migrations.
    Redo(RedoArgs),
    /// Show the applied version, `(head)` when nothing is pending, or `base`.
    ///
    /// Reads only the migration names and the ledger, without waiting for a
    /// running migration; `check` and `history --verbose` compare checksums.
    Current,
    /// List every migration: applied or pending, when, current and head.
    History(HistoryArgs),
    /// Show one migration: version, directory, transaction mode, checksums,
    /// applied state and its up.sql.
    Show(ShowArgs),
    /// List pending migrations, one a line.
    Pending,
    /// Create a new migration directory with up.sql and down.sql templates.
    #[command(visible_alias = "revision")]
    Create(CreateArgs),
    /// Record TARGET as the applied state without running migration SQL.
    Stamp(StampArgs),
    /// Accept the current checksum of an applied migration whose file was
    /// edited, after a human decided the edit is harmless.
    Accept(AcceptArgs),
    /// Lint migrations for locking and data-loss hazards with Squawk's rules
    /// (default: the pending ones); exit 3 on error-level findings, 2 when a
    /// file cannot be parsed. See docs/lint.md.
    Lint(LintArgs),
    /// CI gate: exit 0 at head with nothing edited, unknown or drifted, else exit 3.
    Check,
    /// Prove every migration reversible on a scratch database (up, down, up).
    Verify(VerifyArgs),
    /// Take over a database migrated by the original Python system
    /// (alembic_version = 001), after checking its schema fact by fact.
    Adopt,
    /// Manage the local PostgreSQL cluster used when no database is configured.
    Dev {
        /// What to do with it.
        #[command(subcommand)]
        action: DevAction,
    },
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// The options of the commands that revert (`downgrade`, `reset`, `redo`).
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run the whole plan in one transaction: all or nothing.
    #[arg(long)]
    pub single_transaction: bool,
    /// `--sql` and `--from`.
    #[command(flatten)]
    pub sql: SqlOptions,
}

/// `upgrade` options.
#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// head, a version (or unique prefix), a directory name, or +N; with
    /// --sql also FROM:TO (the script starts from FROM).
    #[arg(default_value = "head", allow_negative_numbers = true, value_parser = ours(target_arg))]
    pub target: TargetArg,
    /// Run the whole plan in one transaction: all or nothing.
    #[arg(long)]
    pub single_transaction: bool,
    /// Apply pending migrations older than the newest applied one.
    #[arg(long)]
    pub allow_out_of_order: bool,
    /// Skip the lint gate (error-level findings refuse an upgrade of a
    /// database that already has applied migrations).
    #[arg(long)]
    pub no_lint: bool,
    /// `--sql` and `--from`.
    #[command(flatten)]
    pub sql: SqlOptions,
}

/// `downgrade` options.
#[derive(Debug, Args)]
pub struct DowngradeArgs {
    /// base, a version (or unique prefix), a directory name, or -N; with
    /// --sql also FROM:TO (the script starts from FROM).
    #[arg(default_value = "-1", allow_negative_numbers = true, value_parser = ours(target_arg))]
    pub target: TargetArg,
    /// Do not ask before `downgrade base` (required without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// `--single-transaction`, `--sql` and `--from`.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `reset` options.
#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Do not ask for confirmation (required without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// `--single-transaction`, `--sql` and `--from`.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `redo` options.
#[derive(Debug, Args)]
pub struct RedoArgs {
    /// How many.
    #[arg(short = 'n', long = "number", default_value_t = 1)]
    pub n: usize,
    /// The newest migration was edited while developing it: revert it
    /// with the current down.sql, apply the current up.sql, and record
    /// the new checksums.
    #[arg(long, conflicts_with = "sql")]
    pub accept: bool,
    /// `--single-transaction`, `--sql` and `--from`.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `history` options.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Also show checksums, durations and who applied each, and mark
    /// migrations edited since they were applied (reads every file).
    #[arg(long, short)]
    pub verbose: bool,
    /// Only migrations from FROM to TO (inclusive): `FROM:TO`, `FROM:`
    /// or `:TO`, each a version, directory name, base, current or head.
    #[arg(long = "rev-range", short = 'r', value_name = "FROM:TO", value_parser = ours(history_range))]
    pub range: Option<HistoryRange>,
    /// Only the newest N migrations of the listing.
    #[arg(long, value_name = "N", value_parser = ours(history_limit))]
    pub limit: Option<usize>,
}

/// `show` options.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// head, current, a version (or unique prefix) or a directory name.
    #[arg(value_parser = ours(show_target))]
    pub target: ShowTarget,
    /// Also print down.sql.
    #[arg(long)]
    pub down: bool,
}

/// `create` options.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Lowercase letters, digits and underscores, e.g. add_user_timezone.
    pub name: String,
    /// Add metadata.toml with run_in_transaction = false (for e.g.
    /// CREATE INDEX CONCURRENTLY).
    #[arg(long, conflicts_with = "autogenerate")]
    pub no_transaction: bool,
    /// `--autogenerate` and its options.
    #[command(flatten)]
    pub autogen: AutogenOptions,
}

/// `stamp` options.
#[derive(Debug, Args)]
pub struct StampArgs {
    /// head, base, a version, a directory name, +N or -N; with --sql also
    /// FROM:TO (the script starts from FROM).
    #[arg(allow_negative_numbers = true, value_parser = ours(target_arg))]
    pub target: TargetArg,
    /// Also forget applied versions this binary does not know.
    #[arg(long)]
    pub purge: bool,
    /// Record it even though the live schema differs from what the
    /// migrations up to TARGET produce.
    #[arg(long)]
    pub force: bool,
    /// `--sql` and `--from`.
    #[command(flatten)]
    pub sql: SqlOptions,
}

/// `accept` options.
#[derive(Debug, Args)]
pub struct AcceptArgs {
    /// The version (or unique prefix, or directory name) to accept.
    pub target: String,
}

/// `verify` options.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Leave the scratch database in place for inspection.
    #[arg(long)]
    pub keep: bool,
    /// Check only the migrations after TARGET, on a scratch database
    /// first brought to TARGET (CI: verify what a branch adds).
    #[arg(long, value_name = "TARGET", value_parser = ours(verify_from))]
    pub from: Option<VerifyFrom>,
    /// Check N stretches of the history at once, each on its own scratch
    /// database brought to its start by a plain upgrade, as a rebuild is
    /// (default: one per CPU core, at most 4; `--jobs 1`: one pass).
    #[arg(long, value_name = "N", value_parser = ours(verify_jobs))]
    pub jobs: Option<usize>,
}

/// `create --autogenerate` and its options.
#[derive(Debug, Args, Clone)]
pub struct AutogenOptions {
    /// Generate up.sql and down.sql from the difference between the schema
    /// the migrations produce and the desired one (the Diesel models in
    /// src/schema.rs, or --desired), proven on a scratch database first.
    #[arg(long)]
    pub autogenerate: bool,
    /// A SQL file of the whole desired schema (instead of the models).
    #[arg(long, value_name = "FILE.sql", requires = "autogenerate")]
    pub desired: Option<PathBuf>,
    /// The models file (default: diesel.toml's [print_schema] file, else src/schema.rs).
    #[arg(
        long,
        value_name = "FILE.rs",
        requires = "autogenerate",
        conflicts_with = "desired"
    )]
    pub schema: Option<PathBuf>,
    /// Write even when some differences cannot be generated (as `-- TODO` comments).
    #[arg(long, requires = "autogenerate")]
    pub force: bool,
}

/// `lint` options.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// FROM:TO, the migrations `upgrade` would apply going from FROM to TO
    /// (versions, prefixes or directory names; an empty side is base/head).
    #[arg(value_name = "FROM:TO", conflicts_with_all = ["all", "since"], value_parser = ours(lint_range))]
    pub range: Option<LintRange>,
    /// Lint every migration.
    #[arg(long, conflicts_with = "since")]
    pub all: bool,
    /// Lint only the migrations newer than VERSION (CI: what a branch adds).
    #[arg(long, value_name = "VERSION")]
    pub since: Option<String>,
    /// The PostgreSQL version the rules assume (default: the connected
    /// server's, else `pg_version` in .squawk.toml, else 15).
    #[arg(long, value_name = "VERSION", value_parser = ours(pg_version))]
    pub pg_version: Option<PgVersion>,
    /// A Squawk configuration file (default: .squawk.toml here or in the
    /// nearest parent directory that has one).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Write Squawk's suggested fixes into pending migration files.
    #[arg(long)]
    pub fix: bool,
}

/// `dev` subcommands.
#[derive(Debug, Subcommand)]
pub enum DevAction {
    /// Start the local cluster (creating it on first use) and leave it running.
    Start,
    /// Stop the local cluster.
    Stop,
    /// Show whether it runs, where, its PostgreSQL version and size on disk.
    Status,
    /// Print the DATABASE_URL of the local database.
    Url,
    /// Stop the local cluster and delete its data.
    Destroy {
        /// Do not ask for confirmation (required without a terminal).
        #[arg(long, short = 'y')]
        yes: bool,
    },
}
