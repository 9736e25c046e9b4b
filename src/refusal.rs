//! Why the toolkit refused to act, as data: an application can tell a
//! changed checksum from an unknown version and read the versions involved,
//! and the CLI prints the same text (each case with the way out).

use crate::database::ledger::SIDE_TABLE;
use std::fmt;

/// An applied migration's file whose text is not what ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedFile {
    /// The migration directory's name.
    pub dir_name: String,
    /// `up.sql` or `down.sql`.
    pub file: &'static str,
    /// The checksum recorded when the migration ran (`None`: there was no file).
    pub recorded: Option<String>,
    /// The checksum of the file now (`None`: there is no file now).
    pub current: Option<String>,
}

/// A state of the database or of the migrations in which a command will not
/// run. Every variant keeps what the message names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// `upgrade`/`downgrade` on a database that records versions the
    /// migrations at hand do not contain.
    UnknownApplied {
        /// The refused command.
        command: &'static str,
        /// Where the migrations were read from, as messages name it.
        origin: String,
        /// The unknown versions.
        versions: Vec<String>,
    },
    /// `stamp` over unknown applied versions, without `--purge`.
    StampOverUnknown {
        /// Where the migrations were read from.
        origin: String,
        /// The unknown versions.
        versions: Vec<String>,
    },
    /// Applied migrations whose files changed since they ran.
    ChangedChecksums {
        /// The refused command.
        command: &'static str,
        /// Each changed file, with both checksums.
        changes: Vec<ChangedFile>,
    },
    /// Pending migrations older than the newest applied one.
    OutOfOrder {
        /// The newest applied migration's directory name.
        newest_applied: String,
        /// The late migrations' directory names, oldest first.
        late: Vec<String>,
    },
    /// Tables but no ledger: something else made this schema.
    UnmanagedSchema {
        /// The relations found (all of them; the message shows eight).
        relations: Vec<String>,
    },
    /// `--single-transaction` with migrations that must run outside a
    /// transaction (exit 2: the flags ask for the impossible).
    NotInOneTransaction {
        /// The `run_in_transaction = false` migrations' directory names.
        migrations: Vec<String>,
    },
    /// The session is read-only, so the ledger cannot be written.
    ReadOnlySession {
        /// The ledger's Diesel table, qualified.
        ledger: String,
        /// The session's role.
        role: String,
    },
    /// The role may not write the ledger tables.
    LedgerNotWritable {
        /// The session's role.
        role: String,
        /// Diesel's table, qualified.
        diesel_table: String,
        /// The side table, qualified.
        side_table: String,
    },
    /// The role may not create the ledger in the schema that should hold it.
    LedgerNotCreatable {
        /// The session's role.
        role: String,
        /// The schema's name.
        schema: String,
        /// The same, quoted for SQL.
        schema_sql: String,
    },
    /// No schema on the search_path exists to hold the ledger.
    NoSchemaOnSearchPath {
        /// The session's search_path.
        search_path: String,
    },
    /// Two ledgers are visible on the search_path.
    TwoLedgers {
        /// Their Diesel tables, qualified.
        ledgers: Vec<String>,
        /// The session's search_path.
        search_path: String,
    },
    /// `stamp` over a live schema that is not what the migrations produce.
    StampOverDifferentSchema {
        /// The differences (`-` missing here, `+` only here, `~` different).
        changes: Vec<String>,
    },
    /// A refusal of a rarer kind (adopt, autogenerate, redo --accept), by
    /// its message.
    Other(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::UnknownApplied {
                command,
                origin,
                versions,
            } => write!(
                f,
                "refusing to {command}: the database records version(s) that are not in \
                 {origin}: {}\n  The database is ahead of this code, or a \
                 migration directory was deleted or renamed.\n  fix: run the code that has \
                 these migrations (git pull, or point --migrations-dir at them); if they are \
                 truly gone and their changes were undone by hand, forget them with \
                 `stamp <target> --purge`",
                versions.join(", ")
            ),
            Refusal::StampOverUnknown { origin, versions } => write!(
                f,
                "the database records version(s) that are not in {origin}: {}\n  fix: build \
                 from the code that has them, or rerun stamp with --purge to forget them",
                versions.join(", ")
            ),
            Refusal::ChangedChecksums { command, changes } => write_changed(f, command, changes),
            Refusal::OutOfOrder {
                newest_applied,
                late,
            } => write!(
                f,
                "refusing to apply migration(s) older than the newest applied one \
                 ({newest_applied}):\n{}\n\
                 This happens when two branches each added a migration. Check that they do \
                 not conflict, then rerun with --allow-out-of-order; or give the pending \
                 one a newer timestamp (rename its directory) if it was never deployed.",
                indented(late)
            ),
            Refusal::UnmanagedSchema { relations } => write_unmanaged(f, relations),
            Refusal::NotInOneTransaction { migrations } => write!(
                f,
                "--single-transaction cannot include migrations that must run outside a \
                 transaction (run_in_transaction = false): {}\n  fix: drop \
                 --single-transaction, or stop before them with a target",
                migrations.join(", ")
            ),
            Refusal::Other(message) => f.write_str(message),
            Refusal::ReadOnlySession { .. }
            | Refusal::LedgerNotWritable { .. }
            | Refusal::LedgerNotCreatable { .. }
            | Refusal::NoSchemaOnSearchPath { .. }
            | Refusal::TwoLedgers { .. }
            | Refusal::StampOverDifferentSchema { .. } => write_ledger_access(f, self),
        }
    }
}

