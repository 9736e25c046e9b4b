//! Why the toolkit refused to act, as data: an application can tell a
//! changed checksum from an unknown version and read the versions involved,
//! and the CLI prints the same text (each case with the way out).

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
    /// A refusal made outside the planner and the migrator (ledger layout,
    /// stamp, adopt, autogenerate), by its message.
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
        }
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
            format!(
                "  {}/{}: recorded {} but the file now has {}",
                c.dir_name,
                c.file,
                c.recorded.as_deref().unwrap_or("(no file)"),
                c.current.as_deref().unwrap_or("(no file)")
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
}
