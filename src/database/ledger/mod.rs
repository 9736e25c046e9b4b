//! What the database has applied: Diesel's `__diesel_schema_migrations`
//! (left exactly as Diesel writes it, so `diesel migration run/list/revert`
//! keep working) plus the toolkit's side table `__ragchat_migrations` with
//! each migration's checksums, when it ran, how long it took and who ran it.
//!
//! - `tables`: the two tables' names, and SQL quoting;
//! - `location`: which schema holds them, and what the session may do there;
//! - `layout`: their DDL, creation and upgrade, readied for a run;
//! - `applied`: the [`Ledger`] read from them;
//! - `read`: reading it, for a run or a status command;
//! - `write`: single records, `stamp`'s and `accept`'s writes;
//! - `batch`: a run's side records, written in batches;
//! - `unmanaged`: relations that are not the ledger's.
//!
//! The statements it sends that are not assembled per call are in `sql/`.

mod applied;
mod batch;
mod layout;
mod location;
mod read;
pub(crate) mod tables;
mod unmanaged;
mod write;

pub use applied::{AppliedMigration, Ledger, RecordedBy, RecordedChecksums, SideRecord};
pub use batch::RECORD_BATCH;
pub(crate) use batch::{PendingRecord, PendingSideRecords};
pub(crate) use layout::{
    create_ledger_sql, prepare, prepare_sql, purge_orphans_sql, upgrade_layout,
};
pub use location::{locate, Located};
pub use read::{observe, read, read_for_run, read_located, Detail, Observed};
pub use tables::{quote_ident, LedgerTables, DIESEL_TABLE, SIDE_TABLE};
pub use unmanaged::unmanaged_relations;
// The writes: crate-private, because each is correct only under the
// migration lock and after the checks of the command that calls it.
pub(crate) use write::{
    accept_checksums, adopt_unrecorded_sql, forget_diesel_row_sql, overwrite_checksums,
    record_applied_sql, record_diesel_row_sql, record_reverted_sql, record_stamp,
};
