//! `verify`: every migration proven reversible on a scratch database.

use super::Context;
use crate::outcome::Outcome;
use ragchat_migrate::error::Result;
use ragchat_migrate::proof::scratch::ScratchDb;
use ragchat_migrate::proof::verify;
use serde_json::json;

impl Context {
    pub(super) fn verify(&self, keep: bool, from: Option<&str>) -> Result<Outcome> {
        let set = self.load_set()?;
        let start = crate::verify_output::start_index(&set, from)?;
        let mut db = self.connect()?;
        let timeout = self.global.connect_timeout;
        let mut scratches: Vec<ScratchDb> = Vec::new();
        let p = self.printer;
        let bar = crate::progress::enabled(&p)
            .then(|| crate::progress::bar("verifying", set.len().saturating_sub(start)));
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
                    bar.suspend(|| crate::verify_output::print_verdict(&p, v));
                    bar.inc(1);
                }
                None => crate::verify_output::print_verdict(&p, v),
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
        crate::verify_output::print_summary(&p, &report);
        p.json(&json!({
            "ok": report.ok,
            "database": db.url.masked(),
            "scratch_database": scratch.name(),
            "kept": keep,
            "from": from,
            "migrations": report.migrations,
            "round_trip": report.round_trip,
            "totals": report.totals,
        }));
        Ok(Outcome::clean_if(report.ok))
    }
}
