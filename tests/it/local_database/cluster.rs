//! The local cluster's life: first use, `dev start`/`stop`/`destroy`,
//! concurrent first use, recovery after a crash. Each test uses its own
//! temporary project directory, so its local cluster is its own; every test
//! checks that no server process is left behind.

use super::*;

use crate::support::Run;
use crate::support::Tool;
use std::path::Path;
use std::time::{Duration, Instant};

/// Server processes whose command line mentions this project.
fn servers(project: &Path) -> Vec<String> {
    let needle = project.to_string_lossy().into_owned();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| {
            let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            (cmd.contains("postgres") && cmd.contains(&needle)).then_some(cmd)
        })
        .collect()
}

/// Stops whatever a failed test left running, so no server outlives it.
struct Cleanup<'a>(&'a Path);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        if !servers(self.0).is_empty() {
            let _ = run(self.0, &["dev", "stop"]);
        }
    }
}

#[test]
fn first_use_creates_migrates_and_stops_then_the_next_command_reuses_it() {
    let p = project();
    let _cleanup = Cleanup(p.path());
    let first = ok(p.path(), &["upgrade"]);
    assert!(
        first.stderr.contains("using the local database in")
            && first
                .stderr
                .contains("creating the local PostgreSQL cluster in"),
        "{}",
        first.stderr
    );
    assert!(
        first
            .stdout
            .contains("applied  2025-10-21-000000_initial_schema"),
        "{}",
        first.stdout
    );
    let data = p.path().join(".ragchat/pg/data");
    assert!(data.join("PG_VERSION").is_file());
    assert!(
        servers(p.path()).is_empty(),
        "left running: {:?}",
        servers(p.path())
    );
    let created = std::fs::metadata(data.join("PG_VERSION"))
        .unwrap()
        .modified()
        .unwrap();

    let second = ok(p.path(), &["current"]);
    assert_eq!(second.stdout.trim(), "20251021000000 initial_schema (head)");
    assert_eq!(
        std::fs::metadata(data.join("PG_VERSION"))
            .unwrap()
            .modified()
            .unwrap(),
        created,
        "re-created"
    );
    assert!(servers(p.path()).is_empty());
    // The state directory keeps itself out of git.
    assert!(
        std::fs::read_to_string(p.path().join(".ragchat/.gitignore"))
            .unwrap()
            .contains('*')
    );
}

#[test]
fn dev_start_keeps_it_running_until_dev_stop() {
    let p = project();
    let _cleanup = Cleanup(p.path());
    let start = ok(p.path(), &["dev", "start"]);
    let url = start
        .stdout
        .trim()
        .strip_prefix("DATABASE_URL=")
        .expect("prints DATABASE_URL")
        .to_string();
    assert!(
        url.starts_with("postgres://") && url.contains("/ragchat?host=/"),
        "{url}"
    );
    assert!(
        !url.split('@').next().unwrap().contains(":***"),
        "no password: {url}"
    );
    assert!(!servers(p.path()).is_empty());
    // A command that finds it running leaves it running.
    ok(p.path(), &["upgrade"]);
    assert!(!servers(p.path()).is_empty());
    // The printed URL is usable by an application.
    let r = run(p.path(), &["--database-url", &url, "current"]);
    assert_eq!(
        r.stdout.trim(),
        "20251021000000 initial_schema (head)",
        "{}",
        r.stderr
    );
    assert_eq!(ok(p.path(), &["dev", "url"]).stdout.trim(), url);
    let status = ok(p.path(), &["dev", "status"]).stdout;
    assert!(
        status.contains("running") && status.contains("PostgreSQL:") && status.contains("MiB"),
        "{status}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(p.path(), &["--format", "json", "dev", "status"]).stdout).unwrap();
    assert_eq!(json["running"], true);
    assert!(json["size_bytes"].as_u64().unwrap() > 1_000_000);

    ok(p.path(), &["dev", "stop"]);
    assert!(servers(p.path()).is_empty(), "{:?}", servers(p.path()));
    assert!(ok(p.path(), &["dev", "status"]).stdout.contains("stopped"));
    assert!(ok(p.path(), &["dev", "stop"])
        .stdout
        .contains("was not running"));
}

#[test]
fn concurrent_first_use_from_two_processes() {
    let p = project();
    let _cleanup = Cleanup(p.path());
    let path = p.path().to_path_buf();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || run(&path, &["upgrade"]))
        })
        .collect();
    let results: Vec<Run> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for r in &results {
        assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    }
    let applied: usize = results
        .iter()
        .map(|r| r.stdout.matches("applied  2025-10-21").count())
        .sum();
    assert_eq!(applied, 1, "the migration ran {applied} times");
    assert!(servers(p.path()).is_empty(), "{:?}", servers(p.path()));
    assert_eq!(
        ok(p.path(), &["current"]).stdout.trim(),
        "20251021000000 initial_schema (head)"
    );
}

