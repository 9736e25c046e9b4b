//! The one renderer from a plan to the messages sent to the server, in
//! order: transactions and their settings, the migrations' SQL (split into
//! statements where PostgreSQL needs them alone), and the ledger writes.
//! The migrator sends these messages; the offline script (`--sql`) prints
//! them, so what runs live is what `--sql` prints. Pure: it touches no
//! database, and every combination of options is unit-tested without one.
//!
//! A transactional migration is one message, `BEGIN; SET LOCAL
//! lock_timeout; <sql>; <ledger write>; COMMIT;`: PostgreSQL runs it as one
//! unit (on error nothing of it remains), and an error's position maps back
//! to a line of the file. A `run_in_transaction = false` migration goes
//! statement by statement, each alone (a multi-statement message is one
//! implicit transaction, in which `CREATE INDEX CONCURRENTLY` is refused),
//! and without `lock_timeout` (cancelling `CREATE INDEX CONCURRENTLY`'s wait
//! would leave an INVALID index); its ledger write follows in its own
//! transaction. With `--single-transaction`, one `BEGIN` opens the run and
//! one `COMMIT` ends it.

use crate::database::ledger::{self, LedgerTables, PendingRecord, PendingSideRecords, RecordedBy};
use crate::migrations::direction::Direction;
use crate::migrations::plan::{Plan, Step};
use crate::migrations::sql_text::{self, Statement};
use std::time::Duration;

/// How the ledger is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerWrites {
    /// Each step writes both ledger tables itself, with no duration (the
    /// offline script: nothing is timed, and a psql script has no round
    /// trips to save).
    PerStep,
    /// Diesel's row goes with each step; the side table's records go in
    /// batches ([`Part::SideRecords`]) with the durations the migrator
    /// measured (see [`ledger::RECORD_BATCH`]): a second statement in every
    /// message cost the server more than anything else the toolkit adds.
    Batched,
    /// No ledger at all: a scratch database that only shows the schema the
    /// migrations make (a cold `check`, `adopt`). Each message is the
    /// migration's SQL in its transaction, nothing else.
    None,
}

/// Where the prelude (the ledger's preparation, session settings) goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreludePlacement {
    /// A message of its own (after `BEGIN` in one transaction).
    Alone,
    /// At the head of the first message, saving a round trip; alone only
    /// before a non-transactional first step outside one transaction.
    WithFirstMessage,
}

/// How to render a plan.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions<'a> {
    /// One `BEGIN`/`COMMIT` around everything.
    pub single_transaction: bool,
    /// `lock_timeout` for transactional migration SQL; `None` waits.
    pub ddl_lock_timeout: Option<Duration>,
    /// The ledger tables the writes name.
    pub tables: &'a LedgerTables,
    /// How the ledger is written.
    pub ledger_writes: LedgerWrites,
    /// SQL sent before the first migration (empty: none).
    pub prelude: &'a str,
    /// Where the prelude goes.
    pub prelude_placement: PreludePlacement,
}

/// What a message is for: how the migrator reports its failure, and where
/// the script writer comments and terminates it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose<'s> {
    /// `BEGIN` of the single transaction, with its settings.
    Open,
    /// The prelude on its own.
    Prelude,
    /// A transactional step (by index in the plan): its SQL and its ledger
    /// write.
    Migration(usize),
    /// One statement of a non-transactional step, sent alone.
    Statement {
        /// The step's index in the plan.
        step: usize,
        /// The statement, as parsed from the step's file.
        statement: Statement<'s>,
    },
    /// The ledger write after a non-transactional step's statements.
    Ledger(usize),
    /// The side records still waiting after the last step.
    SideRecords,
    /// `COMMIT` of the single transaction.
    Commit,
}

/// A piece of a message's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part<'s> {
    /// Text of the toolkit's own: transaction control, settings, ledger.
    Text(String),
    /// A migration file's SQL (the whole file, or one statement of it).
    Sql(&'s str),
    /// The side records of these steps (indexes in the plan), written with
    /// their measured durations ([`LedgerWrites::Batched`] only).
    SideRecords(Vec<usize>),
}

/// One message to the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'s> {
    /// What it is for.
    pub purpose: Purpose<'s>,
    /// Its text, in pieces.
    pub parts: Vec<Part<'s>>,
}

