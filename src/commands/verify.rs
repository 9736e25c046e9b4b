//! `verify`: every migration proven reversible on a scratch database.

use super::context::Context;
use crate::cli::VerifyFrom;
use crate::outcome::Outcome;
use crate::output::verify::{print_verdict, VerifyReport};
use ragchat_migrate::error::Error;
use ragchat_migrate::error::Result;
use ragchat_migrate::migrations::source::MigrationSet;
use ragchat_migrate::migrations::target::{resolve_revision, Target};
use ragchat_migrate::proof::scratch::ScratchDb;
use ragchat_migrate::proof::verify;

impl Context {
    /// `verify [--from TARGET] [--keep]`: apply, revert and re-apply each
    /// migration on scratch databases, a verdict a line, then the table.
    pub(super) fn verify(&self, keep: bool, from: Option<&VerifyFrom>) -> Result<Outcome> {
        let set = self.load_set()?;
        let start = start_index(&set, from)?;
        let mut db = self.connect()?;
        let timeout = self.global.connect_timeout;
        let mut scratches: Vec<ScratchDb> = Vec::new();
        let p = self.printer;
        let bar = crate::output::progress::enabled(&p)
            .then(|| crate::output::progress::bar("verifying", set.len().saturating_sub(start)));
        let report = {
            let mut fresh = || -> Result<diesel::PgConnection> {
                scratches.clear();
                let scratch = ScratchDb::create(&db.url, &mut db.conn, timeout)?;
                let conn = scratch.connect()?;
                scratches.push(scratch);
                Ok(conn)
            };
            verify::verify(&mut fresh, &set, start, &mut |v| match &bar {
                Some(bar) => {
                    bar.suspend(|| print_verdict(&p, v));
                    bar.inc(1);
                }
                None => print_verdict(&p, v),
            })?
        };
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        let scratch = scratches
            .last_mut()
            .expect("verify made a scratch database");
        if keep {
            scratch.keep();
            p.note(format!("kept the scratch database {}", scratch.url()));
        }
        let ok = report.ok;
        p.report(&VerifyReport {
            database: db.url.masked().to_string(),
            scratch_database: scratch.name().to_string(),
            kept: keep,
            from: from.map(|f| f.text.clone()),
            report,
        });
        Ok(Outcome::clean_if(ok))
    }
}

/// How many migrations `--from TARGET` applies before checking: those up to
/// and including TARGET (`base`: none, `head`: all).
fn start_index(set: &MigrationSet, from: Option<&VerifyFrom>) -> Result<usize> {
    match from.map(|f| &f.target) {
        None | Some(Target::Base) => Ok(0),
        Some(Target::Head) => Ok(set.len()),
        Some(Target::Revision(r)) => Ok(resolve_revision(set, r)? + 1),
        Some(Target::Relative(_)) => Err(Error::Internal(
            "verify --from took a relative target".into(),
        )),
    }
}
