//! Schema drift: the live database next to what its recorded migrations
//! produce on a scratch database. Used by `check` (someone ran `ALTER TABLE`
//! by hand), `stamp` (does the schema really match that version?) and
//! `adopt` (is this the schema the Python system made?).

use crate::config::database_url::DatabaseUrl;
use crate::database::migrator;
use crate::error::Result;
use crate::migrations::source::{MigrationScript, MigrationSet};
use crate::proof::catalog::{self, Change, Snapshot};
use crate::proof::scratch::ScratchDb;
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
    let mut scratch = ScratchDb::create(target, target_conn, connect_timeout)?;
    let mut conn = scratch.take_connection()?;
    migrator::apply_for_schema(&mut conn, set, migrations)?;
    let snapshot = catalog::snapshot(&mut conn)?;
    drop(conn);
    scratch.drop_through(target_conn);
    Ok(snapshot)
}

/// The applied known migrations of a ledger, oldest first.
pub fn applied_migrations<'s>(
    set: &'s MigrationSet,
    status: &crate::migrations::status::Status,
) -> Vec<&'s MigrationScript> {
    status.applied().map(|i| &set.all()[i]).collect()
}

/// How the live schema differs from the expected one: `+` is in the live
/// database only, `-` is missing from it, `~` differs.
pub fn compare(expected: &Snapshot, live_conn: &mut PgConnection) -> Result<Vec<Change>> {
    let live = catalog::snapshot(live_conn)?;
    Ok(expected.diff(&live))
}

/// [`compare`] for the everyday `check`: the live snapshot is reused from a
/// private local cache (as for the expected schema) while the database's
/// catalog [`catalog::fingerprint`] is unchanged, which costs a third of
/// taking the snapshot anew. The fingerprint is read before the snapshot it
/// is stored with, so a change in between can only make that entry
/// unreachable, never stale. `stamp` and `adopt` always take a snapshot.
pub fn compare_cached(
    expected: &Snapshot,
    live: &DatabaseUrl,
    live_conn: &mut PgConnection,
) -> Result<Vec<Change>> {
    Ok(expected.diff(&live_snapshot_cached(live, live_conn)?))
}

/// The live schema of [`compare_cached`], through its cache.
fn live_snapshot_cached(live: &DatabaseUrl, live_conn: &mut PgConnection) -> Result<Snapshot> {
    let Some(dir) = cache_dir() else {
        return catalog::snapshot(live_conn);
    };
    let key = crate::migrations::checksum::sha256_hex(&format!(
        "{}\n{}\n{}",
        env!("CARGO_PKG_VERSION"),
        crate::migrations::checksum::sha256_hex(catalog::FACTS_SQL),
        catalog::fingerprint(live_conn)?
    ));
    // One entry per database: a new schema replaces the old entry.
    let path = dir.join(format!(
        "live-{}.json",
        crate::migrations::checksum::sha256_hex(live.masked())
    ));
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Entry {
        key: String,
        snapshot: Snapshot,
    }
    let cached = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Entry>(&bytes).ok())
        .filter(|entry| entry.key == key);
    let snapshot = match cached {
        Some(entry) => entry.snapshot,
        None => {
            let snapshot = catalog::snapshot(live_conn)?;
            let entry = Entry { key, snapshot };
            write_atomically(&dir, &path, &entry);
            entry.snapshot
        }
    };
    Ok(snapshot)
}

/// Writes `value` as JSON to `path` through a temporary file and a rename,
/// so a concurrent reader never sees half a file; failures are ignored (the
/// cache is only a cache).
fn write_atomically(dir: &std::path::Path, path: &std::path::Path, value: &impl serde::Serialize) {
    let Ok(json) = serde_json::to_vec(value) else {
        return;
    };
    let partial = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy(),
        std::process::id()
    ));
    if std::fs::write(&partial, json).is_ok() && std::fs::rename(&partial, path).is_err() {
        let _ = std::fs::remove_file(&partial);
    }
}

