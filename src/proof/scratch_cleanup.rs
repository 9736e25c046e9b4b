//! Scratch databases never outlive their command:
//!
//! - SIGINT and SIGTERM while one exists drop it before the process exits
//!   (with 130 or 143, as a shell reports a process those signals ended);
//! - one left by a process killed outright (SIGKILL, a power cut) is dropped
//!   by the next command that makes a scratch database on that server, once
//!   its owner is gone: the name carries the owner's host and pid, so on the
//!   same host a vanished pid settles it; from another host (or an older
//!   name), it must be older than [`GRACE`] and have no session;
//! - one kept on purpose (`verify --keep`) carries the comment [`KEPT`] and
//!   is never swept: dropping it is the user's.

use crate::config::database_url::DatabaseUrl;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::PgConnection;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The prefix of every scratch database's name.
pub const PREFIX: &str = "ragchat_scratch_";

/// The comment of a scratch database kept on purpose (`verify --keep`):
/// never swept, whatever became of its owner.
pub const KEPT: &str = "ragchat-migrate: kept on purpose (verify --keep); drop it when done";

/// How old a scratch database of another host (or of unknown origin) must
/// be before it counts as abandoned.
pub const GRACE: Duration = Duration::from_secs(3600);

/// The scratch databases of this process.
struct Scratches {
    /// Alive: (admin URL, name, connect timeout).
    live: Vec<(DatabaseUrl, String, u64)>,
    /// Being created right now (`verify --jobs` creates them from several
    /// threads): a signal's handler waits for them to be registered.
    creating: usize,
    /// A signal arrived: no new scratch database may be started.
    interrupted: bool,
}

static SCRATCHES: Mutex<Scratches> = Mutex::new(Scratches {
    live: Vec::new(),
    creating: 0,
    interrupted: false,
});
static INSTALL: Once = Once::new();
static PIPE_WRITE: AtomicI32 = AtomicI32::new(-1);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// The last millisecond a name was made with: names stay unique when
/// several threads make them in the same millisecond.
static LAST_NAME_MILLIS: AtomicU64 = AtomicU64::new(0);

/// The longest a signal's handler waits for creations in flight.
const CREATION_WAIT: Duration = Duration::from_secs(10);

fn scratches() -> std::sync::MutexGuard<'static, Scratches> {
    SCRATCHES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A new scratch database name: `ragchat_scratch_<db>_<host>_<pid>_<ms>`
/// (at most 63 bytes, PostgreSQL's limit).
pub fn new_name(target_db: &str) -> String {
    let owner: String = crate::migrations::names::slug(target_db)
        .chars()
        .take(16)
        .collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    let previous = LAST_NAME_MILLIS
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or(now);
    let millis = now.max(previous + 1);
    format!(
        "{PREFIX}{owner}_{}_{}_{millis}",
        host_tag(),
        std::process::id()
    )
}

/// Six hex digits naming this host.
fn host_tag() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .unwrap_or_default();
    let host = host.trim();
    crate::migrations::checksum::sha256_hex(host)[..6].to_string()
}

/// A scratch database being created: from before its `CREATE DATABASE`
/// until it is registered (or its creation failed), a signal's handler
/// waits for it rather than miss it.
pub struct Creation(());

/// Announces a scratch database about to be created. After a signal, this
/// blocks until the handler has ended the process: nothing new is created.
pub fn creation() -> Creation {
    INSTALL.call_once(install_handlers);
    loop {
        let mut state = scratches();
        if !state.interrupted {
            state.creating += 1;
            return Creation(());
        }
        drop(state);
        wait_if_interrupted();
    }
}

impl Drop for Creation {
    fn drop(&mut self) {
        let mut state = scratches();
        state.creating = state.creating.saturating_sub(1);
    }
}

/// Registers a live scratch database, so that SIGINT/SIGTERM drop it.
pub fn register(admin: &DatabaseUrl, name: &str, connect_timeout: u64) {
    INSTALL.call_once(install_handlers);
    scratches()
        .live
        .push((admin.clone(), name.to_string(), connect_timeout));
}

/// Forgets a scratch database that was dropped (or kept on purpose).
pub fn unregister(name: &str) {
    scratches().live.retain(|(_, n, _)| n != name);
}

