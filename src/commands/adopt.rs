//! `adopt`: take over a database the original Python system migrated.

use super::Context;
use crate::outcome::Outcome;
use ragchat_migrate::database::migrator;
use ragchat_migrate::error::Result;
use ragchat_migrate::proof::adopt;
use serde_json::json;

impl Context {
    pub(super) fn adopt(&self) -> Result<Outcome> {
        let set = self.load_set()?;
        let mut db = self.connect()?;
        let url = db.url.clone();
        let timeout = self.global.lock_timeout;
        let connect_timeout = self.global.connect_timeout;
        let adoption =
            migrator::with_lock(&mut db.conn, timeout, &mut self.observer(), |conn, _| {
                adopt::adopt(&url, conn, connect_timeout, &set)
            })?;
        let p = &self.printer;
        p.line(format!(
            "adopted the database of Alembic revision {}: its schema matches, and it is now \
             managed by ragchat-migrate (alembic_version was left in place)",
            adoption.alembic_revision
        ));
        for m in &adoption.recorded {
            p.line(format!("  recorded {m} as applied"));
        }
        for c in &adoption.created {
            p.line(format!(
                "  created {c} (the Python system refreshed updated_at in its ORM)"
            ));
        }
        p.json(&json!({ "database": db.url.masked(), "adoption": adoption }));
        Ok(Outcome::Success)
    }
}
