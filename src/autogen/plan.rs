//! From two snapshots to the migration directories to write: `up.sql` from
//! the generator, `down.sql` from the generator run the other way, each
//! `CREATE INDEX CONCURRENTLY` in a migration of its own, and enum labels in
//! a migration before the rest when the rest uses them (PostgreSQL refuses a
//! label in the transaction that added it).

use super::migration::Migration;
use super::order::{render, Phase, Statement};
use super::{generate, Options, Rename, Unsupported};
use crate::proof::catalog::{Kind, Snapshot};
use serde::Serialize;
use std::collections::BTreeSet;

/// Everything `create --autogenerate` decided, before the proof.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    /// Every difference between the two schemas, as `check` prints them.
    pub changes: Vec<String>,
    /// The migrations, in applying order.
    pub migrations: Vec<Migration>,
    /// Destructive statements of `up.sql`: what each can lose.
    pub warnings: Vec<String>,
    /// Possible renames.
    pub renames: Vec<Rename>,
    /// Differences not generated.
    pub unsupported: Vec<Unsupported>,
    /// Remarks.
    pub notes: Vec<String>,
    /// Error-level lint findings acknowledged with `-- squawk-ignore`.
    pub acknowledged: Vec<super::acknowledge::Acknowledged>,
}

/// Plans the migrations that take `old` to `new`. `extra` are differences
/// found before generating (by the models route) that are not generated.
/// Unsupported differences are written as `-- TODO` comments (the caller
/// refuses to write them without `--force`).
pub fn plan(
    name: &str,
    source: &str,
    old: &Snapshot,
    new: &Snapshot,
    concurrent: BTreeSet<String>,
    extra: Vec<Unsupported>,
) -> Plan {
    let mut plan = Plan {
        changes: old.diff(new).iter().map(ToString::to_string).collect(),
        unsupported: extra,
        ..Plan::default()
    };
    match labels_first(old, new, &concurrent) {
        Some(mid) => {
            let labels = format!("{name}_enum_labels");
            plan.step(&labels, source, old, &mid, &BTreeSet::new());
            plan.step(name, source, &mid, new, &concurrent);
        }
        None => plan.step(name, source, old, new, &concurrent),
    }
    plan
}

/// The schema with only the enum labels added, when the rest of the
/// change uses an added label (and so must run in a later transaction).
fn labels_first(old: &Snapshot, new: &Snapshot, concurrent: &BTreeSet<String>) -> Option<Snapshot> {
    let opts = Options {
        concurrent: concurrent.clone(),
        ..Options::default()
    };
    let up = generate(old, new, &opts);
    let added: Vec<String> = up
        .statements
        .iter()
        .filter_map(|s| s.sql.split_once(" ADD VALUE ").map(|(_, l)| l))
        .filter_map(|l| {
            l.split(" BEFORE ")
                .next()?
                .split(" AFTER ")
                .next()
                .map(str::to_string)
        })
        .collect();
    let uses = up
        .statements
        .iter()
        .chain(up.concurrent.iter().map(|(c, _)| c))
        .any(|s| {
            !s.sql.contains(" ADD VALUE ") && added.iter().any(|l| s.sql.contains(l.as_str()))
        });
    if !uses {
        return None;
    }
    let facts = old
        .facts()
        .iter()
        .map(|f| match new.get(Kind::Enum, &f.name) {
            Some(n) if f.kind == Kind::Enum => n.clone(),
            _ => f.clone(),
        })
        .collect();
    Some(Snapshot::from_facts(facts))
}

