//! Turning Diesel's view of a PostgreSQL error into text a user can act on.

use crate::error::Error;
use diesel::result::Error as DieselError;

impl From<DieselError> for Error {
    /// A query of the toolkit's own failed: PostgreSQL's message (with the
    /// fix when `statement_timeout` cancelled it, as it may cancel any of
    /// them), keeping Diesel's error as the source.
    fn from(error: DieselError) -> Self {
        let message = if classify(&error) == OwnErrorClass::StatementTimeout {
            describe_own(&error)
        } else {
            describe(&error)
        };
        Error::Database {
            message,
            source: Some(error),
        }
    }
}

/// PostgreSQL's message with its detail and hint, on one or more lines.
pub fn describe(error: &DieselError) -> String {
    match error {
        DieselError::DatabaseError(_, info) => {
            let mut text = info.message().trim_end().to_string();
            if let Some(detail) = info.details() {
                text.push_str(&format!("\n  detail: {detail}"));
            }
            if let Some(hint) = info.hint() {
                text.push_str(&format!("\n  hint: {hint}"));
            }
            text
        }
        other => other.to_string().trim_end().to_string(),
    }
}

/// The 1-based character position PostgreSQL reported for the error, if any.
pub fn position(error: &DieselError) -> Option<usize> {
    match error {
        DieselError::DatabaseError(_, info) => info
            .statement_position()
            .and_then(|p| usize::try_from(p).ok()),
        _ => None,
    }
}

/// The server's own message (without detail or hint) for an error the
/// server raised; `None` for a closed connection or a client-side error,
/// which a replay of the same SQL cannot reproduce.
pub fn server_message(error: &DieselError) -> Option<&str> {
    match error {
        DieselError::DatabaseError(diesel::result::DatabaseErrorKind::ClosedConnection, _) => None,
        DieselError::DatabaseError(_, info) => Some(info.message()),
        _ => None,
    }
}

/// True when `lock_timeout` cancelled the statement (55P03
/// lock_not_available): another session held a lock it waited for.
pub fn is_lock_timeout(error: &DieselError) -> bool {
    describe(error).contains("lock timeout")
}

/// True when the role lacks a privilege the statement needs (42501
/// insufficient_privilege, e.g. `CREATE DATABASE` without CREATEDB).
pub fn is_permission_denied(error: &DieselError) -> bool {
    describe(error).contains("permission denied")
}

/// The classes of server error a step of the toolkit's own (ledger probe,
/// lock, side records) is told apart by, with the fix for each. Diesel
/// exposes only some SQLSTATEs as kinds, so the others are matched on the
/// server's fixed English message (lc_messages is English for every
/// server this runs against: the toolkit's sessions do not change it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnErrorClass {
    /// 57014 query_canceled by `statement_timeout`.
    StatementTimeout,
    /// 25006 read_only_sql_transaction.
    ReadOnly,
    /// 42501 insufficient_privilege (also "must be owner").
    Privilege,
    /// 3F000 invalid_schema_name / "no schema has been selected".
    NoSchema,
    /// 23505 unique_violation.
    Duplicate,
    /// Anything else.
    Other,
}

/// Classifies an error by its SQLSTATE (or, where Diesel hides it, its message).
pub fn classify(error: &DieselError) -> OwnErrorClass {
    use diesel::result::DatabaseErrorKind as K;
    let DieselError::DatabaseError(kind, info) = error else {
        return OwnErrorClass::Other;
    };
    let message = info.message();
    match kind {
        K::ReadOnlyTransaction => return OwnErrorClass::ReadOnly,
        K::UniqueViolation => return OwnErrorClass::Duplicate,
        _ => {}
    }
    if message.contains("statement timeout") {
        OwnErrorClass::StatementTimeout
    } else if message.starts_with("permission denied") || message.starts_with("must be owner") {
        OwnErrorClass::Privilege
    } else if message.starts_with("no schema has been selected")
        || (message.starts_with("schema ") && message.ends_with("does not exist"))
    {
        OwnErrorClass::NoSchema
    } else {
        OwnErrorClass::Other
    }
}

