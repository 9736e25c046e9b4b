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

pub use error::{Error, Result};
pub use migrations::source::{MigrationSet, Source, MIGRATIONS};
pub use refusal::Refusal;

/// Applies every pending embedded migration on `conn`, under the migration
/// lock and with the toolkit's safety checks. Returns the steps that ran.
pub fn run_pending_migrations(
    conn: &mut diesel::PgConnection,
) -> Result<Vec<database::migrator::StepReport>> {
    let set = MigrationSet::load(&Source::Embedded)?;
    database::migrator::run(
        conn,
        &set,
        &database::migrator::Command::Upgrade(migrations::target::Target::Head),
        &database::migrator::RunOptions::default(),
        &mut database::migrator::Silent,
    )
}
