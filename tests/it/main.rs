//! The integration tests: one test binary, one throwaway PostgreSQL server
//! (started through the library's [`ragchat_migrate::server::throwaway`]),
//! a fresh database per test, and one launcher of the built binary
//! ([`support::Tool`]) that never lets the developer's environment in.
//! Modules are named by what they test.
//!
//! `tests/compile_fail.rs` stays a binary of its own: trybuild compiles its
//! cases in a target directory of its own, and would do it again for every
//! test binary that held it.

mod support;

mod adopt;
mod anomalies;
mod app_schema;
mod autogen;
mod catalog;
mod catalog_tracker;
mod commands;
mod concurrency;
mod connection;
mod constraints;
mod diesel_interop;
mod drift;
mod history;
mod json;
mod ledger;
mod lint;
mod local_database;
mod migration_source;
mod models;
mod odd_files;
mod offline_script;
mod readers;
mod redo;
mod runtime_errors;
mod secrets;
mod sql_rules;
mod terminal;
mod verify;
mod verify_parallel;
