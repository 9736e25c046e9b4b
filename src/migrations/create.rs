//! `create NAME`: a new migration directory with a version no other
//! migration has, also when several `create`s run at once, that appears
//! complete or not at all.
//!
//! The version is reserved by creating a hidden staging directory
//! (`mkdir` is atomic: one process wins a version), and checked against
//! the folder again once reserved (a winner may have renamed its
//! reservation away just before). The files are written into the
//! reservation, which is then renamed to `<timestamp>_<name>` without
//! replacing anything.
//!
//! The reservation lives BESIDE the migrations folder, as
//! `.<folder>.creating-<version>` in its parent, so nothing ever vanishes
//! from the folder itself: Diesel's `FileBasedMigrations` stats each entry
//! it lists before it skips hidden names, and fails with `NotFound` when a
//! hidden entry is renamed away in between. Only when the parent is not
//! writable, or on another file system, is the reservation made inside the
//! folder as `.creating-<version>` (both readers skip names starting with
//! `.`). A reservation left by a killed `create` is removed by a later one
//! after ten minutes.

use crate::error::{Error, Result};
use crate::migrations::directory::{diesel_version, MigrationDirectory};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The prefix of a reservation's directory name inside the folder.
pub const RESERVATION_PREFIX: &str = ".creating-";

/// How old an abandoned reservation must be before it is removed.
const STALE_AFTER: Duration = Duration::from_secs(600);

/// Where reservations are made: a directory and a name prefix.
struct Staging {
    root: PathBuf,
    prefix: String,
}

impl Staging {
    /// Beside the folder, in its parent (None for a root folder).
    fn beside(dir: &Path) -> Option<Staging> {
        let dir = dir.canonicalize().ok()?;
        let base = dir.file_name()?.to_string_lossy().into_owned();
        Some(Staging {
            root: dir.parent()?.to_path_buf(),
            prefix: format!(".{base}{RESERVATION_PREFIX}"),
        })
    }

    /// Inside the folder itself.
    fn inside(dir: &Path) -> Staging {
        Staging {
            root: dir.to_path_buf(),
            prefix: RESERVATION_PREFIX.to_string(),
        }
    }

    fn path(&self, version: &str) -> PathBuf {
        self.root.join(format!("{}{version}", self.prefix))
    }
}

/// What one attempt with one staging place ended with.
enum Attempt {
    Done(Created),
    /// The staging place cannot be used: try the next one.
    Elsewhere,
}

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
    let inside = Staging::inside(dir);
    let places: Vec<Staging> = Staging::beside(dir).into_iter().chain([inside]).collect();
    for place in &places {
        remove_stale_reservations(place);
    }
    for (i, place) in places.iter().enumerate() {
        let last = i + 1 == places.len();
        let attempt = Attempt::run(&folder, dir, name, no_transaction, now, place, last)?;
        if let Attempt::Done(created) = attempt {
            return Ok(created);
        }
    }
    Err(Error::Internal("no place to stage a new migration".into()))
}

