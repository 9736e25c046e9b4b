//! Schema drift: the live database next to what its recorded migrations
//! produce on a scratch database. Used by `check` (someone ran `ALTER TABLE`
//! by hand), `stamp` (does the schema really match that version?) and
//! `adopt` (is this the schema the Python system made?).

use crate::catalog::{self, Change, Snapshot};
use crate::database_url::DatabaseUrl;
use crate::error::Result;
use crate::migrator::{self, RunOptions};
use crate::scratch::ScratchDb;
use crate::source::{MigrationScript, MigrationSet};
use diesel::PgConnection;

/// The schema that applying exactly `migrations` produces, built on a scratch
/// database next to `target` and dropped afterwards.
pub fn expected_schema(
    target: &DatabaseUrl,
    target_conn: &mut PgConnection,
    connect_timeout: u64,
    set: &MigrationSet,
    migrations: Vec<&MigrationScript>,
) -> Result<Snapshot> {
    let scratch = ScratchDb::create(target, target_conn, connect_timeout)?;
    let mut conn = scratch.connect()?;
    migrator::apply_exactly(&mut conn, set, migrations, &RunOptions::default())?;
    catalog::snapshot(&mut conn)
}

/// The applied known migrations of a ledger, oldest first.
pub fn applied_migrations<'s>(
    set: &'s MigrationSet,
    status: &crate::plan::Status,
) -> Vec<&'s MigrationScript> {
    status.applied().map(|i| &set.all()[i]).collect()
}

/// How the live schema differs from the expected one: `+` is in the live
/// database only, `-` is missing from it, `~` differs.
pub fn compare(expected: &Snapshot, live_conn: &mut PgConnection) -> Result<Vec<Change>> {
    let live = catalog::snapshot(live_conn)?;
    Ok(expected.diff(&live))
}

/// The changes as indented lines for a message.
pub fn render(changes: &[Change]) -> String {
    changes
        .iter()
        .map(|c| format!("    {c}"))
        .collect::<Vec<_>>()
        .join("\n")
}
