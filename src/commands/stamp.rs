//! `stamp TARGET`: record a state as applied without running migration SQL
//! (the library's `bookkeeping::stamp`, which refuses when the live schema
//! is not what those migrations make), or print those ledger writes.

use super::context::Context;
use super::offline;
use crate::cli::{SqlOptions, StampArgs};
use crate::outcome::Outcome;
use crate::output::ledger::StampReport;
use crate::output::status::CurrentRef;
use ragchat_migrate::database::bookkeeping::{self, StampOptions};
use ragchat_migrate::database::ledger;
use ragchat_migrate::database::script;
use ragchat_migrate::error::Result;
use ragchat_migrate::migrations::plan;
use ragchat_migrate::migrations::source::MigrationSet;
use ragchat_migrate::migrations::status::Status;
use ragchat_migrate::migrations::target::{resolve_revision, Target};

impl Context {
    /// `stamp TARGET [--purge] [--force] [--sql]`.
    pub(super) fn stamp(&self, args: StampArgs) -> Result<Outcome> {
        let (target, sql) = offline::split_range(&args.target, &args.sql)?;
        let set = self.load_set()?;
        if let Target::Revision(r) = &target {
            resolve_revision(&set, r)?;
        }
        if sql.sql {
            return self.stamp_offline(&set, &target, args.purge, &sql);
        }
        let mut db = self.connect()?;
        let options = StampOptions {
            purge: args.purge,
            force: args.force,
            lock_timeout: self.global.lock_timeout,
            connect_timeout: self.global.connect_timeout,
        };
        let mut observer = self.observer();
        let stamped =
            bookkeeping::stamp(&mut db.conn, &db.url, &set, &target, options, &mut observer)?;
        let status = Status::new(&set, &ledger::read(&mut db.conn)?);
        self.printer.report(&StampReport {
            database: db.url.masked().to_string(),
            recorded: stamped.recorded,
            forgotten: stamped.forgotten,
            current: CurrentRef::of(&set, &status),
            target: target.to_string(),
            now_at: self.describe(&set, &status),
        });
        Ok(Outcome::Success)
    }

    /// `stamp --sql`: the ledger writes as a script.
    fn stamp_offline(
        &self,
        set: &MigrationSet,
        target: &Target,
        purge: bool,
        sql: &SqlOptions,
    ) -> Result<Outcome> {
        let start = self.offline_start("stamp", set, None, Some(target), sql)?;
        let stamp = plan::stamp(set, &start.status, target, purge)?;
        let script = script::render_stamp(
            &stamp,
            &format!(
                "ragchat-migrate stamp {target} --sql (from {})",
                start.label
            ),
            start.create_ledger,
            &ledger::LedgerTables::unqualified(),
        );
        self.print_script(&script, None);
        Ok(Outcome::Success)
    }
}
