//! A migrations directory on disk, read the way Diesel's `FileBasedMigrations`
//! reads it (same entries, same names, same versions) but in one pass.
//!
//! `FileBasedMigrations` walks the whole directory twice (once to validate,
//! once to list) and then leaves every file to be read a third time; on a
//! 2,000-migration project that is ~48,000 system calls before the first
//! query. [`MigrationDirectory`] lists the folder once, and either stops there
//! ([`MigrationDirectory::names`], for commands that only need names) or opens
//! each migration's files exactly once ([`MigrationDirectory::read`]). It is a
//! Diesel [`MigrationSource`] too, so Diesel's own harness can run it.

use crate::error::{Error, Result};
use diesel::backend::Backend;
use diesel::connection::BoxableConnection;
use diesel::migration::{
    self, Migration, MigrationMetadata, MigrationName, MigrationSource, MigrationVersion,
};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A `migrations/` folder on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationDirectory {
    root: PathBuf,
}

/// Below this many migrations per thread, one thread reads them all.
const PARALLEL_READ_THRESHOLD: usize = 250;

/// The files of one migration directory, as found on disk (not yet
/// validated: a missing `up.sql` is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationFiles {
    /// The directory's name, e.g. `2025-10-21-000000_initial_schema`.
    pub dir_name: String,
    /// The contents of `up.sql`.
    pub up_sql: Option<String>,
    /// The contents of `down.sql`.
    pub down_sql: Option<String>,
    /// The contents of `metadata.toml`.
    pub metadata_toml: Option<String>,
}

