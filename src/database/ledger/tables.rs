//! The ledger's two tables by name, and quoting for the SQL the ledger
//! module writes about them.

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

/// A SQL string literal (standard_conforming_strings, on by default since
/// PostgreSQL 9.1, makes doubling quotes sufficient).
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// [`literal`], or `NULL` for none.
pub(crate) fn optional_literal(text: Option<&str>) -> String {
    text.map_or_else(|| "NULL".into(), literal)
}
