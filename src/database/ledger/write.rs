//! Writing the ledger outside a run's batches: one migration recorded as
//! applied or reverted (offline scripts, `stamp`, adoption), versions
//! another tool applied adopted, `stamp`'s writes and `accept`'s checksums.

use super::applied::{Ledger, RecordedBy, RecordedChecksums};
use super::layout;
use super::location::Located;
use super::tables::{literal, optional_literal, LedgerTables};
use crate::error::Result;
use crate::migrations::source::MigrationScript;
use diesel::connection::SimpleConnection;
use diesel::PgConnection;

/// The statements that record `migration` as applied in both tables, on
/// its own: for offline scripts, `stamp` and adoption (a live run writes
/// Diesel's row with the migration and batches the side records).
///
/// `duration_ms` is an SQL expression (`NULL` where nothing was timed).
pub fn record_applied_sql(
    t: &LedgerTables,
    migration: &MigrationScript,
    recorded_by: RecordedBy,
    duration_ms: &str,
) -> String {
    let version = literal(&migration.version);
    let dir = literal(&migration.dir_name);
    let up = literal(&migration.up_sha256);
    let down = migration
        .down_sha256
        .as_deref()
        .map(literal)
        .unwrap_or_else(|| "NULL".into());
    let by = literal(&recorded_by.label());
    if recorded_by == RecordedBy::Adopted {
        // Applied by another tool: Diesel's row exists (diesel_cli), or is
        // made here (adopt of an Alembic database); a stale side record may
        // exist too. Keep Diesel's time, replace our record: a delete and an
        // insert, so a role with only SELECT, INSERT and DELETE can do it.
        return format!(
            "INSERT INTO {diesel} (version) VALUES ({version}) \
             ON CONFLICT (version) DO NOTHING;\n\
             DELETE FROM {side} WHERE version = {version};\n\
             INSERT INTO {side} \
             (version, dir_name, up_sha256, down_sha256, applied_at, duration_ms, applied_by, \
              diesel_run_on) \
             SELECT {version}, {dir}, {up}, {down}, \
              coalesce(d.run_on::timestamptz, statement_timestamp()), {duration_ms}, {by}, \
              d.run_on FROM {diesel} d WHERE d.version = {version};\n",
            diesel = t.diesel(),
            side = t.side()
        );
    }
    // A pending version has no row in either table (orphans were purged
    // with the ledger's preparation), so plain inserts do. Diesel's run_on
    // defaults to CURRENT_TIMESTAMP in this transaction and session time
    // zone, which is exactly what diesel_run_on records.
    format!(
        "INSERT INTO {diesel} (version) VALUES ({version});\n\
         INSERT INTO {side} \
         (version, dir_name, up_sha256, down_sha256, applied_at, duration_ms, applied_by, \
          diesel_run_on) \
         VALUES ({version}, {dir}, {up}, {down}, statement_timestamp(), {duration_ms}, {by}, \
          CURRENT_TIMESTAMP::timestamp);\n",
        diesel = t.diesel(),
        side = t.side()
    )
}

/// Diesel's row for a migration this toolkit runs, sent with its SQL. Its
/// side record follows in a batch ([`super::PendingSideRecords`]): one
/// multi-row statement every [`super::RECORD_BATCH`] migrations costs the server
/// far less than a second `INSERT` in every migration's message.
pub fn record_diesel_row_sql(t: &LedgerTables, version: &str) -> String {
    format!(
        "INSERT INTO {} (version) VALUES ({});\n",
        t.diesel(),
        literal(version)
    )
}

/// Diesel's row of a reverted migration, deleted with its down SQL (its side
/// record follows in a batch).
pub fn forget_diesel_row_sql(t: &LedgerTables, version: &str) -> String {
    format!(
        "DELETE FROM {} WHERE version = {};\n",
        t.diesel(),
        literal(version)
    )
}

/// The statements that forget `version` in both tables.
pub fn record_reverted_sql(t: &LedgerTables, version: &str) -> String {
    let version = literal(version);
    format!(
        "DELETE FROM {diesel} WHERE version = {version};\n\
         DELETE FROM {side} WHERE version = {version};\n",
        diesel = t.diesel(),
        side = t.side()
    )
}

/// Side rows for versions applied by another tool (no checksum yet): the
/// checksum of the file we have now is taken over, once.
pub fn adopt_unrecorded_sql<'a>(
    ledger: &Ledger,
    known: impl Fn(&str) -> Option<&'a MigrationScript>,
) -> String {
    ledger
        .applied
        .iter()
        .filter(|a| a.record.is_none())
        .filter_map(|a| known(&a.version))
        .map(|m| record_applied_sql(&ledger.tables, m, RecordedBy::Adopted, "NULL"))
        .collect()
}

/// `stamp`'s ledger writes, live: refuses a session that may not write the
/// ledger, readies it ([`layout::prepare`]), then runs `stamp_sql`
/// (the rendered stamp, in a transaction of its own).
pub fn record_stamp(conn: &mut PgConnection, located: &Located, stamp_sql: &str) -> Result<()> {
    located.require_writable()?;
    layout::prepare(conn, located, "")?;
    Ok(conn.batch_execute(stamp_sql)?)
}

/// `accept`: records the files' current checksums for the applied
/// `migration`, and notes in its `applied_by` when they were accepted.
pub fn accept_checksums(
    conn: &mut PgConnection,
    t: &LedgerTables,
    migration: &MigrationScript,
) -> Result<()> {
    Ok(conn.batch_execute(&format!(
        "UPDATE {side} SET up_sha256 = {up}, down_sha256 = {down}, \
         applied_by = applied_by || ' (checksum accepted ' || now()::text || ')' \
         WHERE version = {version}",
        side = t.side(),
        up = literal(&migration.up_sha256),
        down = optional_literal(migration.down_sha256.as_deref()),
        version = literal(&migration.version)
    ))?)
}

/// Replaces the checksums recorded for `version`, leaving the rest of its
/// record: `redo --accept` records the edited files' sums before the redo,
/// and puts the old ones back when the redo fails before reverting it.
pub fn overwrite_checksums(
    conn: &mut PgConnection,
    t: &LedgerTables,
    version: &str,
    checksums: &RecordedChecksums,
) -> Result<()> {
    Ok(conn.batch_execute(&format!(
        "UPDATE {side} SET up_sha256 = {up}, down_sha256 = {down} WHERE version = {version}",
        side = t.side(),
        up = literal(&checksums.up_sha256),
        down = optional_literal(checksums.down_sha256.as_deref()),
        version = literal(version)
    ))?)
}
