//! What the database has applied: Diesel's `__diesel_schema_migrations`
//! (left exactly as Diesel writes it, so `diesel migration run/list/revert`
//! keep working) plus the toolkit's side table `__ragchat_migrations` with
//! each migration's checksums, when it ran, how long it took and who ran it.

pub use crate::database::ledger_schema::LedgerTables;
use crate::database::ledger_schema::{self, Located};
use crate::error::Result;
use crate::migrations::source::MigrationScript;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Double, Nullable, Text, Timestamp, Timestamptz};
use diesel::PgConnection;
use serde::Serialize;

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
    format!(
        "CREATE TABLE IF NOT EXISTS {diesel} (
       version VARCHAR(50) PRIMARY KEY NOT NULL,
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE IF NOT EXISTS {side} (
    version varchar(50) PRIMARY KEY,
    dir_name text NOT NULL,
    up_sha256 text NOT NULL,
    down_sha256 text,
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms double precision,
    applied_by text NOT NULL,
    diesel_run_on timestamp
);
{purge}",
        diesel = t.diesel(),
        side = t.side(),
        purge = purge_orphans_sql(t)
    )
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

/// Who wrote a side-table row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordedBy {
    /// The migration's SQL was run by this toolkit.
    Run,
    /// `stamp` recorded it without running SQL.
    Stamp,
    /// It was applied by another tool (diesel_cli, or the Python system via
    /// `adopt`), or by a run killed before it wrote its batch of side
    /// records, and its checksum was taken from the files on first sight.
    Adopted,
}

impl RecordedBy {
    fn label(self) -> String {
        let tool = concat!("ragchat-migrate ", env!("CARGO_PKG_VERSION"));
        match self {
            RecordedBy::Run => tool.to_string(),
            RecordedBy::Stamp => format!("{tool} (stamp)"),
            RecordedBy::Adopted => format!("{tool} (adopted)"),
        }
    }
}

/// One version the database records as applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppliedMigration {
    /// Diesel's version string.
    pub version: String,
    /// Diesel's `run_on` (the server's local time, as Diesel stores it).
    pub run_on: NaiveDateTime,
    /// The toolkit's record, absent when another tool applied it.
    pub record: Option<SideRecord>,
}

/// The toolkit's side-table record for an applied version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideRecord {
    /// The directory name when it was applied.
    pub dir_name: String,
    /// The files' checksums when it was applied; `None` when the read left
    /// them out (status commands that compare no checksums).
    pub checksums: Option<RecordedChecksums>,
    /// When it was applied.
    pub applied_at: DateTime<Utc>,
    /// How long its SQL took on the server, in milliseconds.
    pub duration_ms: Option<f64>,
    /// Which tool and command recorded it.
    pub applied_by: String,
}

/// The checksums recorded for an applied migration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordedChecksums {
    /// SHA-256 of `up.sql` when it was applied.
    pub up_sha256: String,
    /// SHA-256 of `down.sql` when it was applied.
    pub down_sha256: Option<String>,
}

/// Everything the database says it has applied, ordered by version.
///
/// A side record counts only while Diesel's `run_on` for its version is the
/// one it saw: a version reverted and re-applied by another tool (diesel_cli)
/// gets a new `run_on`, and its old checksum must not be held against the
/// file applied since.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Ledger {
    /// Applied versions, oldest first.
    pub applied: Vec<AppliedMigration>,
    /// False when the database has no `__diesel_schema_migrations` table:
    /// no Diesel-compatible tool ever migrated it.
    pub exists: bool,
    /// Where the ledger's tables are (bare names for an offline script).
    #[serde(skip)]
    pub tables: LedgerTables,
}

impl Ledger {
    /// The ledger a database has after exactly `migrations` were applied by
    /// this tool, with their current checksums: the starting point of an
    /// offline `--sql` script, and of planner tests.
    pub fn assuming_applied<'a>(migrations: impl IntoIterator<Item = &'a MigrationScript>) -> Self {
        Ledger::default().after(migrations, &[])
    }

    /// This ledger once `applied` were applied by this tool and `reverted`
    /// reverted, without reading the database again: what a run knows of
    /// where it left the database. The new entries carry their checksums;
    /// their times are unknown here and left at zero.
    pub fn after<'a>(
        &self,
        applied: impl IntoIterator<Item = &'a MigrationScript>,
        reverted: &[&str],
    ) -> Self {
        let mut entries: Vec<AppliedMigration> = self
            .applied
            .iter()
            .filter(|a| !reverted.contains(&a.version.as_str()))
            .cloned()
            .collect();
        entries.extend(applied.into_iter().map(|m| AppliedMigration {
            version: m.version.clone(),
            run_on: NaiveDateTime::default(),
            record: Some(SideRecord {
                dir_name: m.dir_name.clone(),
                checksums: Some(RecordedChecksums {
                    up_sha256: m.up_sha256.clone(),
                    down_sha256: m.down_sha256.clone(),
                }),
                applied_at: DateTime::default(),
                duration_ms: None,
                applied_by: RecordedBy::Run.label(),
            }),
        }));
        entries.sort_by(|a, b| a.version.cmp(&b.version));
        Ledger {
            applied: entries,
            exists: true,
            tables: self.tables.clone(),
        }
    }

    /// The record for a version, if applied.
    pub fn get(&self, version: &str) -> Option<&AppliedMigration> {
        self.applied
            .binary_search_by(|a| a.version.as_str().cmp(version))
            .ok()
            .map(|i| &self.applied[i])
    }

    /// True when the version is applied.
    pub fn contains(&self, version: &str) -> bool {
        self.get(version).is_some()
    }
}

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

