//! How many more connections the server lets this session's role open: the
//! role's `CONNECTION LIMIT` and the server's `max_connections`, less the
//! connections already open. `verify --jobs` sizes itself by it, since each
//! stretch it checks at once holds connections of its own.

use crate::error::Result;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::PgConnection;

/// Room when neither the role nor the server sets a limit worth counting.
const UNLIMITED: i64 = 1_000_000;

#[derive(QueryableByName)]
struct Room {
    #[diesel(sql_type = BigInt)]
    room: i64,
}

/// The connections the role behind `conn` may still open (0 when none). A
/// superuser may in fact open a few more: the reserved ones are not
/// counted as room.
pub fn connections_left(conn: &mut PgConnection) -> Result<usize> {
    let room: Room = diesel::sql_query(format!(
        "SELECT LEAST( \
           COALESCE((SELECT NULLIF(rolconnlimit, -1) FROM pg_catalog.pg_roles \
                     WHERE rolname = current_user) \
             - (SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE usename = current_user), \
             {UNLIMITED}), \
           current_setting('max_connections')::int \
             - current_setting('superuser_reserved_connections')::int \
             - COALESCE(current_setting('reserved_connections', true)::int, 0) \
             - (SELECT count(*) FROM pg_catalog.pg_stat_activity \
                WHERE backend_type = 'client backend') \
         )::bigint AS room"
    ))
    .get_result(conn)?;
    Ok(usize::try_from(room.room).unwrap_or(0))
}