/// [`describe`] for an error of the toolkit's own SQL, with the fix its
/// class calls for.
pub fn describe_own(error: &DieselError) -> String {
    let fix = match classify(error) {
        OwnErrorClass::StatementTimeout => {
            "statement_timeout (set for the role, the database or the URL's options) cancelled \
            the toolkit's own query; fix: raise or reset it for the migration role \
            (`ALTER ROLE ... RESET statement_timeout`), or pass \
            `?options=-cstatement_timeout%3D0` in the URL"
        }
        OwnErrorClass::ReadOnly => {
            "the session is read-only; fix: connect to the primary as a role that may write \
            (check default_transaction_read_only for the role and database)"
        }
        OwnErrorClass::Privilege => {
            "fix: run as the owner of the ledger tables, or grant the role SELECT, INSERT and \
            DELETE on them and CREATE on their schema"
        }
        OwnErrorClass::NoSchema => {
            "fix: create the schema, or correct the search_path of the role, the database or \
            the URL's options"
        }
        OwnErrorClass::Duplicate => {
            "the ledger holds a row twice, or another tool wrote the same version meanwhile; \
            fix: compare the ledger with `history` and remove the duplicate row"
        }
        OwnErrorClass::Other => return describe(error),
    };
    format!("{}\n  {fix}", describe(error))
}

/// An error of one of the toolkit's own steps (not a migration's SQL).
pub fn step_failed(step: &str, error: diesel::result::Error) -> Error {
    Error::Database {
        message: format!("{step} failed: {}", describe_own(&error)),
        source: Some(error),
    }
}

/// [`step_failed`] for an error already converted.
pub fn step_error(step: &str, error: Error) -> Error {
    match error {
        Error::Database { message, source } if !message.contains(" failed: ") => Error::Database {
            message: format!("{step} failed: {message}"),
            source,
        },
        other => other,
    }
}

/// Why libpq could not open a session, told apart by its message (a
/// connection error reaches us as text only, without a SQLSTATE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectFailure {
    /// The connection was made, but `statement_timeout` cancelled the
    /// session's first statements (time zone, encoding).
    StatementTimeout,
    /// 28P01 invalid_password.
    BadPassword,
    /// 3D000 invalid_catalog_name: the database does not exist.
    NoDatabase,
    /// Nothing listens at the host and port, or on the socket.
    NoServer,
    /// The connect timeout passed.
    Timeout,
    /// The host name does not resolve.
    UnknownHost,
    /// Anything else.
    Other,
}

/// Classifies libpq's connection failure `message`.
pub fn classify_connect(message: &str) -> ConnectFailure {
    if message.contains("statement timeout") {
        ConnectFailure::StatementTimeout
    } else if message.contains("password authentication failed") {
        ConnectFailure::BadPassword
    } else if message.contains("does not exist") && message.contains("database") {
        ConnectFailure::NoDatabase
    } else if message.contains("Connection refused") || message.contains("No such file") {
        ConnectFailure::NoServer
    } else if message.contains("timeout") {
        ConnectFailure::Timeout
    } else if message.contains("could not translate host name") {
        ConnectFailure::UnknownHost
    } else {
        ConnectFailure::Other
    }
}

/// True when the error concerns one of the ledger tables (named in the
/// message, or as the error's table): then the toolkit's own writes in a
/// migration's message failed, not the migration's SQL.
pub fn concerns_ledger(error: &DieselError) -> bool {
    let DieselError::DatabaseError(_, info) = error else {
        return false;
    };
    let names = [
        crate::database::ledger::tables::DIESEL_TABLE,
        crate::database::ledger::tables::SIDE_TABLE,
    ];
    let in_text = |t: &str| names.iter().any(|n| t.contains(n));
    in_text(info.message())
        || info.table_name().is_some_and(in_text)
        || info.constraint_name().is_some_and(in_text)
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_errors_keep_diesel_as_their_source() {
        use std::error::Error as _;
        let error = crate::error::Error::from(diesel::result::Error::NotFound);
        assert_eq!(error.to_string(), "database error: Record not found");
        let source = error.source().expect("a source");
        assert!(matches!(
            source.downcast_ref::<diesel::result::Error>(),
            Some(diesel::result::Error::NotFound)
        ));
    }
}
