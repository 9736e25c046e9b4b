//! Tables, columns, constraints, indexes and triggers: the SQL that turns
//! the older snapshot's tables into the newer one's.

use super::columns::column_spec;
use super::names::{mentions, paren_list, schema_prefix};
use super::order::{referenced_first, Phase, Statement};
use super::shape::{is_foreign_key, referenced_table};
use super::{Gen, Unsupported};
use crate::proof::catalog::Fact;
use std::collections::BTreeSet;

/// Table attributes a generated `CREATE TABLE` or `ALTER TABLE` does not
/// cover (partitioning, inheritance, storage options).
const TABLE_ATTRIBUTES_NOT_GENERATED: &[&str] =
    &["partitioned by", "partition of", "inherits", "options"];

impl Gen<'_> {
    /// Tables created, dropped and changed.
    pub(super) fn tables(&mut self) {
        let created: BTreeSet<String> = self
            .new
            .tables
            .keys()
            .filter(|t| !self.old.tables.contains_key(*t))
            .cloned()
            .collect();
        let order = referenced_first(&created, &super::fk_deps(&self.new));
        for t in &order {
            self.create_table(t, &order);
        }
        let dropped: Vec<String> = self
            .old
            .tables
            .keys()
            .filter(|t| !self.new.tables.contains_key(*t))
            .cloned()
            .collect();
        for t in dropped {
            self.out.push(
                Statement::new(Phase::DropTable, format!("DROP TABLE {t}"))
                    .warn(format!("drops table {t} and all its rows"))
                    .for_table(&t),
            );
        }
        let common: Vec<String> = self
            .new
            .tables
            .keys()
            .filter(|t| self.old.tables.contains_key(*t))
            .cloned()
            .collect();
        for t in common {
            self.alter_table(&t);
        }
    }

    fn create_table(&mut self, name: &str, order: &[String]) {
        let table = &self.new.tables[name];
        let mut lines: Vec<String> = table
            .columns
            .iter()
            .map(|(col, fact)| format!("    {}", column_spec(col, fact)))
            .collect();
        let mut constraints: Vec<(&String, &&Fact)> = table.constraints.iter().collect();
        constraints.sort_by_key(|(_, f)| constraint_rank(definition(f)));
        let position = |t: &str| order.iter().position(|o| o == t);
        let mut later = Vec::new();
        for (cname, fact) in constraints {
            let def = definition(fact);
            if is_foreign_key(def) {
                let target = referenced_table(def).unwrap_or_default();
                let exists = target == name || !order.contains(&target);
                if !exists && position(&target) > position(name) {
                    later.push(add_constraint(name, cname, def));
                    continue;
                }
            }
            lines.push(format!("    CONSTRAINT {cname} {def}"));
        }
        let fact = table.fact.expect("tables have a fact");
        let unlogged = if fact.get("persistence") == Some("unlogged") {
            "UNLOGGED "
        } else {
            ""
        };
        self.unsupported_attributes(name, fact, None);
        let sql = format!("CREATE {unlogged}TABLE {name} (\n{}\n)", lines.join(",\n"));
        self.out
            .push(Statement::new(Phase::CreateTable, sql).for_table(name));
        self.out.extend(later);
        let table = &self.new.tables[name];
        let indexes: Vec<(String, String)> = table
            .indexes
            .iter()
            .map(|(n, f)| (n.clone(), definition(f).to_string()))
            .collect();
        let triggers: Vec<(String, Fact)> = table
            .triggers
            .iter()
            .map(|(n, f)| (n.clone(), (*f).clone()))
            .collect();
        for (ix, def) in indexes {
            self.create_index(name, &ix, &def);
        }
        for (tg, fact) in triggers {
            self.create_trigger(name, &tg, &fact);
        }
    }

    /// Lists table attributes that differ (or, for a new table, are set)
    /// and are not generated.
    fn unsupported_attributes(&mut self, table: &str, new: &Fact, old: Option<&Fact>) {
        for key in TABLE_ATTRIBUTES_NOT_GENERATED
            .iter()
            .copied()
            .chain(old.map(|_| "persistence"))
        {
            let (o, n) = (old.and_then(|f| f.get(key)), new.get(key));
            if o != n {
                self.unsupported.push(
                    Unsupported::new(
                        format!("table {table} {key}"),
                        format!("{} -> {}", o.unwrap_or("(none)"), n.unwrap_or("(none)")),
                    )
                    .about(crate::proof::catalog::Kind::Table, table),
                );
            }
        }
    }

    fn alter_table(&mut self, name: &str) {
        let (old, new) = (&self.old.tables[name], &self.new.tables[name]);
        let (old_fact, new_fact) = (old.fact.expect("fact"), new.fact.expect("fact"));
        self.unsupported_attributes(name, new_fact, Some(old_fact));
        let moved = self.columns(name);
        let (old, new) = (&self.old.tables[name], &self.new.tables[name]);
        // Indexes and constraints on a moved column are recreated with it.
        let touches = |f: &Fact| {
            let def = definition(f);
            let own = match def.split_once(" REFERENCES ") {
                Some((head, _)) if is_foreign_key(def) => head,
                _ => def,
            };
            moved.iter().any(|c| mentions(own, c))
        };
        let (gone_c, new_c) = diff_maps(&old.constraints, &new.constraints, &touches);
        let (gone_i, new_i) = diff_maps(&old.indexes, &new.indexes, &touches);
        // Foreign keys from other tables hold on to the key they reference:
        // a moved column, or a primary key or unique key that is replaced.
        let mut held: BTreeSet<String> = moved.clone();
        for (_, def) in gone_c.iter().chain(&gone_i) {
            let keys = def
                .strip_prefix("PRIMARY KEY ")
                .or_else(|| def.strip_prefix("UNIQUE "));
            if let Some(cols) = keys.and_then(|k| k.split(" WHERE ").next()) {
                let cols = cols.strip_prefix("USING btree ").unwrap_or(cols);
                held.extend(paren_list(cols.split(" INCLUDE ").next().unwrap_or(cols)));
            }
        }
        self.referencing_moved(name, &held);
        for (cname, def) in gone_c {
            let phase = if is_foreign_key(&def) {
                Phase::DropForeignKey
            } else {
                Phase::DropConstraint
            };
            self.out.push(Statement::new(
                phase,
                format!("ALTER TABLE {name} DROP CONSTRAINT {cname}"),
            ));
        }
        for (cname, def) in new_c {
            let stmt = add_constraint(name, &cname, &def);
            let stmt = if def.starts_with("CHECK") || def.starts_with("UNIQUE") {
                stmt.note("NOTE: fails if existing rows break it")
            } else {
                stmt
            };
            self.out.push(stmt);
        }
        for (ix, _) in gone_i {
            if !self.opts.concurrent.contains(&format!("{name} {ix}")) {
                self.out.push(Statement::new(
                    Phase::DropIndex,
                    format!("DROP INDEX {}{ix}", schema_prefix(name)),
                ));
            }
        }
        for (ix, def) in new_i {
            self.create_index(name, &ix, &def);
        }
        self.alter_triggers(name);
    }

    /// Foreign keys of other tables that reference one of `columns` of
    /// `table` (moved, or whose key is replaced) are dropped first and added
    /// again after.
    fn referencing_moved(&mut self, table: &str, moved: &BTreeSet<String>) {
        if moved.is_empty() {
            return;
        }
        let mut again = Vec::new();
        for (other, t) in &self.new.tables {
            let Some(before) = self.old.tables.get(other) else {
                continue;
            };
            for (cname, f) in &t.constraints {
                let def = definition(f);
                let unchanged = before.constraints.get(cname).map(|o| definition(o)) == Some(def);
                let target = def.split_once(" REFERENCES ").map(|(_, r)| r).unwrap_or("");
                if other != table
                    && unchanged
                    && referenced_table(def).as_deref() == Some(table)
                    && moved.iter().any(|c| mentions(target, c))
                {
                    again.push((other.clone(), cname.clone(), def.to_string()));
                }
            }
        }
        for (other, cname, def) in again {
            self.out.push(Statement::new(
                Phase::DropForeignKey,
                format!("ALTER TABLE {other} DROP CONSTRAINT {cname}"),
            ));
            self.out.push(add_constraint(&other, &cname, &def));
        }
    }

    fn alter_triggers(&mut self, table: &str) {
        let (old, new) = (&self.old.tables[table], &self.new.tables[table]);
        let mut drops = Vec::new();
        let mut creates = Vec::new();
        for (tg, o) in &old.triggers {
            match new.triggers.get(tg) {
                Some(n) if definition(n) == definition(o) => {
                    if n.get("state") != o.get("state") {
                        creates.push((tg.clone(), (*n).clone(), true));
                    }
                }
                _ => drops.push(tg.clone()),
            }
        }
        for (tg, n) in &new.triggers {
            match old.triggers.get(tg) {
                Some(o) if definition(n) == definition(o) => {}
                _ => creates.push((tg.clone(), (*n).clone(), false)),
            }
        }
        for tg in drops {
            self.out.push(Statement::new(
                Phase::DropTrigger,
                format!("DROP TRIGGER {tg} ON {table}"),
            ));
        }
        for (tg, fact, state_only) in creates {
            if state_only {
                let state = trigger_state(fact.get("state")).unwrap_or("ENABLE");
                self.out.push(Statement::new(
                    Phase::CreateTrigger,
                    format!("ALTER TABLE {table} {state} TRIGGER {tg}"),
                ));
            } else {
                self.create_trigger(table, &tg, &fact);
            }
        }
    }

    fn create_index(&mut self, table: &str, ix: &str, def: &str) {
        let concurrent = self.opts.concurrent.contains(&format!("{table} {ix}"));
        let sql = create_index_sql(table, ix, def, concurrent);
        if concurrent {
            let drop = format!("DROP INDEX CONCURRENTLY {}{ix}", schema_prefix(table));
            self.concurrent.push((
                Statement::new(Phase::CreateIndex, sql),
                Statement::new(Phase::DropIndex, drop),
            ));
        } else {
            self.out.push(Statement::new(Phase::CreateIndex, sql));
        }
    }

    fn create_trigger(&mut self, table: &str, name: &str, fact: &Fact) {
        self.out.push(Statement::new(
            Phase::CreateTrigger,
            create_trigger_sql(table, name, definition(fact)),
        ));
        if let Some(state) = trigger_state(fact.get("state")) {
            self.out.push(Statement::new(
                Phase::CreateTrigger,
                format!("ALTER TABLE {table} {state} TRIGGER {name}"),
            ));
        }
    }
}