impl Plan {
    /// Adds the migrations of one step, `old` to `new`.
    fn step(
        &mut self,
        name: &str,
        source: &str,
        old: &Snapshot,
        new: &Snapshot,
        concurrent: &BTreeSet<String>,
    ) {
        let options = |down: bool| Options {
            recreate_enums: down,
            concurrent: concurrent.clone(),
            // The desired column order holds both ways (a column added
            // in the middle of a table moves the ones after it).
            restore_column_order: true,
        };
        let up = generate(old, new, &options(false));
        // Under --force, what is not generated stays as it was: down.sql
        // starts from what up.sql reaches, not from `new`.
        let reached = reached(old, new, &up.unsupported);
        let down = generate(&reached, old, &options(true));
        for u in up.unsupported.iter().chain(&down.unsupported) {
            if !self.unsupported.iter().any(|x| x.object == u.object) {
                self.unsupported.push(u.clone());
            }
        }
        if !up.statements.is_empty() || !self.unsupported.is_empty() {
            let mut up_stmts = up.statements.clone();
            for u in &self.unsupported {
                let mut todo = Statement::new(Phase::DropSchema, String::new());
                todo.notes
                    .push(format!("TODO: {} not generated: {}", u.object, u.reason));
                todo.notes.extend(u.sql.iter().map(|s| format!("  {s}")));
                up_stmts.push(todo);
            }
            self.migrations.push(Migration {
                name: name.to_string(),
                up: render_file(
                    &format!(
                        "{name}: generated by `ragchat-migrate create --autogenerate` from {source}.\n\
                         Checked on a scratch database: it gives the desired schema, and down.sql undoes it."
                    ),
                    &up_stmts,
                ),
                down: render_file(
                    &format!("Reverts {name}: generated with up.sql, checked to restore the schema exactly."),
                    &down.statements,
                ),
                run_in_transaction: true,
            });
        }
        for (create, drop) in &up.concurrent {
            self.migrations
                .push(concurrent_migration(name, create, drop));
        }
        self.warnings.extend(up.statements.iter().filter_map(|s| {
            let w = s.warning.as_ref()?;
            Some(format!("{w}: {}", s.sql.lines().next().unwrap_or("")))
        }));
        self.renames.extend(up.renames);
        self.notes.extend(up.notes);
    }
}

/// `new`, with the facts of unsupported differences as they are in `old`.
fn reached(old: &Snapshot, new: &Snapshot, unsupported: &[Unsupported]) -> Snapshot {
    let keep: BTreeSet<&(Kind, String)> = unsupported.iter().flat_map(|u| &u.facts).collect();
    if keep.is_empty() {
        return new.clone();
    }
    let mut facts: Vec<_> = new
        .facts()
        .iter()
        .filter(|f| !keep.contains(&(f.kind, f.name.clone())))
        .cloned()
        .collect();
    facts.extend(
        old.facts()
            .iter()
            .filter(|f| keep.contains(&(f.kind, f.name.clone())))
            .cloned(),
    );
    Snapshot::from_facts(facts)
}

/// A migration of its own, outside a transaction, for one concurrent index.
fn concurrent_migration(name: &str, create: &Statement, drop: &Statement) -> Migration {
    let ix = create
        .sql
        .split_whitespace()
        .skip_while(|w| *w != "CONCURRENTLY")
        .nth(1)
        .unwrap_or("index");
    let suffix = crate::migrations::names::slug(ix);
    Migration {
        name: format!("{name}_{}", suffix.trim_matches('_')),
        up: render_file(
            "Runs outside a transaction (metadata.toml): CREATE INDEX CONCURRENTLY does not block writes.\n\
             If it fails it leaves an INVALID index: drop it, then run again.",
            std::slice::from_ref(create),
        ),
        down: render_file(
            "Reverts the index of up.sql, also without a transaction.",
            std::slice::from_ref(drop),
        ),
        run_in_transaction: false,
    }
}

/// A file's text: the statements, then the `-- TODO` blocks.
fn render_file(header: &str, statements: &[Statement]) -> String {
    let body: Vec<Statement> = statements
        .iter()
        .filter(|s| !s.sql.is_empty())
        .cloned()
        .collect();
    let mut text = render(header, &body);
    for s in statements.iter().filter(|s| s.sql.is_empty()) {
        text.push('\n');
        for n in &s.notes {
            text.push_str(&format!("-- {n}\n"));
        }
    }
    text
}
