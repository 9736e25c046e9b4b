//! `create NAME --autogenerate`: a migration generated from the difference
//! between the schema the migrations produce and a desired one (a SQL file
//! of the whole schema, or the Diesel models in `schema.rs`), and proven on
//! a scratch database before anything is written.
//!
//! The generator is pure: two catalog [`Snapshot`]s in, ordered statements
//! out ([`generate`]). `down.sql` is the same generator run the other way,
//! so it undoes `up.sql` by construction, and the proof ([`prove`]) checks
//! that it does.

mod columns;
mod diff_sql;
pub mod models;
mod models_diff;
mod models_types;
mod names;
mod objects;
pub mod order;
mod prove;
mod shape;
pub mod sql_file;
mod types;

pub use prove::{differences_up_to_column_order, prove, Proof};

use crate::catalog::{Change, Snapshot};
use order::{arrange, render, Phase, Statement};
use serde::Serialize;
use shape::Shape;
use std::collections::{BTreeMap, BTreeSet};

/// How to generate.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Recreate an enum type whose labels were removed or reordered (what a
    /// `down.sql` undoing added labels needs); otherwise that is refused
    /// with the manual procedure.
    pub recreate_enums: bool,
    /// Indexes (`table index`, as the snapshot names them) to create with
    /// `CONCURRENTLY`, each in a migration of its own.
    pub concurrent: BTreeSet<String>,
    /// Move columns so that a table's column order comes out exactly as in
    /// the newer snapshot (what a `down.sql` needs to restore a dropped
    /// column in its place); otherwise a different order is only noted.
    pub restore_column_order: bool,
}

/// A difference the generator does not write SQL for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unsupported {
    /// What, e.g. `column t.c generated` or `domain email`.
    pub object: String,
    /// Why, or the change itself.
    pub reason: String,
    /// The statements to run by hand, when known.
    pub sql: Vec<String>,
}

impl Unsupported {
    fn new(object: impl Into<String>, reason: impl Into<String>) -> Self {
        Unsupported {
            object: object.into(),
            reason: reason.into(),
            sql: Vec::new(),
        }
    }
}

/// A dropped column and an added one of the same type in one table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rename {
    /// The table.
    pub table: String,
    /// The dropped column.
    pub from: String,
    /// The added column.
    pub to: String,
    /// The statement to use instead if it is a rename.
    pub sql: String,
}

/// What [`generate`] produces for one direction.
#[derive(Debug, Clone, Default)]
pub struct Script {
    /// Statements in running order.
    pub statements: Vec<Statement>,
    /// `CREATE INDEX CONCURRENTLY` statements, each with its undoing
    /// `DROP INDEX CONCURRENTLY`: one migration each.
    pub concurrent: Vec<(Statement, Statement)>,
    /// Differences not generated.
    pub unsupported: Vec<Unsupported>,
    /// Possible renames.
    pub renames: Vec<Rename>,
    /// Remarks (column order).
    pub notes: Vec<String>,
}

/// The generator's working state.
struct Gen<'a> {
    old: Shape<'a>,
    new: Shape<'a>,
    opts: &'a Options,
    out: Vec<Statement>,
    concurrent: Vec<(Statement, Statement)>,
    unsupported: Vec<Unsupported>,
    renames: Vec<Rename>,
    notes: Vec<String>,
}

/// The statements that turn schema `old` into schema `new`, in running order.
pub fn generate(old: &Snapshot, new: &Snapshot, opts: &Options) -> Script {
    let mut g = Gen {
        old: Shape::of(old),
        new: Shape::of(new),
        opts,
        out: Vec::new(),
        concurrent: Vec::new(),
        unsupported: Vec::new(),
        renames: Vec::new(),
        notes: Vec::new(),
    };
    g.containers();
    g.enums();
    g.sequences();
    g.routines();
    g.views();
    g.tables();
    g.not_generated();
    let mut deps = fk_deps(&g.old);
    for (t, d) in fk_deps(&g.new) {
        deps.entry(t).or_default().extend(d);
    }
    Script {
        statements: arrange(g.out, &deps),
        concurrent: g.concurrent,
        unsupported: g.unsupported,
        renames: g.renames,
        notes: g.notes,
    }
}

