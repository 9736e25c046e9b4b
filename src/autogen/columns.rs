//! Columns of a table that stays: dropped (with possible renames flagged),
//! added, changed (type, default, nullability), and, where the exact column
//! order must come back (a `down.sql` re-adding a dropped column in the
//! middle of a table), moved: PostgreSQL only adds columns at the end, so
//! every column that must come after the re-added one is copied into a new
//! column at the end, and its indexes and constraints are recreated.

use super::names::{quote, unquote_parts};
use super::order::{Phase, Statement};
use super::types::{needs_using, risk, spelled};
use super::{Gen, Rename, Unsupported};
use crate::proof::catalog::{Fact, Kind};
use std::collections::BTreeSet;

impl Gen<'_> {
    /// Generates the column changes of `table`; returns the columns that
    /// are moved (recreated at the end), whose dependents must be recreated.
    pub(super) fn columns(&mut self, table: &str) -> BTreeSet<String> {
        let (old, new) = (&self.old.tables[table], &self.new.tables[table]);
        let removed: Vec<(String, Fact)> = old
            .columns
            .iter()
            .filter(|(c, _)| new.column(c).is_none())
            .map(|(c, f)| (c.clone(), (*f).clone()))
            .collect();
        let target: Vec<(String, Fact)> = new
            .columns
            .iter()
            .map(|(c, f)| (c.clone(), (*f).clone()))
            .collect();
        let kept: Vec<String> = old
            .columns
            .iter()
            .map(|(c, _)| c.clone())
            .filter(|c| new.column(c).is_some())
            .collect();
        let old_names: BTreeSet<String> = old.columns.iter().map(|(c, _)| c.clone()).collect();
        let is_new = |c: &str| !old_names.contains(c);
        let old_facts: Vec<(String, Fact)> = old
            .columns
            .iter()
            .map(|(c, f)| (c.clone(), (*f).clone()))
            .collect();
        let old_of = |c: &str| {
            old_facts
                .iter()
                .find(|(n, _)| n == c)
                .map(|(_, f)| f.clone())
        };
        // What ALTER TABLE gives: the kept columns, then the added ones.
        let mut natural = kept.clone();
        natural.extend(target.iter().map(|(c, _)| c.clone()).filter(|c| is_new(c)));
        let same_prefix = natural
            .iter()
            .zip(&target)
            .take_while(|(a, (b, _))| *a == b)
            .count();
        let reorder = same_prefix < target.len();
        let moving: BTreeSet<String> = if reorder && self.opts.restore_column_order {
            target[same_prefix..]
                .iter()
                .map(|(c, _)| c.clone())
                .filter(|c| !is_new(c))
                .collect()
        } else {
            BTreeSet::new()
        };
        if reorder && !self.opts.restore_column_order {
            self.notes.push(format!(
                "table {table}: the desired column order differs from what ALTER TABLE gives \
                 (new columns go last, existing ones are not moved); the order will be ({})",
                natural.join(", ")
            ));
        }
        self.drop_columns(table, &removed, &target, &is_new);
        self.add_and_move(table, &target, &moving, &is_new);
        for (col, n) in &target {
            if let (false, Some(o)) = (moving.contains(col), old_of(col)) {
                self.alter_column(table, col, &o, n);
            }
        }
        moving
    }

    fn drop_columns(
        &mut self,
        table: &str,
        removed: &[(String, Fact)],
        target: &[(String, Fact)],
        is_new: &dyn Fn(&str) -> bool,
    ) {
        let mut paired = BTreeSet::new();
        for (col, fact) in removed {
            let mut stmt = Statement::new(
                Phase::DropColumn,
                format!("ALTER TABLE {table} DROP COLUMN {col}"),
            )
            .warn(format!("drops column {table}.{col} and its data"));
            let twin = target.iter().find(|(a, f)| {
                is_new(a) && !paired.contains(a) && f.get("type") == fact.get("type")
            });
            if let Some((to, _)) = twin {
                paired.insert(to.clone());
                let sql = format!("ALTER TABLE {table} RENAME COLUMN {col} TO {to}");
                stmt = stmt.note(format!(
                    "NOTE: possible rename: {col} is dropped and {to} of the same type is added. \
                     If it is a rename, use instead (keeps the data):\n  {sql};"
                ));
                self.renames.push(Rename {
                    table: table.to_string(),
                    from: col.clone(),
                    to: to.clone(),
                    sql,
                });
            }
            self.out.push(stmt);
        }
    }

    /// Added columns, and moved ones, in the order of the target table.
    fn add_and_move(
        &mut self,
        table: &str,
        target: &[(String, Fact)],
        moving: &BTreeSet<String>,
        is_new: &dyn Fn(&str) -> bool,
    ) {
        let guard = !moving.is_empty() && !self.old.tables[table].triggers.is_empty();
        if guard {
            self.out.push(Statement::new(
                Phase::AlterColumn,
                format!("ALTER TABLE {table} DISABLE TRIGGER USER"),
            ));
        }
        for (col, fact) in target {
            if moving.contains(col) {
                self.move_column(table, col, fact);
            } else if is_new(col) {
                let mut stmt = Statement::new(
                    Phase::AlterColumn,
                    format!("ALTER TABLE {table} ADD COLUMN {}", column_spec(col, fact)),
                );
                if fact.get("nullability") == Some("not null")
                    && fact.get("default").is_none()
                    && fact.get("identity").is_none()
                {
                    stmt = stmt.note(
                        "NOTE: NOT NULL without a DEFAULT fails on a table that has rows: \
                         add a DEFAULT, or add it nullable, fill it, then SET NOT NULL",
                    );
                }
                self.out.push(stmt);
            }
        }
        if guard {
            self.out.push(Statement::new(
                Phase::AlterColumn,
                format!("ALTER TABLE {table} ENABLE TRIGGER USER"),
            ));
        }
    }

    /// Recreates `col` at the end of `table` with its data.
    fn move_column(&mut self, table: &str, col: &str, fact: &Fact) {
        if fact.get("identity").is_some()
            || fact.get("generated").is_some()
            || fact
                .get("default")
                .is_some_and(|d| d.starts_with("nextval("))
        {
            self.unsupported.push(Unsupported::new(
                format!("column {table}.{col} position"),
                "an identity, generated or serial column cannot be moved to restore the order",
            ));
            return;
        }
        let bare = unquote_parts(col).pop().unwrap_or_default();
        let temp = quote(&format!("{bare}__moving"));
        let mut spec_fact = fact.clone();
        spec_fact.attributes.retain(|(k, _)| k != "nullability");
        let first = Statement::new(
            Phase::AlterColumn,
            format!(
                "ALTER TABLE {table} ADD COLUMN {}",
                column_spec(&temp, &spec_fact)
            ),
        )
        .warn(format!(
            "moves {table}.{col} to keep the column order (PostgreSQL adds columns only at \
             the end): copies it with an UPDATE of every row, then drops the old one"
        ));
        self.out.push(first);
        for sql in [
            format!("UPDATE {table} SET {temp} = {col}"),
            format!("ALTER TABLE {table} DROP COLUMN {col}"),
            format!("ALTER TABLE {table} RENAME COLUMN {temp} TO {col}"),
        ] {
            self.out.push(Statement::new(Phase::AlterColumn, sql));
        }
        if fact.get("nullability") == Some("not null") {
            self.out.push(Statement::new(
                Phase::AlterColumn,
                format!("ALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL"),
            ));
        }
    }

    fn alter_column(&mut self, table: &str, col: &str, o: &Fact, n: &Fact) {
        let alter = |rest: &str| format!("ALTER TABLE {table} ALTER COLUMN {col} {rest}");
        for key in ["generated", "identity"] {
            if o.get(key) != n.get(key) {
                self.unsupported.push(
                    Unsupported::new(
                        format!("column {table}.{col} {key}"),
                        format!(
                            "{} -> {}",
                            o.get(key).unwrap_or("(none)"),
                            n.get(key).unwrap_or("(none)")
                        ),
                    )
                    .about(Kind::Column, &format!("{table}.{col}")),
                );
            }
        }
        let new_type = n.get("type").unwrap_or_default();
        let old_type = o.get("type").unwrap_or_default();
        let type_changed = old_type != new_type || o.get("collation") != n.get("collation");
        let default_changed = o.get("default") != n.get("default");
        // A default converts with the column within a type family; across
        // families (text to an enum, say) it is dropped and set again.
        let drop_first =
            type_changed && o.get("default").is_some() && needs_using(old_type, new_type);
        let mut push = |s: Statement| self.out.push(s);
        if drop_first {
            push(Statement::new(Phase::AlterColumn, alter("DROP DEFAULT")));
        }
        if type_changed {
            let collate = n
                .get("collation")
                .map(|c| format!(" COLLATE {c}"))
                .unwrap_or_default();
            let using = if needs_using(old_type, new_type) {
                format!(" USING {col}::{}", spelled(new_type))
            } else {
                String::new()
            };
            let sql = alter(&format!("TYPE {}{collate}{using}", spelled(new_type)));
            let mut stmt = Statement::new(Phase::AlterColumn, sql);
            if let Some(why) = risk(old_type, new_type) {
                stmt = stmt.warn(format!("{table}.{col} {why}"));
            }
            push(stmt);
        }
        if default_changed || drop_first {
            match n.get("default") {
                Some(d) => push(Statement::new(
                    Phase::AlterColumn,
                    alter(&format!("SET DEFAULT {d}")),
                )),
                None if !drop_first => {
                    push(Statement::new(Phase::AlterColumn, alter("DROP DEFAULT")))
                }
                None => {}
            }
        }
        match (o.get("nullability"), n.get("nullability")) {
            (a, b) if a == b => {}
            (_, Some("not null")) => push(
                Statement::new(Phase::AlterColumn, alter("SET NOT NULL"))
                    .note(format!("NOTE: fails if {table}.{col} holds NULLs")),
            ),
            _ => push(Statement::new(Phase::AlterColumn, alter("DROP NOT NULL"))),
        }
    }
}

