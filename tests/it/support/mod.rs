//! What every integration test shares: the throwaway server, a fresh
//! database per test, the [`Tool`] launcher, diesel_cli and the migration
//! fixtures.

pub mod database;
pub mod diesel;
pub mod fixtures;
pub mod project;
pub mod rows;
pub mod server;
pub mod tool;

pub use database::{migrated, url_for, TestDb};
pub use diesel::{diesel_on, print_schema};
pub use fixtures::{
    copy_of_this_project, crate_dir, new_user, reference_catalog, table_migration, write_migration,
};
pub use rows::{new_conversation, new_document, new_pool};
pub use server::server;
pub use tool::{on, run, Run, Tool};
