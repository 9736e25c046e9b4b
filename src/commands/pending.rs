//! `pending`: the migrations an upgrade to head would apply, one a line.

use super::{migration_json, Context};
use crate::outcome::Outcome;
use ragchat_migrate::database::ledger;
use ragchat_migrate::error::Result;
use ragchat_migrate::migrations::source::MigrationScript;
use serde_json::json;

impl Context {
    pub(super) fn pending(&self) -> Result<Outcome> {
        let (set, db, status, migrating) = self.observe(ledger::Detail::Versions)?;
        let pending: Vec<&MigrationScript> = status.pending().map(|i| &set.all()[i]).collect();
        for m in &pending {
            self.printer.line(format!("{} {}", m.version, m.dir_name));
        }
        self.printer.json(&json!({
            "database": db.url.masked(),
            "migration_in_progress": migrating,
            "pending": pending.iter().map(|m| migration_json(m)).collect::<Vec<_>>(),
        }));
        Ok(Outcome::Success)
    }
}
