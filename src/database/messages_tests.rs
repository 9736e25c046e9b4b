//! The renderer, without a database: every combination of options against
//! plans mixing transactional and non-transactional migrations, up and
//! down, checked for the rules a run depends on; and the exact messages of
//! the common cases.

use super::*;
use crate::migrations::plan::Step;
use crate::migrations::source::MigrationScript;

fn migration(i: usize, run_in_transaction: bool) -> MigrationScript {
    MigrationScript {
        version: format!("2030010100000{i}"),
        dir_name: format!("2030-01-01-00000{i}_m{i}"),
        up_sql: if run_in_transaction {
            format!("CREATE TABLE t{i} ();\nSELECT {i};\n\n")
        } else {
            format!("CREATE INDEX CONCURRENTLY i{i} ON t (x);\nSELECT {i} -- done\n")
        },
        down_sql: Some(format!("DROP TABLE t{i};")),
        run_in_transaction,
        up_sha256: format!("up{i}"),
        down_sha256: Some(format!("down{i}")),
    }
}

/// Transactional (T) and non-transactional (N) migrations in every order.
fn migrations() -> Vec<MigrationScript> {
    vec![
        migration(0, true),
        migration(1, false),
        migration(2, true),
        migration(3, false),
        migration(4, false),
    ]
}

/// Plans over `set`: each kind up and down, both orders, redo-like.
fn plans(set: &[MigrationScript]) -> Vec<Plan<'_>> {
    let step = |i: usize, direction| Step {
        direction,
        migration: &set[i],
    };
    vec![
        Plan::default(),
        Plan::up([&set[0]]),
        Plan::up([&set[1]]),
        Plan::down([&set[0]]),
        Plan::down([&set[1]]),
        Plan::up(set.iter()),
        Plan::down(set.iter().rev()),
        Plan::up([&set[1], &set[0], &set[3], &set[4], &set[2]]),
        Plan {
            steps: vec![
                step(2, Direction::Down),
                step(1, Direction::Down),
                step(1, Direction::Up),
                step(2, Direction::Up),
            ],
        },
    ]
}

fn all_options(tables: &LedgerTables) -> Vec<RenderOptions<'_>> {
    let mut all = Vec::new();
    for single_transaction in [false, true] {
        for ddl_lock_timeout in [None, Some(Duration::from_millis(1500))] {
            for ledger_writes in [LedgerWrites::PerStep, LedgerWrites::Batched] {
                for prelude in ["", "SELECT 'prelude';\n"] {
                    for prelude_placement in
                        [PreludePlacement::Alone, PreludePlacement::WithFirstMessage]
                    {
                        all.push(RenderOptions {
                            single_transaction,
                            ddl_lock_timeout,
                            tables,
                            ledger_writes,
                            prelude,
                            prelude_placement,
                        });
                    }
                }
            }
        }
    }
    all
}

/// The options of a live run: a transaction a migration, no
/// `lock_timeout`, the prelude in the first message.
fn live<'a>(
    tables: &'a LedgerTables,
    ledger_writes: LedgerWrites,
    prelude: &'a str,
) -> RenderOptions<'a> {
    RenderOptions {
        single_transaction: false,
        ddl_lock_timeout: None,
        tables,
        ledger_writes,
        prelude,
        prelude_placement: PreludePlacement::WithFirstMessage,
    }
}

/// Side records as the migrator would write them, marked by step.
fn marked(steps: &[usize]) -> String {
    steps.iter().map(|s| format!("/*side {s}*/")).collect()
}

fn texts(messages: &[Message]) -> Vec<String> {
    messages.iter().map(|m| m.text(marked)).collect()
}

#[test]
fn every_combination_keeps_the_rules_a_run_depends_on() {
    let set = migrations();
    let tables = LedgerTables::unqualified();
    for options in all_options(&tables) {
        for plan in plans(&set) {
            let messages = render(&plan, &options);
            let context = format!("{options:?}\n{plan:?}\n{:#?}", texts(&messages));
            each_step_runs_its_file_once_in_order(&plan, &messages, &context);
            transactions_frame_the_messages(&plan, &options, &messages, &context);
            the_ledger_follows_each_step(&plan, &options, &messages, &context);
            the_prelude_comes_first_once(&options, &messages, &context);
        }
    }
}

fn each_step_runs_its_file_once_in_order(plan: &Plan, messages: &[Message], context: &str) {
    let mut expected: Vec<(usize, String)> = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let sql = file_sql(step);
        if step.migration.run_in_transaction {
            expected.push((i, sql.trim_end().to_string()));
        } else {
            for statement in sql_text::parse(sql).statements {
                expected.push((i, statement.text.to_string()));
            }
        }
    }
    let sent: Vec<(usize, String)> = messages
        .iter()
        .filter_map(|m| Some((m.step()?, m.sql_at(marked)?.0.to_string())))
        .collect();
    assert_eq!(sent, expected, "{context}");
    for message in messages {
        if let Purpose::Statement { statement, .. } = &message.purpose {
            // Alone: nothing else in the message.
            assert_eq!(message.text(marked), statement.text, "{context}");
        }
    }
    let completed: Vec<usize> = messages.iter().filter_map(Message::completes).collect();
    assert_eq!(
        completed,
        (0..plan.steps.len()).collect::<Vec<_>>(),
        "{context}"
    );
}

