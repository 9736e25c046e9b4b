//! Everything that is not a table: schemas, extensions, enum types (new,
//! dropped, labels added, and the recreation a removed label needs),
//! sequences, functions and procedures, views; and the kinds that are not
//! generated, listed by name.

use super::diff_sql::definition;
use super::names::{enum_labels, literal, quote, schema_prefix, unquote_parts};
use super::order::{Phase, Statement};
use super::{Gen, Unsupported};
use crate::proof::catalog::{Fact, Kind};

impl Gen<'_> {
    /// Objects of `kind` as (name, old fact, new fact), either side absent.
    fn pairs(&self, kind: Kind) -> Vec<(String, Option<Fact>, Option<Fact>)> {
        let mut names: Vec<String> = self.old.of_kind(kind).map(|(n, _)| n.clone()).collect();
        names.extend(self.new.of_kind(kind).map(|(n, _)| n.clone()));
        names.sort();
        names.dedup();
        names
            .into_iter()
            .map(|n| {
                let o = self
                    .old
                    .others
                    .get(&(kind, n.clone()))
                    .map(|f| (*f).clone());
                let nw = self
                    .new
                    .others
                    .get(&(kind, n.clone()))
                    .map(|f| (*f).clone());
                (n, o, nw)
            })
            .filter(|(_, o, n)| o != n)
            .collect()
    }

    /// Schemas and extensions.
    pub(super) fn containers(&mut self) {
        for (name, o, n) in self.pairs(Kind::Schema) {
            match (o, n) {
                (None, Some(_)) => self.out.push(Statement::new(
                    Phase::CreateSchema,
                    format!("CREATE SCHEMA {name}"),
                )),
                _ => self.out.push(Statement::new(
                    Phase::DropSchema,
                    format!("DROP SCHEMA {name}"),
                )),
            }
        }
        for (name, o, n) in self.pairs(Kind::Extension) {
            match (o, n) {
                (None, Some(n)) => self.out.push(Statement::new(
                    Phase::CreateExtension,
                    format!(
                        "CREATE EXTENSION IF NOT EXISTS {name} WITH SCHEMA {} VERSION {}",
                        n.get("schema").unwrap_or("public"),
                        literal(n.get("version").unwrap_or_default())
                    ),
                )),
                (Some(_), None) => self.out.push(
                    Statement::new(Phase::DropExtension, format!("DROP EXTENSION {name}")).warn(
                        format!("drops extension {name} and the objects it provides"),
                    ),
                ),
                (Some(o), Some(n)) if o.get("schema") == n.get("schema") => {
                    self.out.push(Statement::new(
                        Phase::CreateExtension,
                        format!(
                            "ALTER EXTENSION {name} UPDATE TO {}",
                            literal(n.get("version").unwrap_or_default())
                        ),
                    ))
                }
                _ => self.unsupported.push(
                    Unsupported::new(
                        format!("extension {name} schema"),
                        "moving an extension to another schema",
                    )
                    .about(Kind::Extension, &name),
                ),
            }
        }
    }

    /// Enum types.
    pub(super) fn enums(&mut self) {
        for (name, o, n) in self.pairs(Kind::Enum) {
            match (o, n) {
                (None, Some(n)) => self.out.push(Statement::new(
                    Phase::CreateType,
                    format!(
                        "CREATE TYPE {name} AS ENUM {}",
                        n.get("labels").unwrap_or("()")
                    ),
                )),
                (Some(_), None) => self
                    .out
                    .push(Statement::new(Phase::DropType, format!("DROP TYPE {name}"))),
                (Some(o), Some(n)) => {
                    let old = enum_labels(o.get("labels").unwrap_or("()"));
                    let new = enum_labels(n.get("labels").unwrap_or("()"));
                    self.enum_labels(&name, &old, &new);
                }
                (None, None) => {}
            }
        }
    }

    fn enum_labels(&mut self, name: &str, old: &[String], new: &[String]) {
        let mut it = new.iter();
        let kept_in_order = old.iter().all(|l| it.any(|n| n == l));
        if !kept_in_order {
            self.recreate_enum(name, old, new);
            return;
        }
        let mut current: Vec<String> = old.to_vec();
        for (i, label) in new.iter().enumerate() {
            if current.contains(label) {
                continue;
            }
            let (clause, at) = if i == 0 {
                (format!(" BEFORE {}", literal(&new[1])), 0)
            } else if current.last() == Some(&new[i - 1]) {
                (String::new(), current.len())
            } else {
                let prev = current.iter().position(|c| *c == new[i - 1]).unwrap_or(0);
                (format!(" AFTER {}", literal(&new[i - 1])), prev + 1)
            };
            current.insert(at, label.clone());
            self.out.push(Statement::new(
                Phase::CreateType,
                format!("ALTER TYPE {name} ADD VALUE {}{clause}", literal(label)),
            ));
        }
    }

    /// A label cannot be dropped: the type is recreated and every column
    /// converted through text. In an `up.sql` that is refused with this
    /// procedure as the manual route; a `down.sql` (undoing added labels)
    /// runs it.
    fn recreate_enum(&mut self, name: &str, old: &[String], new: &[String]) {
        let gone: Vec<String> = old
            .iter()
            .filter(|l| !new.contains(l))
            .map(|l| literal(l))
            .collect();
        let parts = unquote_parts(name);
        let old_name = quote(&format!(
            "{}__old",
            parts.last().cloned().unwrap_or_default()
        ));
        let labels: Vec<String> = new.iter().map(|l| literal(l)).collect();
        let mut sql = vec![
            format!("ALTER TYPE {name} RENAME TO {old_name}"),
            format!("CREATE TYPE {name} AS ENUM ({})", labels.join(", ")),
        ];
        for (table, t) in &self.new.tables {
            let Some(o) = self.old.tables.get(table) else {
                continue;
            };
            for (col, f) in &t.columns {
                let ty = f.get("type").unwrap_or_default();
                let array = ty == format!("{name}[]");
                if (ty != name && !array) || o.column(col).and_then(|c| c.get("type")) != Some(ty) {
                    continue;
                }
                let alter = format!("ALTER TABLE {table} ALTER COLUMN {col}");
                let default = o.column(col).and_then(|c| c.get("default"));
                if default.is_some() {
                    sql.push(format!("{alter} DROP DEFAULT"));
                }
                let via = if array { "text[]" } else { "text" };
                sql.push(format!("{alter} TYPE {ty} USING {col}::{via}::{ty}"));
                if let Some(d) = f.get("default") {
                    sql.push(format!("{alter} SET DEFAULT {d}"));
                }
            }
        }
        let drop_old = format!("DROP TYPE {}{old_name}", schema_prefix(name));
        if !self.opts.recreate_enums {
            sql.push(drop_old);
            self.unsupported.push(Unsupported {
                object: format!("enum {name} labels"),
                reason: format!(
                    "label(s) {} cannot be removed or reordered in PostgreSQL (ALTER TYPE has \
                     no DROP VALUE); by hand: move the rows off them, then recreate the type",
                    if gone.is_empty() {
                        "order".to_string()
                    } else {
                        gone.join(", ")
                    }
                ),
                sql: sql.iter().map(|s| format!("{s};")).collect(),
                facts: vec![(Kind::Enum, name.to_string())],
            });
            return;
        }
        let mut first = true;
        for s in sql {
            let mut stmt = Statement::new(Phase::CreateType, s);
            if first {
                stmt = stmt.warn(format!(
                    "recreates enum {name} without {}: fails if a row still holds one",
                    gone.join(", ")
                ));
                first = false;
            }
            self.out.push(stmt);
        }
        self.out.push(Statement::new(Phase::DropType, drop_old));
    }

    /// Sequences that do not back an identity column.
    pub(super) fn sequences(&mut self) {
        for (name, o, n) in self.pairs(Kind::Sequence) {
            match (o, n) {
                (None, Some(n)) => {
                    let options = sequence_options(None, &n);
                    self.out.push(Statement::new(
                        Phase::CreateSequence,
                        format!("CREATE SEQUENCE {name}{options}"),
                    ));
                    if let Some(owner) = n.get("owned by") {
                        self.out.push(Statement::new(
                            Phase::AlterSequence,
                            format!("ALTER SEQUENCE {name} OWNED BY {owner}"),
                        ));
                    }
                }
                (Some(o), None) => {
                    if !self.owner_goes(o.get("owned by")) {
                        self.out.push(Statement::new(
                            Phase::DropSequence,
                            format!("DROP SEQUENCE {name}"),
                        ));
                    }
                }
                (Some(o), Some(n)) => {
                    let mut options = sequence_options(Some(&o), &n);
                    if o.get("owned by") != n.get("owned by") {
                        options.push_str(&format!(
                            " OWNED BY {}",
                            n.get("owned by").unwrap_or("NONE")
                        ));
                    }
                    self.out.push(Statement::new(
                        Phase::AlterSequence,
                        format!("ALTER SEQUENCE {name}{options}"),
                    ));
                }
                (None, None) => {}
            }
        }
    }

    /// True when the table or column owning a dropped sequence is dropped
    /// too (which drops the sequence with it).
    fn owner_goes(&self, owner: Option<&str>) -> bool {
        let Some(owner) = owner else { return false };
        self.old.tables.iter().any(|(t, table)| {
            owner.starts_with(&format!("{t}.")) && {
                let col = &owner[t.len() + 1..];
                table.column(col).is_some()
                    && self
                        .new
                        .tables
                        .get(t)
                        .is_none_or(|n| n.column(col).is_none())
            }
        })
    }

    /// Functions and procedures; aggregates are not generated.
    pub(super) fn routines(&mut self) {
        for kind in [Kind::Function, Kind::Procedure] {
            let word = if kind == Kind::Function {
                "FUNCTION"
            } else {
                "PROCEDURE"
            };
            for (name, o, n) in self.pairs(kind) {
                match (o, n) {
                    (_, Some(n)) => self.out.push(Statement::new(
                        Phase::CreateFunction,
                        definition(&n).trim_end().trim_end_matches(';').to_string(),
                    )),
                    (Some(_), None) => self.out.push(Statement::new(
                        Phase::DropFunction,
                        format!("DROP {word} {name}"),
                    )),
                    (None, None) => {}
                }
            }
        }
    }

    /// Views and materialized views: changed ones are dropped and created.
    pub(super) fn views(&mut self) {
        for (kind, word) in [
            (Kind::View, "VIEW"),
            (Kind::MaterializedView, "MATERIALIZED VIEW"),
        ] {
            for (name, o, n) in self.pairs(kind) {
                if o.is_some() {
                    self.out.push(Statement::new(
                        Phase::DropView,
                        format!("DROP {word} {name}"),
                    ));
                }
                if let Some(n) = n {
                    let with = n
                        .get("options")
                        .map(|o| format!(" WITH ({o})"))
                        .unwrap_or_default();
                    let body = definition(&n).trim().trim_end_matches(';').to_string();
                    self.out.push(Statement::new(
                        Phase::CreateView,
                        format!("CREATE {word} {name}{with} AS\n{body}"),
                    ));
                }
            }
        }
    }

    /// Kinds that are not generated: every difference is listed by name.
    pub(super) fn not_generated(&mut self) {
        for kind in [
            Kind::Domain,
            Kind::Type,
            Kind::Aggregate,
            Kind::Constraint,
            Kind::Index,
            Kind::Trigger,
        ] {
            for (name, o, n) in self.pairs(kind) {
                let what = match (&o, &n) {
                    (None, _) => "added",
                    (_, None) => "removed",
                    _ => "changed",
                };
                self.unsupported.push(
                    Unsupported::new(
                        format!("{kind} {name}"),
                        format!("{what} in the desired schema; a {kind} is not generated"),
                    )
                    .about(kind, &name),
                );
            }
        }
    }
}

