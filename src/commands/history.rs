//! `history`: every migration, applied or pending, when, current and head.

use super::{applied_when, history_filter, Context};
use crate::cli::HistoryArgs;
use crate::outcome::Outcome;
use crate::output::Style;
use ragchat_migrate::database::ledger;
use ragchat_migrate::error::Result;
use ragchat_migrate::migrations::plan::Status;
use serde_json::json;

impl Context {
    /// `history [-v] [-r FROM:TO] [--limit N]`.
    pub(super) fn history(&self, args: HistoryArgs) -> Result<Outcome> {
        let filter = history_filter::Filter::new(args.range, args.limit)?;
        let verbose = args.verbose;
        // Checksums (and the CHANGED marks they give) need every file read:
        // only --verbose pays for that. The plain listing shows Diesel's
        // run_on, so it needs the side records (who, how long) only for JSON,
        // or to name versions this binary does not know.
        let detail = if verbose {
            ledger::Detail::Checksums
        } else if self.printer.json_mode() {
            ledger::Detail::Records
        } else {
            ledger::Detail::Versions
        };
        let (set, mut db, mut status, migrating) =
            self.observe_checked(detail, |set| filter.indexes(set, None).map(|_| ()))?;
        let shown = filter.indexes(&set, Some(status.current()))?;
        if detail == ledger::Detail::Versions && !status.unknown.is_empty() {
            let observed = ledger::observe(&mut db.conn, ledger::Detail::Records)?;
            status = Status::new(&set, &observed.ledger);
        }
        let current = status.current();
        let head = set.len().checked_sub(1);
        let p = &self.printer;
        let mut entries = Vec::new();
        // Collected and written at once: a long history is one write, not
        // one system call per line.
        let mut lines: Vec<String> = Vec::new();
        for state in &status.migrations[shown] {
            let m = &set.all()[state.index];
            let mut marks = Vec::new();
            if Some(state.index) == current {
                marks.push(p.paint("(current)", Style::Bold));
            }
            if Some(state.index) == head {
                marks.push(p.paint("(head)", Style::Bold));
            }
            if state.out_of_order {
                marks.push(p.paint("(out of order: older than the newest applied)", Style::Warn));
            }
            for change in &state.changes {
                marks.push(p.paint(
                    &format!("(CHANGED: {} edited since applied)", change.file),
                    Style::Bad,
                ));
            }
            let (box_, when) = match &state.applied {
                Some(a) => (
                    p.paint("[x]", Style::Good),
                    format!("applied {}", applied_when(a)),
                ),
                None => (p.paint("[ ]", Style::Warn), "pending".to_string()),
            };
            lines.push(
                format!(
                    "{box_} {}  {:<32} {when} {}",
                    m.version,
                    m.label(),
                    marks.join(" ")
                )
                .trim_end()
                .to_string(),
            );
            if verbose {
                lines.push(format!("      directory:   {}", m.dir_name));
                lines.push(format!("      up.sql:      sha256 {}", m.up_sha256));
                if let Some(d) = &m.down_sha256 {
                    lines.push(format!("      down.sql:    sha256 {d}"));
                }
                if let Some(r) = state.applied.as_ref().and_then(|a| a.record.as_ref()) {
                    lines.push(format!(
                        "      recorded by: {}{}",
                        r.applied_by,
                        r.duration_ms
                            .map(|d| format!(", took {d:.1} ms"))
                            .unwrap_or_default()
                    ));
                }
                if !m.run_in_transaction {
                    lines.push("      runs outside a transaction (metadata.toml)".to_string());
                }
            }
            if !p.json_mode() {
                continue;
            }
            let mut entry = json!({
                "version": m.version,
                "name": m.dir_name,
                "state": if state.applied.is_some() { "applied" } else { "pending" },
                "applied_at": state.applied.as_ref().map(applied_when),
                "duration_ms": state.applied.as_ref().and_then(|a| a.record.as_ref()).and_then(|r| r.duration_ms),
                "applied_by": state.applied.as_ref().and_then(|a| a.record.as_ref()).map(|r| r.applied_by.clone()),
                "current": Some(state.index) == current,
                "head": Some(state.index) == head,
                "out_of_order": state.out_of_order,
            });
            if verbose {
                entry["changed"] = json!(state.changes);
                entry["up_sha256"] = json!(m.up_sha256);
                entry["down_sha256"] = json!(m.down_sha256);
                entry["run_in_transaction"] = json!(m.run_in_transaction);
            }
            entries.push(entry);
        }
        for unknown in status.unknown.iter().filter(|_| !filter.has_range()) {
            lines.push(format!(
                "{} {}  {:<32} applied {} {}",
                p.paint("[?]", Style::Bad),
                unknown.version,
                unknown
                    .record
                    .as_ref()
                    .map_or("(unknown)", |r| r.dir_name.as_str()),
                applied_when(unknown),
                p.paint(
                    &format!("(UNKNOWN: applied, but not in {})", set.origin()),
                    Style::Bad
                )
            ));
        }
        if set.is_empty() && status.unknown.is_empty() {
            lines.push("no migrations".to_string());
        }
        if !lines.is_empty() {
            p.line(lines.join("\n"));
        }
        p.json(&json!({
            "database": db.url.masked(),
            "migration_in_progress": migrating,
            "migrations": entries,
            "unknown": status.unknown.iter().map(|a| json!({
                "version": a.version,
                "name": a.record.as_ref().map(|r| r.dir_name.clone()),
                "applied_at": applied_when(a),
            })).collect::<Vec<_>>(),
        }));
        Ok(Outcome::Success)
    }
}