impl MigrationDirectory {
    /// The migrations folder at `root`; it must be a directory.
    pub fn open(root: &Path) -> Result<Self> {
        if !root.is_dir() {
            return Err(invalid(
                root.display(),
                "not a directory; fix: pass --migrations-dir pointing at the project's \
                 migrations/ folder",
            ));
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    /// The folder this reads.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The names of the migration directories, from one listing of the folder
    /// and nothing else: Diesel's rule, every entry that is not a regular file
    /// and whose name does not start with `.`. Unsorted.
    pub fn names(&self) -> Result<Vec<String>> {
        let entries = std::fs::read_dir(&self.root).map_err(|e| self.unreadable(e))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.unreadable(e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            // The entry's type comes with the listing (no stat), except on
            // file systems that do not report it, where std falls back to lstat.
            let file_type = entry.file_type().map_err(|e| self.unreadable(e))?;
            if !file_type.is_file() {
                names.push(name.into_owned());
            }
        }
        Ok(names)
    }

    /// Every migration directory with its files, each file opened once.
    /// A large folder is read by a few threads at once: opening thousands
    /// of small files is system calls, not bandwidth, and cores help.
    pub fn read(&self) -> Result<Vec<MigrationFiles>> {
        let names = self.names()?;
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(4)
            .min(names.len() / PARALLEL_READ_THRESHOLD + 1);
        if workers <= 1 {
            return self.read_dirs(names);
        }
        let chunk = names.len().div_ceil(workers);
        let mut chunks = Vec::with_capacity(workers);
        let mut rest = names;
        while rest.len() > chunk {
            let tail = rest.split_off(chunk);
            chunks.push(rest);
            rest = tail;
        }
        chunks.push(rest);
        std::thread::scope(|scope| {
            let readers: Vec<_> = chunks
                .into_iter()
                .map(|names| scope.spawn(move || self.read_dirs(names)))
                .collect();
            let mut all = Vec::new();
            for reader in readers {
                let files = reader.join().map_err(|_| {
                    Error::Internal("a thread reading migrations panicked".to_string())
                })??;
                all.extend(files);
            }
            Ok(all)
        })
    }

    fn read_dirs(&self, names: Vec<String>) -> Result<Vec<MigrationFiles>> {
        let mut buffer = Vec::with_capacity(16 * 1024);
        let mut path = self.root.clone();
        names
            .into_iter()
            .map(|dir_name| {
                path.push(&dir_name);
                let files = MigrationFiles {
                    up_sql: read_optional(&mut path, "up.sql", &mut buffer)?,
                    down_sql: read_optional(&mut path, "down.sql", &mut buffer)?,
                    metadata_toml: read_optional(&mut path, "metadata.toml", &mut buffer)?,
                    dir_name,
                };
                path.pop();
                Ok(files)
            })
            .collect()
    }

    fn unreadable(&self, e: std::io::Error) -> Error {
        crate::migrations::file_checks::unreadable(&self.root.display().to_string(), &e)
    }
}

/// Reads `dir/name` into a string; a missing file is `None`. `dir` is
/// restored before returning. Odd files are input errors naming the file:
/// not a regular file (a FIFO would block forever, `/dev/zero` never end),
/// not UTF-8, a byte order mark, a NUL byte (libpq would cut the SQL there).
fn read_optional(dir: &mut PathBuf, name: &str, buffer: &mut Vec<u8>) -> Result<Option<String>> {
    dir.push(name);
    let result = read_file(dir, buffer);
    let shown = dir.display().to_string();
    dir.pop();
    match result {
        Ok(()) => crate::migrations::file_checks::text_of(buffer, &shown).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(crate::migrations::file_checks::unreadable(&shown, &e)),
    }
}

/// `open` + `read` until end + `close`, into a reused buffer. The file is
/// opened without blocking and must be a regular file (one `fstat` on the
/// open descriptor) before a byte is read.
fn read_file(path: &Path, buffer: &mut Vec<u8>) -> std::io::Result<()> {
    buffer.clear();
    crate::migrations::file_checks::open_regular(path)?.read_to_end(buffer)?;
    Ok(())
}

/// Diesel's version of a migration directory name: the part before the first
/// `_`, without dashes (`migrations_internals::version_from_string`).
pub fn diesel_version(dir_name: &str) -> String {
    dir_name
        .split('_')
        .next()
        .unwrap_or_default()
        .replace('-', "")
}

impl<DB: Backend> MigrationSource<DB> for MigrationDirectory {
    fn migrations(&self) -> migration::Result<Vec<Box<dyn Migration<DB>>>> {
        let mut migrations: Vec<Box<dyn Migration<DB>>> = Vec::new();
        for files in self.read()? {
            let up_sql = files.up_sql.ok_or_else(|| {
                invalid(
                    self.root.join(&files.dir_name).display(),
                    "not a migration directory: it has no up.sql",
                )
            })?;
            let run_in_transaction = match &files.metadata_toml {
                None => true,
                Some(text) => {
                    crate::migrations::metadata::run_in_transaction(text).map_err(|reason| {
                        invalid(
                            self.root
                                .join(&files.dir_name)
                                .join("metadata.toml")
                                .display(),
                            &reason,
                        )
                    })?
                }
            };
            migrations.push(Box::new(SqlMigration {
                name: DirName {
                    version: diesel_version(&files.dir_name),
                    name: files.dir_name,
                },
                up_sql,
                down_sql: files.down_sql,
                run_in_transaction: RunInTransaction(run_in_transaction),
            }));
        }
        Ok(migrations)
    }
}

/// One migration read from a [`MigrationDirectory`], for Diesel's harness.
struct SqlMigration {
    name: DirName,
    up_sql: String,
    down_sql: Option<String>,
    run_in_transaction: RunInTransaction,
}

impl<DB: Backend> Migration<DB> for SqlMigration {
    fn run(&self, conn: &mut dyn BoxableConnection<DB>) -> migration::Result<()> {
        Ok(conn.batch_execute(&self.up_sql)?)
    }

    fn revert(&self, conn: &mut dyn BoxableConnection<DB>) -> migration::Result<()> {
        match &self.down_sql {
            Some(sql) => Ok(conn.batch_execute(sql)?),
            None => Err(Box::new(
                diesel_migrations::MigrationError::NoMigrationRevertFile,
            )),
        }
    }

    fn metadata(&self) -> &dyn MigrationMetadata {
        &self.run_in_transaction
    }

    fn name(&self) -> &dyn MigrationName {
        &self.name
    }
}

struct DirName {
    name: String,
    version: String,
}

impl MigrationName for DirName {
    fn version(&self) -> MigrationVersion<'_> {
        MigrationVersion::from(self.version.as_str())
    }
}

impl fmt::Display for DirName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

struct RunInTransaction(bool);

impl MigrationMetadata for RunInTransaction {
    fn run_in_transaction(&self) -> bool {
        self.0
    }
}

fn invalid(path: impl fmt::Display, reason: &str) -> Error {
    Error::InvalidMigration {
        path: path.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::pg::Pg;
    use diesel_migrations::FileBasedMigrations;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn listing(source: &dyn MigrationSource<Pg>) -> Vec<(String, String, bool)> {
        let mut listed: Vec<_> = source
            .migrations()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m.name().version().to_string(),
                    m.name().to_string(),
                    m.metadata().run_in_transaction(),
                )
            })
            .collect();
        listed.sort();
        listed
    }

    #[test]
    fn lists_exactly_what_diesel_lists() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "2030-01-01-000000_one/up.sql", "CREATE TABLE one ();");
        write(root, "2030-01-01-000000_one/down.sql", "DROP TABLE one;");
        write(root, "20300102000000_two/up.sql", "SELECT 1;");
        write(
            root,
            "2030-01-03-000000_three/up.sql",
            "CREATE INDEX CONCURRENTLY i ON t (c);",
        );
        write(
            root,
            "2030-01-03-000000_three/metadata.toml",
            "run_in_transaction = false\n",
        );
        write(root, "2030-01-04-000000_four/up.sql", "SELECT 4;");
        write(root, "2030-01-04-000000_four/metadata.toml", "");
        // Not migrations, by Diesel's rule: plain files and hidden entries.
        write(root, "README.md", "notes");
        write(root, ".keep", "");
        write(root, ".hidden_dir/up.sql", "SELECT 1;");

        let ours = listing(&MigrationDirectory::open(root).unwrap());
        let diesel = listing(&FileBasedMigrations::from_path(root).unwrap());
        assert_eq!(ours, diesel);
        assert_eq!(ours.len(), 4);
        assert_eq!(ours[0].0, "20300101000000");
        assert!(
            ours[0].2 && ours[1].2,
            "no metadata.toml means a transaction"
        );
        assert!(!ours[2].2, "metadata.toml says run_in_transaction = false");
        assert!(
            !ours[3].2,
            "a present metadata.toml without the key means false"
        );
    }

    #[test]
    fn versions_that_are_not_timestamps_list_as_diesel_lists_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for name in [
            "v2_Add users",
            "v10_add-email",
            "0001a_init",
            "initial",
            "release-1.2_x",
            "2030-01-01-000000_timestamped",
        ] {
            write(root, &format!("{name}/up.sql"), "SELECT 1;");
        }
        let ours = listing(&MigrationDirectory::open(root).unwrap());
        let diesel = listing(&FileBasedMigrations::from_path(root).unwrap());
        assert_eq!(ours, diesel);
        let versions: Vec<&str> = ours.iter().map(|m| m.0.as_str()).collect();
        // String order, as Diesel's `MigrationVersion` orders them.
        assert_eq!(
            versions,
            [
                "0001a",
                "20300101000000",
                "initial",
                "release1.2",
                "v10",
                "v2"
            ]
        );
    }

    #[test]
    fn reads_each_file_once_and_names_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "2030-01-01-000000_one/up.sql", "up");
        write(dir.path(), "2030-01-01-000000_one/down.sql", "down");
        write(dir.path(), "2030-01-02-000000_two/down.sql", "only down");
        let source = MigrationDirectory::open(dir.path()).unwrap();
        let mut names = source.names().unwrap();
        names.sort();
        assert_eq!(names, ["2030-01-01-000000_one", "2030-01-02-000000_two"]);
        let mut files = source.read().unwrap();
        files.sort_by(|a, b| a.dir_name.cmp(&b.dir_name));
        assert_eq!(files[0].up_sql.as_deref(), Some("up"));
        assert_eq!(files[0].down_sql.as_deref(), Some("down"));
        assert_eq!(files[0].metadata_toml, None);
        assert_eq!(files[1].up_sql, None);
        // Diesel refuses a directory without up.sql; so does the source.
        assert!(MigrationSource::<Pg>::migrations(&source).is_err());
        assert!(FileBasedMigrations::from_path(dir.path()).is_err());
    }

    #[test]
    fn versions_follow_diesel() {
        assert_eq!(
            diesel_version("2025-10-21-000000_initial"),
            "20251021000000"
        );
        assert_eq!(diesel_version("20251021000000_a_b"), "20251021000000");
        assert_eq!(diesel_version("noversion"), "noversion");
    }

    #[test]
    fn a_missing_folder_names_the_fix() {
        let err = MigrationDirectory::open(Path::new("/nonexistent/migrations")).unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::BadInput);
        assert!(err.to_string().contains("--migrations-dir"), "{err}");
    }
}