/// Application relations (tables, views, sequences) in the current schema,
/// the ledger aside: a database that has some but no ledger was set up by
/// something else.
pub fn unmanaged_relations(conn: &mut PgConnection) -> Result<Vec<String>> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct Any {
        #[diesel(sql_type = Bool)]
        any: bool,
    }
    // On an empty database (the usual first upgrade) this cheap look at
    // pg_class alone settles it; pg_depend is read only when there is
    // something to tell apart.
    let any: Any =
        diesel::sql_query(format!("SELECT {OTHER_RELATIONS_SQL} AS any")).get_result(conn)?;
    if !any.any {
        return Ok(Vec::new());
    }
    let rows: Vec<Name> = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_class c \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') \
           AND c.relname NOT IN ('__diesel_schema_migrations', '__ragchat_migrations') \
           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i', 'e')) \
         ORDER BY 1",
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// Reads the ledger without creating anything: a database that never saw a
/// migration has an empty ledger.
pub fn read(conn: &mut PgConnection) -> Result<Ledger> {
    Ok(read_located(conn)?.0)
}

/// [`read`], also telling where the ledger is and what the session may do
/// with it.
pub fn read_located(conn: &mut PgConnection) -> Result<(Ledger, Located)> {
    let located = ledger_schema::locate(conn, "true")?;
    let ledger = read_tables(conn, &located, located.side, Detail::Checksums)?;
    Ok((ledger, located))
}

/// [`read_located`] for a run: `also` of the result tells whether the
/// current schema holds relations besides the ledger's (a database with
/// some but no ledger was set up by something else; see
/// [`unmanaged_relations`]).
pub fn read_for_run(conn: &mut PgConnection) -> Result<(Ledger, Located)> {
    let located = ledger_schema::locate(conn, OTHER_RELATIONS_SQL)?;
    let ledger = read_tables(conn, &located, located.side, Detail::Checksums)?;
    Ok((ledger, located))
}

/// True when the current schema has a relation that is not the ledger's;
/// pg_class alone, so cheap on a new session.
const OTHER_RELATIONS_SQL: &str = "EXISTS (SELECT 1 FROM pg_class c \
      WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) \
        AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') \
        AND c.relname NOT IN ('__diesel_schema_migrations', '__ragchat_migrations'))";

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
            let present = ledger_schema::locate(conn, crate::database::lock::IDLE_SQL)?;
            let migrating = if present.also {
                None
            } else {
                Some(crate::database::lock::holder(conn)?)
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
        .map_err(|e| ledger_schema::step_failed("reading the migration ledger", e))?;
    ledger_schema::refuse_duplicates(&tables, rows.iter().map(|r| r.version.as_str()))?;
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

/// A SQL string literal (standard_conforming_strings, on by default since
/// PostgreSQL 9.1, makes doubling quotes sufficient).
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

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
/// side record follows in a batch ([`record_run_batch_sql`]): one
/// multi-row statement every [`RECORD_BATCH`] migrations costs the server
/// far less than a second `INSERT` in every migration's message.
pub fn record_diesel_row_sql(t: &LedgerTables, version: &str) -> String {
    format!(
        "INSERT INTO {} (version) VALUES ({});\n",
        t.diesel(),
        literal(version)
    )
}

/// How many side-table changes may wait before they are written with the
/// next migration's message. A migrator that dies or loses its connection
/// before writing them leaves at most this many (plus the run's last ones)
/// unwritten: records of applied migrations, which the next run takes from
/// the files as for versions another tool applied (an edit made in between
/// goes unnoticed), and records of reverted versions, which no read joins
/// to and the next run purges.
pub const RECORD_BATCH: usize = 100;

/// A side record waiting to be written: the migration and its measured
/// duration in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct PendingRecord<'a> {
    /// The migration that ran.
    pub migration: &'a MigrationScript,
    /// How long its message took, as the client measured it.
    pub duration_ms: f64,
}

