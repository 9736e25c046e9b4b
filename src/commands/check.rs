//! `check`: the CI gate: at head, nothing edited, unknown or drifted.

use super::{current_json, migration_json, Context};
use crate::outcome::Outcome;
use crate::output::Style;
use ragchat_migrate::database::ledger;
use ragchat_migrate::error::Result;
use ragchat_migrate::migrations::source::MigrationScript;
use ragchat_migrate::proof::drift;
use serde_json::json;

impl Context {
    pub(super) fn check(&self) -> Result<Outcome> {
        // No waiting for the lock: a run in progress fails the check (what
        // it has done so far is not a state to approve).
        let (set, mut db, status, migrating) = self.observe(ledger::Detail::Checksums)?;
        let pending: Vec<&MigrationScript> = status.pending().map(|i| &set.all()[i]).collect();
        let lint_report = self.lint_for_check(&pending, &mut db)?;
        let changed: Vec<String> = status
            .changed()
            .flat_map(|s| {
                let dir = &set.all()[s.index].dir_name;
                s.changes.iter().map(move |c| format!("{dir}/{}", c.file))
            })
            .collect();
        let out_of_order: Vec<&str> = status
            .migrations
            .iter()
            .filter(|s| s.out_of_order)
            .map(|s| set.all()[s.index].dir_name.as_str())
            .collect();
        let expected = drift::expected_schema_cached(
            &db.url,
            &mut db.conn,
            self.global.connect_timeout,
            &set,
            drift::applied_migrations(&set, &status),
        )?;
        let drifted: Vec<String> = drift::compare_cached(&expected, &db.url, &mut db.conn)?
            .iter()
            .map(ToString::to_string)
            .collect();
        let ok = !migrating
            && pending.is_empty()
            && changed.is_empty()
            && status.unknown.is_empty()
            && drifted.is_empty();
        let p = &self.printer;
        if ok {
            p.line(format!(
                "{} at head, nothing edited, unknown or drifted: {}",
                p.paint("ok:", Style::Good),
                ragchat_migrate::migrations::unknown::describe_current(
                    &set,
                    &status,
                    &self.loaded_source()
                )
            ));
        } else {
            p.line(format!(
                "{} the database is not clean ({})",
                p.paint("check failed:", Style::Bad),
                ragchat_migrate::migrations::unknown::describe_current(
                    &set,
                    &status,
                    &self.loaded_source()
                )
            ));
            if migrating {
                p.line("  in progress: a migration run holds the lock; check again when it ends");
            }
            for m in &pending {
                p.line(format!("  pending:   {}", m.dir_name));
            }
            if !lint_report.files.is_empty() {
                p.line(ragchat_migrate::lint::render::text(&lint_report, p.color));
            }
            for c in &changed {
                p.line(format!("  changed:   {c} (edited after it was applied)"));
            }
            if let Some(summary) =
                ragchat_migrate::migrations::unknown::summary(&status, &self.loaded_source())
            {
                p.line(format!("  unknown:   {summary}"));
            }
            for o in &out_of_order {
                p.line(format!("  out of order: {o}"));
            }
            if !drifted.is_empty() {
                p.line("  drift: the schema differs from what the applied migrations produce (- missing here, + only here, ~ different):");
                for d in &drifted {
                    p.line(format!("    {d}"));
                }
            }
        }
        p.json(&json!({
            "ok": ok,
            "database": db.url.masked(),
            "migration_in_progress": migrating,
            "current": current_json(&set, &status),
            "pending": pending.iter().map(|m| migration_json(m)).collect::<Vec<_>>(),
            "changed": changed,
            "unknown": status.unknown.iter().map(|a| &a.version).collect::<Vec<_>>(),
            "out_of_order": out_of_order,
            "drift": drifted,
            "lint": ragchat_migrate::lint::render::json(&lint_report),
        }));
        Ok(Outcome::clean_if(ok))
    }
}
