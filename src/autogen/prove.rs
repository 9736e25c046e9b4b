//! The proof before writing: the generated migrations are run by the real
//! migrator on a scratch database that holds the existing migrations, the
//! result is compared with the desired schema, and then the generated
//! `down.sql` files must give back the starting schema exactly (the
//! comparison `verify` makes).

use crate::database::migrator::{self, Command, RunOptions, Silent};
use crate::error::Result;
use crate::migrations::source::{MigrationScript, MigrationSet};
use crate::migrations::target::Target;
use crate::proof::catalog::{self, Snapshot};
use diesel::PgConnection;
use serde::Serialize;

/// The outcome of [`prove`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Proof {
    /// True when up gave the desired schema and down the starting one.
    pub ok: bool,
    /// A generated migration that failed to run, with PostgreSQL's message.
    pub error: Option<String>,
    /// What still differs from the desired schema after the up migrations.
    pub up_difference: Vec<String>,
    /// What differs from the starting schema after the down migrations
    /// (- was there before and is missing, + is left over, ~ differs).
    pub down_difference: Vec<String>,
}

/// Runs `generated` up and then down on `conn`, a scratch database at the
/// head of `existing` whose schema is `base`. `up_differs` says what still
/// differs from the desired schema after the up migrations.
pub fn prove(
    conn: &mut PgConnection,
    existing: &MigrationSet,
    generated: &[MigrationScript],
    base: &Snapshot,
    up_differs: &dyn Fn(&Snapshot) -> Result<Vec<String>>,
) -> Result<Proof> {
    let mut all: Vec<MigrationScript> = existing.all().to_vec();
    all.extend(generated.iter().cloned());
    let set = MigrationSet::from_scripts(all)?;
    let run = |conn: &mut PgConnection, command: Command| {
        migrator::run(conn, &set, &command, &RunOptions::default(), &mut Silent)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let mut proof = Proof::default();
    if let Err(e) = run(conn, Command::Upgrade(Target::Head)) {
        proof.error = Some(format!("the generated up.sql fails: {e}"));
        return Ok(proof);
    }
    let after = catalog::snapshot(conn)?;
    proof.up_difference = up_differs(&after)?;
    let back = Target::Relative(-(generated.len() as i64));
    if let Err(e) = run(conn, Command::Downgrade(back)) {
        proof.error = Some(format!("the generated down.sql fails: {e}"));
        return Ok(proof);
    }
    let reverted = catalog::snapshot(conn)?;
    proof.down_difference = base
        .diff(&reverted)
        .iter()
        .map(ToString::to_string)
        .collect();
    proof.ok = proof.up_difference.is_empty() && proof.down_difference.is_empty();
    Ok(proof)
}

/// What differs between `actual` and `desired`, up to the order of columns
/// within a table (PostgreSQL cannot move a column).
pub fn differences_up_to_column_order(desired: &Snapshot, actual: &Snapshot) -> Vec<String> {
    desired
        .diff(actual)
        .into_iter()
        .filter(|c| {
            let reordered = c.kind == catalog::Kind::Table
                && c.attribute.as_deref() == Some("columns")
                && match (&c.old, &c.new) {
                    (Some(o), Some(n)) => sorted(o) == sorted(n),
                    _ => false,
                };
            !reordered
        })
        .map(|c| c.to_string())
        .collect()
}

fn sorted(list: &str) -> Vec<String> {
    let mut items = super::names::paren_list(list);
    items.sort();
    items
}
