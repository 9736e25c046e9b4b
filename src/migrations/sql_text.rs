//! A migration file as PostgreSQL and psql read it: tokens (from
//! `squawk-lexer`, a PostgreSQL tokenizer), statements split the way psql
//! splits them, and what each statement is (transaction control, a
//! psql-only command, or ordinary SQL).
//!
//! Strings (`'..'`, `E'..'` with backslash escapes, `$$..$$`, `$tag$..$tag$`),
//! quoted identifiers and comments (`--`, nested `/* */`) are single tokens,
//! so nothing inside them is ever taken for a keyword or a `;`. As in psql,
//! a `;` ends a statement only outside parentheses (`CREATE RULE .. DO
//! (a; b)`) and outside the `BEGIN ATOMIC .. END` body of a SQL-standard
//! `CREATE [OR REPLACE] FUNCTION|PROCEDURE`.

use squawk_lexer::{tokenize, LiteralKind, TokenKind};

/// One statement of a migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement<'a> {
    /// From the statement's first token to its last, comments between them
    /// kept, without the terminating `;`.
    pub text: &'a str,
    /// Byte offset of `text` in the file.
    pub offset: usize,
    /// 1-based line of the statement's first token.
    pub line: usize,
    /// What the statement is.
    pub kind: Kind,
}

impl Statement<'_> {
    /// The statement's first line of text, for messages.
    pub fn first_line(&self) -> &str {
        self.text.lines().next().unwrap_or_default().trim_end()
    }
}

/// What a statement does to the session's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// `BEGIN`, `START TRANSACTION`.
    Opens,
    /// `COMMIT`, `END`, `ROLLBACK`, `ABORT`, `PREPARE TRANSACTION`.
    Closes,
    /// `COMMIT AND CHAIN` and friends: ends one, opens the next.
    Chains,
    /// `COMMIT PREPARED`, `ROLLBACK PREPARED`: acts on a prepared
    /// transaction, outside any transaction block.
    Prepared,
}

/// The kind of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Ordinary SQL (savepoints included).
    Sql,
    /// A transaction-control statement, with its keywords (`COMMIT AND
    /// CHAIN`) and its effect.
    TransactionControl {
        /// The statement's leading keywords, upper-cased.
        name: String,
        /// What it does to the transaction.
        effect: Effect,
    },
    /// Something only psql can run (`COPY .. FROM STDIN`, `\copy`, `\i`):
    /// a description and the line it is on.
    PsqlOnly {
        /// What it is, for messages.
        what: String,
        /// 1-based line of the offending token.
        line: usize,
    },
}

/// A file split into statements, and the first unterminated string,
/// identifier or comment (which swallows the rest of the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<'a> {
    /// The statements, in order.
    pub statements: Vec<Statement<'a>>,
    /// Where an unterminated token starts (1-based line) and what it is.
    pub unterminated: Option<(usize, &'static str)>,
}

/// One token with its byte range and line.
#[derive(Debug, Clone, Copy)]
struct Tok<'a> {
    kind: TokenKind,
    text: &'a str,
    line: usize,
}

impl Tok<'_> {
    fn word(&self) -> Option<String> {
        (self.kind == TokenKind::Ident).then(|| self.text.to_ascii_lowercase())
    }

    fn is_trivia(&self) -> bool {
        matches!(
            self.kind,
            TokenKind::Whitespace | TokenKind::LineComment | TokenKind::BlockComment { .. }
        )
    }
}

/// Splits `sql` into statements and classifies each.
pub fn parse(sql: &str) -> Parsed<'_> {
    let mut statements = Vec::new();
    let mut unterminated = None;
    let mut splitter = Splitter::default();
    let mut current: Vec<Tok> = Vec::new();
    let (mut offset, mut line) = (0usize, 1usize);
    for token in tokenize(sql) {
        let end = offset + token.len as usize;
        let tok = Tok {
            kind: token.kind,
            text: &sql[offset..end],
            line,
        };
        if unterminated.is_none() {
            unterminated = unterminated_kind(tok.kind).map(|what| (line, what));
        }
        line += tok.text.bytes().filter(|&b| b == b'\n').count();
        offset = end;
        if tok.is_trivia() {
            continue;
        }
        if tok.kind == TokenKind::Semi && splitter.at_top() {
            statements.extend(finish(sql, &current));
            current.clear();
            splitter = Splitter::default();
            continue;
        }
        splitter.see(&tok);
        current.push(tok);
    }
    statements.extend(finish(sql, &current));
    Parsed {
        statements,
        unterminated,
    }
}

/// psql's rule for where a `;` ends a statement.
#[derive(Default)]
struct Splitter {
    paren_depth: usize,
    begin_depth: usize,
    words: Vec<String>,
}

impl Splitter {
    fn at_top(&self) -> bool {
        self.paren_depth == 0 && self.begin_depth == 0
    }

    fn see(&mut self, tok: &Tok) {
        match tok.kind {
            TokenKind::OpenParen => self.paren_depth += 1,
            TokenKind::CloseParen => self.paren_depth = self.paren_depth.saturating_sub(1),
            _ => {}
        }
        if tok.kind != TokenKind::Ident {
            return;
        }
        if self.words.len() < 4 {
            self.words.push(tok.text.to_ascii_lowercase());
        }
        // No allocation per token: most statements are not routines.
        let is = |keyword: &str| tok.text.eq_ignore_ascii_case(keyword);
        if self.paren_depth > 0 || !(is("begin") || is("case") || is("end")) {
            return;
        }
        if !self.is_routine() {
            return;
        }
        if is("begin") {
            self.begin_depth += 1;
        } else if is("case") {
            // CASE also ends with END; it matters only inside a body.
            if self.begin_depth > 0 {
                self.begin_depth += 1;
            }
        } else {
            self.begin_depth = self.begin_depth.saturating_sub(1);
        }
    }

