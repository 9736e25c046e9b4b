//! `history`: every migration, applied or pending, when, current and head.

use super::context::{Context, Observed};
use super::history_filter;
use crate::cli::HistoryArgs;
use crate::outcome::Outcome;
use crate::output::history::{HistoryEntry, HistoryReport, UnknownEntry};
use ragchat_migrate::database::ledger;
use ragchat_migrate::error::Result;
use ragchat_migrate::migrations::status::Status;

impl Context {
    /// `history [-v] [-r FROM:TO] [--limit N]`.
    pub(super) fn history(&self, args: HistoryArgs) -> Result<Outcome> {
        let filter = history_filter::Filter::new(args.range, args.limit);
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
        let Observed {
            set,
            mut db,
            mut status,
            migrating,
        } = self.observe_checked(detail, |set| filter.indexes(set, None).map(|_| ()))?;
        let shown = filter.indexes(&set, Some(status.current()))?;
        if detail == ledger::Detail::Versions && !status.unknown.is_empty() {
            let observed = ledger::observe(&mut db.conn, ledger::Detail::Records)?;
            status = Status::new(&set, &observed.ledger);
        }
        let current = status.current();
        let head = set.len().checked_sub(1);
        let migrations = status.migrations[shown]
            .iter()
            .map(|state| {
                let mut entry = HistoryEntry::new(&set.all()[state.index], state, verbose);
                entry.current = Some(state.index) == current;
                entry.head = Some(state.index) == head;
                entry
            })
            .collect();
        self.printer.report(&HistoryReport {
            database: db.url.masked().to_string(),
            migration_in_progress: migrating,
            migrations,
            unknown: status.unknown.iter().map(UnknownEntry::new).collect(),
            origin: set.origin().to_string(),
            ranged: filter.has_range(),
            no_migrations: set.is_empty(),
        });
        Ok(Outcome::Success)
    }
}
