//! What a scratch database must share with its target session so that the
//! migrations build into the same schema names there: the `search_path`
//! (role and database settings, and URL options, do not carry over to a new
//! database), and the schema the ledger lives in, which exists before the
//! first migration runs (the ledger is created there).

use crate::database::ledger::{self, quote_ident};
use crate::error::Result;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::PgConnection;

/// The target session's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// `current_setting('search_path')` of the target session.
    pub search_path: String,
    /// The schema of the target's ledger (where it is, or would be made).
    pub ledger_schema: Option<String>,
}

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = Text)]
    search_path: String,
}

/// Reads the shape of the session behind `conn`.
pub fn of(conn: &mut PgConnection) -> Result<Shape> {
    let setting: Setting =
        diesel::sql_query("SELECT current_setting('search_path') AS search_path")
            .get_result(conn)?;
    let located = ledger::locate(conn, "true")?;
    Ok(Shape {
        search_path: setting.search_path,
        ledger_schema: located.tables.schema().map(str::to_string),
    })
}

impl Shape {
    /// Makes a new scratch database ready: the ledger's schema created, as
    /// it exists on the target before any migration.
    pub fn prepare(&self, conn: &mut PgConnection) -> Result<()> {
        if let Some(schema) = self.ledger_schema.as_deref().filter(|s| *s != "public") {
            conn.batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {}",
                quote_ident(schema)
            ))?;
        }
        Ok(())
    }
}

/// Sets up a scratch session: the target's `search_path` (a value as
/// `current_setting` prints it), and `synchronous_commit` off: a scratch
/// database is thrown away, so its commits (one per migration, three per
/// migration in `verify`) need not wait for the disk.
pub fn set_scratch_session(conn: &mut PgConnection, search_path: &str) -> Result<()> {
    diesel::sql_query(
        "SELECT set_config('search_path', $1, false), \
         set_config('synchronous_commit', 'off', false)",
    )
    .bind::<Text, _>(search_path)
    .execute(conn)?;
    Ok(())
}
