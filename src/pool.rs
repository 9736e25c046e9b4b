//! An r2d2 connection pool for applications.

use diesel::r2d2::{ConnectionManager, Pool};
use diesel::PgConnection;

/// A pool of PostgreSQL connections.
pub type PgPool = Pool<ConnectionManager<PgConnection>>;

/// Builds a pool for `database_url` (any spelling [`crate::config::database_url::DatabaseUrl`]
/// accepts) with at most `max_size` connections.
pub fn build_pool(database_url: &str, max_size: u32) -> crate::Result<PgPool> {
    let url = crate::config::database_url::DatabaseUrl::parse(database_url)?;
    Pool::builder()
        .max_size(max_size)
        .build(ConnectionManager::<PgConnection>::new(url.conninfo(10)))
        .map_err(|e| crate::Error::Connect {
            url: url.masked().to_string(),
            reason: crate::config::secrets::mask(&e.to_string()),
            source: Some(crate::config::secrets::safe_source(e)),
        })
}
