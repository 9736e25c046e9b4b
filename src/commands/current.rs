//! `current`: the applied version, `(head)` when nothing is pending.

use super::{current_json, migration_json, Context};
use crate::outcome::Outcome;
use ragchat_migrate::database::ledger;
use ragchat_migrate::error::Result;
use serde_json::json;

impl Context {
    pub(super) fn current(&self) -> Result<Outcome> {
        let (set, db, status, migrating) = self.observe(ledger::Detail::Versions)?;
        self.warn_about_anomalies(&set, &status);
        self.printer
            .line(ragchat_migrate::migrations::unknown::describe_current(
                &set,
                &status,
                &self.loaded_source(),
            ));
        self.printer.json(&json!({
            "database": db.url.masked(),
            "current": current_json(&set, &status),
            "head": set.all().last().map(migration_json),
            "at_head": status.at_head() && status.unknown.is_empty(),
            "pending": status.pending().count(),
            "unknown": status.unknown.iter().map(|a| &a.version).collect::<Vec<_>>(),
            "migration_in_progress": migrating,
        }));
        Ok(Outcome::Success)
    }
}
