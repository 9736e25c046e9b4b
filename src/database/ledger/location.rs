//! Where the migration ledger lives. It is decided once per run, from one
//! probe of the catalogs:
//!
//! - when `__diesel_schema_migrations` exists in a schema on the session's
//!   `search_path`, that schema (the table an unqualified `SELECT` finds,
//!   which is what diesel_cli reads);
//! - otherwise `current_schema()`, where `diesel migration run` would create
//!   it.
//!
//! Every statement of the toolkit on its own tables then names that schema,
//! so a changed `search_path` can never start a second ledger. Two ledgers
//! visible on the `search_path` are refused: nobody can tell which is true.
//!
//! The same probe tells whether the session may write the ledger (a
//! read-only session, a role without privileges), so a run is refused up
//! front, naming the ledger table and the fix, instead of failing inside a
//! migration's message and being blamed on its `up.sql`.

use super::tables::{quote_ident, LedgerTables, DIESEL_TABLE};
use crate::database::pg_error::step_failed;
use crate::error::{Error, Result};
use crate::refusal::Refusal;
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Nullable, Text};
use diesel::PgConnection;

/// What the probe found.
#[derive(Debug, Clone)]
pub struct Located {
    /// Where the ledger is (or will be created).
    pub tables: LedgerTables,
    /// Diesel's table exists there.
    pub diesel: bool,
    /// The side table exists there.
    pub side: bool,
    /// The side table has every column this version writes (false: an
    /// older layout, upgraded once under the lock).
    pub side_current: bool,
    /// The session may not write at all (`transaction_read_only`).
    pub read_only: bool,
    /// The role may select, insert and delete in every existing ledger table.
    pub may_write: bool,
    /// The role may create tables in the ledger's schema.
    pub may_create: bool,
    /// The role name (for messages).
    pub role: String,
    /// The owner of the side table, when it exists.
    pub side_owner: Option<String>,
    /// The caller's extra question, asked in the same round trip.
    pub also: bool,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Nullable<Array<Text>>)]
    found: Option<Vec<String>>,
    #[diesel(sql_type = Nullable<Text>)]
    chosen: Option<String>,
    #[diesel(sql_type = Text)]
    search_path: String,
    #[diesel(sql_type = Bool)]
    read_only: bool,
    #[diesel(sql_type = Text)]
    role: String,
    #[diesel(sql_type = Bool)]
    also: bool,
    #[diesel(sql_type = Bool)]
    side: bool,
    #[diesel(sql_type = Bool)]
    side_current: bool,
    #[diesel(sql_type = Bool)]
    may_write: bool,
    #[diesel(sql_type = Bool)]
    may_create: bool,
    #[diesel(sql_type = Nullable<Text>)]
    side_owner: Option<String>,
}

const LOCATE_SQL: &str = include_str!("sql/locate.sql");

/// Finds the ledger's schema and evaluates `also` (an SQL boolean) in the
/// same round trip; refuses two ledgers, or none possible.
pub fn locate(conn: &mut PgConnection, also: &str) -> Result<Located> {
    let row: Row = diesel::sql_query(LOCATE_SQL.replace("{also}", also))
        .get_result(conn)
        .map_err(|e| step_failed("reading the migration ledger", e))?;
    let found = row.found.unwrap_or_default();
    if found.len() > 1 {
        return Err(two_ledgers(&found, &row.search_path));
    }
    let schema = row.chosen.ok_or_else(|| no_schema(&row.search_path))?;
    Ok(Located {
        diesel: !found.is_empty(),
        side: row.side,
        side_current: row.side_current,
        read_only: row.read_only,
        may_write: row.may_write,
        may_create: row.may_create,
        side_owner: row.side_owner,
        role: row.role,
        also: row.also,
        tables: LedgerTables::in_schema(&schema),
    })
}

impl Located {
    /// Refuses a run that must write the ledger when the session cannot:
    /// read-only, no privileges on the tables, or no right to create them.
    pub fn require_writable(&self) -> Result<()> {
        let (diesel, side) = (self.tables.diesel(), self.tables.side());
        let role = self.role.clone();
        if self.read_only {
            let ledger = diesel.to_string();
            return Err(Error::Refused(Refusal::ReadOnlySession { ledger, role }));
        }
        if !self.may_write {
            return Err(Error::Refused(Refusal::LedgerNotWritable {
                role,
                diesel_table: diesel.to_string(),
                side_table: side.to_string(),
            }));
        }
        if (!self.diesel || !self.side) && !self.may_create {
            let schema = self.tables.schema().unwrap_or_default().to_string();
            let schema_sql = quote_ident(&schema);
            return Err(Error::Refused(Refusal::LedgerNotCreatable {
                role,
                schema,
                schema_sql,
            }));
        }
        Ok(())
    }
}

fn no_schema(search_path: &str) -> Error {
    Error::Refused(Refusal::NoSchemaOnSearchPath {
        search_path: search_path.to_string(),
    })
}

fn two_ledgers(schemas: &[String], search_path: &str) -> Error {
    let ledgers = schemas
        .iter()
        .map(|s| format!("{}.{DIESEL_TABLE}", quote_ident(s)))
        .collect();
    Error::Refused(Refusal::TwoLedgers {
        ledgers,
        search_path: search_path.to_string(),
    })
}
