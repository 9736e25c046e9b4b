//! Two hazards of the migrator's context that squawk-linter 2.68 does not
//! report, checked on Squawk's syntax tree and silenced by Squawk's ignore
//! comments (`-- squawk-ignore RULE`, `-- squawk-ignore-file`):
//!
//! - `ALTER TYPE ... ADD VALUE` inside a transaction block, which
//!   PostgreSQL before 12 refuses ("cannot run inside a transaction
//!   block"): the migration passes on a new laptop and fails on deploy.
//!   Squawk has no rule for it; ours is `add-enum-value-in-transaction`.
//! - `CONCURRENTLY` in a migration that runs in a transaction. Squawk's
//!   `ban-concurrent-index-creation-in-transaction` stays silent when the
//!   file is that one statement (other tools run such files outside a
//!   transaction); the migrator runs every migration in one unless
//!   `run_in_transaction = false`, so the finding is reported under Squawk's
//!   name. `DROP INDEX`, `REINDEX` and `DETACH PARTITION ... CONCURRENTLY`
//!   fail the same way: `concurrently-in-transaction`.

use super::config::PgVersion;
use super::own_rules::{CONCURRENTLY_RULE, RULE_NAME};
use super::to_range;
use squawk_linter::ignore::{ignore_rule_info, IgnoreKind};
use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{Parse, SourceFile, SyntaxKind};
use std::ops::Range;

/// Squawk's rule, reported for a one-statement file too.
const SQUAWK_CIC_RULE: &str = "ban-concurrent-index-creation-in-transaction";

/// A finding of ours: (rule, range, message, help).
pub type ContextFinding = (&'static str, Range<usize>, String, String);

/// Runs both checks; `enabled` says whether a rule runs.
pub fn check(
    parse: &Parse<SourceFile>,
    assume_in_transaction: bool,
    pg: PgVersion,
    enabled: impl Fn(&str) -> bool,
) -> Vec<ContextFinding> {
    let file = parse.tree();
    let stmts: Vec<ast::Stmt> = file.stmts().collect();
    let mut in_transaction = assume_in_transaction;
    let mut found = Vec::new();
    for stmt in &stmts {
        match stmt {
            ast::Stmt::Begin(_) => in_transaction = true,
            ast::Stmt::Commit(_) | ast::Stmt::Rollback(_) => in_transaction = false,
            _ if in_transaction => found.extend(in_transaction_hazard(stmt, stmts.len(), pg)),
            _ => {}
        }
    }
    found.retain(|(rule, ..)| enabled(rule));
    if found.is_empty() {
        return found;
    }
    let text = parse.syntax_node().to_string();
    found.retain(|(rule, range, ..)| !ignored(parse, &text, rule, range.start));
    found
}

fn in_transaction_hazard(
    stmt: &ast::Stmt,
    stmt_count: usize,
    pg: PgVersion,
) -> Option<ContextFinding> {
    if let ast::Stmt::AlterType(alter) = stmt {
        if let Some(ast::AlterTypeAction::AddValue(add)) = alter.action() {
            if pg.major >= 12 {
                return None;
            }
            return Some((
                RULE_NAME,
                to_range!(add.syntax().text_range()),
                format!(
                    "`ALTER TYPE ... ADD VALUE` cannot run inside a transaction block on \
                     PostgreSQL {pg} (before 12): the migration fails"
                ),
                "put it in its own migration with `run_in_transaction = false` (`create NAME \
                 --no-transaction`), or lint for the PostgreSQL version you deploy to"
                    .to_string(),
            ));
        }
    }
    let concurrently = stmt
        .syntax()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .find(|t| t.kind() == SyntaxKind::CONCURRENTLY_KW)?;
    let range = to_range!(concurrently.text_range());
    let help = "make it a migration of its own with `run_in_transaction = false` in its \
                metadata.toml (`create NAME --no-transaction`)"
        .to_string();
    match stmt {
        // Squawk reports these itself in a file of several statements.
        ast::Stmt::CreateIndex(_) if stmt_count > 1 => None,
        ast::Stmt::CreateIndex(_) => Some((
            SQUAWK_CIC_RULE,
            range,
            "`CREATE INDEX CONCURRENTLY` cannot run inside a transaction block, and this \
             migration runs in one"
                .to_string(),
            help,
        )),
        _ => Some((
            CONCURRENTLY_RULE,
            range,
            "`CONCURRENTLY` cannot run inside a transaction block, and this migration runs in one"
                .to_string(),
            help,
        )),
    }
}

/// True when a `squawk-ignore` comment for `rule` (or for every rule) is on
/// the finding's line or the line before, or a `squawk-ignore-file` names it.
fn ignored(parse: &Parse<SourceFile>, text: &str, rule: &str, offset: usize) -> bool {
    let line = line_of(text, offset);
    parse
        .syntax_node()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::COMMENT)
        .filter_map(|t| {
            ignore_rule_info(&t).map(|(names, range, kind)| {
                let names_it =
                    names.trim().is_empty() || names.split(',').any(|n| n.trim() == rule);
                (names_it, line_of(text, usize::from(range.start())), kind)
            })
        })
        .any(|(names_it, at, kind)| {
            names_it && (matches!(kind, IgnoreKind::File) || at == line || at + 1 == line)
        })
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
}
