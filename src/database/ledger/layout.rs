//! The ledger's tables: their DDL, their creation when missing, the side
//! table's layout brought up to date, and readying them for a run.

use super::location::Located;
use super::tables::LedgerTables;
use crate::database::pg_error::{self, step_failed};
use crate::error::{Error, Result};
use diesel::PgConnection;

/// Deletes side records whose version Diesel's table no longer has
/// (diesel_cli reverted it): then a pending version never has a side record,
/// and recording it needs no upsert (which costs the server far more per
/// migration than a plain insert).
pub fn purge_orphans_sql(t: &LedgerTables) -> String {
    format!(
        "DELETE FROM {side} r WHERE NOT EXISTS \
         (SELECT 1 FROM {diesel} d WHERE d.version = r.version);\n",
        side = t.side(),
        diesel = t.diesel()
    )
}

/// Creates both ledger tables when missing (Diesel's with Diesel's own DDL,
/// so diesel_cli sees exactly what it would have made), and purges orphaned
/// side records. Sent only when the probe found a table missing: a
/// `CREATE TABLE` is DDL, and the toolkit's everyday writes must need no
/// lock stronger than an `INSERT`'s.
pub fn create_ledger_sql(t: &LedgerTables) -> String {
    let tables = include_str!("sql/create_ledger.sql")
        .replace("{diesel}", &t.diesel())
        .replace("{side}", &t.side());
    tables + &purge_orphans_sql(t)
}

/// Brings a side table of an older layout up to date (it lacked
/// `diesel_run_on`). Run once, under the lock, in its own transaction, and
/// only when the catalog shows the column missing: it takes an ACCESS
/// EXCLUSIVE lock and needs the table's owner.
pub fn upgrade_layout_sql(t: &LedgerTables) -> String {
    format!(
        "BEGIN;\nALTER TABLE {} ADD COLUMN IF NOT EXISTS diesel_run_on timestamp;\nCOMMIT;",
        t.side()
    )
}

/// Readies the located ledger for a run, under the migration lock and in
/// transactions of its own (never inside a migration's message, so its
/// errors name this step and its locks are not held while a migration
/// runs): the side table's layout brought up to date when the catalog shows
/// it old, the tables created when missing, orphaned side records purged,
/// and `adopt_sql` (side records of versions another tool applied) written.
pub fn prepare(conn: &mut PgConnection, located: &Located, adopt_sql: &str) -> Result<()> {
    use diesel::connection::SimpleConnection;
    upgrade_layout(conn, located)?;
    let sql = format!("BEGIN;\n{}COMMIT;", prepare_sql(located, adopt_sql));
    conn.batch_execute(&sql).map_err(|e| {
        let _ = conn.batch_execute("ROLLBACK");
        prepare_failed(located, e)
    })
}

/// The error of [`prepare_sql`]'s statements, naming the step.
fn prepare_failed(located: &Located, error: diesel::result::Error) -> Error {
    let t = &located.tables;
    step_failed(
        &format!(
            "preparing the migration ledger ({}, {})",
            t.diesel(),
            t.side()
        ),
        error,
    )
}

/// The side table's layout brought up to date, in a transaction of its
/// own, when the catalog shows it old (see [`prepare`]).
pub fn upgrade_layout(conn: &mut PgConnection, located: &Located) -> Result<()> {
    use diesel::connection::SimpleConnection;
    if located.side && !located.side_current {
        if let Err(e) = conn.batch_execute(&upgrade_layout_sql(&located.tables)) {
            let _ = conn.batch_execute("ROLLBACK");
            return Err(layout_upgrade_failed(located, e));
        }
    }
    Ok(())
}

/// The statements of [`prepare`] after the layout upgrade, for a caller
/// that sends them in its own transaction (`--single-transaction`): the
/// tables created when missing, else orphans purged; then `adopt_sql`.
pub fn prepare_sql(located: &Located, adopt_sql: &str) -> String {
    let t = &located.tables;
    let tables = if located.diesel && located.side {
        purge_orphans_sql(t)
    } else {
        create_ledger_sql(t)
    };
    format!("{tables}{adopt_sql}")
}

fn layout_upgrade_failed(located: &Located, error: diesel::result::Error) -> Error {
    let side = located.tables.side();
    if pg_error::classify(&error) != pg_error::OwnErrorClass::Privilege {
        return step_failed(
            &format!("upgrading the layout of the ledger table {side}"),
            error,
        );
    }
    Error::refused(format!(
        "the ledger table {side} has the layout of an older ragchat-migrate (no diesel_run_on \
         column), and role {role} may not upgrade it: {}; nothing was run.\n  fix: run \
         `ragchat-migrate upgrade` once as the table's owner ({owner}), or `ALTER TABLE {side} \
         ADD COLUMN diesel_run_on timestamp` as that role",
        pg_error::describe(&error),
        role = located.role,
        owner = located.side_owner.as_deref().unwrap_or("its owner"),
    ))
}
