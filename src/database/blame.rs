//! Which statement of a migration file failed, for the error message: its
//! line and its first line of text.
//!
//! A transactional migration goes to the server as one message (one round
//! trip, which the benchmarks depend on). A syntax error carries a position
//! in that message, but most runtime errors (`division by zero`, `table
//! "x" does not exist` from DDL, a constraint violated) carry none. Only
//! after such a failure, the migration is replayed statement by statement
//! inside a transaction that is always rolled back, to see which statement
//! fails; the line is reported only when the replay fails with the same
//! message. Nothing of the replay is kept: it runs in one transaction
//! block, transaction control having been refused before anything ran
//! (see [`crate::migrations::sql_check`]), and it ends with `ROLLBACK`.

use crate::migrations::sql_text::{self, Statement};
use diesel::connection::SimpleConnection;
use diesel::result::Error as DieselError;
use diesel::PgConnection;

/// Where in a file a statement failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// 1-based line: the error's position when PostgreSQL gave one, else
    /// the failing statement's first line.
    pub line: usize,
    /// 1-based line where the failing statement starts.
    pub statement_line: usize,
    /// The failing statement's first line of text.
    pub statement: String,
}

impl Place {
    fn of(statement: &Statement, line: usize) -> Self {
        Place {
            line,
            statement_line: statement.line,
            statement: statement.first_line().to_string(),
        }
    }

    /// The note appended to the error message.
    pub fn note(&self) -> String {
        format!(
            "\n  failing statement (line {}): {}",
            self.statement_line, self.statement
        )
    }
}

/// The place of a 1-based character position in `sql`.
pub fn by_position(sql: &str, char_position: usize) -> Option<Place> {
    let offset = byte_offset(sql, char_position)?;
    let statements = sql_text::parse(sql).statements;
    let statement = statements
        .iter()
        .take_while(|s| s.offset <= offset)
        .last()
        .or(statements.first())?;
    Some(Place::of(statement, sql_text::line_at(sql, offset)))
}

/// The place of an error raised by `statement` alone, sent on its own;
/// `char_position` is PostgreSQL's position inside the statement's text.
pub fn in_statement(sql: &str, statement: &Statement, char_position: Option<usize>) -> Place {
    let line = char_position
        .and_then(|p| byte_offset(statement.text, p))
        .map_or(statement.line, |o| {
            sql_text::line_at(sql, statement.offset + o)
        });
    Place::of(statement, line)
}

/// Replays `sql` statement by statement in a transaction that is rolled
/// back, and returns the statement that fails with `original`'s message.
/// `lock_timeout` is the setting's value (e.g. `'5000ms'`). The session
/// must not be in a transaction it wants to keep: an aborted one is ended.
pub fn by_replay(
    conn: &mut PgConnection,
    sql: &str,
    lock_timeout: &str,
    original: &DieselError,
) -> Option<Place> {
    let wanted = crate::database::pg_error::server_message(original)?.to_string();
    conn.batch_execute("ROLLBACK").ok()?;
    // Never wait forever for a lock in a diagnostic.
    let timeout = if lock_timeout == "'0ms'" {
        "'5000ms'"
    } else {
        lock_timeout
    };
    conn.batch_execute(&format!("BEGIN;\nSET LOCAL lock_timeout = {timeout};"))
        .ok()?;
    let mut found = None;
    for statement in sql_text::parse(sql).statements {
        if let Err(e) = conn.batch_execute(statement.text) {
            if crate::database::pg_error::server_message(&e) == Some(wanted.as_str()) {
                let position = crate::database::pg_error::position(&e);
                found = Some(in_statement(sql, &statement, position));
            }
            break;
        }
    }
    let _ = conn.batch_execute("ROLLBACK");
    found
}

/// The byte offset of a 1-based character position.
fn byte_offset(text: &str, char_position: usize) -> Option<usize> {
    text.char_indices()
        .nth(char_position.checked_sub(1)?)
        .map(|(offset, _)| offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_names_its_line_and_statement() {
        let sql = "CREATE TABLE a (id int);\n\nSELECT *\n  FROM userz;\n";
        let p = by_position(sql, sql.find("userz").unwrap() + 1).unwrap();
        assert_eq!((p.line, p.statement_line), (4, 3));
        assert_eq!(p.statement, "SELECT *");
        assert_eq!(p.note(), "\n  failing statement (line 3): SELECT *");
        assert_eq!(by_position(sql, 1000), None);
        assert_eq!(by_position("é;\nSELEC 1", 4).unwrap().line, 2);
    }

    #[test]
    fn a_position_inside_a_statement_sent_alone_maps_to_the_file() {
        let sql = "-- c\nSELECT 1;\nCREATE INDEX CONCURRENTLY i\n  ON nope (x);";
        let statements = sql_text::parse(sql).statements;
        let p = in_statement(sql, &statements[1], Some(34));
        assert_eq!((p.line, p.statement_line), (4, 3));
        assert_eq!(p.statement, "CREATE INDEX CONCURRENTLY i");
        assert_eq!(in_statement(sql, &statements[1], None).line, 3);
    }
}
