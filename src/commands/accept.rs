//! `accept VERSION`: record the current checksums of an applied migration
//! whose files were edited, once a person decided the edit is harmless.

use super::Context;
use crate::outcome::Outcome;
use ragchat_migrate::database::ledger;
use ragchat_migrate::database::migrator;
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::migrations::plan::Status;
use ragchat_migrate::migrations::target::resolve_revision;
use serde_json::json;

impl Context {
    pub(super) fn accept(&self, target: &str) -> Result<Outcome> {
        let set = self.load_set()?;
        let index = resolve_revision(&set, target)?;
        let m = &set.all()[index];
        let mut db = self.connect()?;
        let timeout = self.global.lock_timeout;
        let changes =
            migrator::with_lock(&mut db.conn, timeout, &mut self.observer(), |conn, _| {
                let read = ledger::read(conn)?;
                let status = Status::new(&set, &read);
                let state = &status.migrations[index];
                if state.applied.is_none() {
                    return Err(Error::Usage(format!(
                        "{} is not applied; nothing to accept",
                        m.dir_name
                    )));
                }
                if !state.changes.is_empty() {
                    ledger::accept_checksums(conn, &read.tables, m)?;
                }
                Ok(state.changes.clone())
            })?;
        if changes.is_empty() {
            self.printer.line(format!(
                "{}: checksums already match; nothing to accept",
                m.dir_name
            ));
        }
        for c in &changes {
            self.printer.line(format!(
                "accepted {}/{}: {} -> {}",
                m.dir_name,
                c.file,
                c.recorded.as_deref().unwrap_or("(none)"),
                c.current.as_deref().unwrap_or("(none)")
            ));
        }
        self.printer.json(&json!({
            "database": db.url.masked(),
            "accepted": m.version,
            "changes": changes,
        }));
        Ok(Outcome::Success)
    }
}