    /// `CREATE [OR REPLACE] FUNCTION|PROCEDURE`, whose SQL-standard body
    /// (`BEGIN ATOMIC .. END`) holds `;`s.
    fn is_routine(&self) -> bool {
        let w: Vec<&str> = self.words.iter().map(String::as_str).collect();
        let routine = |s: Option<&&str>| matches!(s, Some(&"function") | Some(&"procedure"));
        w.first() == Some(&"create")
            && (routine(w.get(1))
                || (w.get(1) == Some(&"or") && w.get(2) == Some(&"replace") && routine(w.get(3))))
    }
}

fn unterminated_kind(kind: TokenKind) -> Option<&'static str> {
    match kind {
        TokenKind::BlockComment { terminated: false } => Some("/* comment"),
        TokenKind::QuotedIdent {
            terminated: false, ..
        } => Some("quoted identifier"),
        TokenKind::Literal { kind } => match kind {
            LiteralKind::DollarQuotedString { terminated: false } => Some("dollar-quoted string"),
            LiteralKind::Str { terminated: false }
            | LiteralKind::EscStr { terminated: false }
            | LiteralKind::NationalStr { terminated: false }
            | LiteralKind::ByteStr { terminated: false }
            | LiteralKind::BitStr { terminated: false }
            | LiteralKind::UnicodeEscStr { terminated: false } => Some("quoted string"),
            _ => None,
        },
        _ => None,
    }
}

fn finish<'a>(sql: &'a str, tokens: &[Tok<'a>]) -> Option<Statement<'a>> {
    let (first, last) = (tokens.first()?, tokens.last()?);
    let start = first.text.as_ptr() as usize - sql.as_ptr() as usize;
    let end = last.text.as_ptr() as usize - sql.as_ptr() as usize + last.text.len();
    Some(Statement {
        text: &sql[start..end],
        offset: start,
        line: first.line,
        kind: classify(tokens),
    })
}

/// What a statement is, from its significant tokens.
fn classify(tokens: &[Tok]) -> Kind {
    if let Some(i) = tokens.iter().position(|t| t.text.starts_with('\\')) {
        let name = tokens
            .get(i + 1)
            .filter(|t| t.kind == TokenKind::Ident)
            .map_or("", |t| t.text);
        return Kind::PsqlOnly {
            what: format!("the psql meta-command `\\{name}`"),
            line: tokens[i].line,
        };
    }
    let words: Vec<String> = tokens.iter().map_while(Tok::word).take(6).collect();
    let w = |i: usize| words.get(i).map(String::as_str).unwrap_or("");
    let chained = words.windows(2).any(|p| p[0] == "and" && p[1] == "chain");
    // The keywords that name the statement: `COMMIT AND NO CHAIN`, not
    // the isolation level or the prepared transaction's id.
    let named = 1 + words
        .get(1..)
        .unwrap_or_default()
        .iter()
        .take_while(|w| {
            matches!(
                w.as_str(),
                "work" | "transaction" | "and" | "no" | "chain" | "prepared"
            )
        })
        .count();
    let control = |effect| Kind::TransactionControl {
        name: words[..named.min(words.len())].join(" ").to_uppercase(),
        effect,
    };
    match w(0) {
        "begin" => control(Effect::Opens),
        "start" if w(1) == "transaction" => control(Effect::Opens),
        "rollback" if w(1) == "to" || (matches!(w(1), "work" | "transaction") && w(2) == "to") => {
            Kind::Sql
        }
        "commit" | "rollback" if w(1) == "prepared" => control(Effect::Prepared),
        "commit" | "rollback" | "end" | "abort" if chained => control(Effect::Chains),
        "commit" | "rollback" | "end" | "abort" => control(Effect::Closes),
        "prepare"
            if w(1) == "transaction"
                && tokens
                    .get(2)
                    .is_some_and(|t| matches!(t.kind, TokenKind::Literal { .. })) =>
        {
            control(Effect::Closes)
        }
        "copy" => copy_kind(tokens),
        _ => Kind::Sql,
    }
}

/// `COPY .. FROM STDIN` and `COPY .. TO STDOUT` need a client that feeds
/// or drains the data; a migration has none.
fn copy_kind(tokens: &[Tok]) -> Kind {
    let mut depth = 0usize;
    for t in tokens {
        match t.kind {
            TokenKind::OpenParen => depth += 1,
            TokenKind::CloseParen => depth = depth.saturating_sub(1),
            _ if depth == 0 => {
                if let Some(word) = t.word().filter(|w| w == "stdin" || w == "stdout") {
                    let direction = if word == "stdin" { "FROM" } else { "TO" };
                    return Kind::PsqlOnly {
                        what: format!("`COPY ... {direction} {}`", word.to_uppercase()),
                        line: t.line,
                    };
                }
            }
            _ => {}
        }
    }
    Kind::Sql
}

/// The 1-based line of byte `offset` in `sql`.
pub fn line_at(sql: &str, offset: usize) -> usize {
    1 + sql.as_bytes()[..offset.min(sql.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

#[cfg(test)]
#[path = "sql_text_tests.rs"]
mod tests;
