//! Renders a plan as an offline SQL script (`--sql`), the same statements the
//! migrator sends, so that `psql -v ON_ERROR_STOP=1 -f` of the script leaves
//! the schema and ledger that running the command would.

use crate::database::ledger::{self, LedgerTables, RecordedBy};
use crate::database::messages::{
    self, LedgerWrites, Message, PreludePlacement, Purpose, RenderOptions,
};
use crate::migrations::names;
use crate::migrations::plan::{Plan, StampPlan};

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

/// The script for a migration plan: the messages a live run sends, each
/// step's full ledger record with it (nothing is timed), the ledger's
/// preparation alone first.
pub fn render_plan(plan: &Plan, title: &str, options: ScriptOptions) -> String {
    // Bare table names: the script finds the ledger where psql's session
    // does, as diesel_cli would.
    let tables = LedgerTables::unqualified();
    let prelude = if options.create_ledger {
        ledger::create_ledger_sql(&tables)
    } else {
        ledger::purge_orphans_sql(&tables)
    };
    let render = RenderOptions {
        single_transaction: options.single_transaction,
        ddl_lock_timeout: options.ddl_lock_timeout,
        tables: &tables,
        ledger_writes: LedgerWrites::PerStep,
        prelude: &prelude,
        prelude_placement: PreludePlacement::Alone,
    };
    let mut out = header(title);
    let mut commented = None;
    for message in messages::render(plan, &render) {
        if let Some(index) = message.step().filter(|&i| commented != Some(i)) {
            let step = &plan.steps[index];
            out.push_str(&format!(
                "-- {} ({})\n",
                names::shown(&step.migration.dir_name),
                step.direction.file()
            ));
            commented = Some(index);
        }
        print_message(&mut out, &message);
    }
    out
}

/// A message as psql reads it: a statement sent alone needs its `;`; the
/// others end with one, and a blank line follows all but the last.
fn print_message(out: &mut String, message: &Message) {
    // Offline, each step writes its own records: there are no side-record
    // batches to fill in.
    out.push_str(&message.text(|_| String::new()));
    if matches!(message.purpose, Purpose::Statement { .. }) {
        out.push_str(";\n");
        return;
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    if message.purpose != Purpose::Commit {
        out.push('\n');
    }
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
