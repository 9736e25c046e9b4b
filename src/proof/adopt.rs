//! `adopt`: takes over a database that the original Python system migrated
//! with Alembic (an `alembic_version` table holding `001`). Its live schema is
//! compared fact by fact with what our migrations produce on a scratch
//! database. Tables, columns, types, constraints and indexes must match
//! exactly; the `updated_at` functions and triggers, which the Python system
//! did not have (its ORM refreshed the column), are created from the scratch
//! database's own definitions. Then the matching migrations are recorded as
//! applied. All in one transaction; no application data is changed, and
//! `alembic_version` is left in place.

use crate::config::database_url::DatabaseUrl;
use crate::database::ledger::{self, RecordedBy};
use crate::database::migrator;
use crate::error::{Error, Result};
use crate::migrations::source::{MigrationScript, MigrationSet};
use crate::proof::catalog::{self, Change, ChangeOp, Kind, Snapshot};
use crate::proof::scratch::ScratchDb;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::PgConnection;
use serde::Serialize;

/// Alembic revisions of the Python system and the Diesel version each one is.
pub const ALEMBIC_REVISIONS: &[(&str, &str)] = &[("001", "20251021000000")];

/// What `adopt` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Adoption {
    /// The Alembic revision found.
    pub alembic_revision: String,
    /// The migrations recorded as applied.
    pub recorded: Vec<String>,
    /// Functions and triggers created because the Python system lacked them.
    pub created: Vec<String>,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    v: String,
}

#[derive(QueryableByName)]
struct NamedDefinition {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    def: String,
}

/// Adopts the database behind `conn` (see the module documentation). The
/// caller holds the migration lock.
pub fn adopt(
    target: &DatabaseUrl,
    conn: &mut PgConnection,
    connect_timeout: u64,
    set: &MigrationSet,
) -> Result<Adoption> {
    let (ledger, located) = ledger::read_located(conn)?;
    if !ledger.applied.is_empty() {
        return Err(Error::refused(format!(
            "nothing to adopt: the ledger already records {} migration(s); see `history`",
            ledger.applied.len()
        )));
    }
    let revision = alembic_revision(conn)?;
    let migrations = migrations_of(set, &revision)?;

    let mut scratch = ScratchDb::create(target, conn, connect_timeout)?;
    let mut scratch_conn = scratch.take_connection()?;
    migrator::apply_for_schema(&mut scratch_conn, set, migrations.clone())?;
    let expected = catalog::snapshot(&mut scratch_conn)?;
    let live = catalog::snapshot(conn)?;
    let fillable = fillable_differences(&expected, &live, &revision, &migrations)?;
    let (ddl, created) = missing_ddl(&expected, &fillable, &mut scratch_conn)?;
    drop(scratch_conn);
    drop(scratch);

    located.require_writable()?;
    let record = record_sql(&ledger.tables, located.diesel && located.side, &migrations);
    commit(conn, &expected, &format!("{ddl}{record}"))?;
    Ok(Adoption {
        alembic_revision: revision,
        recorded: migrations.iter().map(|m| m.dir_name.clone()).collect(),
        created,
    })
}

