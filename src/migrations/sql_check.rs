//! Refuses migration SQL that cannot run the way the migrator runs it,
//! before anything runs (exit 2, naming the directory, the file and the
//! line). Every path that executes migrations goes through here: the
//! migrator's plans (upgrade, downgrade, redo, reset, `--sql`, verify) and
//! the scratch replays of `check`, `stamp` and `adopt`.
//!
//! - A transactional migration (the default) is sent as one transaction with
//!   its ledger row. A `COMMIT`, `ROLLBACK`, `BEGIN` ... inside it would end
//!   that transaction early: part of the migration committed without its
//!   row, or its row recorded for work that was rolled back. Refused.
//!   Savepoints are fine.
//! - A non-transactional migration (`run_in_transaction = false`) runs as
//!   written, statement by statement, as Diesel runs it; it may manage its
//!   own transactions, but must not end with one left open (the ledger
//!   write would join it).
//! - `COPY ... FROM STDIN` / `TO STDOUT` and psql meta-commands (`\copy`,
//!   `\i`, `\set`) need psql; the server cannot run them. Refused anywhere.
//! - An unterminated string, quoted identifier or comment would swallow the
//!   ledger write the migrator appends. Refused anywhere.

use crate::error::{Error, Result};
use crate::migrations::source::MigrationScript;
use crate::migrations::sql_text::{self, Effect, Kind};

/// Checks the `up.sql` of migrations about to be replayed.
pub fn check_migrations(migrations: &[&MigrationScript]) -> Result<()> {
    migrations
        .iter()
        .try_for_each(|m| check_file(m, "up.sql", &m.up_sql))
}

/// Checks one file of a migration.
pub fn check_file(m: &MigrationScript, file: &str, sql: &str) -> Result<()> {
    let refuse = |line: usize, reason: String| Error::InvalidMigration {
        path: format!("{}/{file}", m.dir_name),
        reason: format!("line {line}: {reason}"),
    };
    let parsed = sql_text::parse(sql);
    if let Some((line, what)) = parsed.unterminated {
        return Err(refuse(
            line,
            format!(
                "unterminated {what}: it runs to the end of the file and would swallow \
                 what the migrator sends after it (the ledger write); fix: close it"
            ),
        ));
    }
    let mut open: Option<(usize, String)> = None;
    for statement in &parsed.statements {
        match &statement.kind {
            Kind::Sql => {}
            Kind::PsqlOnly { what, line } => {
                return Err(refuse(
                    *line,
                    format!(
                        "{what} is a psql command: the server cannot run it, and a migration \
                         has no client to feed or read COPY data; fix: use INSERT (or COPY \
                         from a file on the server), or run it with psql outside the migration"
                    ),
                ))
            }
            Kind::TransactionControl { name, .. } if m.run_in_transaction => {
                return Err(refuse(statement.line, in_transaction_reason(name)))
            }
            Kind::TransactionControl { name, effect } => match effect {
                Effect::Opens | Effect::Chains => open = Some((statement.line, name.clone())),
                Effect::Closes => open = None,
                Effect::Prepared => {}
            },
        }
    }
    match open {
        Some((line, name)) => Err(refuse(
            line,
            format!(
                "`{name}` leaves a transaction open at the end of the file, and the \
                 migrator's ledger write would join it; fix: end it with COMMIT"
            ),
        )),
        None => Ok(()),
    }
}

fn in_transaction_reason(name: &str) -> String {
    format!(
        "`{name}` is transaction control, but this migration already runs in one \
         transaction together with its ledger row: a COMMIT or ROLLBACK inside it would \
         keep part of the migration without its row, or record work that was rolled back.\n  \
         fix: remove the transaction statements (the whole file is one transaction \
         already; SAVEPOINT / ROLLBACK TO SAVEPOINT undo part of it), or, if it must manage \
         its own transactions, put `run_in_transaction = false` in its metadata.toml"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migration(up: &str, run_in_transaction: bool) -> MigrationScript {
        MigrationScript {
            version: "20300101000000".into(),
            dir_name: "2030-01-01-000000_m".into(),
            up_sql: up.into(),
            down_sql: Some("BEGIN; DROP TABLE t; COMMIT;".into()),
            run_in_transaction,
            up_sha256: String::new(),
            down_sha256: None,
        }
    }

    fn refusal(up: &str, run_in_transaction: bool) -> Option<String> {
        let m = migration(up, run_in_transaction);
        check_file(&m, "up.sql", &m.up_sql)
            .err()
            .map(|e| e.to_string())
    }

    #[test]
    fn transactional_migrations_refuse_transaction_control_with_its_line() {
        let text = refusal(
            "CREATE TABLE r1(id int);\nROLLBACK;\nCREATE TABLE r2(id int);",
            true,
        )
        .unwrap();
        assert!(
            text.starts_with("invalid migration 2030-01-01-000000_m/up.sql: line 2: `ROLLBACK`"),
            "{text}"
        );
        assert!(text.contains("run_in_transaction = false"), "{text}");
        for sql in [
            "BEGIN;",
            "COMMIT AND CHAIN",
            "end",
            "PREPARE TRANSACTION 'x'",
        ] {
            assert!(refusal(sql, true).is_some(), "{sql}");
        }
        let m = migration("SELECT 1", true);
        let err = check_file(&m, "down.sql", m.down_sql.as_deref().unwrap()).unwrap_err();
        assert!(
            err.to_string().contains("down.sql: line 1: `BEGIN`"),
            "{err}"
        );
        assert_eq!(err.kind(), crate::error::ErrorKind::BadInput);
    }

    #[test]
    fn savepoints_quoted_text_and_bodies_pass() {
        let sql = "SAVEPOINT a; ROLLBACK TO SAVEPOINT a; RELEASE a;\n\
                   DO $$ BEGIN PERFORM 1; END $$;\n\
                   CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n\
                   -- then COMMIT\n\
                   SELECT 'COMMIT';";
        assert_eq!(refusal(sql, true), None);
    }

    #[test]
    fn non_transactional_migrations_manage_their_own_transactions() {
        assert_eq!(refusal("BEGIN; CREATE TABLE a(); COMMIT;", false), None);
        assert_eq!(
            refusal("CREATE INDEX CONCURRENTLY i ON t (x);", false),
            None
        );
        let text = refusal("SELECT 1;\nBEGIN;\nCREATE TABLE a();", false).unwrap();
        assert!(
            text.contains("line 2: `BEGIN` leaves a transaction open"),
            "{text}"
        );
        let text = refusal("BEGIN; SELECT 1;\nCOMMIT AND CHAIN;", false).unwrap();
        assert!(text.contains("line 2: `COMMIT AND CHAIN`"), "{text}");
    }

    #[test]
    fn psql_only_commands_and_unterminated_text_are_refused_everywhere() {
        for in_tx in [true, false] {
            let text = refusal("SELECT 1;\nCOPY t FROM stdin;\n1\n\\.\n", in_tx).unwrap();
            assert!(text.contains("line 2: `COPY ... FROM STDIN`"), "{text}");
            let text = refusal("\\i other.sql", in_tx).unwrap();
            assert!(
                text.contains("line 1: the psql meta-command `\\i`"),
                "{text}"
            );
            let text = refusal("SELECT 1;\n/* never closed", in_tx).unwrap();
            assert!(text.contains("line 2: unterminated /* comment"), "{text}");
        }
    }
}
