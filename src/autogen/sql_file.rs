//! The desired-schema SQL file: split into statements (with squawk's
//! lexer, so semicolons inside strings, dollar-quoted bodies and comments do
//! not split), applied one by one to a scratch database, and read for the
//! indexes it asks to be built `CONCURRENTLY`.

use super::names::quote;
use crate::error::{Error, Result};
use diesel::connection::SimpleConnection;
use diesel::PgConnection;
use squawk_lexer::{tokenize, TokenKind};

/// One statement of a file and the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq)]
pub struct SqlStatement {
    /// The statement's text, without the semicolon.
    pub text: String,
    /// The line of its first token.
    pub line: usize,
}

/// The statements of `sql`, comments and blank space between them left out.
pub fn statements(sql: &str) -> Vec<SqlStatement> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut offset = 0usize;
    for token in tokenize(sql) {
        let len = token.len as usize;
        match token.kind {
            TokenKind::Semi => {
                if let Some(s) = start.take() {
                    out.push(statement(sql, s, offset));
                }
            }
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment { .. } => {}
            _ => {
                start.get_or_insert(offset);
            }
        }
        offset += len;
    }
    if let Some(s) = start {
        out.push(statement(sql, s, sql.len()));
    }
    out
}

fn statement(sql: &str, start: usize, end: usize) -> SqlStatement {
    SqlStatement {
        text: sql[start..end].trim().to_string(),
        line: sql[..start].matches('\n').count() + 1,
    }
}

/// The names (quoted as the catalog prints them) of the indexes that
/// `CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name` statements create.
pub fn concurrent_indexes(statements: &[SqlStatement]) -> Vec<String> {
    let mut names = Vec::new();
    for s in statements {
        let words: Vec<&str> = s.text.split_whitespace().collect();
        let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
        let Some(at) = upper.iter().position(|w| w == "CONCURRENTLY") else {
            continue;
        };
        if upper.first().map(String::as_str) != Some("CREATE")
            || !upper[..at].contains(&"INDEX".to_string())
        {
            continue;
        }
        let mut i = at + 1;
        if upper.get(i).map(String::as_str) == Some("IF") {
            i += 3;
        }
        if let Some(name) = words.get(i).filter(|w| !w.eq_ignore_ascii_case("ON")) {
            let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
                Some(quoted) => quote(&quoted.replace("\"\"", "\"")),
                None => quote(&name.to_lowercase()),
            };
            names.push(name);
        }
    }
    names
}

/// Runs the statements one by one on `conn` (so that `CONCURRENTLY` works);
/// the first failure is reported with the file and line (exit 2: the file
/// is the user's input).
pub fn apply(conn: &mut PgConnection, file: &str, statements: &[SqlStatement]) -> Result<()> {
    for s in statements {
        conn.batch_execute(&s.text).map_err(|e| {
            Error::Usage(format!(
                "the desired schema {file} fails at line {}: {}\n  fix: make the file run \
                 on an empty database (`psql -v ON_ERROR_STOP=1 -f {file}`)",
                s.line,
                crate::database::pg_error::describe(&e)
            ))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_top_level_semicolons_only() {
        let sql = "-- header; with a semicolon\nCREATE TABLE a (x text DEFAULT 'a;b');\n\n\
                   CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;\n\
                   /* c; */ CREATE INDEX CONCURRENTLY IF NOT EXISTS Ix_A ON a (x)";
        let s = statements(sql);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].text, "CREATE TABLE a (x text DEFAULT 'a;b')");
        assert_eq!(s[0].line, 2);
        assert!(s[1].text.ends_with("LANGUAGE sql"));
        assert_eq!(s[2].line, 5);
        assert_eq!(concurrent_indexes(&s), ["ix_a"]);
    }
}