fn transactions_frame_the_messages(
    plan: &Plan,
    options: &RenderOptions,
    messages: &[Message],
    context: &str,
) {
    let lock = format!(
        "SET LOCAL lock_timeout = {};",
        lock_timeout_value(options.ddl_lock_timeout)
    );
    let texts = texts(messages);
    let begins = texts.iter().filter(|t| t.contains("BEGIN;")).count();
    let commits = texts.iter().filter(|t| t.contains("COMMIT;")).count();
    if options.single_transaction {
        assert!(
            texts[0].starts_with(&format!("BEGIN;\n{lock}\n")),
            "{context}"
        );
        assert!(texts.last().unwrap().ends_with("COMMIT;"), "{context}");
        assert_eq!((begins, commits), (1, 1), "{context}");
        return;
    }
    assert_eq!(begins, plan.steps.len(), "{context}");
    assert_eq!(commits, plan.steps.len(), "{context}");
    for (message, text) in messages.iter().zip(&texts) {
        match message.purpose {
            Purpose::Migration(_) => {
                assert!(text.starts_with(&format!("BEGIN;\n{lock}\n")), "{context}");
                assert!(text.ends_with("COMMIT;"), "{context}");
            }
            Purpose::Ledger(_) => {
                // No lock_timeout: nothing in it waits on the schema.
                assert!(
                    text.starts_with("BEGIN;\n") && text.ends_with("COMMIT;"),
                    "{context}"
                );
                assert!(!text.contains("lock_timeout"), "{context}");
            }
            _ => assert!(!text.contains("BEGIN;"), "{context}"),
        }
    }
}

fn the_ledger_follows_each_step(
    plan: &Plan,
    options: &RenderOptions,
    messages: &[Message],
    context: &str,
) {
    for message in messages {
        let Some(i) = message.completes() else {
            continue;
        };
        let step = &plan.steps[i];
        let write = ledger_write(options, step);
        let text = message.text(marked);
        let sql_end = message.sql_at(marked).map_or(0, |(sql, at)| at + sql.len());
        assert!(text[sql_end..].contains(&write), "{context}");
    }
    // Batched: each step's side record once, after the step completed.
    let mut recorded = Vec::new();
    let mut completed = Vec::new();
    for message in messages {
        for &step in message.side_records() {
            assert!(completed.contains(&step), "{context}");
            recorded.push(step);
        }
        completed.extend(message.completes());
    }
    match options.ledger_writes {
        LedgerWrites::PerStep | LedgerWrites::None => assert!(recorded.is_empty(), "{context}"),
        LedgerWrites::Batched => {
            recorded.sort();
            assert_eq!(
                recorded,
                (0..plan.steps.len()).collect::<Vec<_>>(),
                "{context}"
            );
        }
    }
}

fn the_prelude_comes_first_once(options: &RenderOptions, messages: &[Message], context: &str) {
    let texts = texts(messages);
    let holding: Vec<usize> = (0..texts.len())
        .filter(|&i| !options.prelude.is_empty() && texts[i].contains(options.prelude))
        .collect();
    if options.prelude.is_empty() {
        assert!(
            messages.iter().all(|m| m.purpose != Purpose::Prelude),
            "{context}"
        );
        return;
    }
    assert_eq!(holding.len(), 1, "{context}");
    let at = holding[0];
    // Before any migration SQL (in the first message that has some, ahead of it).
    let first_sql = messages.iter().position(|m| m.sql_at(marked).is_some());
    if let Some(first) = first_sql {
        assert!(at <= first, "{context}");
        if at == first {
            let (_, before) = messages[at].sql_at(marked).unwrap();
            let prelude_at = texts[at].find(options.prelude).unwrap();
            assert!(prelude_at < before, "{context}");
        }
    }
    let alone = messages[at].purpose == Purpose::Prelude;
    match options.prelude_placement {
        PreludePlacement::Alone => assert!(alone, "{context}"),
        PreludePlacement::WithFirstMessage => {
            let first_is_transactional = messages
                .iter()
                .find(|m| m.purpose != Purpose::Open)
                .is_some_and(|m| matches!(m.purpose, Purpose::Migration(_)));
            if options.single_transaction {
                assert_eq!(messages[at].purpose, Purpose::Open, "{context}");
            } else if first_is_transactional {
                assert!(
                    matches!(messages[at].purpose, Purpose::Migration(_)),
                    "{context}"
                );
            }
        }
    }
}