/// A fact's `definition` attribute.
pub(super) fn definition(fact: &Fact) -> &str {
    fact.get("definition").unwrap_or_default()
}

/// (name, definition) pairs.
type Named = Vec<(String, String)>;

/// Entries only in `old` (or changed), and only in `new` (or changed), by
/// definition, each as (name, definition).
fn diff_maps(
    old: &std::collections::BTreeMap<String, &Fact>,
    new: &std::collections::BTreeMap<String, &Fact>,
    force: &dyn Fn(&Fact) -> bool,
) -> (Named, Named) {
    let differs = |a: &Fact, b: Option<&&Fact>| {
        force(a) || b.is_none_or(|b| definition(b) != definition(a) || force(b))
    };
    let gone = old
        .iter()
        .filter(|(n, f)| differs(f, new.get(*n)))
        .map(|(n, f)| (n.clone(), definition(f).to_string()))
        .collect();
    let came = new
        .iter()
        .filter(|(n, f)| differs(f, old.get(*n)))
        .map(|(n, f)| (n.clone(), definition(f).to_string()))
        .collect();
    (gone, came)
}

fn add_constraint(table: &str, name: &str, def: &str) -> Statement {
    let phase = if is_foreign_key(def) {
        Phase::AddForeignKey
    } else {
        Phase::AddConstraint
    };
    Statement::new(
        phase,
        format!("ALTER TABLE {table} ADD CONSTRAINT {name} {def}"),
    )
}

