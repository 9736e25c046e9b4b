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

use crate::error::{Error, Result};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Nullable, Text};
use diesel::PgConnection;

/// Diesel's ledger table.
pub const DIESEL_TABLE: &str = "__diesel_schema_migrations";
/// The toolkit's side table (checksums, timings).
pub const SIDE_TABLE: &str = "__ragchat_migrations";

/// The two ledger tables' names as SQL: schema-qualified and quoted once
/// the schema is known, bare for offline scripts (which resolve them where
/// they are run, as diesel_cli does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LedgerTables {
    schema: Option<String>,
}

impl LedgerTables {
    /// Bare names, resolved through the `search_path` where the SQL runs.
    pub fn unqualified() -> Self {
        LedgerTables { schema: None }
    }

    /// The tables in `schema`.
    pub fn in_schema(schema: &str) -> Self {
        LedgerTables {
            schema: Some(schema.to_string()),
        }
    }

    /// The schema, when known.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// `"schema"."__diesel_schema_migrations"`.
    pub fn diesel(&self) -> String {
        self.qualify(DIESEL_TABLE)
    }

    /// `"schema"."__ragchat_migrations"`.
    pub fn side(&self) -> String {
        self.qualify(SIDE_TABLE)
    }

    fn qualify(&self, table: &str) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{table}", quote_ident(schema)),
            None => table.to_string(),
        }
    }
}

/// An identifier in double quotes.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

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

/// The probe: the schemas on the search_path holding Diesel's table (in
/// search order), the chosen one (the first of those, else
/// current_schema()), the side table's presence and layout there, and what
/// the session may do with them. One round trip.
const LOCATE_SQL: &str = "\
WITH found AS (
  SELECT array_agg(s.name::text ORDER BY s.ord) AS found
  FROM unnest(current_schemas(false)) WITH ORDINALITY AS s (name, ord)
  WHERE to_regclass(quote_ident(s.name) || '.__diesel_schema_migrations') IS NOT NULL
), chosen AS (
  SELECT found, coalesce(found[1], current_schema()::text) AS chosen FROM found
), t AS (
  SELECT found, chosen,
         to_regclass(quote_ident(chosen) || '.__diesel_schema_migrations') AS d,
         to_regclass(quote_ident(chosen) || '.__ragchat_migrations') AS s
  FROM chosen
)
SELECT found, chosen,
  current_setting('search_path') AS search_path,
  current_setting('transaction_read_only') = 'on' AS read_only,
  current_user::text AS role,
  {also} AS also,
  s IS NOT NULL AS side,
  coalesce(EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = s
    AND a.attname = 'diesel_run_on' AND NOT a.attisdropped), false) AS side_current,
  (d IS NULL OR has_table_privilege(d, 'SELECT') AND has_table_privilege(d, 'INSERT')
     AND has_table_privilege(d, 'DELETE'))
  AND (s IS NULL OR has_table_privilege(s, 'SELECT') AND has_table_privilege(s, 'INSERT')
     AND has_table_privilege(s, 'DELETE')) AS may_write,
  coalesce(chosen IS NOT NULL AND has_schema_privilege(chosen, 'CREATE'), false) AS may_create,
  (SELECT pg_get_userbyid(c.relowner)::text FROM pg_class c WHERE c.oid = s) AS side_owner
FROM t";

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
        if self.read_only {
            return Err(Error::refused(format!(
                "the session is read-only (transaction_read_only = on), so the migration \
                 ledger {diesel} cannot be written; nothing was run.\n  fix: connect to the \
                 primary server as a role that may write (default_transaction_read_only may \
                 be set for the role or database: `ALTER ROLE {role} SET \
                 default_transaction_read_only = off`)",
                role = self.role
            )));
        }
        if !self.may_write {
            return Err(Error::refused(format!(
                "role {role} may not write the migration ledger ({diesel}, {side}: it needs \
                 SELECT, INSERT and DELETE); nothing was run.\n  fix: `GRANT SELECT, INSERT, \
                 DELETE ON {diesel}, {side} TO {role}`, or run as the tables' owner",
                role = self.role
            )));
        }
        if (!self.diesel || !self.side) && !self.may_create {
            let name = self.tables.schema().unwrap_or_default();
            let schema = quote_ident(name);
            return Err(Error::refused(format!(
                "role {role} may not create the migration ledger in schema {schema} \
                 (permission denied for schema {name}); nothing was run.\n  fix: `GRANT CREATE \
                 ON SCHEMA {schema} TO {role}`, or run the first upgrade as the schema's owner",
                role = self.role
            )));
        }
        Ok(())
    }
}

/// An error of one of the toolkit's own steps (not a migration's SQL).
pub fn step_failed(step: &str, error: diesel::result::Error) -> Error {
    Error::Database {
        message: format!(
            "{step} failed: {}",
            crate::database::pg_error::describe_own(&error)
        ),
        source: Some(error),
    }
}

/// [`step_failed`] for an error already converted.
pub fn step_error(step: &str, error: Error) -> Error {
    match error {
        Error::Database { message, source } if !message.contains(" failed: ") => Error::Database {
            message: format!("{step} failed: {message}"),
            source,
        },
        other => other,
    }
}

fn no_schema(search_path: &str) -> Error {
    Error::refused(format!(
        "the search_path ({search_path}) names no schema that exists, so there is no \
         schema to find or create the migration ledger in; nothing was run.\n  fix: create \
         the schema (CREATE SCHEMA ...), or correct the search_path of the role, the \
         database or the URL's options"
    ))
}

fn two_ledgers(schemas: &[String], search_path: &str) -> Error {
    let listed: Vec<String> = schemas
        .iter()
        .map(|s| format!("{}.{DIESEL_TABLE}", quote_ident(s)))
        .collect();
    Error::refused(format!(
        "two migration ledgers are visible on the search_path ({search_path}): {}; the \
         toolkit cannot tell which one records this database, so nothing was run.\n  fix: \
         keep the ledger that matches the schema and drop the other (with its {SIDE_TABLE}), \
         or set the search_path so that only one schema with a ledger is on it",
        listed.join(" and ")
    ))
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
pub fn prepare_failed(located: &Located, error: diesel::result::Error) -> Error {
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
        if let Err(e) = conn.batch_execute(&crate::database::ledger::upgrade_layout_sql(
            &located.tables,
        )) {
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
        crate::database::ledger::purge_orphans_sql(t)
    } else {
        crate::database::ledger::create_ledger_sql(t)
    };
    format!("{tables}{adopt_sql}")
}

fn layout_upgrade_failed(located: &Located, error: diesel::result::Error) -> Error {
    let side = located.tables.side();
    if crate::database::pg_error::classify(&error)
        != crate::database::pg_error::OwnErrorClass::Privilege
    {
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
        crate::database::pg_error::describe(&error),
        role = located.role,
        owner = located.side_owner.as_deref().unwrap_or("its owner"),
    ))
}

/// Refuses a ledger that holds a version more than once (a Diesel table
/// made without its primary key): which row is true cannot be known, and
/// every write keyed by version would fail or double. `versions` are sorted.
pub fn refuse_duplicates<'a>(
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