extern "C" fn on_signal(signal: libc::c_int) {
    let fd = PIPE_WRITE.load(Ordering::SeqCst);
    let byte = signal as u8;
    // SAFETY: write(2) is async-signal-safe; the buffer is one local byte.
    unsafe {
        libc::write(fd, (&byte as *const u8).cast(), 1);
    }
}

/// A self-pipe: the handler writes the signal number, a thread reads it,
/// drops the live scratch databases and exits.
fn install_handlers() {
    let mut fds = [0; 2];
    // SAFETY: pipe(2) with a valid two-element array.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return;
    }
    PIPE_WRITE.store(fds[1], Ordering::SeqCst);
    let read_fd = fds[0];
    std::thread::spawn(move || {
        let mut byte = 0u8;
        // SAFETY: reading one byte into a local from our own pipe.
        let n = unsafe { libc::read(read_fd, (&mut byte as *mut u8).cast(), 1) };
        if n == 1 {
            INTERRUPTED.store(true, Ordering::SeqCst);
            drop_all_live();
            // The shell's convention for "ended by signal N" (130 for
            // SIGINT, 143 for SIGTERM; docs/safety.md): the one exit the
            // library makes, because no result can travel back from here.
            std::process::exit(128 + i32::from(byte));
        }
    });
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: installing a handler that only calls write(2).
        unsafe {
            libc::signal(signal, on_signal as *const () as libc::sighandler_t);
        }
    }
}

/// Called by a scratch database's owner when it is done with it: while a
/// signal is being handled, the work failed because the database was
/// dropped under it, and the process must end with the signal's exit code,
/// not report that failure; so this waits for the handler to exit.
pub fn wait_if_interrupted() {
    while INTERRUPTED.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops new creations, waits for those in flight to be registered, then
/// drops every live scratch database.
fn drop_all_live() {
    scratches().interrupted = true;
    let started = std::time::Instant::now();
    while scratches().creating > 0 && started.elapsed() < CREATION_WAIT {
        std::thread::sleep(Duration::from_millis(5));
    }
    let live = scratches().live.clone();
    for (admin, name, timeout) in live {
        if let Ok(mut conn) = admin.connect(timeout) {
            let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            eprintln!("interrupted: dropped the scratch database {name}");
        }
    }
}

#[derive(QueryableByName)]
struct Candidate {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    in_use: bool,
}

/// Drops the scratch databases on `conn`'s server whose owner is gone (see
/// the module documentation); returns the names dropped. Failures (no
/// right to drop another role's database) are skipped.
pub fn sweep_abandoned(conn: &mut PgConnection) -> Vec<String> {
    let candidates: Vec<Candidate> = diesel::sql_query(format!(
        "SELECT d.datname::text AS name, \
                EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname) AS in_use \
         FROM pg_database d WHERE d.datname LIKE '{}%' \
           AND shobj_description(d.oid, 'pg_database') IS DISTINCT FROM '{KEPT}' ORDER BY 1",
        PREFIX.replace('_', "\\_")
    ))
    .load(conn)
    .unwrap_or_default();
    let mut dropped = Vec::new();
    for c in candidates {
        if !abandoned(&c.name, c.in_use) {
            continue;
        }
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", c.name);
        if conn.batch_execute(&sql).is_ok() {
            dropped.push(c.name);
        }
    }
    dropped
}

/// Whether a scratch database named `name` is abandoned.
fn abandoned(name: &str, in_use: bool) -> bool {
    let mut parts = name.rsplit('_');
    let millis = parts.next().and_then(|p| p.parse::<u128>().ok());
    let pid = parts.next().and_then(|p| p.parse::<i32>().ok());
    let host = parts.next();
    if let (Some(pid), Some(host)) = (pid, host) {
        if host == host_tag() {
            if pid == std::process::id() as i32 {
                return false;
            }
            return !process_alive(pid);
        }
    }
    // Another host, or a name without our fields: only old and idle ones.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let old =
        millis.is_some_and(|m| m > 1_000_000_000_000 && now.saturating_sub(m) > GRACE.as_millis());
    old && !in_use
}

/// True when `pid` is a live (not zombie) process on this host.
fn process_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            !state.starts_with('Z') && !state.starts_with('X')
        }
        Err(_) => nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok(),
    }
}
