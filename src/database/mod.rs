//! The database side: the ledger (Diesel's `__diesel_schema_migrations`
//! plus the toolkit's side table), the migration lock, the renderer from a
//! plan to messages, the migrator that sends them live, the offline `--sql`
//! script that prints them, `stamp` and `accept` (bookkeeping), and
//! PostgreSQL error text.

pub(crate) mod blame;
pub mod bookkeeping;
mod execute;
pub mod ledger;
pub(crate) mod lock;
pub(crate) mod messages;
pub mod migrator;
pub(crate) mod observer;
pub(crate) mod pg_error;
pub mod progress_hook;
pub mod redo_accept;
pub mod script;
mod step_failure;
