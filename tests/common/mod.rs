//! The test harness: a throwaway PostgreSQL cluster per test binary (initdb
//! into a temporary directory, a free loopback port, a socket in that
//! directory, fsync off), and a fresh database per test so tests run in
//! parallel.
//!
//! No server outlives the test process: the postmaster is our direct child,
//! started from a thread that never ends with `PR_SET_PDEATHSIG`, so the
//! kernel stops it if the test binary dies in any way; on a normal exit an
//! `atexit` hook shuts it down, waits for it and removes its directory.

#![allow(dead_code)]

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use ragchat_migrate::server::cluster::{self, ServerBinaries, ServerUser};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The running test cluster.
pub struct TestServer {
    pub port: u16,
    pub root: PathBuf,
    pub socket_dir: PathBuf,
    pub pid: i32,
    pub bins: ServerBinaries,
}

static SERVER: OnceLock<TestServer> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The cluster of this test binary, started on first use.
pub fn server() -> &'static TestServer {
    SERVER.get_or_init(|| start().unwrap_or_else(|e| panic!("cannot start the test cluster: {e}")))
}

fn start() -> ragchat_migrate::Result<TestServer> {
    let bins = ServerBinaries::find()?;
    let user = ServerUser::for_this_process()?;
    sweep_stale_roots();
    let root = tempfile::Builder::new()
        .prefix("ragchat-test-pg-")
        .tempdir_in(std::env::temp_dir())
        .expect("temp dir")
        .keep();
    std::fs::write(root.join("owner.pid"), std::process::id().to_string()).expect("owner.pid");
    user.own(&root)?;
    let data = root.join("data");
    cluster::initdb(&bins, &user, &data, "postgres", cluster::Auth::TrustAll)?;
    let port = cluster::free_port()?;
    let log = std::fs::File::create(root.join("server.log")).expect("log file");
    let mut cmd = user.command(bins.bin("postgres"));
    cmd.arg("-D")
        .arg(&data)
        .args(cluster::server_args(port, &root, true))
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log);
    // SAFETY: prctl is async-signal-safe; it runs in the child after the
    // credential switch (which would otherwise clear the setting).
    unsafe {
        cmd.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let pid = spawn_from_immortal_thread(cmd);
    // SAFETY: registering a plain extern "C" function.
    unsafe { libc::atexit(shutdown_at_exit) };
    cluster::wait_ready(&data, Duration::from_secs(60), || {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
    })
    .map_err(|e| {
        let log = std::fs::read_to_string(root.join("server.log")).unwrap_or_default();
        ragchat_migrate::Error::Server {
            message: format!("{e}\nserver log:\n{log}"),
            missing_binaries: false,
        }
    })?;
    Ok(TestServer {
        port,
        socket_dir: root.clone(),
        root,
        pid,
        bins,
    })
}

/// A test binary killed outright leaves its directory behind (its server
/// dies with it); remove those whose owning process is gone.
fn sweep_stale_roots() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !entry
            .file_name()
            .to_string_lossy()
            .starts_with("ragchat-test-pg-")
        {
            continue;
        }
        let owner = std::fs::read_to_string(path.join("owner.pid"))
            .ok()
            .and_then(|p| p.trim().parse::<i32>().ok());
        // A killed owner may linger a moment as a zombie: that counts as gone.
        let alive = owner.is_some_and(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|stat| {
                    let state = stat.rsplit(')').next().unwrap_or("").trim_start();
                    !state.starts_with('Z') && !state.starts_with('X')
                })
                .unwrap_or_else(|_| {
                    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
                })
        });
        if owner.is_some() && !alive {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

/// PR_SET_PDEATHSIG fires when the spawning *thread* ends, so the server is
/// spawned from a thread that lives exactly as long as the server: it waits
/// on (and so reaps) the server, and the process exit ends it.
fn spawn_from_immortal_thread(mut cmd: Command) -> i32 {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut child = cmd.spawn().expect("spawn postgres");
        tx.send(child.id() as i32).unwrap();
        let _ = child.wait();
    });
    rx.recv().unwrap()
}

extern "C" fn shutdown_at_exit() {
    if let Some(server) = SERVER.get() {
        stop(server.pid, &server.root);
    }
}

/// Fast shutdown, then waits until the server's thread has reaped it.
fn stop(pid: i32, root: &Path) {
    use nix::sys::signal::{kill, Signal};
    let pid = nix::unistd::Pid::from_raw(pid);
    let _ = kill(pid, Signal::SIGINT);
    let started = Instant::now();
    while kill(pid, None).is_ok() {
        if started.elapsed() > Duration::from_secs(15) {
            let _ = kill(pid, Signal::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = std::fs::remove_dir_all(root);
}

/// A fresh database on the test cluster, dropped when the test ends.
pub struct TestDb {
    pub name: String,
}

impl TestDb {
    /// Creates an empty database.
    pub fn new() -> Self {
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        admin()
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        TestDb { name }
    }

    /// A URL for this database (no password: the cluster trusts loopback).
    pub fn url(&self) -> String {
        url_for(&self.name)
    }

    /// A new connection.
    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url()).expect("connect to test database")
    }

    /// The schema as the sorted facts of `catalog.sql`.
    pub fn catalog(&self) -> Vec<String> {
        #[derive(QueryableByName)]
        struct Line {
            #[diesel(sql_type = Text)]
            line: String,
        }
        diesel::sql_query(include_str!("../data/catalog.sql"))
            .load::<Line>(&mut self.conn())
            .expect("catalog query")
            .into_iter()
            .map(|l| l.line)
            .collect()
    }

    /// Runs one query returning one text column, row by row.
    pub fn lines(&self, sql: &str) -> Vec<String> {
        #[derive(QueryableByName)]
        struct Line {
            #[diesel(sql_type = Text)]
            v: String,
        }
        diesel::sql_query(sql)
            .load::<Line>(&mut self.conn())
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .map(|l| l.v)
            .collect()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = admin().batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// A URL for any database on the test cluster.
pub fn url_for(db: &str) -> String {
    format!("postgres://postgres@127.0.0.1:{}/{db}", server().port)
}

fn admin() -> PgConnection {
    PgConnection::establish(&url_for("postgres")).expect("connect to the test cluster")
}

/// The 95 reference facts of the RAG chat schema.
pub fn reference_catalog() -> Vec<String> {
    include_str!("../data/rag_schema.catalog")
        .lines()
        .map(str::to_string)
        .collect()
}

/// What a finished command printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Self {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// Writes a migration directory with its up.sql and down.sql.
pub fn write_migration(dir: &Path, name: &str, up: &str, down: &str) {
    let m = dir.join(name);
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("up.sql"), up).unwrap();
    std::fs::write(m.join("down.sql"), down).unwrap();
}

/// A migration that creates table `table (id int)` and whose down drops it.
pub fn table_migration(dir: &Path, name: &str, table: &str) {
    write_migration(
        dir,
        name,
        &format!("CREATE TABLE {table} (id int);"),
        &format!("DROP TABLE {table};"),
    );
}
