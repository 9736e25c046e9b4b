//! How a failed step is reported: the migration's own SQL failed (with the
//! line, and the fix for a lock or statement timeout), or the toolkit's
//! ledger write that went with it; and the INVALID index a failed
//! `CREATE INDEX CONCURRENTLY` leaves behind.

use crate::database::blame;
use crate::database::pg_error;
use crate::error::{Error, SqlLine};
use crate::migrations::direction::Direction;
use crate::migrations::plan::Step;
use diesel::PgConnection;

/// A failed `CREATE INDEX CONCURRENTLY` leaves an INVALID index that makes
/// every rerun fail with "already exists"; name them and the way out.
pub fn invalid_index_note(conn: &mut PgConnection) -> String {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let invalid: Vec<Name> = diesel::sql_query(
        "SELECT i.indexrelid::regclass::text AS name FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE NOT i.indisvalid AND n.nspname = current_schema()",
    )
    .load(conn)
    .unwrap_or_default();
    if invalid.is_empty() {
        return String::new();
    }
    let names: Vec<String> = invalid.into_iter().map(|n| n.name).collect();
    format!(
        "\n  the failed statement left INVALID index(es): {}; fix: `DROP INDEX CONCURRENTLY` \
         them, then rerun",
        names.join(", ")
    )
}

/// An error of the ledger writes that go with a step's SQL.
pub fn ledger_write_failed(step: &Step, error: diesel::result::Error) -> Error {
    pg_error::step_failed(
        &format!(
            "recording {} {} in the migration ledger (the migration's own SQL had run)",
            step.migration.dir_name,
            match step.direction {
                Direction::Up => "as applied",
                Direction::Down => "as reverted",
            }
        ),
        error,
    )
}

/// A step's migration SQL failed (`place`: where in its file, when known).
pub fn migration_failed(
    step: &Step,
    error: diesel::result::Error,
    place: Option<blame::Place>,
) -> Error {
    let line = place.as_ref().map(|p| p.line);
    // The message also carries the toolkit's ledger writes: an error that
    // names a ledger table is theirs, not the migration's.
    if pg_error::concerns_ledger(&error) {
        return ledger_write_failed(step, error);
    }
    let mut message = pg_error::describe(&error);
    if pg_error::classify(&error) == pg_error::OwnErrorClass::StatementTimeout {
        message.push_str(
            "\n  statement_timeout (set for the role, the database or the URL's options) \
             cancelled the migration's SQL; fix: raise or reset it for the migration role",
        );
    }
    if pg_error::is_lock_timeout(&error) {
        message.push_str(
            "\n  the migration waited longer than --ddl-lock-timeout for a lock that \
             another session holds (a long query or transaction on the same table); \
             fix: rerun when that session is done, or raise --ddl-lock-timeout (0 waits \
             indefinitely)",
        );
    }
    if let Some(place) = &place {
        message.push_str(&place.note());
    }
    Error::MigrationFailed {
        dir: step.migration.dir_name.clone(),
        file: step.direction.file(),
        line: SqlLine(line),
        message,
        source: error,
    }
}