#[test]
fn a_transactional_migration_is_one_message_with_its_ledger_row() {
    let set = migrations();
    let tables = LedgerTables::unqualified();
    let options = RenderOptions {
        ddl_lock_timeout: Some(Duration::from_secs(5)),
        ..live(&tables, LedgerWrites::Batched, "SELECT 'watch';\n")
    };
    let messages = render(&Plan::up([&set[0], &set[2]]), &options);
    assert_eq!(
        texts(&messages),
        [
            "BEGIN;\nSET LOCAL lock_timeout = '5000ms';\nSELECT 'watch';\n\
             CREATE TABLE t0 ();\nSELECT 0;\n;\n\
             INSERT INTO __diesel_schema_migrations (version) VALUES ('20300101000000');\n\
             COMMIT;",
            "BEGIN;\nSET LOCAL lock_timeout = '5000ms';\n\
             CREATE TABLE t2 ();\nSELECT 2;\n;\n\
             INSERT INTO __diesel_schema_migrations (version) VALUES ('20300101000002');\n\
             COMMIT;",
            "/*side 0*//*side 1*/",
        ]
    );
    assert_eq!(messages[2].purpose, Purpose::SideRecords);
    // The error position of the first message maps past the head.
    let (sql, before) = messages[0].sql_at(marked).unwrap();
    assert!(sql.starts_with("CREATE TABLE t0"));
    assert_eq!(
        before,
        "BEGIN;\nSET LOCAL lock_timeout = '5000ms';\nSELECT 'watch';\n".len()
    );
}

#[test]
fn a_non_transactional_migration_goes_statement_by_statement() {
    let set = migrations();
    let tables = LedgerTables::unqualified();
    let options = live(&tables, LedgerWrites::Batched, "SELECT 'watch';\n");
    let messages = render(&Plan::up([&set[1], &set[0]]), &options);
    assert_eq!(
        texts(&messages),
        [
            "SELECT 'watch';\n",
            "CREATE INDEX CONCURRENTLY i1 ON t (x)",
            "SELECT 1",
            "BEGIN;\nINSERT INTO __diesel_schema_migrations (version) VALUES ('20300101000001');\n\
             COMMIT;",
            "BEGIN;\nSET LOCAL lock_timeout = '0ms';\nCREATE TABLE t0 ();\nSELECT 0;\n;\n\
             INSERT INTO __diesel_schema_migrations (version) VALUES ('20300101000000');\n\
             COMMIT;",
            "/*side 0*//*side 1*/",
        ]
    );
}

#[test]
fn side_records_go_before_a_step_that_needs_them_and_by_the_batch() {
    let set = migrations();
    let tables = LedgerTables::unqualified();
    let options = RenderOptions {
        single_transaction: true,
        ..live(&tables, LedgerWrites::Batched, "")
    };
    // Redo: the reverted records are deleted before the re-apply inserts.
    let step = |i: usize, direction| Step {
        direction,
        migration: &set[i],
    };
    let plan = Plan {
        steps: vec![
            step(2, Direction::Down),
            step(0, Direction::Down),
            step(0, Direction::Up),
            step(2, Direction::Up),
        ],
    };
    let sides: Vec<Vec<usize>> = render(&plan, &options)
        .iter()
        .map(|m| m.side_records().to_vec())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(sides, [vec![0, 1], vec![2, 3]]);
    // Many steps: a batch every RECORD_BATCH.
    let many: Vec<MigrationScript> = (0..ledger::RECORD_BATCH * 2 + 1)
        .map(|i| MigrationScript {
            version: format!("v{i:04}"),
            ..migration(0, true)
        })
        .collect();
    let batches: Vec<usize> = render(&Plan::up(many.iter()), &options)
        .iter()
        .map(|m| m.side_records().len())
        .filter(|&n| n > 0)
        .collect();
    assert_eq!(batches, [ledger::RECORD_BATCH, ledger::RECORD_BATCH, 1]);
}

#[test]
fn the_lock_timeout_setting_is_in_milliseconds_and_zero_waits() {
    assert_eq!(lock_timeout_value(None), "'0ms'");
    assert_eq!(
        lock_timeout_value(Some(Duration::from_millis(1500))),
        "'1500ms'"
    );
}

#[test]
fn without_a_ledger_each_step_is_its_sql_alone() {
    let set = migrations();
    let tables = LedgerTables::unqualified();
    let options = live(&tables, LedgerWrites::None, "");
    let plan = Plan::up(set.iter());
    let messages = render(&plan, &options);
    let context = format!("{:#?}", texts(&messages));
    each_step_runs_its_file_once_in_order(&plan, &messages, &context);
    for (message, text) in messages.iter().zip(texts(&messages)) {
        assert!(!text.contains("migrations"), "{context}");
        match message.purpose {
            Purpose::Migration(i) => assert_eq!(
                text,
                format!(
                    "BEGIN;\nSET LOCAL lock_timeout = '0ms';\n{}\n;\nCOMMIT;",
                    set[i].up_sql.trim_end()
                ),
                "{context}"
            ),
            // The end of a non-transactional step: nothing to send.
            Purpose::Ledger(_) => assert!(text.is_empty(), "{context}"),
            Purpose::Statement { .. } => {}
            _ => panic!("unexpected message {message:?}"),
        }
    }
}
