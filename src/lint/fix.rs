//! `lint --fix`: writes Squawk's suggested fixes of error-level findings
//! into a pending migration.
//!
//! A `CONCURRENTLY` fix cannot run inside a transaction block, so in a
//! transactional migration it is applied only when the migration is that one
//! statement, and then `metadata.toml` gets `run_in_transaction = false`
//! too; otherwise it is left out, with the reason (a non-transactional
//! migration must stay one statement: it has no all-or-nothing guarantee).

use super::FileReport;
use crate::error::{Error, Result};
use squawk_syntax::SourceFile;
use std::path::Path;

/// Rules whose fix adds `CONCURRENTLY`.
const NEEDS_NO_TRANSACTION: &[&str] = &[
    "require-concurrent-index-creation",
    "require-concurrent-index-deletion",
    "require-concurrent-reindex",
    "require-concurrent-partition-detach",
];

/// What `--fix` will do to one migration.
#[derive(Debug, Clone)]
pub struct FixPlan {
    /// The migration directory name.
    pub migration: String,
    /// The file as shown.
    pub file: String,
    /// The fixed text of `up.sql`.
    pub new_sql: String,
    /// `line:column rule: fix title` for each fix applied.
    pub applied: Vec<String>,
    /// Fixes left out, with the reason.
    pub skipped: Vec<String>,
    /// True when `metadata.toml` must say `run_in_transaction = false`.
    pub make_non_transactional: bool,
}

/// The fixes for one linted file; `None` when no finding carries a fix.
pub fn plan(file: &FileReport) -> Option<FixPlan> {
    // Warnings' fixes change a column's type (int to bigint, varchar(n) to
    // text) or insert a placeholder (`BEFORE 'existing_value'`): shown, not
    // written.
    let fixable: Vec<_> = file
        .findings
        .iter()
        .filter(|f| f.edits.is_some() && f.level == super::Level::Error)
        .collect();
    if fixable.is_empty() {
        return None;
    }
    let one_statement = SourceFile::parse(&file.sql).tree().stmts().count() == 1;
    let mut plan = FixPlan {
        migration: file.migration.clone(),
        file: file.file.clone(),
        new_sql: String::new(),
        applied: Vec::new(),
        skipped: Vec::new(),
        make_non_transactional: false,
    };
    let mut edits = Vec::new();
    for finding in fixable {
        let fix = finding.edits.as_ref().expect("filtered");
        let what = format!(
            "{}:{} {}: {}",
            finding.line, finding.column, finding.rule, fix.title
        );
        if file.in_transaction && NEEDS_NO_TRANSACTION.contains(&finding.rule.as_str()) {
            if !one_statement {
                plan.skipped.push(format!(
                    "{what} (not applied: CONCURRENTLY cannot run in a transaction; move the \
                     statement into its own migration made with `create NAME --no-transaction`)"
                ));
                continue;
            }
            plan.make_non_transactional = true;
        }
        edits.extend(fix.edits.iter().map(|e| {
            (
                super::to_range!(e.text_range),
                e.text.as_deref().unwrap_or_default().to_string(),
            )
        }));
        plan.applied.push(what);
    }
    plan.new_sql = apply(&file.sql, edits);
    Some(plan)
}

/// Applies non-overlapping edits (the first of overlapping ones wins).
fn apply(text: &str, mut edits: Vec<(std::ops::Range<usize>, String)>) -> String {
    edits.sort_by_key(|(r, _)| (r.start, r.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for (range, replacement) in edits {
        if range.start < at || range.end > text.len() {
            continue;
        }
        out.push_str(&text[at..range.start]);
        out.push_str(&replacement);
        at = range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// Writes the plan into the migration directory `dir`.
pub fn write(dir: &Path, plan: &FixPlan) -> Result<()> {
    let up = dir.join("up.sql");
    std::fs::write(&up, &plan.new_sql).map_err(|e| Error::io(up.display(), e))?;
    if plan.make_non_transactional {
        let meta = dir.join("metadata.toml");
        let old = std::fs::read_to_string(&meta).unwrap_or_default();
        let mut lines: Vec<&str> = old
            .lines()
            .filter(|l| !l.trim_start().starts_with("run_in_transaction"))
            .collect();
        lines.push("run_in_transaction = false");
        std::fs::write(&meta, lines.join("\n") + "\n").map_err(|e| Error::io(meta.display(), e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::apply;

    #[test]
    fn edits_apply_back_to_front_and_overlaps_are_dropped() {
        let text = "create index i on t (a);";
        let edits = vec![
            (12..12, " concurrently".to_string()),
            (0..6, "CREATE".to_string()),
            (3..8, "x".to_string()),
        ];
        assert_eq!(apply(text, edits), "CREATE index concurrently i on t (a);");
    }
}
