//! Where the local cluster's state lives: `.ragchat/` in the project, the
//! platform data directory outside one, or `RAGCHAT_DEV_DIR`; and, when we
//! run as root, a stand-in the server's OS user can reach.
//!
//! As root, the server runs as the `postgres` OS user, which must be able to
//! walk down to its data directory. A checkout in a private directory
//! (`/root/app`, mode 0700) does not let it: there the cluster's state moves
//! to a directory of its own under `/var/lib/ragchat-migrate` (else
//! `/tmp/ragchat-migrate`), named after the project and a hash of the
//! directory it would have used, so each project keeps its own cluster and
//! finds it again on every run.

use crate::error::{Error, Result};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Where the relocated clusters live, when `/var/lib` is there.
pub const FALLBACK_ROOT: &str = "/var/lib/ragchat-migrate";

/// The file in a relocated state directory naming the directory it stands in for.
pub const ORIGIN_FILE: &str = "project";

/// The state directory to use and, when it stands in for the natural one
/// (see [`reachable_state_dir`]), that one. `RAGCHAT_DEV_DIR` is used as given.
pub fn state_dir() -> Result<(PathBuf, Option<PathBuf>)> {
    let natural = natural_state_dir()?;
    if std::env::var_os("RAGCHAT_DEV_DIR").is_some_and(|d| !d.is_empty()) {
        return Ok((natural, None));
    }
    Ok(reachable_state_dir(natural))
}

/// The state directory for the current directory: `.ragchat/` in the
/// nearest directory that has one, else in the nearest project directory
/// (one with `migrations/`, `diesel.toml`, `Cargo.toml` or `.git`), else in
/// the platform data directory; `RAGCHAT_DEV_DIR` overrides all of this.
pub fn natural_state_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("RAGCHAT_DEV_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let cwd = std::env::current_dir().map_err(|e| Error::io(".", e))?;
    let ancestors: Vec<&Path> = cwd.ancestors().collect();
    if let Some(dir) = ancestors.iter().find(|d| d.join(".ragchat").is_dir()) {
        return Ok(dir.join(".ragchat"));
    }
    let markers = ["migrations", "diesel.toml", "Cargo.toml", ".git"];
    if let Some(dir) = ancestors
        .iter()
        .find(|d| markers.iter().any(|m| d.join(m).exists()))
    {
        return Ok(dir.join(".ragchat"));
    }
    platform_data_dir()
}

/// The platform's data directory for the tool (XDG, or macOS's).
fn platform_data_dir() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("ragchat-migrate"));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            Error::Usage(
                "no project directory and no HOME to keep the local cluster in; fix: set \
             RAGCHAT_DEV_DIR or DATABASE_URL"
                    .into(),
            )
        })?;
    let home = PathBuf::from(home);
    Ok(if cfg!(target_os = "macos") {
        home.join("Library/Application Support/ragchat-migrate")
    } else {
        home.join(".local/share/ragchat-migrate")
    })
}

/// `state_dir`, or a reachable stand-in for it and the reason, when running
/// as root and the `postgres` user cannot reach it.
pub fn reachable_state_dir(state_dir: PathBuf) -> (PathBuf, Option<PathBuf>) {
    if !nix::unistd::getuid().is_root() {
        return (state_dir, None);
    }
    let Ok(Some(server)) = nix::unistd::User::from_name("postgres") else {
        // Starting the server reports the missing user with its fix.
        return (state_dir, None);
    };
    if can_reach(server.uid.as_raw(), server.gid.as_raw(), &state_dir) {
        return (state_dir, None);
    }
    (stand_in_for(&state_dir), Some(state_dir))
}

/// The stand-in directory for `state_dir`: stable across runs.
pub fn stand_in_for(state_dir: &Path) -> PathBuf {
    let hash = crate::migrations::checksum::sha256_hex(&state_dir.to_string_lossy());
    let project = state_dir
        .parent()
        .filter(|_| state_dir.file_name().is_some_and(|n| n == ".ragchat"))
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "default".into());
    let project: String = project
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(24)
        .collect();
    let root = if Path::new("/var/lib").is_dir() {
        PathBuf::from(FALLBACK_ROOT)
    } else {
        std::env::temp_dir().join("ragchat-migrate")
    };
    root.join(format!("{project}-{}", &hash[..12]))
}

/// Prepares a stand-in directory: the root and it walkable by everyone (the
/// secrets inside are files of mode 0600), and a note of whom it serves.
pub fn prepare_stand_in(dir: &Path, stands_for: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for d in [dir.parent(), Some(dir)].into_iter().flatten() {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755))?;
    }
    let origin = dir.join(ORIGIN_FILE);
    if !origin.exists() {
        std::fs::write(
            origin,
            format!(
                "the local cluster of ragchat-migrate for {}\n",
                stands_for.display()
            ),
        )?;
    }
    Ok(())
}

/// True when a process of `uid`/`gid` (no supplementary groups: that is how
/// the server is started) may search every existing directory on the way to
/// `path`. Directories still to be made are made by us with mode 0755.
pub fn can_reach(uid: u32, gid: u32, path: &Path) -> bool {
    let mut existing: Vec<&Path> = path.ancestors().filter(|a| a.exists()).collect();
    existing.reverse();
    existing.iter().all(|dir| {
        let Ok(meta) = std::fs::metadata(dir) else {
            return false;
        };
        let mode = meta.mode();
        let bit = if meta.uid() == uid {
            0o100
        } else if meta.gid() == gid {
            0o010
        } else {
            0o001
        };
        mode & bit != 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_directory_is_not_reachable_by_others() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("private");
        std::fs::create_dir(&private).unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
        let me = nix::unistd::getuid().as_raw();
        let my_group = nix::unistd::getgid().as_raw();
        let project = private.join("app/.ragchat");
        assert!(can_reach(me, my_group, &project));
        assert!(!can_reach(me + 12345, my_group + 12345, &project));
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o711)).unwrap();
        assert!(can_reach(me + 12345, my_group + 12345, &project));
    }

    #[test]
    fn the_stand_in_is_stable_and_per_project() {
        let a = stand_in_for(Path::new("/root/app/.ragchat"));
        assert_eq!(a, stand_in_for(Path::new("/root/app/.ragchat")));
        assert_ne!(a, stand_in_for(Path::new("/root/other/app/.ragchat")));
        assert!(a.file_name().unwrap().to_string_lossy().starts_with("app-"));
    }
}