/// `check`'s drift: how the live schema differs from what `migrations`
/// make. The expected schema comes from the cache when it can; when it must
/// be built on a scratch database, the live schema is read meanwhile on a
/// second connection (the two are independent), so a cold `check` costs
/// about the scratch build, not the build plus a snapshot. Without a second
/// connection (a connection limit), the live schema is read afterwards.
pub fn drift_for_check(
    target: &DatabaseUrl,
    target_conn: &mut PgConnection,
    connect_timeout: u64,
    set: &MigrationSet,
    migrations: Vec<&MigrationScript>,
) -> Result<Vec<Change>> {
    let (cached, path) = cached_expected(target_conn, set, &migrations)?;
    if let Some(expected) = cached {
        return compare_cached(&expected, target, target_conn);
    }
    let (expected, live) = std::thread::scope(|scope| {
        let live = scope.spawn(|| {
            let mut conn = target.connect(connect_timeout)?;
            live_snapshot_cached(target, &mut conn)
        });
        let expected = build_expected(target, target_conn, connect_timeout, set, migrations, path);
        (expected, live.join())
    });
    let expected = expected?;
    let live = match live {
        Ok(Ok(snapshot)) => snapshot,
        _ => live_snapshot_cached(target, target_conn)?,
    };
    Ok(expected.diff(&live))
}

/// The cache of [`expected_schema`]. The expected schema is a pure
/// function of the applied migrations' texts and the server's version, so it
/// is computed on a scratch database once and kept, keyed by exactly those
/// (and this tool's version and snapshot query), in a private cache directory
/// on this machine (never in the database being checked, which must not be
/// able to vouch for itself). A cache that cannot be read or written is
/// simply not used.
///
/// Runs the checks that must come before any cache, then returns the
/// cached expected schema if there is one, and where to store it otherwise
/// (`None`: no cache).
fn cached_expected(
    target_conn: &mut PgConnection,
    set: &MigrationSet,
    migrations: &[&MigrationScript],
) -> Result<(Option<Snapshot>, Option<std::path::PathBuf>)> {
    set.require_contents()?;
    // Refused before the cache is consulted: a cached schema would hide it.
    crate::migrations::sql_check::check_migrations(migrations)?;
    let Some(dir) = cache_dir() else {
        return Ok((None, None));
    };
    let key = cache_key(target_conn, migrations)?;
    let path = dir.join(format!("expected-{key}.json"));
    let cached = std::fs::read(&path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Snapshot>(&bytes).ok());
    Ok((cached, Some(path)))
}

/// Builds the expected schema on a scratch database and stores it at `path`.
fn build_expected(
    target: &DatabaseUrl,
    target_conn: &mut PgConnection,
    connect_timeout: u64,
    set: &MigrationSet,
    migrations: Vec<&MigrationScript>,
    path: Option<std::path::PathBuf>,
) -> Result<Snapshot> {
    let snapshot = expected_schema(target, target_conn, connect_timeout, set, migrations)?;
    if let Some(path) = path {
        if let Some(dir) = path.parent() {
            write_atomically(dir, &path, &snapshot);
        }
    }
    Ok(snapshot)
}

fn cache_key(conn: &mut PgConnection, migrations: &[&MigrationScript]) -> Result<String> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    // The search_path decides which schemas the migrations build into.
    let server: Version = diesel::sql_query(
        "SELECT version() || ' search_path=' || current_setting('search_path') \
                || ' current_schema=' || coalesce(current_schema()::text, '') AS v",
    )
    .get_result(conn)?;
    let mut material = format!(
        "{}\n{}\n{}\n",
        env!("CARGO_PKG_VERSION"),
        crate::migrations::checksum::sha256_hex(catalog::FACTS_SQL),
        server.v
    );
    for m in migrations {
        material.push_str(&format!(
            "{} {} {}\n",
            m.version, m.up_sha256, m.run_in_transaction
        ));
    }
    Ok(crate::migrations::checksum::sha256_hex(&material))
}

/// `RAGCHAT_CACHE_DIR`, else `$XDG_CACHE_HOME/ragchat-migrate`, else
/// `~/.cache/ragchat-migrate`; created private (0700).
fn cache_dir() -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::var_os("RAGCHAT_CACHE_DIR")
        .filter(|d| !d.is_empty())
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .filter(|d| !d.is_empty())
                .map(|d| std::path::PathBuf::from(d).join("ragchat-migrate"))
        })
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|d| !d.is_empty())
                .map(|h| std::path::PathBuf::from(h).join(".cache/ragchat-migrate"))
        })?;
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).ok()?;
    Some(dir)
}
