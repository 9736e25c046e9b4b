//! The models against a catalog snapshot: the desired snapshot they imply
//! (the migrations' schema with what `schema.rs` says changed), and the
//! differences between a schema as `diesel print-schema` would read it and
//! the models (the proof's comparison for this route, up to column order).

use super::models::{ModelSchema, ModelTable};
use super::models_types::{canonical, from_pg, to_pg};
use super::names::{literal, mentions, paren_list, quote, split_outside_quotes, unquote_parts};
use super::shape::{is_foreign_key, Shape};
use super::Unsupported;
use crate::proof::catalog::{Fact, Kind, Snapshot};
use std::collections::{BTreeMap, BTreeSet};

type Facts = BTreeMap<(Kind, String), Fact>;

fn fact(kind: Kind, name: &str, attrs: Vec<(&str, String)>) -> Fact {
    Fact {
        kind,
        name: name.to_string(),
        attributes: attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    }
}

/// Tables `schema.rs` speaks for: those in `public` (print-schema's default).
fn in_scope(table: &str) -> bool {
    split_outside_quotes(table, '.').len() == 1
}

/// A single-column foreign key: (column, referenced table, referenced columns).
fn foreign_key(def: &str) -> Option<(String, String, String)> {
    let rest = def.strip_prefix("FOREIGN KEY (")?;
    let (col, rest) = rest.split_once(") REFERENCES ")?;
    let (parent, rest) = rest.split_once('(')?;
    let (target, _) = rest.split_once(')')?;
    (!col.contains(',')).then(|| (col.to_string(), parent.to_string(), target.to_string()))
}

/// The foreign keys print-schema writes a `joinable!` for, as (child,
/// parent, column): single-column, to the parent's single-column primary
/// key, the only one between the two tables.
fn joinables(
    shape: &Shape,
    pk: &dyn Fn(&str) -> Vec<String>,
) -> BTreeSet<(String, String, String)> {
    let mut all = Vec::new();
    for (child, table) in shape.tables.iter().filter(|(t, _)| in_scope(t)) {
        for f in table.constraints.values() {
            let def = f.get("definition").unwrap_or_default();
            if let Some((col, parent, target)) = foreign_key(def) {
                all.push((child.clone(), parent, col, target));
            }
        }
    }
    let count = |c: &str, p: &str| all.iter().filter(|(a, b, _, _)| a == c && b == p).count();
    all.iter()
        .filter(|(c, p, _, t)| in_scope(p) && count(c, p) == 1 && pk(p) == [t.clone()])
        .map(|(c, p, col, _)| (c.clone(), p.clone(), col.clone()))
        .collect()
}

fn primary_key(table: &super::shape::Table) -> Vec<String> {
    table
        .constraints
        .values()
        .filter_map(|f| {
            f.get("definition")?
                .strip_prefix("PRIMARY KEY ")
                .map(paren_list)
        })
        .next()
        .unwrap_or_default()
}

impl ModelSchema {
    /// The schema the models ask for: `base` with the models' tables,
    /// columns, types, nullability, `joinable!` foreign keys and enum labels;
    /// and what they ask for that is not generated (a primary-key change, a
    /// type without a PostgreSQL mapping, an enum without labels).
    pub fn desired_snapshot(&self, base: &Snapshot) -> (Snapshot, Vec<Unsupported>) {
        let shape = Shape::of(base);
        let mut facts: Facts = base
            .facts()
            .iter()
            .map(|f| ((f.kind, f.name.clone()), f.clone()))
            .collect();
        let mut unsupported = Vec::new();
        self.enums(&mut facts, &mut unsupported);
        for t in shape
            .tables
            .keys()
            .filter(|t| in_scope(t) && self.speaks_for(t) && !self.tables.contains_key(*t))
        {
            drop_table(&mut facts, t);
        }
        for (name, table) in &self.tables {
            match shape.tables.get(name) {
                None => self.add_table(&mut facts, table, &mut unsupported),
                Some(existing) => {
                    let pk = primary_key(existing);
                    if pk != table.primary_key {
                        unsupported.push(Unsupported::new(
                            format!("primary key of {name}"),
                            format!("({}) -> ({}): schema.rs cannot say how to change it; write it by hand", pk.join(", "), table.primary_key.join(", ")),
                        ));
                    }
                    self.alter_table(&mut facts, existing, table, &mut unsupported);
                }
            }
        }
        self.foreign_keys(&mut facts, &shape);
        (
            Snapshot::from_facts(facts.into_values().collect()),
            unsupported,
        )
    }