impl Message<'_> {
    /// The step whose SQL or ledger write this message carries.
    pub fn step(&self) -> Option<usize> {
        match self.purpose {
            Purpose::Migration(step) | Purpose::Ledger(step) => Some(step),
            Purpose::Statement { step, .. } => Some(step),
            _ => None,
        }
    }

    /// The step this message completes (its last message).
    pub fn completes(&self) -> Option<usize> {
        match self.purpose {
            Purpose::Migration(step) | Purpose::Ledger(step) => Some(step),
            _ => None,
        }
    }

    /// The steps whose side records this message writes.
    pub fn side_records(&self) -> &[usize] {
        self.parts
            .iter()
            .find_map(|part| match part {
                Part::SideRecords(steps) => Some(steps.as_slice()),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The message's text, with `side_records` rendering the side-record
    /// parts.
    pub fn text(&self, side_records: impl Fn(&[usize]) -> String) -> String {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Text(text) => text.clone(),
                Part::Sql(sql) => sql.to_string(),
                Part::SideRecords(steps) => side_records(steps),
            })
            .collect()
    }

    /// The migration SQL in this message and the number of characters
    /// before it, with side records rendered by `side_records`: where an
    /// error position inside the message falls in the file.
    pub fn sql_at(&self, side_records: impl Fn(&[usize]) -> String) -> Option<(&str, usize)> {
        let mut before = 0;
        for part in &self.parts {
            match part {
                Part::Text(text) => before += text.chars().count(),
                Part::Sql(sql) => return Some((sql, before)),
                Part::SideRecords(steps) => before += side_records(steps).chars().count(),
            }
        }
        None
    }
}

/// The `lock_timeout` setting for migration SQL (`0` waits indefinitely).
pub fn lock_timeout_value(timeout: Option<Duration>) -> String {
    format!("'{}ms'", timeout.map_or(0, |t| t.as_millis()))
}

/// The ordered messages that run `plan`.
pub fn render<'s>(plan: &Plan<'s>, options: &RenderOptions) -> Vec<Message<'s>> {
    let mut renderer = Renderer {
        options,
        messages: Vec::new(),
        prelude: (!options.prelude.is_empty()).then(|| options.prelude.to_string()),
        waiting: PendingSideRecords::default(),
        waiting_steps: Vec::new(),
    };
    renderer.open();
    for (index, step) in plan.steps.iter().enumerate() {
        renderer.step(index, step);
    }
    renderer.close();
    renderer.messages
}

struct Renderer<'o, 's> {
    options: &'o RenderOptions<'o>,
    messages: Vec<Message<'s>>,
    /// The prelude, until it is placed.
    prelude: Option<String>,
    /// The batching rule's view of the side records not yet placed (their
    /// durations are the migrator's to measure, so none here).
    waiting: PendingSideRecords<'s>,
    waiting_steps: Vec<usize>,
}

