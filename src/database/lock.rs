//! The migration lock: a session-level PostgreSQL advisory lock, so that only
//! one migrator works on a database at a time. It dies with its connection,
//! so a crashed holder never leaves it behind.

use crate::error::{Error, Result};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Integer, Nullable};
use diesel::PgConnection;
use std::time::{Duration, Instant};

/// The lock key as an SQL expression: derived from the tool's name and the
/// database name, with PostgreSQL's stable text hash (the one hash
/// partitioning relies on). A macro, so that [`IDLE_SQL`] can embed it.
macro_rules! key_sql {
    () => {
        "hashtextextended('ragchat-migrate:' || current_database(), 0)"
    };
}

/// The lock key.
const KEY_SQL: &str = key_sql!();

/// An SQL expression that is true when no migrator holds the lock. It takes
/// the lock for the current transaction only (released at its end): a
/// cheap way for read-only commands to notice a run in progress without
/// waiting for it, and to keep one from starting while they read.
pub(crate) const IDLE_SQL: &str = concat!("pg_try_advisory_xact_lock(", key_sql!(), ")");

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

#[derive(QueryableByName)]
struct Holder {
    #[diesel(sql_type = Nullable<Integer>)]
    pid: Option<i32>,
}

fn try_lock(conn: &mut PgConnection) -> Result<bool> {
    let row: Locked =
        diesel::sql_query(format!("SELECT pg_try_advisory_lock({KEY_SQL}) AS locked"))
            .get_result(conn)?;
    Ok(row.locked)
}

/// The backend pid currently holding the lock, if it can be seen.
pub fn holder(conn: &mut PgConnection) -> Result<Option<i32>> {
    let query = include_str!("sql/lock_holder.sql").replace("{key}", KEY_SQL);
    let row: Holder = diesel::sql_query(query).get_result(conn)?;
    Ok(row.pid)
}

/// Takes the lock, waiting up to `timeout`. `on_wait` is called once, with the
/// holder's pid, if the lock is busy at first.
pub fn acquire(
    conn: &mut PgConnection,
    timeout: Duration,
    on_wait: &mut dyn FnMut(Option<i32>),
) -> Result<()> {
    if try_lock(conn)? {
        return Ok(());
    }
    let started = Instant::now();
    let first_holder = holder(conn)?;
    on_wait(first_holder);
    // Polling with a short, growing pause keeps us free of lock_timeout
    // error parsing and lets the waiter see the holder change.
    let mut pause = Duration::from_millis(10);
    loop {
        if started.elapsed() >= timeout {
            return Err(Error::LockTimeout {
                waited: started.elapsed(),
                holder: holder(conn)?.or(first_holder),
            });
        }
        std::thread::sleep(pause.min(timeout.saturating_sub(started.elapsed())));
        pause = (pause * 2).min(Duration::from_millis(200));
        if try_lock(conn)? {
            return Ok(());
        }
    }
}

/// Releases the lock (it is also released when the connection closes).
pub fn release(conn: &mut PgConnection) -> Result<()> {
    diesel::sql_query(format!("SELECT pg_advisory_unlock({KEY_SQL}) AS locked"))
        .get_result::<Locked>(conn)?;
    Ok(())
}
