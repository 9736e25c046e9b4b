//! Diesel's own tools on the same folders and databases: diesel_cli side by
//! side with the toolkit, `metadata.toml`, versions that are not
//! timestamps, and a long realistic history.

mod cli;
mod long_history;
mod metadata;
mod versions;
