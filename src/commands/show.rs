//! `show TARGET`: one migration as a reviewer wants to see it: version,
//! name, directory, transaction mode, checksums, whether the database has
//! it (when one is configured and reachable; otherwise it says so), and its
//! SQL.

use super::context::{Context, Observed};
use crate::cli::ShowTarget;
use crate::outcome::Outcome;
use crate::output::show::{AppliedState, ShowReport};
use ragchat_migrate::config::database_choice::Choice;
use ragchat_migrate::database::ledger;
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::migrations::source::{MigrationSet, Source};
use ragchat_migrate::migrations::status::Status;
use ragchat_migrate::migrations::target::resolve_revision;
use ragchat_migrate::server::dev::LocalCluster;

impl Context {
    /// `show TARGET [--down]`: resolve the target (`current` reads the
    /// ledger), then show the migration.
    pub(super) fn show(&self, target: &ShowTarget, down: bool) -> Result<Outcome> {
        let set = self.load_set()?;
        let index = match target {
            ShowTarget::Current => {
                let Observed { status, .. } = self.observe(ledger::Detail::Versions)?;
                status.current().ok_or_else(|| {
                    Error::Usage(
                        "nothing is applied (base), so there is no current migration to show; \
                         fix: give head or a version"
                            .into(),
                    )
                })?
            }
            ShowTarget::Head => set
                .len()
                .checked_sub(1)
                .ok_or_else(|| Error::Usage("there are no migrations to show".into()))?,
            ShowTarget::Revision(r) => resolve_revision(&set, r)?,
        };
        self.show_index(&set, index, down)
    }

    /// The migration at `index`, with the ledger's word on it.
    fn show_index(&self, set: &MigrationSet, index: usize, down: bool) -> Result<Outcome> {
        let m = &set.all()[index];
        let (database, state) = self.applied_state(set, index);
        let directory = match self.source()? {
            Source::Directory(dir) => dir.join(&m.dir_name).display().to_string(),
            Source::Embedded => format!("{} (embedded in this binary)", m.dir_name),
        };
        let report = ShowReport::new(m, directory, database, &state, down);
        self.printer.report(&report);
        Ok(Outcome::Success)
    }

    /// The ledger's word on migration `index`, and the masked URL of the
    /// database read (none when no database is configured, or it could not
    /// be reached).
    fn applied_state(&self, set: &MigrationSet, index: usize) -> (Option<String>, AppliedState) {
        let local_running = LocalCluster::locate().is_ok_and(|c| c.status().running);
        // An empty URL (or CI without one) is reported by connecting.
        let configured = !matches!(self.database(), Ok(Choice::Local));
        if !configured && !local_running {
            return (None, AppliedState::NoDatabase);
        }
        let mut db = match self.connect() {
            Ok(db) => db,
            Err(e) => return (None, AppliedState::Unreadable(e.to_string())),
        };
        let database = Some(db.url.masked().to_string());
        match ledger::observe(&mut db.conn, ledger::Detail::Checksums) {
            Ok(observed) => {
                let status = Status::new(set, &observed.ledger);
                let state = status.migrations[index].clone();
                (database, AppliedState::Known(state))
            }
            Err(e) => (database, AppliedState::Unreadable(e.to_string())),
        }
    }
}
