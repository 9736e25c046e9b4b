//! The order generated statements run in. Every statement belongs to a
//! [`Phase`]; phases run in declaration order, so that what an object needs
//! exists before it (types, sequences and functions before the tables that
//! use them; tables before the foreign keys that reference them) and what
//! depends on an object goes before it is dropped (triggers, foreign keys,
//! indexes, then columns and tables, then functions, sequences and types).
//! Within a phase, tables are ordered by their foreign keys: created
//! referenced-first, dropped referencing-first.

use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// When a statement runs; see the module documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Triggers that go or change.
    DropTrigger,
    /// Views that go or change (they hold on to columns and tables).
    DropView,
    /// Foreign keys that go or change, before the keys they reference.
    DropForeignKey,
    /// Other constraints that go or change.
    DropConstraint,
    /// Indexes that go or change.
    DropIndex,
    /// New schemas.
    CreateSchema,
    /// New extensions, and version updates.
    CreateExtension,
    /// New enum types and added labels.
    CreateType,
    /// New sequences (their owner is set once the table exists).
    CreateSequence,
    /// New and changed functions and procedures.
    CreateFunction,
    /// New tables, referenced tables first.
    CreateTable,
    /// Columns dropped from tables that stay.
    DropColumn,
    /// Columns added to or changed in tables that stay.
    AlterColumn,
    /// Tables that go, referencing tables first.
    DropTable,
    /// Primary key, unique, check and exclusion constraints added.
    AddConstraint,
    /// Foreign keys added.
    AddForeignKey,
    /// Indexes added.
    CreateIndex,
    /// Sequence changes and owners.
    AlterSequence,
    /// New and changed views.
    CreateView,
    /// New and changed triggers.
    CreateTrigger,
    /// Functions and procedures that go.
    DropFunction,
    /// Sequences that go.
    DropSequence,
    /// Enum types that go (and the old copy of a recreated one).
    DropType,
    /// Extensions that go.
    DropExtension,
    /// Schemas that go.
    DropSchema,
}

/// One generated statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    /// When it runs.
    pub phase: Phase,
    /// The SQL, without the final semicolon.
    pub sql: String,
    /// `-- WARNING:` text: the data this statement can lose, or why it can fail.
    pub warning: Option<String>,
    /// Other comment lines put above it (`-- NOTE:`, `-- TODO:`).
    pub notes: Vec<String>,
    /// For tables created or dropped in one phase: the table, so that the
    /// phase can be ordered by foreign keys.
    pub table: Option<String>,
}

impl Statement {
    /// A plain statement.
    pub fn new(phase: Phase, sql: impl Into<String>) -> Self {
        Statement {
            phase,
            sql: sql.into(),
            warning: None,
            notes: Vec::new(),
            table: None,
        }
    }

    /// With a `-- WARNING:` comment.
    pub fn warn(mut self, warning: impl Into<String>) -> Self {
        self.warning = Some(warning.into());
        self
    }

    /// With a `-- NOTE:` (or other) comment line.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Tagged with the table it creates or drops.
    pub fn for_table(mut self, table: &str) -> Self {
        self.table = Some(table.to_string());
        self
    }
}

/// Tables in an order where every table comes after the tables it
/// references (`deps[t]`), among `tables` only; ties and cycles are broken
/// by name, so the result is deterministic. A cycle cannot be ordered; the
/// caller adds such foreign keys separately after all the tables.
pub fn referenced_first(
    tables: &BTreeSet<String>,
    deps: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let mut done: Vec<String> = Vec::new();
    let mut visiting = BTreeSet::new();
    fn visit(
        t: &str,
        tables: &BTreeSet<String>,
        deps: &BTreeMap<String, BTreeSet<String>>,
        visiting: &mut BTreeSet<String>,
        done: &mut Vec<String>,
    ) {
        if done.iter().any(|d| d == t) || !visiting.insert(t.to_string()) {
            return;
        }
        for d in deps.get(t).into_iter().flatten() {
            if tables.contains(d) && d != t {
                visit(d, tables, deps, visiting, done);
            }
        }
        done.push(t.to_string());
    }
    for t in tables {
        visit(t, tables, deps, &mut visiting, &mut done);
    }
    done
}