/// For every table, the tables its foreign keys reference.
fn fk_deps(shape: &Shape) -> BTreeMap<String, BTreeSet<String>> {
    let mut deps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, table) in &shape.tables {
        for fact in table.constraints.values() {
            if let Some(target) = shape::referenced_table(diff_sql::definition(fact)) {
                deps.entry(name.clone()).or_default().insert(target);
            }
        }
    }
    deps
}

/// One migration directory to write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Migration {
    /// The migration name (`NAME`, or `NAME_<index>` for a concurrent index).
    pub name: String,
    /// The text of `up.sql`.
    pub up: String,
    /// The text of `down.sql`.
    pub down: String,
    /// False for a `CREATE INDEX CONCURRENTLY` migration (`metadata.toml`).
    pub run_in_transaction: bool,
}

/// Everything `create --autogenerate` decided, before the proof.
#[derive(Debug, Clone, Serialize)]
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
}

/// Plans the migrations that take `old` to `new`: `up.sql` from
/// [`generate`], `down.sql` from the reverse, concurrent indexes apart.
/// Unsupported differences are written as `-- TODO` comments (the caller
/// refuses to write them without `--force`).
pub fn plan(
    name: &str,
    source: &str,
    old: &Snapshot,
    new: &Snapshot,
    concurrent: BTreeSet<String>,
) -> Plan {
    let changes: Vec<Change> = old.diff(new);
    let up = generate(
        old,
        new,
        &Options {
            recreate_enums: false,
            concurrent: concurrent.clone(),
            restore_column_order: false,
        },
    );
    let down = generate(
        new,
        old,
        &Options {
            recreate_enums: true,
            concurrent,
            restore_column_order: true,
        },
    );
    let mut unsupported = up.unsupported.clone();
    for u in down.unsupported {
        if !unsupported.iter().any(|x| x.object == u.object) {
            unsupported.push(u);
        }
    }
    let mut migrations = Vec::new();
    if !up.statements.is_empty() || !unsupported.is_empty() {
        let mut up_stmts = up.statements.clone();
        for u in &unsupported {
            let mut todo = Statement::new(Phase::DropSchema, String::new());
            todo.notes
                .push(format!("TODO: {} not generated: {}", u.object, u.reason));
            todo.notes.extend(u.sql.iter().map(|s| format!("  {s}")));
            up_stmts.push(todo);
        }
        migrations.push(Migration {
            name: name.to_string(),
            up: render_file(&format!("{name}: generated by `ragchat-migrate create --autogenerate` from {source}.\nChecked on a scratch database: it gives the desired schema, and down.sql undoes it."), &up_stmts),
            down: render_file(&format!("Reverts {name}: generated with up.sql, checked to restore the schema exactly."), &down.statements),
            run_in_transaction: true,
        });
    }
    for (create, drop) in &up.concurrent {
        let ix = create
            .sql
            .split_whitespace()
            .skip_while(|w| *w != "CONCURRENTLY")
            .nth(1)
            .unwrap_or("index");
        let suffix: String = ix
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        migrations.push(Migration {
            name: format!("{name}_{}", suffix.trim_matches('_')),
            up: render_file("Runs outside a transaction (metadata.toml): CREATE INDEX CONCURRENTLY does not lock writes.\nIf it fails it leaves an INVALID index: drop it, then run again.", std::slice::from_ref(create)),
            down: render_file("Reverts the index of up.sql, also without a transaction.", std::slice::from_ref(drop)),
            run_in_transaction: false,
        });
    }
    let warnings = up
        .statements
        .iter()
        .filter_map(|s| {
            s.warning
                .as_ref()
                .map(|w| format!("{w}: {}", s.sql.lines().next().unwrap_or("")))
        })
        .collect();
    Plan {
        changes: changes.iter().map(ToString::to_string).collect(),
        migrations,
        warnings,
        renames: up.renames,
        unsupported,
        notes: up.notes,
    }
}

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
