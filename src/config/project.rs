//! Which migrations a command runs: the folder you edit, when you are in a
//! project, else the set compiled into the binary.
//!
//! "In a project" follows Diesel's own rules, so `diesel migration run` and
//! this tool always agree on the folder: the nearest `diesel.toml` in the
//! current directory or a parent names it in `[migrations_directory] dir`
//! (relative to that `diesel.toml`); without that key, the nearest
//! `migrations/` directory in the current directory or a parent is the
//! folder. `--migrations-dir`/`MIGRATIONS_DIR` win over both, and
//! `--embedded` asks for the compiled-in set.

use crate::error::{Error, Result};
use crate::migrations::source::{MigrationSet, Source};
use serde::Serialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Why a command reads the migrations it reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// `--migrations-dir` or `MIGRATIONS_DIR`.
    Explicit,
    /// The project's folder, named by this `diesel.toml`.
    DieselToml(PathBuf),
    /// The nearest `migrations/` folder of the current directory or a parent.
    Folder,
    /// `--embedded`.
    EmbeddedForced,
    /// No project here: the set compiled into the binary.
    EmbeddedNoProject,
}

/// The migrations a command uses, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Where the migrations are read from.
    pub source: Source,
    /// Why.
    pub origin: Origin,
}

/// Where a command's migrations came from, as JSON documents name it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceDescription<'a> {
    /// `embedded`, `migrations_dir` (named by a flag or `MIGRATIONS_DIR`) or
    /// `project` (found from the current directory).
    pub kind: &'static str,
    /// The folder, for a folder.
    pub path: Option<&'a Path>,
    /// The `diesel.toml` that named the folder, when one did.
    pub diesel_toml: Option<&'a Path>,
}

impl<'a> SourceDescription<'a> {
    /// A project folder no `diesel.toml` named.
    pub fn folder(path: &'a Path) -> Self {
        SourceDescription {
            kind: "project",
            path: Some(path),
            diesel_toml: None,
        }
    }
}

impl Selection {
    /// Chooses the source: `explicit` (the flag or `MIGRATIONS_DIR`) first,
    /// then `--embedded`, then the project around `cwd`, then the embedded set.
    pub fn choose(explicit: Option<&Path>, embedded: bool, cwd: &Path) -> Result<Self> {
        if let Some(dir) = explicit {
            return Ok(Selection {
                source: Source::Directory(dir.to_path_buf()),
                origin: Origin::Explicit,
            });
        }
        if embedded {
            return Ok(Selection {
                source: Source::Embedded,
                origin: Origin::EmbeddedForced,
            });
        }
        Ok(match project_migrations(cwd)? {
            Some((dir, origin)) => Selection {
                source: Source::Directory(dir),
                origin,
            },
            None => Selection {
                source: Source::Embedded,
                origin: Origin::EmbeddedNoProject,
            },
        })
    }

    /// The one line that tells the user which migrations run.
    pub fn describe(&self) -> String {
        match (&self.source, &self.origin) {
            (Source::Directory(dir), Origin::DieselToml(toml)) => format!(
                "migrations: {} (the project's folder, from {})",
                dir.display(),
                toml.display()
            ),
            (Source::Directory(dir), Origin::Folder) => {
                format!("migrations: {} (the project's folder)", dir.display())
            }
            (Source::Directory(dir), _) => format!(
                "migrations: {} (--migrations-dir / MIGRATIONS_DIR)",
                dir.display()
            ),
            (Source::Embedded, Origin::EmbeddedForced) => {
                "migrations: embedded in this binary (--embedded)".to_string()
            }
            (Source::Embedded, _) => "migrations: embedded in this binary (no migrations \
                 folder or diesel.toml here or in a parent directory)"
                .to_string(),
        }
    }

    /// The `source` field of JSON documents.
    pub fn json_source(&self) -> SourceDescription<'_> {
        let (kind, path) = match (&self.source, &self.origin) {
            (Source::Embedded, _) => ("embedded", None),
            (Source::Directory(d), Origin::Explicit) => ("migrations_dir", Some(d.as_path())),
            (Source::Directory(d), _) => ("project", Some(d.as_path())),
        };
        let diesel_toml = match &self.origin {
            Origin::DieselToml(toml) => Some(toml.as_path()),
            _ => None,
        };
        SourceDescription {
            kind,
            path,
            diesel_toml,
        }
    }
}

/// When the folder a command reads differs from the set compiled into the
/// binary (by directory names), the one line that says so. Only for the
/// project's folder: an explicit `--migrations-dir` is another set on purpose.
pub fn divergence(selection: &Selection, set: &MigrationSet) -> Option<String> {
    if !matches!(selection.origin, Origin::DieselToml(_) | Origin::Folder) {
        return None;
    }
    let embedded = MigrationSet::list(&Source::Embedded).ok()?;
    let built: HashSet<&str> = embedded.all().iter().map(|m| m.dir_name.as_str()).collect();
    let on_disk: HashSet<&str> = set.all().iter().map(|m| m.dir_name.as_str()).collect();
    let new = on_disk.difference(&built).count();
    let gone = built.difference(&on_disk).count();
    let plural = |n: usize| if n == 1 { "migration" } else { "migrations" };
    let mut parts = Vec::new();
    if new > 0 {
        parts.push(format!(
            "{new} {} on disk {} not in this binary",
            plural(new),
            if new == 1 { "is" } else { "are" }
        ));
    }
    if gone > 0 {
        parts.push(format!(
            "{gone} {} in this binary {} not on disk",
            plural(gone),
            if gone == 1 { "is" } else { "are" }
        ));
    }
    (!parts.is_empty()).then(|| {
        format!(
            "note: {}; the folder is what runs (rebuild the binary to embed it, or pass --embedded to run the built-in set)",
            parts.join(", and ")
        )
    })
}