    fn enums(&self, facts: &mut Facts, unsupported: &mut Vec<Unsupported>) {
        for pg in self.enum_types.values() {
            let key = (Kind::Enum, pg.clone());
            match self.enum_labels.get(pg) {
                Some(labels) => {
                    let text = format!(
                        "({})",
                        labels
                            .iter()
                            .map(|l| literal(l))
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                    facts.insert(key, fact(Kind::Enum, pg, vec![("labels", text)]));
                }
                None if !facts.contains_key(&key) => unsupported.push(Unsupported::new(
                    format!("enum {pg}"),
                    "schema.rs names this type, but no DbEnum enum in the models gives its labels",
                )),
                None => {}
            }
        }
    }

    fn add_table(&self, facts: &mut Facts, table: &ModelTable, unsupported: &mut Vec<Unsupported>) {
        let t = &table.name;
        let mut names = Vec::new();
        for c in &table.columns {
            let Some(ty) = to_pg(self, &c.sql_type, c.max_length) else {
                unsupported.push(Unsupported::new(
                    format!("column {t}.{}", c.name),
                    format!("no PostgreSQL type known for {}", c.sql_type),
                ));
                continue;
            };
            let null = if c.nullable { "null" } else { "not null" };
            let name = format!("{t}.{}", c.name);
            facts.insert(
                (Kind::Column, name.clone()),
                fact(
                    Kind::Column,
                    &name,
                    vec![("type", ty), ("nullability", null.into())],
                ),
            );
            names.push(c.name.clone());
        }
        facts.insert(
            (Kind::Table, t.clone()),
            fact(
                Kind::Table,
                t,
                vec![("columns", format!("({})", names.join(", ")))],
            ),
        );
        if !table.primary_key.is_empty() {
            let bare = unquote_parts(t).pop().unwrap_or_default();
            let name = format!("{t} {}", quote(&format!("{bare}_pkey")));
            let def = format!("PRIMARY KEY ({})", table.primary_key.join(", "));
            facts.insert(
                (Kind::Constraint, name.clone()),
                fact(Kind::Constraint, &name, vec![("definition", def)]),
            );
        }
    }

    fn alter_table(
        &self,
        facts: &mut Facts,
        existing: &super::shape::Table,
        table: &ModelTable,
        unsupported: &mut Vec<Unsupported>,
    ) {
        let t = &table.name;
        let mut order: Vec<String> = existing.columns.iter().map(|(c, _)| c.clone()).collect();
        for (col, _) in &existing.columns {
            if !table.columns.iter().any(|c| &c.name == col) {
                drop_column(facts, t, col);
                order.retain(|c| c != col);
            }
        }
        for c in &table.columns {
            let key = (Kind::Column, format!("{t}.{}", c.name));
            let null = if c.nullable { "null" } else { "not null" };
            let wanted = (Some(canonical(self, &c.sql_type)), c.max_length);
            let Some(column) = facts.get_mut(&key) else {
                let Some(ty) = to_pg(self, &c.sql_type, c.max_length) else {
                    unsupported.push(Unsupported::new(
                        format!("column {t}.{}", c.name),
                        format!("no PostgreSQL type known for {}", c.sql_type),
                    ));
                    continue;
                };
                facts.insert(
                    key.clone(),
                    fact(
                        Kind::Column,
                        &key.1,
                        vec![("type", ty), ("nullability", null.into())],
                    ),
                );
                order.push(c.name.clone());
                continue;
            };
            let current = from_pg(self, column.get("type").unwrap_or_default());
            if current != wanted {
                match to_pg(self, &c.sql_type, c.max_length) {
                    Some(ty) => set(column, "type", ty),
                    None => unsupported.push(Unsupported::new(
                        format!("column {t}.{}", c.name),
                        format!("no PostgreSQL type known for {}", c.sql_type),
                    )),
                }
            }
            set(column, "nullability", null.into());
        }
        if let Some(tf) = facts.get_mut(&(Kind::Table, t.clone())) {
            set(tf, "columns", format!("({})", order.join(", ")));
        }
    }

    fn foreign_keys(&self, facts: &mut Facts, base: &Shape) {
        let pk_of = |p: &str| {
            self.tables
                .get(p)
                .map(|t| t.primary_key.clone())
                .unwrap_or_default()
        };
        let existing = joinables(base, &|p| {
            base.tables.get(p).map(primary_key).unwrap_or_default()
        });
        let wanted: BTreeSet<(String, String, String)> = self.joinables.iter().cloned().collect();
        for (child, parent, col) in existing.difference(&wanted) {
            if self.tables.contains_key(child) && self.tables.contains_key(parent) {
                facts.retain(|(k, n), f| {
                    !(*k == Kind::Constraint
                        && n.starts_with(&format!("{child} "))
                        && foreign_key(f.get("definition").unwrap_or_default())
                            .is_some_and(|(c, p, _)| &c == col && &p == parent))
                });
            }
        }
        let all_fks: Vec<(String, String, String)> = base
            .tables
            .iter()
            .flat_map(|(c, t)| {
                t.constraints
                    .values()
                    .filter_map(|f| foreign_key(f.get("definition")?))
                    .map(|(col, p, _)| (c.clone(), p, col))
                    .collect::<Vec<_>>()
            })
            .collect();
        for (child, parent, col) in wanted.iter().filter(|j| !all_fks.contains(j)) {
            let bare = unquote_parts(child).pop().unwrap_or_default();
            let bare_col = unquote_parts(col).pop().unwrap_or_default();
            let name = format!("{child} {}", quote(&format!("{bare}_{bare_col}_fkey")));
            let def = format!(
                "FOREIGN KEY ({col}) REFERENCES {parent}({})",
                pk_of(parent).join(", ")
            );
            facts.insert(
                (Kind::Constraint, name.clone()),
                fact(Kind::Constraint, &name, vec![("definition", def)]),
            );
        }
    }

    /// What differs between `actual` read as print-schema would read it and
    /// the models, up to column order; empty when they agree.
    pub fn differences(&self, actual: &Snapshot) -> Vec<String> {
        let shape = Shape::of(actual);
        let mut out = Vec::new();
        for t in shape
            .tables
            .keys()
            .filter(|t| in_scope(t) && self.speaks_for(t) && !self.tables.contains_key(*t))
        {
            out.push(format!("+ table {t} (not in the models)"));
        }
        for (name, model) in &self.tables {
            let Some(table) = shape.tables.get(name) else {
                out.push(format!(
                    "- table {name} (in the models, not in the database)"
                ));
                continue;
            };
            let pk = primary_key(table);
            if pk != model.primary_key {
                out.push(format!(
                    "~ table {name} primary key ({}) -> ({})",
                    model.primary_key.join(", "),
                    pk.join(", ")
                ));
            }
            for c in &model.columns {
                let Some(f) = table.column(&c.name) else {
                    out.push(format!("- column {name}.{}", c.name));
                    continue;
                };
                let got = from_pg(self, f.get("type").unwrap_or_default());
                let want = (Some(canonical(self, &c.sql_type)), c.max_length);
                let nullable = f.get("nullability") != Some("not null");
                if got != want || nullable != c.nullable {
                    out.push(format!(
                        "~ column {name}.{} {want:?} nullable {} -> {got:?} nullable {nullable}",
                        c.name, c.nullable
                    ));
                }
            }
            for (col, _) in &table.columns {
                if !model.columns.iter().any(|c| &c.name == col) {
                    out.push(format!("+ column {name}.{col}"));
                }
            }
        }
        let found = joinables(&shape, &|p| {
            shape.tables.get(p).map(primary_key).unwrap_or_default()
        });
        let wanted: BTreeSet<(String, String, String)> = self.joinables.iter().cloned().collect();
        for (c, p, col) in wanted.difference(&found) {
            out.push(format!("- joinable!({c} -> {p} ({col}))"));
        }
        for (c, p, col) in found.difference(&wanted) {
            out.push(format!("+ joinable!({c} -> {p} ({col}))"));
        }
        for (pg, labels) in &self.enum_labels {
            let have = actual
                .get(Kind::Enum, pg)
                .and_then(|f| f.get("labels"))
                .map(super::names::enum_labels);
            if self.enum_types.values().any(|e| e == pg) && have.as_ref() != Some(labels) {
                out.push(format!("~ enum {pg} labels {labels:?} -> {have:?}"));
            }
        }
        out
    }
}

fn set(fact: &mut Fact, key: &str, value: String) {
    match fact.attributes.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value,
        None => fact.attributes.push((key.to_string(), value)),
    }
}