#[test]
fn a_stale_pidfile_after_a_crash_is_recovered_from() {
    let p = project();
    let _cleanup = Cleanup(p.path());
    ok(p.path(), &["dev", "start"]);
    let pidfile = p.path().join(".ragchat/pg/data/postmaster.pid");
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // Crash: kill the postmaster outright and wait for its children to go.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let started = Instant::now();
    while !servers(p.path()).is_empty() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        pidfile.exists(),
        "the crash should leave postmaster.pid behind"
    );
    // Point the stale file at a live process that is not PostgreSQL.
    let text = std::fs::read_to_string(&pidfile).unwrap();
    let rest: Vec<&str> = text.lines().skip(1).collect();
    std::fs::write(
        &pidfile,
        format!("{}\n{}\n", std::process::id(), rest.join("\n")),
    )
    .unwrap();
    let r = ok(p.path(), &["current"]);
    assert_eq!(r.stdout.trim(), "base");
    let status = ok(p.path(), &["dev", "status"]).stdout;
    assert!(status.contains("stopped"), "{status}");
    assert!(servers(p.path()).is_empty());
}

#[test]
fn destroy_asks_and_removes_everything() {
    let p = project();
    let _cleanup = Cleanup(p.path());
    ok(p.path(), &["dev", "start"]);
    let refused = run(p.path(), &["dev", "destroy"]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    assert!(p.path().join(".ragchat/pg/data").exists());
    ok(p.path(), &["dev", "destroy", "--yes"]);
    assert!(!p.path().join(".ragchat/pg").exists());
    assert!(servers(p.path()).is_empty());
    assert!(ok(p.path(), &["dev", "status"])
        .stdout
        .contains("not created yet"));
}

#[test]
fn missing_server_binaries_give_the_install_hint() {
    let p = project();
    let empty = tempfile::tempdir().unwrap();
    let out = Tool::new()
        .arg("upgrade")
        .current_dir(p.path())
        .env("PG_BIN", empty.path())
        .env("PATH", "")
        .run();
    let stderr = out.stderr;
    assert_eq!(out.code, 2, "{stderr}");
    for hint in [
        "apt-get install postgresql",
        "brew install postgresql",
        "DATABASE_URL",
        "PG_BIN",
    ] {
        assert!(stderr.contains(hint), "missing {hint:?} in {stderr}");
    }
    assert!(!p.path().join(".ragchat/pg/data").exists());
}

#[test]
fn as_root_the_server_runs_as_postgres_and_owns_its_data() {
    let p = project();
    let _cleanup = Cleanup(p.path());
    ok(p.path(), &["upgrade"]);
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(p.path().join(".ragchat/pg/data"))
        .unwrap()
        .uid();
    if nix::unistd::getuid().is_root() {
        let postgres = nix::unistd::User::from_name("postgres")
            .unwrap()
            .expect("postgres user");
        assert_eq!(owner, postgres.uid.as_raw());
    } else {
        assert_eq!(owner, nix::unistd::getuid().as_raw());
    }
}

#[test]
fn tcp_needs_the_generated_password_while_the_socket_is_the_owners() {
    let p = project();
    let _cleanup = Cleanup(p.path());
    ok(p.path(), &["dev", "start"]);
    let status = ok(p.path(), &["--format", "json", "dev", "status"]).stdout;
    let port = serde_json::from_str::<serde_json::Value>(&status).unwrap()["port"]
        .as_u64()
        .unwrap();
    let password_file = p.path().join(".ragchat/password");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&password_file)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let password = std::fs::read_to_string(&password_file).unwrap();
    let user = nix::unistd::User::from_uid(nix::unistd::getuid())
        .unwrap()
        .unwrap()
        .name;
    let without = run(
        p.path(),
        &[
            "--database-url",
            &format!("postgres://{user}@127.0.0.1:{port}/ragchat"),
            "current",
        ],
    );
    assert_eq!(without.code, 1, "TCP without a password was let in");
    assert!(without.stderr.contains("password"), "{}", without.stderr);
    let with = run(
        p.path(),
        &[
            "--database-url",
            &format!("postgres://{user}:{password}@127.0.0.1:{port}/ragchat"),
            "current",
        ],
    );
    assert_eq!(with.code, 0, "{}", with.stderr);
    assert!(!with.stdout.contains(&password) && !with.stderr.contains(&password));
    assert!(!ok(p.path(), &["dev", "status"]).stdout.contains(&password));
    ok(p.path(), &["dev", "stop"]);
}