/// Primary key first, foreign keys last, as a person lists them.
fn constraint_rank(def: &str) -> usize {
    ["PRIMARY KEY", "UNIQUE", "CHECK", "EXCLUDE", "FOREIGN KEY"]
        .iter()
        .position(|p| def.starts_with(p))
        .unwrap_or(3)
}

/// `CREATE [UNIQUE] INDEX [CONCURRENTLY] name ON table ...` from the
/// snapshot's definition (`UNIQUE USING btree (email)`); the default
/// `USING btree` is left out.
pub(super) fn create_index_sql(table: &str, ix: &str, def: &str, concurrently: bool) -> String {
    let conc = if concurrently { "CONCURRENTLY " } else { "" };
    if let Some(rest) = def.strip_prefix("CREATE ") {
        return match rest.split_once("INDEX ") {
            Some((head, tail)) if concurrently => format!("CREATE {head}INDEX {conc}{tail}"),
            _ => def.to_string(),
        };
    }
    let (unique, rest) = match def.strip_prefix("UNIQUE ") {
        Some(rest) => ("UNIQUE ", rest),
        None => ("", def),
    };
    let (only, rest) = match rest.strip_prefix("ONLY ") {
        Some(rest) => ("ONLY ", rest),
        None => ("", rest),
    };
    let rest = rest.strip_prefix("USING btree ").unwrap_or(rest);
    format!("CREATE {unique}INDEX {conc}{ix} ON {only}{table} {rest}")
}

