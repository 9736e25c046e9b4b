//! A query of fixed text whose parameters are oid arrays, which diesel
//! keeps prepared on the connection (its statement cache, keyed by the
//! text): each run after the first is one round trip, where a query built
//! with `sql_query` is parsed and prepared again every time (two).

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Array, Oid, Untyped};

/// `sql`, its `$1`, `$2`... bound to `arrays[0]`, `arrays[1]`...
pub(super) struct CachedQuery {
    sql: &'static str,
    arrays: Vec<Vec<u32>>,
}

impl CachedQuery {
    /// The query `sql` (static text: one cached statement per text) with
    /// the oid arrays its placeholders name.
    pub(super) fn new(sql: &'static str, arrays: Vec<Vec<u32>>) -> Self {
        CachedQuery { sql, arrays }
    }
}

impl QueryId for CachedQuery {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for CachedQuery {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for CachedQuery {}

impl QueryFragment<Pg> for CachedQuery {
    /// Diesel numbers the parameters itself, in order: each `$n` of the text
    /// becomes a parameter of its own, bound to the `n`th array.
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut rest = self.sql;
        while let Some(at) = rest.find('$') {
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - at - 1);
            let number: usize = match rest[at + 1..at + 1 + digits].parse() {
                Ok(number) => number,
                Err(_) => {
                    out.push_sql(&rest[..=at]);
                    rest = &rest[at + 1..];
                    continue;
                }
            };
            let array = self.arrays.get(number.wrapping_sub(1)).ok_or_else(|| {
                diesel::result::Error::QueryBuilderError(
                    format!("no value for ${number} of a tracker query").into(),
                )
            })?;
            out.push_sql(&rest[..at]);
            out.push_bind_param::<Array<Oid>, _>(array)?;
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}