/// The project's migrations folder around `cwd`, by Diesel's rules, or
/// `None` outside a project. A `diesel.toml` naming a folder that does not
/// exist is an error (exit 2): running the embedded set instead would hide it.
pub fn project_migrations(cwd: &Path) -> Result<Option<(PathBuf, Origin)>> {
    if let Some(toml) = cwd
        .ancestors()
        .map(|d| d.join("diesel.toml"))
        .find(|p| p.is_file())
    {
        if let Some(dir) = configured_dir(&toml)? {
            if !dir.is_dir() {
                return Err(Error::Usage(format!(
                    "{} names the migrations directory {}, which does not exist; fix: \
                     create it (or run `ragchat-migrate create NAME`), correct \
                     [migrations_directory] dir, or pass --embedded",
                    toml.display(),
                    dir.display()
                )));
            }
            return Ok(Some((dir, Origin::DieselToml(toml))));
        }
    }
    Ok(cwd
        .ancestors()
        .map(|d| d.join("migrations"))
        .find(|d| d.is_dir())
        .map(|d| (d, Origin::Folder)))
}

/// Where `create` writes: the project's folder (created when `diesel.toml`
/// names one that does not exist yet, as `diesel migration generate` does).
pub fn folder_for_create(cwd: &Path) -> Result<Option<PathBuf>> {
    if let Some(toml) = cwd
        .ancestors()
        .map(|d| d.join("diesel.toml"))
        .find(|p| p.is_file())
    {
        if let Some(dir) = configured_dir(&toml)? {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display(), e))?;
            return Ok(Some(dir));
        }
    }
    Ok(project_migrations(cwd)?.map(|(dir, _)| dir))
}

/// `[migrations_directory] dir` of a `diesel.toml`, relative to its folder.
fn configured_dir(toml_path: &Path) -> Result<Option<PathBuf>> {
    #[derive(serde::Deserialize)]
    struct Config {
        migrations_directory: Option<Dir>,
    }
    #[derive(serde::Deserialize)]
    struct Dir {
        dir: PathBuf,
    }
    let text = std::fs::read_to_string(toml_path).map_err(|e| Error::io(toml_path.display(), e))?;
    let config: Config = toml::from_str(&text).map_err(|e| {
        Error::Usage(format!(
            "{} cannot be parsed: {}; fix: correct it (diesel_cli reads the same file)",
            toml_path.display(),
            e.message()
        ))
    })?;
    let base = toml_path.parent().unwrap_or(Path::new("."));
    Ok(config.migrations_directory.map(|m| {
        if m.dir.is_relative() {
            base.join(m.dir)
        } else {
            m.dir
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diesel_toml_names_the_folder_relative_to_itself() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("db/changes")).unwrap();
        std::fs::create_dir_all(root.path().join("migrations")).unwrap();
        std::fs::create_dir_all(root.path().join("src/deep")).unwrap();
        std::fs::write(
            root.path().join("diesel.toml"),
            "[print_schema]\nfile = \"src/schema.rs\"\n\n[migrations_directory]\ndir = \"db/changes\"\n",
        )
        .unwrap();
        let s = Selection::choose(None, false, &root.path().join("src/deep")).unwrap();
        assert_eq!(
            s.source,
            Source::Directory(root.path().join("db/changes")),
            "{s:?}"
        );
        assert!(matches!(s.origin, Origin::DieselToml(_)));
        let forced = Selection::choose(None, true, &root.path().join("src/deep")).unwrap();
        assert_eq!(forced.source, Source::Embedded);
        let explicit =
            Selection::choose(Some(Path::new("/x")), true, &root.path().join("src")).unwrap();
        assert_eq!(explicit.source, Source::Directory("/x".into()));
    }

    #[test]
    fn a_migrations_folder_without_diesel_toml_and_no_project() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("app/migrations")).unwrap();
        std::fs::create_dir_all(root.path().join("app/src")).unwrap();
        std::fs::write(root.path().join("app/diesel.toml"), "[print_schema]\n").unwrap();
        let s = Selection::choose(None, false, &root.path().join("app/src")).unwrap();
        assert_eq!(
            s.source,
            Source::Directory(root.path().join("app/migrations"))
        );
        assert_eq!(s.origin, Origin::Folder);
        let none = Selection::choose(None, false, root.path()).unwrap();
        assert_eq!(none.origin, Origin::EmbeddedNoProject);
    }

    #[test]
    fn a_configured_folder_that_is_missing_is_an_error() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(
            root.path().join("diesel.toml"),
            "[migrations_directory]\ndir = \"nope\"\n",
        )
        .unwrap();
        let err = Selection::choose(None, false, root.path()).unwrap_err();
        assert_eq!(err.kind(), crate::error::ErrorKind::BadInput);
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