/// `name type [COLLATE] [GENERATED ...] [DEFAULT ...] [NOT NULL]`.
pub(super) fn column_spec(col: &str, fact: &Fact) -> String {
    let mut s = format!("{col} {}", spelled(fact.get("type").unwrap_or("text")));
    if let Some(c) = fact.get("collation") {
        s.push_str(&format!(" COLLATE {c}"));
    }
    if let Some(g) = fact.get("generated") {
        let expr = g.strip_prefix("always as ").unwrap_or(g);
        let expr = expr
            .strip_suffix(" stored")
            .map(|e| format!("{e} STORED"))
            .or_else(|| {
                expr.strip_suffix(" virtual")
                    .map(|e| format!("{e} VIRTUAL"))
            })
            .unwrap_or_else(|| expr.to_string());
        s.push_str(&format!(" GENERATED ALWAYS AS {expr}"));
    }
    match fact.get("identity") {
        Some("always") => s.push_str(" GENERATED ALWAYS AS IDENTITY"),
        Some(_) => s.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
        None => {}
    }
    if let Some(d) = fact.get("default") {
        s.push_str(&format!(" DEFAULT {d}"));
    }
    if fact.get("nullability") == Some("not null") && fact.get("identity").is_none() {
        s.push_str(" NOT NULL");
    }
    s
}
