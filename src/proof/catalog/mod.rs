//! A schema snapshot of a live database, read from the PostgreSQL catalogs,
//! and the difference between two snapshots.
//!
//! A [`Snapshot`] is a sorted list of [`Fact`]s. A fact is one object of the
//! schema: its [`Kind`], its identity (`name`, unique within the kind) and
//! its attributes as ordered key/value pairs. Comparing two snapshots is then
//! a merge on (kind, name) and a comparison of attributes, and every
//! [`Change`] renders as one line:
//!
//! ```text
//! + index users ix_users_email UNIQUE USING btree (email)
//! - column documents.num_tokens integer null
//! ~ column documents.num_chunks default 0 -> 1
//! ~ table documents columns (id, num_tokens, status) -> (id, status, num_tokens)
//! ```
//!
//! What is covered: schemas, extensions, enum / domain / composite / range
//! types, sequences, tables (column order, partitioning, inheritance, storage
//! options), columns, constraints (primary key, unique, foreign key, check,
//! exclusion; on tables and on domains), indexes that do not back a
//! constraint, views, materialized views, functions, aggregates, procedures
//! and triggers, in every schema except the system ones.
//!
//! What is left out, on purpose:
//! - the migration ledger tables (`__diesel_schema_migrations`,
//!   `__ragchat_migrations`, and `alembic_version`, the ledger of the Alembic
//!   system this tool takes over, which `adopt` leaves in place) and
//!   everything hanging off them: they describe migration history, not the
//!   schema;
//! - objects that belong to an extension: the extension itself (name,
//!   version, schema) stands for them;
//! - the `plpgsql` extension and the `public` schema, which every database
//!   created from the default `template1` has, so that an empty database has
//!   an empty snapshot (objects *in* `public` are of course listed);
//! - owners, privileges, comments, statistics, tablespaces, OIDs: they vary
//!   between otherwise identical databases or are not schema;
//! - operators, casts, operator classes, collations, text search objects,
//!   policies, rules, publications and event triggers (not used by the
//!   project; add a branch to [`FACTS_SQL`] when they are).
//!
//! Names in schema `public` are shown bare, others as `schema.name`: the
//! catalogs are read with `search_path` set to `public` alone, which is also
//! what makes `pg_get_*def` and `format_type` print `public` objects bare and
//! qualify everything else, whatever the caller's `search_path` is.
//!
//! Everything is read in one query inside one read-only repeatable-read
//! transaction (a consistent picture, a few milliseconds on the project's
//! schema), and sorted in Rust by byte order so that the database's collation
//! does not change the order.
//!
//! The files: [`fact`] (what one object is), [`snapshot`] (a schema and the
//! diff of two), [`change`] (one difference and how it reads), [`read`]
//! (the catalog query, `facts.sql`, and the cheap fingerprint).

pub mod change;
pub mod fact;
pub mod read;
pub mod snapshot;

pub use change::{Change, ChangeOp};
pub use fact::{Fact, Kind};
pub(crate) use read::{collect, FactRow};
pub use read::{fingerprint, snapshot, FACTS_SQL};
pub use snapshot::Snapshot;
