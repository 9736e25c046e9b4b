//! `redo --accept`: the dev loop on a migration not yet released (see the
//! library's `database::redo_accept`): accept the newest edits, redo, and
//! report.

use super::context::Context;
use crate::outcome::Outcome;
use crate::output::migrate::FailedRun;
use ragchat_migrate::database::migrator::RunOptions;
use ragchat_migrate::database::redo_accept::{self, RedoAccepted};
use ragchat_migrate::error::{Error, Result};

impl Context {
    /// `redo --accept`: accept the newest edits, then redo, under one lock.
    pub(super) fn redo_accept(&self, n: usize, options: RunOptions) -> Result<Outcome> {
        if n == 0 {
            return Err(Error::Usage(
                "redo -n 0 does nothing; fix: use -n 1 or more".into(),
            ));
        }
        let (set, mut db) = self.load_and_connect(false, |_| Ok(()))?;
        let mut observer = self.observer();
        let result = redo_accept::redo_accept(&mut db.conn, &set, n, &options, &mut observer);
        let RedoAccepted { accepted, run } = result
            .inspect_err(|e| FailedRun::new(db.url.masked(), &set, &observer.done, e).record())?;
        let mut report = self.run_report(&db, &set, run);
        report.accepted_dirs = accepted
            .iter()
            .filter_map(|v| set.by_version(v).map(|m| m.dir_name.clone()))
            .collect();
        report.accepted = Some(accepted);
        self.printer.report(&report);
        Ok(Outcome::Success)
    }
}
