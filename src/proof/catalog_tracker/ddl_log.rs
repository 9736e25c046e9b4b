//! The DDL log: what each step's DDL touched, as PostgreSQL's event
//! triggers report it (`ddl_log_install.sql`). It replaces a scan of every
//! catalog after each step by a read of a handful of rows, so that a step
//! costs the same at migration 2,000 as at migration 10.
//!
//! The log is a shortcut, never the only word: whatever it cannot account
//! for (a schema or an extension altered, an object dropped whose owner is
//! not known, the event triggers gone or disabled) makes the tracker fall
//! back to the full inventory.

use super::cached_query::CachedQuery;
use crate::error::Result;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Int4, Nullable, Text};
use diesel::{Connection, PgConnection};

const INSTALL_SQL: &str = include_str!("ddl_log_install.sql");
const DRAIN_SQL: &str = include_str!("ddl_log_drain.sql");

/// One reported object: created or altered (`command` is the command tag),
/// or dropped (`command` is the object type).
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct Entry {
    /// The catalog of the object (`pg_class`, `pg_type`, ...); none for a GRANT.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub classid: Option<i64>,
    /// The object's oid.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub objid: Option<i64>,
    /// A column number, for a column.
    #[diesel(sql_type = Nullable<Int4>)]
    pub objsubid: Option<i32>,
    /// The command tag, or for a drop the object type.
    #[diesel(sql_type = Nullable<Text>)]
    pub command: Option<String>,
    /// The object's schema, when it has one.
    #[diesel(sql_type = Nullable<Text>)]
    pub schema: Option<String>,
    /// True for a dropped object.
    #[diesel(sql_type = Bool)]
    pub dropped: bool,
}

impl Entry {
    /// True when the object lives in a system schema (a temporary table, a
    /// TOAST table): never part of a snapshot.
    pub fn in_system_schema(&self) -> bool {
        self.schema
            .as_deref()
            .is_some_and(|s| s.starts_with("pg_") || s == "information_schema")
    }
}

/// Installs the log on `conn`'s session. False when it cannot be (the role
/// may not create event triggers): the caller then reads full inventories.
pub fn install(conn: &mut PgConnection) -> bool {
    conn.transaction(|conn| conn.batch_execute(INSTALL_SQL))
        .is_ok()
}

/// Takes the entries logged since the last drain. `None` when the log can
/// no longer be trusted: its table or one of its triggers is gone or
/// disabled (a migration ran `DISCARD TEMP`, say).
pub fn drain(conn: &mut PgConnection) -> Result<Option<Vec<Entry>>> {
    let drain = CachedQuery::new(DRAIN_SQL, Vec::new());
    let Ok(mut rows) = drain.load::<Entry>(conn) else {
        return Ok(None);
    };
    let health = rows.iter().position(|e| e.classid == Some(-1));
    let healthy = health.is_some_and(|i| rows[i].objid == Some(2));
    if let Some(i) = health {
        rows.remove(i);
    }
    Ok(healthy.then_some(rows))
}
