//! Renders a plan as an offline SQL script (`--sql`), the same statements the
//! migrator sends, so that `psql -v ON_ERROR_STOP=1 -f` of the script leaves
//! the schema and ledger that running the command would.

use crate::database::ledger::{self, LedgerTables, RecordedBy};
use crate::database::migrator::step_sql;
use crate::migrations::plan::{Direction, Plan, StampPlan};
use crate::migrations::sql_text;

/// How the script is framed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptOptions {
    /// One BEGIN/COMMIT around everything.
    pub single_transaction: bool,
    /// Create the ledger tables first (the script starts from base).
    pub create_ledger: bool,
    /// `lock_timeout` for migration SQL, as the online run sets it.
    pub ddl_lock_timeout: Option<std::time::Duration>,
}

/// The script for a migration plan.
pub fn render_plan(plan: &Plan, title: &str, options: ScriptOptions) -> String {
    let mut out = header(title);
    let lock_timeout = format!(
        "SET LOCAL lock_timeout = {};\n",
        crate::database::migrator::lock_timeout_value(options.ddl_lock_timeout)
    );
    if options.single_transaction {
        out.push_str("BEGIN;\n");
        out.push_str(&lock_timeout);
        out.push('\n');
    }
    // Bare table names: the script finds the ledger where psql's session
    // does, as diesel_cli would.
    let tables = LedgerTables::unqualified();
    if options.create_ledger {
        out.push_str(&ledger::create_ledger_sql(&tables));
    } else {
        out.push_str(&ledger::purge_orphans_sql(&tables));
    }
    out.push('\n');
    for step in &plan.steps {
        let m = step.migration;
        let direction = match step.direction {
            Direction::Up => "up.sql",
            Direction::Down => "down.sql",
        };
        out.push_str(&format!(
            "-- {} ({direction})\n",
            crate::migrations::names::shown(&m.dir_name)
        ));
        let (sql, ledger_sql) = step_sql(&tables, step, "NULL");
        let own_transaction = !options.single_transaction && m.run_in_transaction;
        if own_transaction {
            out.push_str("BEGIN;\n");
            out.push_str(&lock_timeout);
        }
        if m.run_in_transaction {
            out.push_str(sql.trim_end());
            out.push_str("\n;\n");
        } else {
            // Statement by statement, exactly as a live run sends them.
            out.push_str(&sql_text::render(&sql_text::parse(sql).statements));
        }
        if !options.single_transaction && !m.run_in_transaction {
            out.push_str("BEGIN;\n");
        }
        out.push_str(&ledger_sql);
        if !options.single_transaction {
            out.push_str("COMMIT;\n");
        }
        out.push('\n');
    }
    if options.single_transaction {
        out.push_str("COMMIT;\n");
    }
    out
}

/// The script for `stamp`: ledger writes only, to `tables` (bare names
/// offline, the located ledger live).
pub fn render_stamp(
    stamp: &StampPlan,
    title: &str,
    create_ledger: bool,
    tables: &LedgerTables,
) -> String {
    let mut out = header(title);
    out.push_str("BEGIN;\n");
    if create_ledger {
        out.push_str(&ledger::create_ledger_sql(tables));
    } else {
        out.push_str(&ledger::purge_orphans_sql(tables));
    }
    for m in &stamp.record {
        out.push_str(&ledger::record_applied_sql(
            tables,
            m,
            RecordedBy::Stamp,
            "NULL",
        ));
    }
    for version in &stamp.forget {
        out.push_str(&ledger::record_reverted_sql(tables, version));
    }
    out.push_str("COMMIT;\n");
    out
}

fn header(title: &str) -> String {
    format!(
        "-- {title}\n-- generated offline by ragchat-migrate {}; run with psql -v ON_ERROR_STOP=1\n\n",
        env!("CARGO_PKG_VERSION")
    )
}
