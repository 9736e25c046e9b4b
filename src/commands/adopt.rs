//! `adopt`: take over a database the original Python system migrated.

use super::context::Context;
use crate::outcome::Outcome;
use crate::output::ledger::AdoptReport;
use ragchat_migrate::database::migrator;
use ragchat_migrate::error::Result;
use ragchat_migrate::proof::adopt;

impl Context {
    /// `adopt`: under the lock, check the Alembic-made schema fact by fact
    /// and record the migrations it matches.
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
        self.printer.report(&AdoptReport {
            database: db.url.masked().to_string(),
            adoption,
        });
        Ok(Outcome::Success)
    }
}
