//! A generated migration: the directory `create --autogenerate` writes.

use serde::Serialize;

/// One migration directory to write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Migration {
    /// The migration name (`NAME`, `NAME_enum_labels`, or `NAME_<index>`
    /// for a concurrent index).
    pub name: String,
    /// The text of `up.sql`.
    pub up: String,
    /// The text of `down.sql`.
    pub down: String,
    /// False for a `CREATE INDEX CONCURRENTLY` migration (`metadata.toml`).
    pub run_in_transaction: bool,
}
