//! Reading the ledger: for a run (under the lock), and for a status command
//! (without it, in one read-only snapshot).

use super::applied::{AppliedMigration, Ledger, RecordedChecksums, SideRecord};
use super::location::{self, Located};
use super::tables::LedgerTables;
use super::unmanaged;
use crate::database::lock;
use crate::database::pg_error::step_failed;
use crate::error::{Error, Result};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Double, Nullable, Text, Timestamp, Timestamptz};
use diesel::PgConnection;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    version: String,
    #[diesel(sql_type = Timestamp)]
    run_on: NaiveDateTime,
    #[diesel(sql_type = Nullable<Text>)]
    dir_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    up_sha256: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    down_sha256: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    applied_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Double>)]
    duration_ms: Option<f64>,
    #[diesel(sql_type = Nullable<Text>)]
    applied_by: Option<String>,
}

/// Reads the ledger without creating anything: a database that never saw a
/// migration has an empty ledger.
pub fn read(conn: &mut PgConnection) -> Result<Ledger> {
    Ok(read_located(conn)?.0)
}

/// [`read`], also telling where the ledger is and what the session may do
/// with it.
pub fn read_located(conn: &mut PgConnection) -> Result<(Ledger, Located)> {
    let located = location::locate(conn, "true")?;
    let ledger = read_tables(conn, &located, located.side, Detail::Checksums)?;
    Ok((ledger, located))
}

/// [`read_located`] for a run: `also` of the result tells whether the
/// current schema holds relations besides the ledger's (a database with
/// some but no ledger was set up by something else; see
/// [`unmanaged::unmanaged_relations`]).
pub fn read_for_run(conn: &mut PgConnection) -> Result<(Ledger, Located)> {
    let located = location::locate(conn, unmanaged::OTHER_RELATIONS_SQL)?;
    let ledger = read_tables(conn, &located, located.side, Detail::Checksums)?;
    Ok((ledger, located))
}

/// The ledger as a read-only command sees it, without taking the migration
/// lock: each migration commits its ledger rows with its own SQL, so any
/// read is a consistent state, and a status command never waits behind a
/// long migration.
#[derive(Debug, Clone, PartialEq)]
pub struct Observed {
    /// The committed ledger.
    pub ledger: Ledger,
    /// The backend pid of a migrator running right now (its work not yet
    /// committed is not in `ledger`); `Some(None)` when one runs but its pid
    /// cannot be seen.
    pub migrating: Option<Option<i32>>,
}

/// How much of the ledger a read fetches: a status command asks for no more
/// than it shows, since on a long ledger the side table's columns (the
/// checksums above all) are most of the bytes and of the server's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Applied versions and Diesel's `run_on` only: no side records.
    Versions,
    /// Versions with their side records, checksums left out.
    Records,
    /// Everything, checksums included.
    Checksums,
}

/// Reads the ledger for a status command, and whether a migrator is busy:
/// one probe and one read in the usual case.
pub fn observe(conn: &mut PgConnection, detail: Detail) -> Result<Observed> {
    // One read-only snapshot: the probe takes the lock for the transaction
    // when it is free, so no run can start between the probe and the read.
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(|conn| {
            // `also`: the lock is free (and now held until COMMIT).
            let present = location::locate(conn, lock::IDLE_SQL)?;
            let migrating = if present.also {
                None
            } else {
                Some(lock::holder(conn)?)
            };
            let side = present.side && detail != Detail::Versions;
            Ok(Observed {
                ledger: read_tables(conn, &present, side, detail)?,
                migrating,
            })
        })
}

fn read_tables(
    conn: &mut PgConnection,
    located: &Located,
    side_table: bool,
    detail: Detail,
) -> Result<Ledger> {
    let tables = located.tables.clone();
    if !located.diesel {
        return Ok(Ledger {
            tables,
            ..Ledger::default()
        });
    }
    let checksums = if detail == Detail::Checksums {
        "r.up_sha256, r.down_sha256"
    } else {
        "NULL::text AS up_sha256, NULL::text AS down_sha256"
    };
    // A side table of the older layout (no diesel_run_on) is read as it is;
    // the next run brings it up to date.
    let same_run = if located.side_current {
        "AND r.diesel_run_on IS NOT DISTINCT FROM d.run_on"
    } else {
        ""
    };
    let query = if side_table {
        format!(
            "SELECT d.version, d.run_on, r.dir_name, {checksums}, r.applied_at, \
                    r.duration_ms, r.applied_by \
             FROM {diesel} d \
             LEFT JOIN {side} r ON r.version = d.version {same_run} \
             ORDER BY d.version",
            diesel = tables.diesel(),
            side = tables.side()
        )
    } else {
        format!(
            "SELECT version, run_on, NULL::text AS dir_name, NULL::text AS up_sha256, \
                    NULL::text AS down_sha256, NULL::timestamptz AS applied_at, \
                    NULL::float8 AS duration_ms, NULL::text AS applied_by \
             FROM {} ORDER BY version",
            tables.diesel()
        )
    };
    let rows: Vec<Row> = diesel::sql_query(query)
        .load(conn)
        .map_err(|e| step_failed("reading the migration ledger", e))?;
    refuse_duplicates(&tables, rows.iter().map(|r| r.version.as_str()))?;
    let applied = rows
        .into_iter()
        .map(|r| AppliedMigration {
            version: r.version,
            run_on: r.run_on,
            record: match (r.dir_name, r.applied_at, r.applied_by) {
                (Some(dir_name), Some(applied_at), Some(applied_by)) => Some(SideRecord {
                    dir_name,
                    checksums: r.up_sha256.map(|up_sha256| RecordedChecksums {
                        up_sha256,
                        down_sha256: r.down_sha256,
                    }),
                    applied_at,
                    duration_ms: r.duration_ms,
                    applied_by,
                }),
                _ => None,
            },
        })
        .collect();
    Ok(Ledger {
        applied,
        exists: true,
        tables,
    })
}

/// Refuses a ledger that holds a version more than once (a Diesel table
/// made without its primary key): which row is true cannot be known, and
/// every write keyed by version would fail or double. `versions` are sorted.
fn refuse_duplicates<'a>(
    tables: &LedgerTables,
    versions: impl Iterator<Item = &'a str>,
) -> Result<()> {
    let mut previous: Option<&str> = None;
    let mut count = 1;
    let mut twice: Option<(&str, usize)> = None;
    for version in versions {
        if previous == Some(version) {
            count += 1;
            twice = Some((version, count));
        } else if twice.is_some() {
            break;
        } else {
            count = 1;
        }
        previous = Some(version);
    }
    let Some((version, n)) = twice else {
        return Ok(());
    };
    let diesel = tables.diesel();
    Err(Error::refused(format!(
        "the migration ledger {diesel} holds version {version} {n} times (the table lacks \
         its primary key), so it cannot be trusted; nothing was run.\n  fix: delete the extra \
         rows (`DELETE FROM {diesel} a USING {diesel} b WHERE a.version = b.version AND \
         a.ctid > b.ctid`), then `ALTER TABLE {diesel} ADD PRIMARY KEY (version)`"
    )))
}