/// `CREATE [CONSTRAINT] TRIGGER name ... ON table ...` from the snapshot's
/// definition, which has the name and the `ON table` cut out.
pub(super) fn create_trigger_sql(table: &str, name: &str, def: &str) -> String {
    if def.starts_with("CREATE ") {
        return def.to_string();
    }
    let (constraint, body) = match def.strip_prefix("CONSTRAINT ") {
        Some(body) => ("CONSTRAINT ", body),
        None => ("", def),
    };
    let at = [
        " FROM ",
        " NOT DEFERRABLE",
        " DEFERRABLE",
        " REFERENCING ",
        " FOR EACH ",
    ]
    .iter()
    .filter_map(|m| body.find(m))
    .min()
    .unwrap_or(body.len());
    format!(
        "CREATE {constraint}TRIGGER {name} {} ON {table}{}",
        &body[..at],
        &body[at..]
    )
}

fn trigger_state(state: Option<&str>) -> Option<&'static str> {
    match state? {
        "disabled" => Some("DISABLE"),
        "enabled replica" => Some("ENABLE REPLICA"),
        "enabled always" => Some("ENABLE ALWAYS"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rebuilds_index_and_trigger_statements() {
        assert_eq!(
            create_index_sql(
                "users",
                "ix_users_email",
                "UNIQUE USING btree (email)",
                false
            ),
            "CREATE UNIQUE INDEX ix_users_email ON users (email)"
        );
        assert_eq!(
            create_index_sql(
                "messages",
                "ix_m",
                "USING btree (conversation_id, created_at DESC) WHERE (role = 'user'::message_role)",
                true
            ),
            "CREATE INDEX CONCURRENTLY ix_m ON messages (conversation_id, created_at DESC) \
             WHERE (role = 'user'::message_role)"
        );
        assert_eq!(
            create_index_sql("d", "ix", "USING gin (metadata)", false),
            "CREATE INDEX ix ON d USING gin (metadata)"
        );
        assert_eq!(
            create_trigger_sql(
                "users",
                "update_users_updated_at",
                "BEFORE UPDATE FOR EACH ROW EXECUTE FUNCTION update_updated_at_column()"
            ),
            "CREATE TRIGGER update_users_updated_at BEFORE UPDATE ON users FOR EACH ROW \
             EXECUTE FUNCTION update_updated_at_column()"
        );
    }
}
