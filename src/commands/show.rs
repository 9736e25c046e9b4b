//! `show TARGET`: one migration as a reviewer wants to see it: version,
//! name, directory, transaction mode, checksums, whether the database has
//! it (when one is configured and reachable; otherwise it says so), and its
//! SQL.

use super::Context;
use crate::outcome::Outcome;
use crate::output::status::applied_when;
use crate::output::Style;
use ragchat_migrate::config::database_choice::Choice;
use ragchat_migrate::database::ledger;
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::migrations::plan::{MigrationState, Status};
use ragchat_migrate::migrations::source::{MigrationScript, MigrationSet, Source};
use ragchat_migrate::migrations::target::{resolve_revision, Target};
use ragchat_migrate::server::dev::LocalCluster;
use serde_json::{json, Value};

impl Context {
    pub(super) fn show(&self, target: &str, down: bool) -> Result<Outcome> {
        let set = self.load_set()?;
        if target.trim() == "current" {
            let (_, _, status, _) = self.observe(ledger::Detail::Versions)?;
            let index = status.current().ok_or_else(|| {
                Error::Usage("nothing is applied (base), so there is no current migration to show; fix: give head or a version".into())
            })?;
            return self.show_index(&set, index, down);
        }
        let index = match target.parse::<Target>()? {
            Target::Head => set
                .len()
                .checked_sub(1)
                .ok_or_else(|| Error::Usage("there are no migrations to show".into()))?,
            Target::Revision(r) => resolve_revision(&set, &r)?,
            other => {
                return Err(Error::Usage(format!(
                    "show takes one migration, not `{other}`; fix: give head, current, a \
                     version (or unique prefix) or a directory name"
                )))
            }
        };
        self.show_index(&set, index, down)
    }

    pub(super) fn show_index(
        &self,
        set: &MigrationSet,
        index: usize,
        down: bool,
    ) -> Result<Outcome> {
        let m = &set.all()[index];
        let (database, state) = self.applied_state(set, index);
        let directory = match self.source()? {
            Source::Directory(dir) => dir.join(&m.dir_name).display().to_string(),
            Source::Embedded => format!("{} (embedded in this binary)", m.dir_name),
        };
        let p = &self.printer;
        let mut lines = vec![
            format!("{} {}", p.paint("migration", Style::Bold), m.dir_name),
            format!("  version:     {}", m.version),
            format!("  name:        {}", m.label()),
            format!("  directory:   {directory}"),
            format!(
                "  transaction: {}",
                if m.run_in_transaction {
                    "runs in a transaction with its ledger entry"
                } else {
                    "runs OUTSIDE a transaction (metadata.toml: run_in_transaction = false)"
                }
            ),
            format!("  up.sql:      sha256 {}", m.up_sha256),
            format!(
                "  down.sql:    {}",
                m.down_sha256
                    .as_ref()
                    .map_or("(none: cannot be reverted)".to_string(), |d| format!(
                        "sha256 {d}"
                    ))
            ),
            format!("  applied:     {}", self.describe_state(&state)),
        ];
        if let Ok(Some(s)) = &state {
            for c in &s.changes {
                lines.push(format!(
                    "  {}",
                    p.paint(
                        &format!("CHANGED: {} edited since it was applied", c.file),
                        Style::Bad
                    )
                ));
            }
        }
        lines.push(String::new());
        lines.push(p.paint("-- up.sql", Style::Dim));
        lines.push(m.up_sql.trim_end().to_string());
        if down {
            lines.push(String::new());
            lines.push(p.paint("-- down.sql", Style::Dim));
            lines.push(
                m.down_sql
                    .as_deref()
                    .unwrap_or("-- (no down.sql)")
                    .trim_end()
                    .to_string(),
            );
        }
        p.line(lines.join("\n"));
        p.json(&show_json(m, &directory, &database, &state, down));
        Ok(Outcome::Success)
    }

    /// The ledger's word on migration `index`: `Ok(Some(state))`, `Ok(None)`
    /// when no database is configured, `Err(reason)` when it could not be
    /// read. The masked URL comes with it.
    #[allow(clippy::type_complexity)]
    pub(super) fn applied_state(
        &self,
        set: &MigrationSet,
        index: usize,
    ) -> (
        Option<String>,
        std::result::Result<Option<MigrationState>, String>,
    ) {
        let local_running = LocalCluster::locate().is_ok_and(|c| c.status().running);
        // An empty URL (or CI without one) is reported by connecting.
        let configured = !matches!(self.database(), Ok(Choice::Local));
        if !configured && !local_running {
            return (None, Ok(None));
        }
        let mut db = match self.connect() {
            Ok(db) => db,
            Err(e) => return (None, Err(e.to_string())),
        };
        let database = Some(db.url.masked().to_string());
        match ledger::observe(&mut db.conn, ledger::Detail::Checksums) {
            Ok(observed) => {
                let status = Status::new(set, &observed.ledger);
                (database, Ok(Some(status.migrations[index].clone())))
            }
            Err(e) => (database, Err(e.to_string())),
        }
    }

    pub(super) fn describe_state(
        &self,
        state: &std::result::Result<Option<MigrationState>, String>,
    ) -> String {
        let p = &self.printer;
        match state {
            Ok(None) => "unknown (no database configured: set DATABASE_URL to see it)".into(),
            Err(reason) => format!(
                "unknown (the database could not be read: {})",
                reason.lines().next().unwrap_or_default()
            ),
            Ok(Some(s)) => match &s.applied {
                Some(a) => format!("{} {}", p.paint("yes,", Style::Good), applied_when(a)),
                None => p.paint("no (pending)", Style::Warn),
            },
        }
    }
}

fn show_json(
    m: &MigrationScript,
    directory: &str,
    database: &Option<String>,
    state: &std::result::Result<Option<MigrationState>, String>,
    down: bool,
) -> Value {
    let applied = match state {
        Ok(Some(s)) => json!(s.applied.is_some()),
        _ => Value::Null,
    };
    let known = state.as_ref().ok().and_then(Option::as_ref);
    let record = known.and_then(|s| s.applied.as_ref());
    json!({
        "version": m.version,
        "name": m.dir_name,
        "directory": directory,
        "run_in_transaction": m.run_in_transaction,
        "up_sha256": m.up_sha256,
        "down_sha256": m.down_sha256,
        "database": database,
        "applied": applied,
        "applied_at": record.map(applied_when),
        "state_unknown_reason": match state {
            Ok(None) => Some("no database configured".to_string()),
            Err(reason) => Some(reason.clone()),
            Ok(Some(_)) => None,
        },
        "changed": known.map(|s| s.changes.clone()).unwrap_or_default(),
        "up_sql": m.up_sql,
        "down_sql": if down { json!(m.down_sql) } else { Value::Null },
    })
}
