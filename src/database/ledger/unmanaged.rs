//! Relations in the current schema besides the ledger's own: a database
//! that has some but no ledger was set up by something else, and a run
//! refuses it.

use crate::error::Result;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use diesel::PgConnection;

/// True when the current schema has a relation that is not the ledger's;
/// pg_class alone, so cheap on a new session.
pub(super) const OTHER_RELATIONS_SQL: &str = include_str!("sql/other_relations.sql");

/// Application relations (tables, views, sequences) in the current schema,
/// the ledger aside: a database that has some but no ledger was set up by
/// something else.
pub fn unmanaged_relations(conn: &mut PgConnection) -> Result<Vec<String>> {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    #[derive(QueryableByName)]
    struct Any {
        #[diesel(sql_type = Bool)]
        any: bool,
    }
    // On an empty database (the usual first upgrade) this cheap look at
    // pg_class alone settles it; pg_depend is read only when there is
    // something to tell apart.
    let any: Any =
        diesel::sql_query(format!("SELECT {OTHER_RELATIONS_SQL} AS any")).get_result(conn)?;
    if !any.any {
        return Ok(Vec::new());
    }
    let rows: Vec<Name> =
        diesel::sql_query(include_str!("sql/unmanaged_relations.sql")).load(conn)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}
