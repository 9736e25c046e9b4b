//! `create NAME --autogenerate`: a migration generated from the difference
//! between the schema the migrations produce and a desired one (a SQL file
//! of the whole schema, or the Diesel models in `schema.rs`), and proven on
//! a scratch database before anything is written.
//!
//! The generator is pure: two catalog [`Snapshot`]s in, ordered statements
//! out ([`generate`]). `down.sql` is the same generator run the other way,
//! so it undoes `up.sql` by construction, and the proof ([`prove`]) checks
//! that it does.

pub mod acknowledge;
mod columns;
mod diff_sql;
mod migration;
pub mod models;
mod models_diff;
mod models_text;
mod models_types;
mod names;
mod objects;
pub mod order;
mod plan;
mod prove;
mod shape;
pub mod sql_file;
mod types;

pub use migration::Migration;
pub use plan::{plan, Plan};
pub use prove::{differences_up_to_column_order, prove, Proof};

use crate::proof::catalog::Snapshot;
use order::{arrange, Statement};
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
    /// The facts it concerns, which stay as they were.
    #[serde(skip)]
    pub facts: Vec<(crate::proof::catalog::Kind, String)>,
}

impl Unsupported {
    fn new(object: impl Into<String>, reason: impl Into<String>) -> Self {
        Unsupported {
            object: object.into(),
            reason: reason.into(),
            sql: Vec::new(),
            facts: Vec::new(),
        }
    }

    /// Concerning the fact `kind name`.
    fn about(mut self, kind: crate::proof::catalog::Kind, name: &str) -> Self {
        self.facts.push((kind, name.to_string()));
        self
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

#[cfg(test)]
mod tests;
