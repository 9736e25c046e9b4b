//! Changing what the ledger records without running migration SQL, each
//! under the migration lock: `stamp` (record a target as the applied
//! state) and `accept` (record the current checksums of an edited, applied
//! migration). An application can call them as the CLI does.

use crate::config::database_url::DatabaseUrl;
use crate::database::ledger;
use crate::database::migrator::{self, Observer};
use crate::database::script;
use crate::error::{Error, Result};
use crate::migrations::plan::{self, StampPlan};
use crate::migrations::source::{MigrationScript, MigrationSet};
use crate::migrations::status::{ChecksumChange, Status};
use crate::migrations::target::Target;
use crate::proof::{catalog, drift};
use crate::refusal::Refusal;
use diesel::PgConnection;
use std::time::Duration;

/// How `stamp` goes about it.
#[derive(Debug, Clone, Copy)]
pub struct StampOptions {
    /// Also forget applied versions the set does not have.
    pub purge: bool,
    /// Record it even though the live schema differs from what the
    /// migrations up to the target make.
    pub force: bool,
    /// How long to wait for the migration lock.
    pub lock_timeout: Duration,
    /// Seconds to wait for a scratch database's connection.
    pub connect_timeout: u64,
}

/// What `stamp` changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamped {
    /// Versions recorded as applied.
    pub recorded: usize,
    /// Applied versions forgotten.
    pub forgotten: usize,
}

/// Records `target` as the applied state of the database at `url`. When the
/// database has a schema, it must be what the migrations then applied make
/// (unless `force`), checked on a scratch database.
pub fn stamp(
    conn: &mut PgConnection,
    url: &DatabaseUrl,
    set: &MigrationSet,
    target: &Target,
    options: StampOptions,
    observer: &mut dyn Observer,
) -> Result<Stamped> {
    migrator::with_lock(conn, options.lock_timeout, observer, |conn, _| {
        let (read, located) = ledger::read_located(conn)?;
        let status = Status::new(set, &read);
        let stamp = plan::stamp(set, &status, target, options.purge)?;
        if !options.force {
            let timeout = options.connect_timeout;
            refuse_other_schema(url, conn, timeout, set, &status, &stamp)?;
        }
        let stamped = Stamped {
            recorded: stamp.record.len(),
            forgotten: stamp.forget.len(),
        };
        if stamped.recorded + stamped.forgotten > 0 {
            let sql = script::render_stamp(&stamp, "stamp", false, &read.tables);
            ledger::record_stamp(conn, &located, &sql)?;
        }
        Ok(stamped)
    })
}

/// Stamping records a schema as made by migrations: when the database has
/// objects, they must be what those migrations make.
fn refuse_other_schema(
    url: &DatabaseUrl,
    conn: &mut PgConnection,
    connect_timeout: u64,
    set: &MigrationSet,
    status: &Status,
    stamp: &StampPlan,
) -> Result<()> {
    if catalog::snapshot(conn)?.is_empty() {
        return Ok(());
    }
    let after: Vec<&MigrationScript> = set
        .all()
        .iter()
        .enumerate()
        .filter(|(i, m)| {
            let applied =
                status.migrations[*i].applied.is_some() && !stamp.forget.contains(&m.version);
            applied || stamp.record.iter().any(|r| r.version == m.version)
        })
        .map(|(_, m)| m)
        .collect();
    let expected = drift::expected_schema(url, conn, connect_timeout, set, after)?;
    let changes = drift::compare(&expected, conn)?;
    if changes.is_empty() {
        return Ok(());
    }
    let changes = changes.iter().map(ToString::to_string).collect();
    Err(Error::Refused(Refusal::StampOverDifferentSchema {
        changes,
    }))
}

/// Records the current checksums of the applied migration at `index` of
/// `set`, whose files were edited after it was applied; returns the files
/// whose checksums changed (none: they already matched). Refused when it
/// is not applied.
pub fn accept(
    conn: &mut PgConnection,
    set: &MigrationSet,
    index: usize,
    lock_timeout: Duration,
    observer: &mut dyn Observer,
) -> Result<Vec<ChecksumChange>> {
    let m = &set.all()[index];
    migrator::with_lock(conn, lock_timeout, observer, |conn, _| {
        let read = ledger::read(conn)?;
        let status = Status::new(set, &read);
        let state = &status.migrations[index];
        if state.applied.is_none() {
            return Err(Error::Usage(format!(
                "{} is not applied; nothing to accept",
                m.dir_name
            )));
        }
        if !state.changes.is_empty() {
            ledger::accept_checksums(conn, &read.tables, m)?;
        }
        Ok(state.changes.clone())
    })
}
