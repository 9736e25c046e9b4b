//! # ragchat-migrate
//!
//! A Diesel-powered, synchronous migration toolkit for the RAG chat
//! PostgreSQL schema. The migrations live in Diesel's
//! `migrations/*/up.sql|down.sql` directories, are compiled into the binary
//! with `embed_migrations!`, and keep working with `diesel migration run`.
//!
//! Applications call [`run_pending_migrations`] at start-up; it takes the same
//! lock and applies the same checks as the `ragchat-migrate upgrade` command.
//!
//! ```no_run
//! use diesel::{Connection, PgConnection};
//! let mut conn = PgConnection::establish("postgres://localhost/ragchat").unwrap();
//! let applied = ragchat_migrate::run_pending_migrations(&mut conn).unwrap();
//! println!("{} migration(s) applied", applied.len());
//! ```
//!
//! ## Where things are
//!
//! - [`migrations`]: what is on disk (or embedded), read with Diesel's rules,
//!   and the planner that turns it, the ledger's status and a target into
//!   steps or a [`Refusal`].
//! - [`database`]: the ledger, the lock, the one renderer from a plan to the
//!   SQL messages, and the migrator that sends them (the `--sql` script prints
//!   the same messages).
//! - [`proof`]: catalog snapshots, drift, `verify`, scratch databases, adopt.
//! - [`lint`] and [`autogen`]: the lint gate and `create --autogenerate`.
//! - [`server`]: starting PostgreSQL (the local default cluster, and
//!   throwaway clusters for tests and the benchmark).
//! - [`config`]: which database and which migrations a command uses.
//! - [`schema`], [`models`], [`pool`]: the application's Diesel schema.

#![warn(missing_docs)]

pub mod autogen;
pub mod config;
pub mod database;
pub mod error;
pub mod lint;
pub mod migrations;
pub mod models;
pub mod pool;
pub mod proof;
pub mod refusal;
/// The tables as `diesel print-schema` writes them. Generated, so its items
/// carry no doc comments of their own (a test keeps it equal to what Diesel
/// generates).
#[allow(missing_docs)]
pub mod schema;
pub mod server;

// The short list an application needs: load the migrations, run them under
// the lock, read the outcome, match on what went wrong. The rooms above hold
// the rest for applications that need more (a plan without running it,
// drift, verify, lint, autogenerate, a throwaway server).
pub use database::migrator::{Command, RunOptions, StepReport};
pub use error::{Error, Result};
pub use migrations::source::{MigrationSet, Source, MIGRATIONS};
pub use migrations::status::Status;
pub use migrations::target::Target;
pub use refusal::Refusal;

/// Applies every pending embedded migration on `conn`, under the migration
/// lock and with the toolkit's safety checks. Returns the steps that ran.
pub fn run_pending_migrations(conn: &mut diesel::PgConnection) -> Result<Vec<StepReport>> {
    let set = MigrationSet::load(&Source::Embedded)?;
    database::migrator::run(
        conn,
        &set,
        &Command::Upgrade(Target::Head),
        &RunOptions::default(),
        &mut database::migrator::Silent,
    )
}