impl<'s> Renderer<'_, 's> {
    fn push(&mut self, purpose: Purpose<'s>, parts: Vec<Part<'s>>) {
        self.messages.push(Message { purpose, parts });
    }

    fn begin_with_lock_timeout(&self) -> String {
        format!(
            "BEGIN;\nSET LOCAL lock_timeout = {};\n",
            lock_timeout_value(self.options.ddl_lock_timeout)
        )
    }

    fn open(&mut self) {
        let alone = self.options.prelude_placement == PreludePlacement::Alone;
        if self.options.single_transaction {
            let mut head = self.begin_with_lock_timeout();
            if !alone {
                head.push_str(&self.prelude.take().unwrap_or_default());
            }
            self.push(Purpose::Open, vec![Part::Text(head)]);
        }
        if alone {
            self.prelude_alone();
        }
    }

    fn prelude_alone(&mut self) {
        if let Some(prelude) = self.prelude.take() {
            self.push(Purpose::Prelude, vec![Part::Text(prelude)]);
        }
    }

    /// The side records due before a step in `direction`, if any.
    fn due_side_records(&mut self, direction: Direction) -> Option<Part<'s>> {
        let due = self.options.ledger_writes == LedgerWrites::Batched
            && !self.waiting_steps.is_empty()
            && self.waiting.due_before(direction);
        due.then(|| {
            self.waiting.clear();
            Part::SideRecords(std::mem::take(&mut self.waiting_steps))
        })
    }

    fn step(&mut self, index: usize, step: &Step<'s>) {
        let flush = self.due_side_records(step.direction);
        if step.migration.run_in_transaction {
            self.transactional(index, step, flush);
        } else {
            self.non_transactional(index, step, flush);
        }
        if self.options.ledger_writes == LedgerWrites::Batched {
            let m = step.migration;
            match step.direction {
                Direction::Up => self.waiting.applied(PendingRecord {
                    migration: m,
                    duration_ms: 0.0,
                }),
                Direction::Down => self.waiting.reverted(&m.version),
            }
            self.waiting_steps.push(index);
        }
    }

    fn transactional(&mut self, index: usize, step: &Step<'s>, flush: Option<Part<'s>>) {
        let mut parts = Vec::new();
        if !self.options.single_transaction {
            let mut head = self.begin_with_lock_timeout();
            head.push_str(&self.prelude.take().unwrap_or_default());
            parts.push(Part::Text(head));
        }
        parts.extend(flush);
        parts.push(Part::Sql(file_sql(step).trim_end()));
        let mut tail = format!("\n;\n{}", ledger_write(self.options, step));
        if !self.options.single_transaction {
            tail.push_str("COMMIT;");
        }
        parts.push(Part::Text(tail));
        self.push(Purpose::Migration(index), parts);
    }

    fn non_transactional(&mut self, index: usize, step: &Step<'s>, flush: Option<Part<'s>>) {
        self.prelude_alone();
        for statement in sql_text::parse(file_sql(step)).statements {
            let text = statement.text;
            self.push(
                Purpose::Statement {
                    step: index,
                    statement,
                },
                vec![Part::Sql(text)],
            );
        }
        if self.options.ledger_writes == LedgerWrites::None {
            // Nothing to send: the message only marks the step complete.
            self.push(Purpose::Ledger(index), Vec::new());
            return;
        }
        let mut parts = Vec::new();
        if !self.options.single_transaction {
            parts.push(Part::Text("BEGIN;\n".into()));
        }
        parts.extend(flush);
        let mut tail = ledger_write(self.options, step);
        if !self.options.single_transaction {
            tail.push_str("COMMIT;");
        }
        parts.push(Part::Text(tail));
        self.push(Purpose::Ledger(index), parts);
    }

    fn close(&mut self) {
        // An empty plan still prepares the ledger.
        self.prelude_alone();
        let rest = std::mem::take(&mut self.waiting_steps);
        let mut parts = Vec::new();
        if !rest.is_empty() {
            parts.push(Part::SideRecords(rest));
        }
        if self.options.single_transaction {
            parts.push(Part::Text("COMMIT;".into()));
            self.push(Purpose::Commit, parts);
        } else if !parts.is_empty() {
            self.push(Purpose::SideRecords, parts);
        }
    }
}

/// The file a step runs.
pub fn file_sql<'s>(step: &Step<'s>) -> &'s str {
    match step.direction {
        Direction::Up => &step.migration.up_sql,
        Direction::Down => step.migration.down_sql.as_deref().unwrap_or_default(),
    }
}

/// The ledger statement that records `step`: the whole record per step, or
/// only Diesel's row when the side records are batched.
pub(crate) fn ledger_write(options: &RenderOptions, step: &Step) -> String {
    let (t, m) = (options.tables, step.migration);
    match (options.ledger_writes, step.direction) {
        (LedgerWrites::PerStep, Direction::Up) => {
            ledger::record_applied_sql(t, m, RecordedBy::Run, "NULL")
        }
        (LedgerWrites::PerStep, Direction::Down) => ledger::record_reverted_sql(t, &m.version),
        (LedgerWrites::Batched, Direction::Up) => ledger::record_diesel_row_sql(t, &m.version),
        (LedgerWrites::Batched, Direction::Down) => ledger::forget_diesel_row_sql(t, &m.version),
        (LedgerWrites::None, _) => String::new(),
    }
}

#[cfg(test)]
#[path = "messages_tests.rs"]
mod tests;