/// The refusals about where the ledger is and what the session may do there.
fn write_ledger_access(f: &mut fmt::Formatter<'_>, refusal: &Refusal) -> fmt::Result {
    match refusal {
        Refusal::ReadOnlySession { ledger, role } => write!(
            f,
            "the session is read-only (transaction_read_only = on), so the migration \
             ledger {ledger} cannot be written; nothing was run.\n  fix: connect to the \
             primary server as a role that may write (default_transaction_read_only may \
             be set for the role or database: `ALTER ROLE {role} SET \
             default_transaction_read_only = off`)"
        ),
        Refusal::LedgerNotWritable {
            role,
            diesel_table,
            side_table,
        } => write!(
            f,
            "role {role} may not write the migration ledger ({diesel_table}, {side_table}: it \
             needs SELECT, INSERT and DELETE); nothing was run.\n  fix: `GRANT SELECT, INSERT, \
             DELETE ON {diesel_table}, {side_table} TO {role}`, or run as the tables' owner"
        ),
        Refusal::LedgerNotCreatable {
            role,
            schema,
            schema_sql,
        } => write!(
            f,
            "role {role} may not create the migration ledger in schema {schema_sql} \
             (permission denied for schema {schema}); nothing was run.\n  fix: `GRANT CREATE \
             ON SCHEMA {schema_sql} TO {role}`, or run the first upgrade as the schema's owner"
        ),
        Refusal::NoSchemaOnSearchPath { search_path } => write!(
            f,
            "the search_path ({search_path}) names no schema that exists, so there is no \
             schema to find or create the migration ledger in; nothing was run.\n  fix: create \
             the schema (CREATE SCHEMA ...), or correct the search_path of the role, the \
             database or the URL's options"
        ),
        Refusal::TwoLedgers {
            ledgers,
            search_path,
        } => write!(
            f,
            "two migration ledgers are visible on the search_path ({search_path}): {}; the \
             toolkit cannot tell which one records this database, so nothing was run.\n  fix: \
             keep the ledger that matches the schema and drop the other (with its \
             {SIDE_TABLE}), or set the search_path so that only one schema with a ledger is \
             on it",
            ledgers.join(" and ")
        ),
        Refusal::StampOverDifferentSchema { changes } => write!(
            f,
            "refusing to stamp: the live schema is not what those migrations produce \
             (- missing here, + only here, ~ different):\n{}\n  fix: stamp the version the \
             schema really is at, bring the schema in line, or pass --force if you are sure",
            changes
                .iter()
                .map(|c| format!("    {c}"))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        other => unreachable!("not a ledger-access refusal: {other:?}"),
    }
}

fn write_changed(
    f: &mut fmt::Formatter<'_>,
    command: &str,
    changes: &[ChangedFile],
) -> fmt::Result {
    let lines: Vec<String> = changes
        .iter()
        .map(|c| {
            let was = c.recorded.as_deref().unwrap_or("(no file)");
            let now = c.current.as_deref().unwrap_or("(no file)");
            format!(
                "  {}/{}: recorded {was} but the file now has {now}",
                c.dir_name, c.file
            )
        })
        .collect();
    write!(
        f,
        "refusing to {command}: applied migration file(s) changed since they ran:\n{}\n  \
         An applied migration must not be edited: the database did not run the new \
         text.\n  fix: restore the file (git checkout), and put the change in a new \
         migration; if the edit is harmless (a comment, formatting), accept it with \
         `ragchat-migrate accept <version>`; while developing the newest migration \
         (not yet released), `ragchat-migrate redo --accept` reverts it with the \
         current down.sql and applies the current up.sql",
        lines.join("\n")
    )
}

fn write_unmanaged(f: &mut fmt::Formatter<'_>, relations: &[String]) -> fmt::Result {
    let shown: Vec<&str> = relations.iter().take(8).map(String::as_str).collect();
    write!(
        f,
        "refusing to migrate: the database already has {} table(s) or other relations ({}{}) \
         but no migration ledger, so nothing records which migrations made them.\n  fix: if \
         the original Python/Alembic system migrated it, run `ragchat-migrate adopt`; if its \
         schema matches a migration, record that with `ragchat-migrate stamp <version>`; for a \
         throwaway database, drop those tables and upgrade again",
        relations.len(),
        shown.join(", "),
        if relations.len() > shown.len() {
            ", ..."
        } else {
            ""
        }
    )
}

fn indented(names: &[String]) -> String {
    names
        .iter()
        .map(|name| format!("  {name}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unmanaged_schema_shows_eight_relations_and_counts_all() {
        let relations: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
        let text = Refusal::UnmanagedSchema { relations }.to_string();
        assert!(
            text.starts_with(
                "refusing to migrate: the database already has 10 table(s) or other relations \
                 (t0, t1, t2, t3, t4, t5, t6, t7, ...) but no migration ledger"
            ),
            "{text}"
        );
        let text = Refusal::UnmanagedSchema {
            relations: vec!["seed".into()],
        }
        .to_string();
        assert!(
            text.contains("1 table(s) or other relations (seed) but"),
            "{text}"
        );
    }

    #[test]
    fn a_changed_file_names_both_checksums_or_no_file() {
        let text = Refusal::ChangedChecksums {
            command: "downgrade",
            changes: vec![ChangedFile {
                dir_name: "2030-01-01-000000_m".into(),
                file: "down.sql",
                recorded: None,
                current: Some("new".into()),
            }],
        }
        .to_string();
        assert!(
            text.starts_with(
                "refusing to downgrade: applied migration file(s) changed since they ran:\n  \
                 2030-01-01-000000_m/down.sql: recorded (no file) but the file now has new\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn ledger_and_stamp_refusals_name_what_they_carry() {
        let stamp = Refusal::StampOverDifferentSchema {
            changes: vec!["- table public.users".into(), "+ index ix".into()],
        }
        .to_string();
        assert!(
            stamp.contains("(- missing here, + only here, ~ different):\n    - table public.users\n    + index ix\n  fix: stamp the version"),
            "{stamp}"
        );
        let two = Refusal::TwoLedgers {
            ledgers: vec![
                "a.__diesel_schema_migrations".into(),
                "b.__diesel_schema_migrations".into(),
            ],
            search_path: "a, b".into(),
        }
        .to_string();
        assert!(
            two.contains(
                "(a, b): a.__diesel_schema_migrations and b.__diesel_schema_migrations; the"
            ),
            "{two}"
        );
        assert!(
            two.contains("(with its __ragchat_migrations), or set"),
            "{two}"
        );
        let create = Refusal::LedgerNotCreatable {
            role: "app".into(),
            schema: "My Schema".into(),
            schema_sql: "\"My Schema\"".into(),
        }
        .to_string();
        assert!(
            create.contains("in schema \"My Schema\" (permission denied for schema My Schema)"),
            "{create}"
        );
        assert!(
            create.contains("`GRANT CREATE ON SCHEMA \"My Schema\" TO app`"),
            "{create}"
        );
    }
}