/// ` AS bigint INCREMENT BY 2 ...`: the options of `new` that differ from
/// `old`, or for a new sequence those that differ from PostgreSQL's defaults.
fn sequence_options(old: Option<&Fact>, new: &Fact) -> String {
    let ty = new.get("type").unwrap_or("bigint");
    let max = match ty {
        "smallint" => "32767",
        "integer" => "2147483647",
        _ => "9223372036854775807",
    };
    let ascending = !new.get("increment").unwrap_or("1").starts_with('-');
    let defaults = [
        ("type", "bigint"),
        ("increment", "1"),
        ("min", if ascending { "1" } else { "" }),
        ("max", if ascending { max } else { "-1" }),
        ("start", if ascending { "1" } else { "-1" }),
        ("cache", "1"),
        ("cycle", "no"),
    ];
    let mut out = String::new();
    for (key, default) in defaults {
        let value = new.get(key).unwrap_or(default);
        let same = match old {
            Some(o) => o.get(key) == Some(value),
            None => value == default,
        };
        if same {
            continue;
        }
        out.push_str(&match key {
            "type" => format!(" AS {value}"),
            "increment" => format!(" INCREMENT BY {value}"),
            "min" => format!(" MINVALUE {value}"),
            "max" => format!(" MAXVALUE {value}"),
            "start" => format!(" START WITH {value}"),
            "cache" => format!(" CACHE {value}"),
            _ => (if value == "yes" {
                " CYCLE"
            } else {
                " NO CYCLE"
            })
            .to_string(),
        });
    }
    out
}