/// The migrations that Alembic revision `revision` stands for: up to and
/// including its Diesel version.
fn migrations_of<'s>(set: &'s MigrationSet, revision: &str) -> Result<Vec<&'s MigrationScript>> {
    let version = ALEMBIC_REVISIONS
        .iter()
        .find(|(rev, _)| *rev == revision)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            Error::refused(format!(
                "alembic_version holds revision {revision:?}, which this tool does not know \
                 (it knows {}).\n  fix: upgrade the database with the Python system to a known \
                 revision first, or use a newer ragchat-migrate",
                ALEMBIC_REVISIONS
                    .iter()
                    .map(|(r, _)| *r)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    let index = set.index_of(version).ok_or_else(|| {
        Error::refused(format!("Alembic revision {revision} is migration {version}, which these migrations do not contain"))
    })?;
    Ok(set.all()[..=index].iter().collect())
}

/// The differences between the expected and the live schema that adopt may
/// fill in (functions and triggers the Python system lacked), or a refusal
/// listing the others.
fn fillable_differences(
    expected: &Snapshot,
    live: &Snapshot,
    revision: &str,
    migrations: &[&MigrationScript],
) -> Result<Vec<Change>> {
    let (fillable, mismatches): (Vec<_>, Vec<_>) = expected.diff(live).into_iter().partition(|c| {
        c.op == ChangeOp::Removed && matches!(c.kind, Kind::Function | Kind::Trigger)
    });
    if !mismatches.is_empty() {
        return Err(Error::refused(format!(
            "refusing to adopt: the live schema differs from what revision {revision} \
             ({}) produces (- missing here, + only here, ~ different):\n{}\n  fix: bring the \
             schema in line (or find out who changed it), then run adopt again; nothing was \
             recorded",
            migrations
                .last()
                .map(|m| m.dir_name.as_str())
                .unwrap_or_default(),
            mismatches
                .iter()
                .map(|c| format!("    {c}"))
                .collect::<Vec<_>>()
                .join("\n")
        )));
    }
    Ok(fillable)
}

/// The DDL of what is missing, from the scratch database: functions first
/// (triggers call them). Returns the DDL and what it creates.
fn missing_ddl(
    expected: &Snapshot,
    fillable: &[Change],
    scratch_conn: &mut PgConnection,
) -> Result<(String, Vec<String>)> {
    let mut ddl = String::new();
    let mut created = Vec::new();
    for c in fillable.iter().filter(|c| c.kind == Kind::Function) {
        let def = expected
            .get(Kind::Function, &c.name)
            .and_then(|f| f.get("definition"))
            .unwrap_or_default();
        ddl.push_str(def);
        ddl.push_str(";\n");
        created.push(format!("function {}", c.name));
    }
    let triggers: Vec<NamedDefinition> = diesel::sql_query(
        "SELECT tg.tgrelid::regclass::text || ' ' || quote_ident(tg.tgname) AS name, \
                pg_get_triggerdef(tg.oid) AS def \
         FROM pg_trigger tg WHERE NOT tg.tgisinternal",
    )
    .load(scratch_conn)?;
    for c in fillable.iter().filter(|c| c.kind == Kind::Trigger) {
        if let Some(t) = triggers.iter().find(|t| t.name == c.name) {
            ddl.push_str(&t.def);
            ddl.push_str(";\n");
            created.push(format!("trigger {}", c.name));
        }
    }
    Ok((ddl, created))
}

/// The ledger writes that record `migrations` as adopted (creating the
/// ledger, or clearing orphaned side records of a complete one).
fn record_sql(
    tables: &ledger::LedgerTables,
    complete: bool,
    migrations: &[&MigrationScript],
) -> String {
    let mut record = if complete {
        ledger::purge_orphans_sql(tables)
    } else {
        ledger::create_ledger_sql(tables)
    };
    for m in migrations {
        record.push_str(&ledger::record_applied_sql(
            tables,
            m,
            RecordedBy::Adopted,
            "NULL",
        ));
    }
    record
}

/// One transaction: the missing objects, the ledger, and a last look that
/// the result is exactly the expected schema (else everything rolls back).
fn commit(conn: &mut PgConnection, expected: &Snapshot, sql: &str) -> Result<()> {
    conn.transaction::<(), Error, _>(|conn| {
        conn.batch_execute(sql)?;
        let leftover = expected.diff(&catalog::snapshot(conn)?);
        if leftover.is_empty() {
            return Ok(());
        }
        Err(Error::refused(format!(
            "adopt rolled back: after creating the missing functions and triggers the \
             schema still differs:\n{}",
            leftover
                .iter()
                .map(|c| format!("    {c}"))
                .collect::<Vec<_>>()
                .join("\n")
        )))
    })
}

/// The single revision in `alembic_version`.
fn alembic_revision(conn: &mut PgConnection) -> Result<String> {
    let present: Vec<Line> =
        diesel::sql_query("SELECT coalesce(to_regclass('alembic_version')::text, '') AS v")
            .load(conn)?;
    if present.first().is_none_or(|l| l.v.is_empty()) {
        return Err(Error::refused(
            "there is no alembic_version table: this database was not migrated by the Python \
             system.\n  fix: if its schema matches a migration, record that with `stamp \
             <version>` (it checks the schema first); an empty database just needs `upgrade`"
                .into(),
        ));
    }
    let rows: Vec<Line> =
        diesel::sql_query("SELECT version_num::text AS v FROM alembic_version").load(conn)?;
    match rows.as_slice() {
        [one] => Ok(one.v.clone()),
        [] => Err(Error::refused(
            "alembic_version is empty: Alembic recorded no revision.\n  fix: if the schema is \
             complete, `stamp head` checks and records it; otherwise `upgrade`"
                .into(),
        )),
        many => Err(Error::refused(format!(
            "alembic_version holds several revisions ({}): the Python system left multiple \
             heads.\n  fix: merge them with Alembic first",
            many.iter()
                .map(|l| l.v.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
