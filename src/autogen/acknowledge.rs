//! The generated `up.sql` linted with the project's lint configuration
//! before it is written. Every error-level finding is a change the
//! developer asked for (a drop, a type change, a new NOT NULL, a foreign
//! key): the file acknowledges it with Squawk's own `-- squawk-ignore RULE`
//! comment on the line before, which the `upgrade` gate honours, and the
//! command lists it so that it is reviewed rather than silently let through.

use super::migration::Migration;
use crate::lint::{self, Level, LintConfig};
use crate::migrations::source::MigrationScript;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// An error-level lint finding acknowledged in a generated migration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Acknowledged {
    /// The migration name.
    pub migration: String,
    /// Squawk's rule name, e.g. `ban-drop-column`.
    pub rule: String,
    /// 1-based line of the statement in the written `up.sql`.
    pub line: usize,
    /// The statement's line, as written.
    pub statement: String,
    /// Squawk's message.
    pub message: String,
}

/// Lints each migration's `up.sql` with `config`; every error-level finding
/// gets a `-- squawk-ignore` comment on the line before it. Returns what was
/// acknowledged, and the findings still at error level after that (none
/// unless a rule ignores Squawk's comments), as `rule: message` lines.
pub fn acknowledge(
    migrations: &mut [Migration],
    config: &LintConfig,
) -> (Vec<Acknowledged>, Vec<String>) {
    let mut acknowledged = Vec::new();
    let mut remaining = Vec::new();
    for m in migrations.iter_mut() {
        let by_line = errors_by_line(m, config);
        if by_line.is_empty() {
            continue;
        }
        let mut lines: Vec<String> = m.up.lines().map(str::to_string).collect();
        for (line, rules) in by_line.iter().rev() {
            let at = line - 1;
            let indent: String = lines[at]
                .chars()
                .take_while(|c| c.is_whitespace())
                .collect();
            let names: Vec<&str> = rules.keys().map(String::as_str).collect();
            lines.insert(at, format!("{indent}-- squawk-ignore {}", names.join(", ")));
        }
        let mut shift = 0;
        for (line, rules) in &by_line {
            shift += 1;
            for (rule, message) in rules {
                acknowledged.push(Acknowledged {
                    migration: m.name.clone(),
                    rule: rule.clone(),
                    line: line + shift,
                    statement: lines[line + shift - 1].trim().to_string(),
                    message: message.clone(),
                });
            }
        }
        m.up = lines.join("\n") + "\n";
        let after = errors_by_line(m, config);
        remaining.extend(after.values().flat_map(|rules| {
            rules
                .iter()
                .map(|(r, msg)| format!("{}: {r}: {msg}", m.name))
        }));
    }
    (acknowledged, remaining)
}

/// Error-level findings of `up.sql`: line -> rule -> message.
fn errors_by_line(m: &Migration, config: &LintConfig) -> BTreeMap<usize, BTreeMap<String, String>> {
    let script = MigrationScript {
        version: String::new(),
        dir_name: m.name.clone(),
        up_sql: m.up.clone(),
        down_sql: None,
        run_in_transaction: m.run_in_transaction,
        up_sha256: String::new(),
        down_sha256: None,
    };
    let report = lint::lint_migrations([&script], "migrations", config);
    let mut out: BTreeMap<usize, BTreeMap<String, String>> = BTreeMap::new();
    for f in report.findings().filter(|f| f.level == Level::Error) {
        out.entry(f.line)
            .or_default()
            .insert(f.rule.clone(), f.message.clone());
    }
    out
}

/// The rules acknowledged, for a summary line.
pub fn rules(acknowledged: &[Acknowledged]) -> BTreeSet<&str> {
    acknowledged.iter().map(|a| a.rule.as_str()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_findings_get_an_ignore_comment_the_linter_honours() {
        let mut ms = vec![Migration {
            name: "m".into(),
            up: "-- m\n\n-- WARNING: drops column t.c and its data\nALTER TABLE t DROP COLUMN c;\n\
                 ALTER TABLE t ALTER COLUMN d TYPE bigint;\n"
                .into(),
            down: String::new(),
            run_in_transaction: true,
        }];
        let config = LintConfig::default();
        let (ack, remaining) = acknowledge(&mut ms, &config);
        assert!(remaining.is_empty(), "{remaining:?}");
        assert_eq!(
            rules(&ack),
            BTreeSet::from(["ban-drop-column", "changing-column-type"])
        );
        assert!(
            ms[0].up.contains(
                "-- WARNING: drops column t.c and its data\n-- squawk-ignore ban-drop-column\n\
                 ALTER TABLE t DROP COLUMN c;\n-- squawk-ignore changing-column-type\n"
            ),
            "{}",
            ms[0].up
        );
        let drop = ack.iter().find(|a| a.rule == "ban-drop-column").unwrap();
        assert_eq!(drop.line, 5);
        assert_eq!(drop.statement, "ALTER TABLE t DROP COLUMN c;");
        assert!(errors_by_line(&ms[0], &config).is_empty());
    }
}