/// Removes a table and everything that goes with it (or would stop its drop).
fn drop_table(facts: &mut Facts, t: &str) {
    let prefix_dot = format!("{t}.");
    let prefix_sp = format!("{t} ");
    facts.retain(|(k, n), f| {
        let own = match k {
            Kind::Table => n == t,
            Kind::Column => n.starts_with(&prefix_dot),
            Kind::Constraint | Kind::Index | Kind::Trigger => n.starts_with(&prefix_sp),
            Kind::Sequence => f
                .get("owned by")
                .is_some_and(|o| o.starts_with(&prefix_dot)),
            _ => false,
        };
        let references = *k == Kind::Constraint
            && foreign_key(f.get("definition").unwrap_or_default()).is_some_and(|(_, p, _)| p == t);
        !own && !references
    });
}

/// Removes a column and the constraints, indexes, triggers and sequences
/// that PostgreSQL drops with it.
fn drop_column(facts: &mut Facts, t: &str, col: &str) {
    let column = format!("{t}.{col}");
    let prefix_sp = format!("{t} ");
    facts.retain(|(k, n), f| {
        let def = f.get("definition").unwrap_or_default();
        let gone = match k {
            Kind::Column => *n == column,
            Kind::Constraint | Kind::Index | Kind::Trigger if n.starts_with(&prefix_sp) => {
                let own = match def.split_once(" REFERENCES ") {
                    Some((head, _)) if is_foreign_key(def) => head,
                    _ => def,
                };
                mentions(own, col)
            }
            Kind::Constraint => {
                foreign_key(def).is_some_and(|(_, p, target)| p == t && target == col)
            }
            Kind::Sequence => f.get("owned by") == Some(column.as_str()),
            _ => false,
        };
        !gone
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_single_column_foreign_keys() {
        assert_eq!(
            foreign_key("FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE"),
            Some(("user_id".into(), "users".into(), "id".into()))
        );
        assert_eq!(foreign_key("FOREIGN KEY (a, b) REFERENCES t(a, b)"), None);
    }
}
