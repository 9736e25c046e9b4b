//! The toolkit's error type: every variant is a case a user can act on, and
//! carries the fix in its message. [`Error::kind`] says which kind of
//! failure it is (bad input, a failure, findings, a lock not obtained); the
//! binary turns that kind into its exit code, in one place.

use std::fmt;
use std::time::Duration;
use thiserror::Error;

/// A line number inside a migration file, printed as `, line N` when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SqlLine(pub Option<usize>);

impl fmt::Display for SqlLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(line) => write!(f, ", line {line}"),
            None => Ok(()),
        }
    }
}

/// The kinds of failure a caller tells apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input is wrong: a URL, a migration folder, a flag, missing server
    /// binaries. Nothing was tried; fix the input and run again.
    BadInput,
    /// The work was tried and failed, or was refused for the database's state.
    Failure,
    /// Checks found problems the caller must act on (the lint gate).
    Findings,
    /// Another migrator held the migration lock for longer than allowed.
    LockTimeout,
}

/// Everything a toolkit call can fail with.
#[derive(Debug, Error)]
pub enum Error {
    /// The database URL or conninfo string cannot be parsed (bad input).
    #[error(
        "invalid database URL: {reason}\n  fix: give postgres://user:password@host:port/dbname \
         (postgresql+asyncpg:// and friends are accepted) or a conninfo string like \
         `host=localhost dbname=ragchat`"
    )]
    InvalidUrl {
        /// What libpq or the toolkit found wrong.
        reason: String,
    },

    /// A migration directory or file is malformed (bad input).
    #[error(
        "invalid migration {}: {reason}",
        crate::migrations::names::shown(path)
    )]
    InvalidMigration {
        /// The directory or file at fault.
        path: String,
        /// What is wrong with it and how to fix it.
        reason: String,
    },

    /// A command-line value is wrong: a target, a name, a flag combination (bad input).
    #[error("{0}")]
    Usage(String),

    /// The server could not be reached or refused us (a failure).
    #[error("could not connect to {url}: {reason}")]
    Connect {
        /// The URL with its password masked.
        url: String,
        /// libpq's message.
        reason: String,
        /// The driver's or the pool's error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// A migration's SQL failed; nothing of that migration was kept (a failure).
    #[error(
        "migration {} failed ({file}{line}): {message}",
        crate::migrations::names::shown(dir)
    )]
    MigrationFailed {
        /// The migration directory name.
        dir: String,
        /// `up.sql` or `down.sql`.
        file: &'static str,
        /// Where in the file PostgreSQL located the error, when it did.
        line: SqlLine,
        /// PostgreSQL's message (with detail and hint).
        message: String,
        /// Diesel's error, as the server sent it.
        #[source]
        source: diesel::result::Error,
    },

    /// The toolkit refused to act on this database state or these
    /// migrations (a failure; bad input for flags that ask for the impossible).
    #[error("{0}")]
    Refused(crate::refusal::Refusal),

    /// A query of the toolkit's own failed (a failure).
    #[error("database error: {message}")]
    Database {
        /// The step that failed, PostgreSQL's message and the fix.
        message: String,
        /// Diesel's error, when the failure was one.
        #[source]
        source: Option<diesel::result::Error>,
    },

    /// Another migrator held the lock for longer than `--lock-timeout` (lock timeout).
    #[error(
        "timed out after {}s waiting for the migration lock{}\n  fix: wait for the other \
         migrator to finish, or raise --lock-timeout",
        waited.as_secs_f64(),
        holder.map(|p| format!(" (held by backend pid {p})")).unwrap_or_default()
    )]
    LockTimeout {
        /// How long we waited.
        waited: Duration,
        /// The backend pid that held the lock, when it could be seen.
        holder: Option<i32>,
    },

    /// A local file could not be read or written (a failure).
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The local PostgreSQL server could not be found, created or started (bad input
    /// when binaries are missing, a failure otherwise).
    #[error("{message}")]
    Server {
        /// What went wrong and how to fix it.
        message: String,
        /// True when the cause is missing server binaries (a set-up problem).
        missing_binaries: bool,
    },

    /// The lint gate refused migrations with error-level findings (findings).
    #[error("{0}")]
    LintRefused(String),

    /// The toolkit broke one of its own rules; a bug to report (a failure).
    #[error("internal error: {0}; please report this as a bug")]
    Internal(String),
}

impl Error {
    /// Which kind of failure this is: what a caller (and the binary's exit
    /// code) tells apart.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidUrl { .. } | Error::InvalidMigration { .. } | Error::Usage(_) => {
                ErrorKind::BadInput
            }
            Error::Server {
                missing_binaries: true,
                ..
            } => ErrorKind::BadInput,
            Error::Refused(crate::refusal::Refusal::NotInOneTransaction { .. }) => {
                ErrorKind::BadInput
            }
            Error::LockTimeout { .. } => ErrorKind::LockTimeout,
            Error::LintRefused(_) => ErrorKind::Findings,
            _ => ErrorKind::Failure,
        }
    }

    /// A refusal that has no variant of its own, by its message.
    pub fn refused(message: String) -> Self {
        Error::Refused(crate::refusal::Refusal::Other(message))
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl fmt::Display, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_string(),
            source,
        }
    }
}

/// The toolkit's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
