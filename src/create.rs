//! `create NAME`: a new migration directory with a version no other
//! migration has, also when several `create`s run at once, that appears
//! complete or not at all.
//!
//! The version is reserved by creating the hidden directory
//! `.creating-<version>` (`mkdir` is atomic: one process wins a version),
//! and checked against the folder again once reserved (a winner may have
//! renamed its reservation away just before). The files are written into
//! the reservation, which is then renamed to `<timestamp>_<name>` without
//! replacing anything. Readers skip it meanwhile: the toolkit and Diesel's
//! `FileBasedMigrations` both ignore names starting with `.`. A reservation
//! left by a killed `create` is removed by a later one after ten minutes.

use crate::directory::{diesel_version, MigrationDirectory};
use crate::error::{Error, Result};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The prefix of a reservation's directory name.
pub const RESERVATION_PREFIX: &str = ".creating-";

/// How old an abandoned reservation must be before it is removed.
const STALE_AFTER: Duration = Duration::from_secs(600);

/// A created migration directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// `<timestamp>_<name>`.
    pub dir_name: String,
    /// The directory's path.
    pub path: PathBuf,
}

/// Creates `<timestamp>_<name>` in `dir`, at `now` or the first free second
/// after it. `name` must already be valid.
pub fn create_migration(
    dir: &Path,
    name: &str,
    no_transaction: bool,
    now: DateTime<Utc>,
) -> Result<Created> {
    let folder = MigrationDirectory::open(dir)?;
    remove_stale_reservations(dir);
    let mut when = now;
    for _ in 0..10_000 {
        let names = folder.names()?;
        refuse_same_name(&names, name)?;
        let stamp = when.format("%Y-%m-%d-%H%M%S").to_string();
        let version = diesel_version(&stamp);
        when += chrono::Duration::seconds(1);
        if names.iter().any(|n| diesel_version(n) == version) {
            continue;
        }
        let reservation = dir.join(format!("{RESERVATION_PREFIX}{version}"));
        match std::fs::create_dir(&reservation) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::io(reservation.display(), e)),
        }
        // Reserved; a directory another process finished just before still
        // holds the version (or the name).
        let names = folder.names()?;
        let taken = names.iter().any(|n| diesel_version(n) == version);
        if taken || refuse_same_name(&names, name).is_err() {
            let _ = std::fs::remove_dir(&reservation);
            refuse_same_name(&names, name)?;
            continue;
        }
        let dir_name = format!("{stamp}_{name}");
        let path = dir.join(&dir_name);
        let done = write_files(&reservation, name, no_transaction)
            .and_then(|()| rename_no_replace(&reservation, &path));
        if let Err(e) = done {
            let _ = std::fs::remove_dir_all(&reservation);
            return Err(e);
        }
        return Ok(Created { dir_name, path });
    }
    Err(Error::Internal(
        "no free migration version in 10,000 seconds".into(),
    ))
}

fn refuse_same_name(names: &[String], name: &str) -> Result<()> {
    match names
        .iter()
        .find(|n| n.split_once('_').is_some_and(|(_, label)| label == name))
    {
        Some(existing) => Err(Error::Usage(format!(
            "a migration named {name} already exists: {existing}; fix: choose another name"
        ))),
        None => Ok(()),
    }
}

fn write_files(dir: &Path, name: &str, no_transaction: bool) -> Result<()> {
    let write = |file: &str, text: String| {
        let path = dir.join(file);
        std::fs::write(&path, text).map_err(|e| Error::io(path.display(), e))
    };
    let transaction_note = if no_transaction {
        "-- Runs OUTSIDE a transaction (metadata.toml): each statement is sent and\n\
         -- committed on its own, e.g.\n\
         --   CREATE INDEX CONCURRENTLY ix_messages_created_at ON messages (created_at);\n"
    } else {
        "-- Runs inside a transaction with its ledger entry: all of it applies, or none.\n\
         -- No BEGIN/COMMIT/ROLLBACK here (SAVEPOINT is fine).\n"
    };
    write(
        "up.sql",
        format!("-- {name}: what this migration changes, and why.\n{transaction_note}\n"),
    )?;
    write(
        "down.sql",
        format!(
            "-- Reverts {name}: undo every change of up.sql, newest first, so that\n\
             -- `ragchat-migrate redo` and `verify` find the schema as it was.\n\n"
        ),
    )?;
    if no_transaction {
        write("metadata.toml", "run_in_transaction = false\n".to_string())?;
    }
    Ok(())
}

/// Renames `from` to `to`, failing if `to` exists (plain `rename` would
/// replace an empty directory).
fn rename_no_replace(from: &Path, to: &Path) -> Result<()> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    let renamed = nix::fcntl::renameat2(
        None,
        from,
        None,
        to,
        nix::fcntl::RenameFlags::RENAME_NOREPLACE,
    )
    .map_err(std::io::Error::from);
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let renamed = if to.exists() {
        Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists))
    } else {
        std::fs::rename(from, to)
    };
    renamed.map_err(|e| Error::io(to.display(), e))
}

/// Removes reservations that a killed `create` left behind.
fn remove_stale_reservations(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .file_name()
            .to_string_lossy()
            .starts_with(RESERVATION_PREFIX)
            && entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > STALE_AFTER);
        if stale {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_second_creates_get_the_next_free_second() {
        let dir = tempfile::tempdir().unwrap();
        let now = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let a = create_migration(dir.path(), "a", false, now).unwrap();
        let b = create_migration(dir.path(), "b", true, now).unwrap();
        assert_eq!(a.dir_name, "2030-01-01-000000_a");
        assert_eq!(b.dir_name, "2030-01-01-000001_b");
        assert!(b.path.join("metadata.toml").is_file());
        let err = create_migration(dir.path(), "a", false, now).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        // A held reservation makes the next create skip its version.
        std::fs::create_dir(dir.path().join(".creating-20300101000002")).unwrap();
        let c = create_migration(dir.path(), "c", false, now).unwrap();
        assert_eq!(c.dir_name, "2030-01-01-000003_c");
    }

    #[test]
    fn an_existing_directory_is_never_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let from = dir.path().join("from");
        let to = dir.path().join("to");
        std::fs::create_dir(&from).unwrap();
        std::fs::create_dir(&to).unwrap();
        assert!(rename_no_replace(&from, &to).is_err());
        assert!(from.is_dir());
    }
}
