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

pub mod adopt;
pub mod autogen;
pub mod blame;
pub mod catalog;
pub mod catalog_tracker;
pub mod cluster;
pub mod create;
pub mod database_choice;
pub mod database_url;
pub mod dev;
pub mod dev_home;
pub mod directory;
pub mod drift;
pub mod error;
pub mod file_checks;
pub mod ledger;
pub mod ledger_schema;
pub mod lint;
pub mod lock;
pub mod migrator;
pub mod models;
pub mod names;
pub mod pg_error;
pub mod plan;
pub mod pool;
pub mod progress_hook;
pub mod project;
pub mod schema;
pub mod scratch;
pub mod scratch_cleanup;
pub mod scratch_shape;
pub mod script;
pub mod secrets;
pub mod source;
pub mod sql_check;
pub mod sql_text;
pub mod suggest;
pub mod target;
pub mod unknown;
pub mod verify;

pub use error::{Error, Result};
pub use source::{MigrationSet, Source, MIGRATIONS};

/// Applies every pending embedded migration on `conn`, under the migration
/// lock and with the toolkit's safety checks. Returns the steps that ran.
pub fn run_pending_migrations(
    conn: &mut diesel::PgConnection,
) -> Result<Vec<migrator::StepReport>> {
    let set = MigrationSet::load(&Source::Embedded)?;
    migrator::run(
        conn,
        &set,
        &migrator::Command::Upgrade(target::Target::Head),
        &migrator::RunOptions::default(),
        &mut migrator::Silent,
    )
}