/// Sorts statements by phase (stable: the generator's order within a phase
/// is kept), then orders the tables of `CreateTable` referenced-first and
/// those of `DropTable` referencing-first.
pub fn arrange(
    mut statements: Vec<Statement>,
    deps: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<Statement> {
    statements.sort_by_key(|s| s.phase);
    for (phase, reverse) in [(Phase::CreateTable, false), (Phase::DropTable, true)] {
        let tables: BTreeSet<String> = statements
            .iter()
            .filter(|s| s.phase == phase)
            .filter_map(|s| s.table.clone())
            .collect();
        let mut order = referenced_first(&tables, deps);
        if reverse {
            order.reverse();
        }
        let rank = |s: &Statement| {
            s.table
                .as_ref()
                .and_then(|t| order.iter().position(|o| o == t))
                .unwrap_or(usize::MAX)
        };
        let start = statements.iter().position(|s| s.phase == phase);
        if let Some(start) = start {
            let end = statements[start..]
                .iter()
                .position(|s| s.phase != phase)
                .map_or(statements.len(), |e| start + e);
            statements[start..end].sort_by_key(rank);
        }
    }
    statements
}

/// The statements as a SQL file: a header, then each statement with its
/// comments, a blank line between phases.
pub fn render(header: &str, statements: &[Statement]) -> String {
    let mut out = String::new();
    for line in header.lines() {
        out.push_str(&format!("-- {line}\n"));
    }
    let mut last: Option<Phase> = None;
    for s in statements {
        let multi_line = s.sql.contains('\n');
        if last != Some(s.phase) || multi_line || s.warning.is_some() {
            out.push('\n');
        }
        last = Some(s.phase);
        if let Some(w) = &s.warning {
            out.push_str(&format!("-- WARNING: {w}\n"));
        }
        for n in &s.notes {
            for line in n.lines() {
                out.push_str(&format!("-- {line}\n"));
            }
        }
        out.push_str(s.sql.trim_end());
        out.push_str(";\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deps(pairs: &[(&str, &str)]) -> BTreeMap<String, BTreeSet<String>> {
        let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in pairs {
            map.entry(from.to_string())
                .or_default()
                .insert(to.to_string());
        }
        map
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn referenced_tables_come_first() {
        // a -> b -> c, and d alone.
        let order = referenced_first(
            &set(&["a", "b", "c", "d"]),
            &deps(&[("a", "b"), ("b", "c")]),
        );
        assert_eq!(order, ["c", "b", "a", "d"]);
        // A self-reference and a cycle terminate, deterministically.
        let order = referenced_first(
            &set(&["x", "y"]),
            &deps(&[("x", "y"), ("y", "x"), ("x", "x")]),
        );
        assert_eq!(order.len(), 2);
    }

    #[test]
    fn phases_order_types_tables_foreign_keys_and_reverse_drops() {
        let stmts = vec![
            Statement::new(Phase::AddForeignKey, "fk"),
            Statement::new(Phase::DropType, "drop type"),
            Statement::new(Phase::DropTable, "drop child").for_table("child"),
            Statement::new(Phase::CreateTable, "create child").for_table("child"),
            Statement::new(Phase::DropTable, "drop parent").for_table("parent"),
            Statement::new(Phase::CreateTable, "create parent").for_table("parent"),
            Statement::new(Phase::CreateType, "create type"),
            Statement::new(Phase::DropForeignKey, "drop fk"),
        ];
        let arranged = arrange(stmts, &deps(&[("child", "parent")]));
        let sqls: Vec<&str> = arranged.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(
            sqls,
            [
                "drop fk",
                "create type",
                "create parent",
                "create child",
                "drop child",
                "drop parent",
                "fk",
                "drop type",
            ]
        );
    }

    #[test]
    fn renders_warnings_above_their_statement() {
        let text = render(
            "up",
            &[
                Statement::new(Phase::DropColumn, "ALTER TABLE t DROP COLUMN c")
                    .warn("drops column t.c and its data"),
            ],
        );
        assert_eq!(
            text,
            "-- up\n\n-- WARNING: drops column t.c and its data\nALTER TABLE t DROP COLUMN c;\n"
        );
    }
}
