//! `stamp TARGET`: record a state as applied without running migration SQL,
//! refused when the live schema is not what those migrations make.

use super::context::Context;
use super::offline;
use crate::cli::{SqlOptions, StampArgs};
use crate::outcome::Outcome;
use crate::output::ledger::StampReport;
use crate::output::status::CurrentRef;
use diesel::PgConnection;
use ragchat_migrate::config::database_url::DatabaseUrl;
use ragchat_migrate::database::ledger;
use ragchat_migrate::database::migrator;
use ragchat_migrate::database::script;
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::migrations::plan::{self, Status};
use ragchat_migrate::migrations::source::{MigrationScript, MigrationSet};
use ragchat_migrate::migrations::target::{resolve_revision, Target};
use ragchat_migrate::proof::{catalog, drift};

impl Context {
    /// `stamp TARGET [--purge] [--force] [--sql]`.
    pub(super) fn stamp(&self, args: StampArgs) -> Result<Outcome> {
        let (target, sql) = offline::split_range(&args.target, &args.sql)?;
        let target = &target;
        let (purge, force, sql) = (args.purge, args.force, &sql);
        let set = self.load_set()?;
        if let Target::Revision(r) = target {
            resolve_revision(&set, r)?;
        }
        if sql.sql {
            return self.stamp_offline(&set, target, purge, sql);
        }
        let mut db = self.connect()?;
        let db_url = db.url.clone();
        let timeout = self.global.lock_timeout;
        let (recorded, forgot) =
            migrator::with_lock(&mut db.conn, timeout, &mut self.observer(), |conn, _| {
                let (read, located) = ledger::read_located(conn)?;
                let status = Status::new(&set, &read);
                let stamp = plan::stamp(&set, &status, target, purge)?;
                if !force {
                    self.refuse_stamp_over_other_schema(&db_url, conn, &set, &status, &stamp)?;
                }
                let counts = (stamp.record.len(), stamp.forget.len());
                if counts != (0, 0) {
                    let sql = script::render_stamp(&stamp, "stamp", false, &read.tables);
                    ledger::record_stamp(conn, &located, &sql)?;
                }
                Ok(counts)
            })?;
        let status = Status::new(&set, &ledger::read(&mut db.conn)?);
        self.printer.report(&StampReport {
            database: db.url.masked().to_string(),
            recorded,
            forgotten: forgot,
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

    /// Stamping records a schema as made by migrations: when the database
    /// has objects, they must be what those migrations make.
    fn refuse_stamp_over_other_schema(
        &self,
        url: &DatabaseUrl,
        conn: &mut PgConnection,
        set: &MigrationSet,
        status: &Status,
        stamp: &plan::StampPlan,
    ) -> Result<()> {
        if catalog::snapshot(conn)?.is_empty() {
            return Ok(());
        }
        let after: Vec<&MigrationScript> = set
            .all()
            .iter()
            .enumerate()
            .filter(|(i, m)| {
                let applied =
                    status.migrations[*i].applied.is_some() && !stamp.forget.contains(&m.version);
                applied || stamp.record.iter().any(|r| r.version == m.version)
            })
            .map(|(_, m)| m)
            .collect();
        let expected = drift::expected_schema(url, conn, self.global.connect_timeout, set, after)?;
        let changes = drift::compare(&expected, conn)?;
        if changes.is_empty() {
            return Ok(());
        }
        Err(Error::refused(format!(
            "refusing to stamp: the live schema is not what those migrations produce \
             (- missing here, + only here, ~ different):\n{}\n  fix: stamp the version the \
             schema really is at, bring the schema in line, or pass --force if you are sure",
            drift::render(&changes)
        )))
    }
}