impl Attempt {
    /// Reserves a free version in `place`, writes the files there and
    /// renames them into `dir`. Unless `last`, a place that cannot be
    /// written or renamed from gives `Elsewhere` instead of an error.
    fn run(
        folder: &MigrationDirectory,
        dir: &Path,
        name: &str,
        no_transaction: bool,
        now: DateTime<Utc>,
        place: &Staging,
        last: bool,
    ) -> Result<Attempt> {
        let mut when = now;
        for _ in 0..10_000 {
            let names = folder.names()?;
            refuse_same_name(&names, name)?;
            let stamp = when.format("%Y-%m-%d-%H%M%S").to_string();
            let version = diesel_version(&stamp);
            when += chrono::Duration::seconds(1);
            // A reservation held inside the folder (by a `create` that could
            // not stage beside it) also holds its version.
            if names.iter().any(|n| diesel_version(n) == version)
                || Staging::inside(dir).path(&version).exists()
            {
                continue;
            }
            let reservation = place.path(&version);
            match std::fs::create_dir(&reservation) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(_) if !last => return Ok(Attempt::Elsewhere),
                Err(e) => return Err(Error::io(reservation.display(), e)),
            }
            // Reserved; a directory another process finished just before
            // still holds the version (or the name).
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
            match done {
                Ok(()) => return Ok(Attempt::Done(Created { dir_name, path })),
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&reservation);
                    if !last && !path.exists() {
                        return Ok(Attempt::Elsewhere);
                    }
                    return Err(e);
                }
            }
        }
        Err(Error::Internal(
            "no free migration version in 10,000 seconds".into(),
        ))
    }
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
fn remove_stale_reservations(place: &Staging) {
    let Ok(entries) = std::fs::read_dir(&place.root) else {
        return;
    };
    for entry in entries.flatten() {
        let stale = entry
            .file_name()
            .to_string_lossy()
            .starts_with(&place.prefix)
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
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("migrations");
        std::fs::create_dir(&dir).unwrap();
        let now = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let a = create_migration(&dir, "a", false, now).unwrap();
        let b = create_migration(&dir, "b", true, now).unwrap();
        assert_eq!(a.dir_name, "2030-01-01-000000_a");
        assert_eq!(b.dir_name, "2030-01-01-000001_b");
        assert!(b.path.join("metadata.toml").is_file());
        let err = create_migration(&dir, "a", false, now).unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        // A held reservation, beside or inside the folder, makes the next
        // create skip its version.
        std::fs::create_dir(parent.path().join(".migrations.creating-20300101000002")).unwrap();
        std::fs::create_dir(dir.join(".creating-20300101000003")).unwrap();
        let c = create_migration(&dir, "c", false, now).unwrap();
        assert_eq!(c.dir_name, "2030-01-01-000004_c");
    }

    /// Diesel's listing stats every entry before it skips hidden ones, so a
    /// reservation renamed away inside the folder made it fail with
    /// `NotFound` while another process created a migration.
    #[test]
    fn diesel_lists_the_folder_while_migrations_are_created() {
        use diesel::migration::MigrationSource;
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("migrations");
        std::fs::create_dir(&dir).unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|scope| {
            let reader = scope.spawn(|| {
                let mut loads = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let source = diesel_migrations::FileBasedMigrations::from_path(&dir)
                        .expect("Diesel opened the folder");
                    MigrationSource::<diesel::pg::Pg>::migrations(&source)
                        .expect("Diesel listed the folder");
                    loads += 1;
                }
                loads
            });
            for i in 0..200 {
                create_migration(&dir, &format!("m{i}"), false, Utc::now()).unwrap();
            }
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            assert!(reader.join().unwrap() > 0);
        });
        let hidden = std::fs::read_dir(parent.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with('.')
            })
            .count();
        assert_eq!(hidden, 0, "reservations were left behind");
    }

    #[test]
    fn a_folder_whose_parent_is_read_only_stages_inside() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("migrations");
        std::fs::create_dir(&dir).unwrap();
        let place = Staging::inside(&dir);
        let now = Utc::now();
        let attempt = Attempt::run(
            &MigrationDirectory::open(&dir).unwrap(),
            &dir,
            "inside",
            false,
            now,
            &place,
            true,
        )
        .unwrap();
        let Attempt::Done(created) = attempt else {
            panic!("the last place must be used")
        };
        assert!(created.path.join("down.sql").is_file());
        // A place that cannot be written is passed over unless it is the last.
        let nowhere = Staging {
            root: parent.path().join("missing"),
            prefix: ".x".into(),
        };
        let folder = MigrationDirectory::open(&dir).unwrap();
        let next = Attempt::run(&folder, &dir, "b", false, now, &nowhere, false).unwrap();
        assert!(matches!(next, Attempt::Elsewhere));
        assert!(Attempt::run(&folder, &dir, "b", false, now, &nowhere, true).is_err());
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
