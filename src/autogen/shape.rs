//! A snapshot regrouped the way SQL is written: tables with their columns,
//! constraints, indexes and triggers; everything else by kind. The catalog
//! names table-bound objects `table.column` and `table name`; this finds the
//! table part by the table names the snapshot knows, so quoted names with
//! dots or spaces are not cut in the wrong place.

use super::names;
use crate::proof::catalog::{Fact, Kind, Snapshot};
use std::collections::BTreeMap;

/// One table and what hangs off it.
#[derive(Debug, Default)]
pub struct Table<'a> {
    /// The table's own fact (`columns`, `persistence`, ...).
    pub fact: Option<&'a Fact>,
    /// Columns in table order: (quoted column name, fact).
    pub columns: Vec<(String, &'a Fact)>,
    /// Constraints by (quoted) name.
    pub constraints: BTreeMap<String, &'a Fact>,
    /// Indexes that back no constraint, by (quoted) name.
    pub indexes: BTreeMap<String, &'a Fact>,
    /// Triggers by (quoted) name.
    pub triggers: BTreeMap<String, &'a Fact>,
}

impl<'a> Table<'a> {
    /// The column fact of `name`, if the table has it.
    pub fn column(&self, name: &str) -> Option<&'a Fact> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| *f)
    }
}

/// A snapshot as tables and other objects.
#[derive(Debug, Default)]
pub struct Shape<'a> {
    /// Tables by qualified name as printed.
    pub tables: BTreeMap<String, Table<'a>>,
    /// Every other fact by (kind, name), including constraints that belong
    /// to no table (domain constraints) and objects of unknown tables.
    pub others: BTreeMap<(Kind, String), &'a Fact>,
}

impl<'a> Shape<'a> {
    /// Groups `snapshot`.
    pub fn of(snapshot: &'a Snapshot) -> Self {
        let mut shape = Shape::default();
        for fact in snapshot.facts().iter().filter(|f| f.kind == Kind::Table) {
            let mut table = Table {
                fact: Some(fact),
                ..Table::default()
            };
            for col in names::paren_list(fact.get("columns").unwrap_or("()")) {
                let name = format!("{}.{col}", fact.name);
                if let Some(c) = snapshot.get(Kind::Column, &name) {
                    table.columns.push((col, c));
                }
            }
            shape.tables.insert(fact.name.clone(), table);
        }
        for fact in snapshot.facts() {
            match fact.kind {
                Kind::Table | Kind::Column => {}
                Kind::Constraint | Kind::Index | Kind::Trigger => match shape.owner(&fact.name) {
                    Some((table, rest)) => {
                        let t = shape.tables.get_mut(&table).expect("owner exists");
                        let map = match fact.kind {
                            Kind::Constraint => &mut t.constraints,
                            Kind::Index => &mut t.indexes,
                            _ => &mut t.triggers,
                        };
                        map.insert(rest, fact);
                    }
                    None => {
                        shape.others.insert((fact.kind, fact.name.clone()), fact);
                    }
                },
                kind => {
                    shape.others.insert((kind, fact.name.clone()), fact);
                }
            }
        }
        shape
    }

    /// The table a `table name` identity belongs to, and the name part;
    /// the longest matching table name wins.
    fn owner(&self, identity: &str) -> Option<(String, String)> {
        self.tables
            .keys()
            .filter(|t| identity.len() > t.len() + 1 && identity.starts_with(&format!("{t} ")))
            .max_by_key(|t| t.len())
            .map(|t| (t.clone(), identity[t.len() + 1..].to_string()))
    }

    /// Facts of one kind among the others, by name.
    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = (&String, &&'a Fact)> {
        self.others
            .iter()
            .filter(move |((k, _), _)| *k == kind)
            .map(|((_, n), f)| (n, f))
    }
}

/// The table a foreign-key definition references (`FOREIGN KEY (a)
/// REFERENCES users(id) ...` gives `users`), as printed.
pub fn referenced_table(definition: &str) -> Option<String> {
    let at = definition.find("REFERENCES ")? + "REFERENCES ".len();
    let rest = &definition[at..];
    let mut end = 0;
    let mut in_quotes = false;
    for (i, c) in rest.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            '(' | ' ' if !in_quotes => break,
            _ => {}
        }
        end = i + c.len_utf8();
    }
    Some(rest[..end].to_string())
}

/// True for a foreign-key constraint definition.
pub fn is_foreign_key(definition: &str) -> bool {
    definition.starts_with("FOREIGN KEY")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_the_longest_table_name() {
        let s = Snapshot::from_facts(vec![
            Fact::new(Kind::Table, "a", &[("columns", "(id)")]),
            Fact::new(Kind::Table, "\"a b\"", &[("columns", "(id)")]),
            Fact::new(Kind::Column, "a.id", &[("type", "integer")]),
            Fact::new(Kind::Column, "\"a b\".id", &[("type", "text")]),
            Fact::new(
                Kind::Index,
                "\"a b\" ix",
                &[("definition", "USING btree (id)")],
            ),
            Fact::new(
                Kind::Constraint,
                "a a_pkey",
                &[("definition", "PRIMARY KEY (id)")],
            ),
            Fact::new(Kind::Enum, "e", &[("labels", "('x')")]),
        ]);
        let shape = Shape::of(&s);
        assert_eq!(shape.tables["\"a b\""].indexes.len(), 1);
        assert_eq!(shape.tables["a"].constraints.len(), 1);
        assert_eq!(
            shape.tables["\"a b\""].column("id").unwrap().get("type"),
            Some("text")
        );
        assert_eq!(shape.of_kind(Kind::Enum).count(), 1);
    }

    #[test]
    fn reads_the_referenced_table() {
        assert_eq!(
            referenced_table("FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE"),
            Some("users".into())
        );
        assert_eq!(
            referenced_table("FOREIGN KEY (x) REFERENCES \"a (b)\"(id)"),
            Some("\"a (b)\"".into())
        );
        assert_eq!(
            referenced_table("FOREIGN KEY (x) REFERENCES audit.log(id)"),
            Some("audit.log".into())
        );
    }
}
