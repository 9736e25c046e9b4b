//! The toolkit's error type: every variant is a case a user can act on, and
//! carries the fix in its message. [`Error::exit_code`] maps each case to the
//! exit code of the command contract.

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

/// Everything a toolkit call can fail with.
#[derive(Debug, Error)]
pub enum Error {
    /// The database URL or conninfo string cannot be parsed (exit 2).
    #[error(
        "invalid database URL: {reason}\n  fix: give postgres://user:password@host:port/dbname \
         (postgresql+asyncpg:// and friends are accepted) or a conninfo string like \
         `host=localhost dbname=ragchat`"
    )]
    InvalidUrl {
        /// What libpq or the toolkit found wrong.
        reason: String,
    },

    /// A migration directory or file is malformed (exit 2).
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

    /// A command-line value is wrong: a target, a name, a flag combination (exit 2).
    #[error("{0}")]
    Usage(String),

    /// The server could not be reached or refused us (exit 1).
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

    /// A migration's SQL failed; nothing of that migration was kept (exit 1).
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
    /// migrations (exit 1; 2 for flags that ask for the impossible).
    #[error("{0}")]
    Refused(crate::refusal::Refusal),

    /// A query of the toolkit's own failed (exit 1).
    #[error("database error: {message}")]
    Database {
        /// The step that failed, PostgreSQL's message and the fix.
        message: String,
        /// Diesel's error, when the failure was one.
        #[source]
        source: Option<diesel::result::Error>,
    },

    /// Another migrator held the lock for longer than `--lock-timeout` (exit 4).
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

    /// A local file could not be read or written (exit 1).
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The local PostgreSQL server could not be found, created or started (exit 2
    /// when binaries are missing, 1 otherwise).
    #[error("{message}")]
    Server {
        /// What went wrong and how to fix it.
        message: String,
        /// True when the cause is missing server binaries (a set-up problem).
        missing_binaries: bool,
    },

    /// The lint gate refused migrations with error-level findings (exit 3).
    #[error("{0}")]
    LintRefused(String),

    /// The toolkit broke one of its own rules; a bug to report (exit 1).
    #[error("internal error: {0}; please report this as a bug")]
    Internal(String),
}

impl Error {
    /// The process exit code the command contract assigns to this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::InvalidUrl { .. } | Error::InvalidMigration { .. } | Error::Usage(_) => 2,
            Error::Server {
                missing_binaries: true,
                ..
            } => 2,
            Error::Refused(crate::refusal::Refusal::NotInOneTransaction { .. }) => 2,
            Error::LockTimeout { .. } => 4,
            Error::LintRefused(_) => 3,
            _ => 1,
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
