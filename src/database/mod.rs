//! The database side: the ledger (Diesel's `__diesel_schema_migrations`
//! plus the toolkit's side table), the migration lock, the migrator that
//! runs a plan live, the offline `--sql` script, and PostgreSQL error text.

pub mod ledger;
pub mod ledger_schema;
pub mod lock;
pub mod migrator;
pub mod pg_error;
pub mod progress_hook;
pub mod script;
