//! As root anywhere: a project in a private directory (mode 0700, like
//! /root/app) gets its cluster in a stand-in directory the `postgres` OS
//! user can reach, and says where; `dev url` says when it is stopped;
//! `dev destroy` removes it all.

use super::*;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Destroys the cluster even when an assertion failed.
struct Destroy<'a>(&'a Path);

impl Drop for Destroy<'_> {
    fn drop(&mut self) {
        let _ = run(self.0, &["dev", "destroy", "--yes"]);
    }
}

#[test]
fn as_root_in_a_private_directory_the_cluster_moves_where_postgres_can_reach_it() {
    if !nix::unistd::getuid().is_root() {
        eprintln!("skipped: runs as root only");
        return;
    }
    let outer = tempfile::tempdir().unwrap();
    let private = outer.path().join("private");
    let project = private.join("app");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("Cargo.toml"), "[package]\nname = \"app\"\n").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let stand_in = ragchat_migrate::server::dev_home::stand_in_for(&project.join(".ragchat"));
    let _destroy = Destroy(&project);

    let up = ok(&project, &["upgrade"]);
    assert!(up.stdout.contains("initial_schema"), "{}", up.stdout);
    let using = up
        .stderr
        .lines()
        .position(|l| l.starts_with("using the local database in"))
        .unwrap_or_else(|| panic!("{}", up.stderr));
    let creating = up
        .stderr
        .lines()
        .position(|l| l.starts_with("creating the local PostgreSQL cluster in"))
        .unwrap_or_else(|| panic!("{}", up.stderr));
    assert!(using < creating, "{}", up.stderr);
    assert!(
        up.stderr.contains(&stand_in.display().to_string()) && up.stderr.contains("cannot reach"),
        "does not say where: {}",
        up.stderr
    );
    assert!(stand_in.join("pg/data/PG_VERSION").is_file());
    assert!(!project.join(".ragchat").exists());

    let current = ok(&project, &["current"]);
    assert_eq!(
        current.stdout.trim(),
        "20251021000000 initial_schema (head)"
    );
    assert!(
        !current.stderr.contains("creating the local"),
        "{}",
        current.stderr
    );

    let url = ok(&project, &["dev", "url"]);
    assert!(url.stdout.contains("postgres://"), "{}", url.stdout);
    assert!(url.stderr.contains("stopped"), "{}", url.stderr);

    let status = ok(&project, &["dev", "status"]);
    assert!(
        status.stdout.contains(&stand_in.display().to_string()),
        "{}",
        status.stdout
    );

    ok(&project, &["dev", "destroy", "--yes"]);
    assert!(!stand_in.exists(), "left behind: {}", stand_in.display());
}