/// The side table's changes of a run that are not written yet: records of
/// applied migrations and records of reverted ones to delete. Diesel's own
/// rows are never deferred; they go with each migration's SQL.
#[derive(Debug, Default)]
pub struct PendingSideRecords<'a> {
    applied: Vec<PendingRecord<'a>>,
    reverted: Vec<&'a str>,
}

impl<'a> PendingSideRecords<'a> {
    /// A migration was applied.
    pub fn applied(&mut self, record: PendingRecord<'a>) {
        self.applied.push(record);
    }

    /// A migration was reverted.
    pub fn reverted(&mut self, version: &'a str) {
        self.reverted.push(version);
    }

    /// Whether the changes must go out with the message of a step in
    /// `next` direction: a full batch, a re-applied version whose old record
    /// must be gone first, or records to insert before a step that deletes.
    pub fn due_before(&self, next: crate::migrations::direction::Direction) -> bool {
        self.applied.len() + self.reverted.len() >= RECORD_BATCH
            || (next == crate::migrations::direction::Direction::Up && !self.reverted.is_empty())
            || (next == crate::migrations::direction::Direction::Down && !self.applied.is_empty())
    }

    /// The SQL that writes every waiting change (deletions first); empty
    /// when nothing waits. [`PendingSideRecords::clear`] once it committed.
    pub fn sql(&self, t: &LedgerTables) -> String {
        let mut sql = String::new();
        if !self.reverted.is_empty() {
            let versions: Vec<String> = self.reverted.iter().map(|v| literal(v)).collect();
            sql.push_str(&format!(
                "DELETE FROM {} WHERE version IN ({});\n",
                t.side(),
                versions.join(", ")
            ));
        }
        sql.push_str(&record_run_batch_sql(t, &self.applied));
        sql
    }

    /// Forgets the waiting changes, once written.
    pub fn clear(&mut self) {
        self.applied.clear();
        self.reverted.clear();
    }
}

/// The side records of migrations this toolkit ran, whose Diesel rows are
/// already written (committed, or earlier in the same transaction). Their
/// time and `diesel_run_on` are taken from those rows, so they agree with
/// Diesel exactly. Empty for no records.
pub fn record_run_batch_sql(t: &LedgerTables, records: &[PendingRecord]) -> String {
    if records.is_empty() {
        return String::new();
    }
    let rows: Vec<String> = records
        .iter()
        .map(|r| {
            let m = r.migration;
            format!(
                "({}, {}, {}, {}, {}::float8)",
                literal(&m.version),
                literal(&m.dir_name),
                literal(&m.up_sha256),
                m.down_sha256
                    .as_deref()
                    .map(literal)
                    .unwrap_or_else(|| "NULL".into()),
                r.duration_ms
            )
        })
        .collect();
    format!(
        "INSERT INTO {side} \
         (version, dir_name, up_sha256, down_sha256, applied_at, duration_ms, applied_by, \
          diesel_run_on) \
         SELECT v.version, v.dir_name, v.up_sha256, v.down_sha256, d.run_on::timestamptz, \
          v.duration_ms, {by}, d.run_on \
         FROM (VALUES {rows}) AS v (version, dir_name, up_sha256, down_sha256, duration_ms) \
         JOIN {diesel} d ON d.version = v.version;\n",
        side = t.side(),
        diesel = t.diesel(),
        by = literal(&RecordedBy::Run.label()),
        rows = rows.join(",\n  ")
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
/// ledger, readies it ([`ledger_schema::prepare`]), then runs `stamp_sql`
/// (the rendered stamp, in a transaction of its own).
pub fn record_stamp(conn: &mut PgConnection, located: &Located, stamp_sql: &str) -> Result<()> {
    use diesel::connection::SimpleConnection;
    located.require_writable()?;
    ledger_schema::prepare(conn, located, "")?;
    Ok(conn.batch_execute(stamp_sql)?)
}

/// `accept`: records the files' current checksums for the applied
/// `migration`, and notes in its `applied_by` when they were accepted.
pub fn accept_checksums(
    conn: &mut PgConnection,
    t: &LedgerTables,
    migration: &MigrationScript,
) -> Result<()> {
    use diesel::connection::SimpleConnection;
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
    use diesel::connection::SimpleConnection;
    Ok(conn.batch_execute(&format!(
        "UPDATE {side} SET up_sha256 = {up}, down_sha256 = {down} WHERE version = {version}",
        side = t.side(),
        up = literal(&checksums.up_sha256),
        down = optional_literal(checksums.down_sha256.as_deref()),
        version = literal(version)
    ))?)
}

/// [`literal`], or `NULL` for none.
fn optional_literal(text: Option<&str>) -> String {
    text.map_or_else(|| "NULL".into(), literal)
}
