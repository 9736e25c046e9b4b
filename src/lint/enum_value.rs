//! The one hazard of issue 16 that Squawk has no rule for:
//! `ALTER TYPE ... ADD VALUE` inside a transaction block, which PostgreSQL
//! before 12 refuses outright ("cannot run inside a transaction block"), so
//! the migration fails on deploy although it passed on a newer laptop.
//!
//! It walks Squawk's syntax tree and honours Squawk's ignore comments
//! (`-- squawk-ignore add-enum-value-in-transaction`, `-- squawk-ignore-file`).

use super::config::PgVersion;
use super::to_range;
use squawk_linter::ignore::{ignore_rule_info, IgnoreKind};
use squawk_syntax::ast::{self, AstNode};
use squawk_syntax::{Parse, SourceFile, SyntaxKind};
use std::ops::Range;

/// The rule's name, as used in `.squawk.toml` and ignore comments.
pub const RULE_NAME: &str = "add-enum-value-in-transaction";

/// Finds `ALTER TYPE ... ADD VALUE` run inside a transaction when the server
/// is older than 12: (range, message, help) for each.
pub fn check(
    parse: &Parse<SourceFile>,
    assume_in_transaction: bool,
    pg: PgVersion,
) -> Vec<(Range<usize>, String, String)> {
    if pg.major >= 12 {
        return Vec::new();
    }
    let file = parse.tree();
    let mut in_transaction = assume_in_transaction;
    let mut found = Vec::new();
    for stmt in file.stmts() {
        match &stmt {
            ast::Stmt::Begin(_) => in_transaction = true,
            ast::Stmt::Commit(_) | ast::Stmt::Rollback(_) => in_transaction = false,
            ast::Stmt::AlterType(alter) if in_transaction => {
                if let Some(ast::AlterTypeAction::AddValue(add)) = alter.action() {
                    found.push((
                        to_range!(add.syntax().text_range()),
                        format!(
                            "`alter type ... add value` cannot run inside a transaction block \
                             on PostgreSQL {pg} (before 12): the migration fails"
                        ),
                        "put it in its own migration with `run_in_transaction = false` \
                         (`create NAME --no-transaction`), or target PostgreSQL 12+"
                            .to_string(),
                    ));
                }
            }
            _ => {}
        }
    }
    if found.is_empty() {
        return found;
    }
    let text = parse.syntax_node().to_string();
    let ignored = ignored_lines(parse, &text);
    match ignored {
        Ignored::File => Vec::new(),
        Ignored::Lines(lines) => found
            .into_iter()
            .filter(|(range, _, _)| {
                let line = line_of(&text, range.start);
                !lines.iter().any(|l| *l == line || *l + 1 == line)
            })
            .collect(),
    }
}

enum Ignored {
    File,
    Lines(Vec<usize>),
}

/// The lines holding a `squawk-ignore` comment for this rule (or for all
/// rules), or the whole file for a matching `squawk-ignore-file`.
fn ignored_lines(parse: &Parse<SourceFile>, text: &str) -> Ignored {
    let mut lines = Vec::new();
    for token in parse
        .syntax_node()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::COMMENT)
    {
        let Some((names, range, kind)) = ignore_rule_info(&token) else {
            continue;
        };
        let applies = names.trim().is_empty() || names.split(',').any(|n| n.trim() == RULE_NAME);
        if !applies {
            continue;
        }
        match kind {
            IgnoreKind::File => return Ignored::File,
            IgnoreKind::Line => lines.push(line_of(text, usize::from(range.start()))),
        }
    }
    Ignored::Lines(lines)
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
}
