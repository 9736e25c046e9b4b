//! Unit tests of [`super`]: no database, every member of each class.

use super::*;

fn texts(sql: &str) -> Vec<&str> {
    parse(sql).statements.iter().map(|s| s.text).collect()
}

fn kinds(sql: &str) -> Vec<Kind> {
    parse(sql).statements.into_iter().map(|s| s.kind).collect()
}

/// The transaction-control statements of `sql`: (line, name, effect).
fn controls(sql: &str) -> Vec<(usize, String, Effect)> {
    parse(sql)
        .statements
        .into_iter()
        .filter_map(|s| match s.kind {
            Kind::TransactionControl { name, effect } => Some((s.line, name, effect)),
            _ => None,
        })
        .collect()
}

fn is_control(sql: &str) -> bool {
    !controls(sql).is_empty()
}

#[test]
fn every_transaction_control_statement_is_found() {
    for sql in [
        "BEGIN",
        "begin;",
        "BEGIN WORK",
        "BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE",
        "START TRANSACTION",
        "start transaction read only",
        "COMMIT",
        "COMMIT WORK",
        "COMMIT TRANSACTION",
        "COMMIT AND CHAIN",
        "COMMIT AND NO CHAIN",
        "END",
        "end transaction",
        "ROLLBACK",
        "ROLLBACK WORK",
        "ROLLBACK TRANSACTION",
        "ROLLBACK AND CHAIN",
        "ABORT",
        "abort work and no chain",
        "PREPARE TRANSACTION 'tx1'",
        "PREPARE TRANSACTION $$tx1$$",
        "COMMIT PREPARED 'tx1'",
        "ROLLBACK PREPARED 'tx1'",
        "CoMmIt",
        "COMMIT\n\t  AND /* a comment */ CHAIN",
        "COMMIT -- trailing\n",
    ] {
        assert!(
            is_control(sql),
            "{sql:?} was not seen as transaction control"
        );
    }
}

#[test]
fn effects_are_told_apart() {
    let effect = |sql: &str| controls(sql)[0].2;
    assert_eq!(effect("BEGIN"), Effect::Opens);
    assert_eq!(effect("START TRANSACTION"), Effect::Opens);
    assert_eq!(effect("COMMIT"), Effect::Closes);
    assert_eq!(effect("END"), Effect::Closes);
    assert_eq!(effect("ABORT"), Effect::Closes);
    assert_eq!(effect("ROLLBACK WORK"), Effect::Closes);
    assert_eq!(effect("PREPARE TRANSACTION 'x'"), Effect::Closes);
    assert_eq!(effect("COMMIT AND NO CHAIN"), Effect::Closes);
    assert_eq!(effect("COMMIT AND CHAIN"), Effect::Chains);
    assert_eq!(effect("ROLLBACK /* x */ AND\nCHAIN"), Effect::Chains);
    assert_eq!(effect("COMMIT PREPARED 'x'"), Effect::Prepared);
    assert_eq!(effect("ROLLBACK PREPARED 'x'"), Effect::Prepared);
    assert_eq!(controls("COMMIT AND CHAIN")[0].1, "COMMIT AND CHAIN");
}

#[test]
fn savepoints_and_lookalikes_are_ordinary_sql() {
    for sql in [
        "SAVEPOINT a",
        "RELEASE SAVEPOINT a",
        "RELEASE a",
        "ROLLBACK TO a",
        "ROLLBACK TO SAVEPOINT a",
        "rollback work to savepoint a",
        "ROLLBACK TRANSACTION TO a",
        "PREPARE q AS SELECT 1",
        "PREPARE transaction_q (int) AS SELECT $1",
        "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
        "CREATE TABLE begin_log (commit_id int, \"end\" int)",
        "SELECT 'BEGIN', \"commit\" FROM t",
        "CREATE TABLE t (id int); -- then COMMIT",
        "UPDATE t SET x = 1 /* COMMIT; ROLLBACK; */",
        "START_SOMETHING",
    ] {
        assert!(
            !is_control(sql),
            "{sql:?} was taken for transaction control"
        );
    }
}

#[test]
fn quoted_text_and_comments_hide_keywords_and_semicolons() {
    let sql = "SELECT 'a;COMMIT;b';\n\
               SELECT E'it\\'s; COMMIT';\n\
               SELECT $$ ; COMMIT; $$;\n\
               SELECT $tag$ $$ ; END; $$ $tag$;\n\
               SELECT \"we;ird\"\"COMMIT\" FROM t;\n\
               -- COMMIT;\n\
               /* outer /* nested; COMMIT; */ still; ROLLBACK; */ SELECT 1;\n\
               SELECT U&'d\\0061t;' ;\n\
               SELECT 'it''s; END';";
    let statements = parse(sql).statements;
    assert_eq!(statements.len(), 8, "{statements:#?}");
    assert!(statements.iter().all(|s| s.kind == Kind::Sql));
    assert_eq!(statements[1].text, "SELECT E'it\\'s; COMMIT'");
    assert_eq!(statements[5].text, "SELECT 1");
    assert_eq!(statements[5].line, 7);
    assert_eq!(parse(sql).unterminated, None);
}

#[test]
fn do_blocks_and_function_bodies_are_one_statement() {
    let sql = "DO $$\nBEGIN\n  COMMIT;\nEND\n$$;\n\
               CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $body$\n\
               BEGIN COMMIT; ROLLBACK; END $body$;";
    assert_eq!(kinds(sql), vec![Kind::Sql, Kind::Sql]);
}

#[test]
fn sql_standard_bodies_keep_their_semicolons_and_end() {
    let sql = "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql\n\
               BEGIN ATOMIC\n  SELECT a + b;\n  SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END;\nEND;\n\
               CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END;\n\
               SELECT 2;";
    let parsed = parse(sql).statements;
    assert_eq!(parsed.len(), 3, "{parsed:#?}");
    assert!(parsed[0].text.ends_with("END"));
    assert!(parsed[1].text.starts_with("CREATE OR REPLACE PROCEDURE"));
    assert_eq!(parsed[2].text, "SELECT 2");
    assert_eq!(parsed[2].line, 7);
    assert!(parsed.iter().all(|s| s.kind == Kind::Sql));
}

#[test]
fn parentheses_keep_their_semicolons_as_psql_does() {
    let sql = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT 1";
    assert_eq!(texts(sql).len(), 2);
}

#[test]
fn statements_carry_their_line_and_offset() {
    let sql = "-- header\n\nCREATE TABLE a (id int);\n  SELECT\n 1/0 ;;\n";
    let parsed = parse(sql).statements;
    assert_eq!(parsed.len(), 2);
    assert_eq!((parsed[0].line, parsed[0].offset), (3, 11));
    assert_eq!(parsed[1].text, "SELECT\n 1/0");
    assert_eq!(parsed[1].line, 4);
    assert_eq!(parsed[1].first_line(), "SELECT");
    assert_eq!(line_at(sql, parsed[1].offset), 4);
}

#[test]
fn the_issue_examples_are_found_at_their_lines() {
    let sql = "BEGIN; CREATE TABLE w2(id int); COMMIT;\nBEGIN; CREATE TABLE w3(id int); SELECT 1/0; COMMIT;";
    let found: Vec<(usize, String)> = controls(sql).into_iter().map(|c| (c.0, c.1)).collect();
    assert_eq!(
        found,
        vec![
            (1, "BEGIN".into()),
            (1, "COMMIT".into()),
            (2, "BEGIN".into()),
            (2, "COMMIT".into())
        ]
    );
    let sql = "CREATE TABLE r1(id int);\nROLLBACK;\nCREATE TABLE r2(id int);";
    assert_eq!(controls(sql)[0].0, 2);
}

#[test]
fn copy_with_the_client_and_psql_commands_are_psql_only() {
    for (sql, line) in [
        ("COPY t FROM STDIN", 1),
        ("copy t (a, b) from stdin with (format csv)", 1),
        ("SELECT 1;\nCOPY t\nFROM stdin;", 3),
        ("COPY (SELECT * FROM t) TO STDOUT", 1),
        ("\\copy t from 'x.csv'", 1),
        ("SELECT 1;\n\\i other.sql", 2),
        ("\\set ON_ERROR_STOP 1\nSELECT 1;", 1),
        ("SELECT 1 \\gset", 1),
    ] {
        match &kinds(sql)[..] {
            [.., Kind::PsqlOnly { line: l, what }] | [Kind::PsqlOnly { line: l, what }, ..] => {
                assert_eq!(*l, line, "{sql:?}: {what}")
            }
            other => panic!("{sql:?} not refused: {other:?}"),
        }
    }
    for sql in [
        "COPY t FROM '/tmp/x.csv'",
        "COPY t TO PROGRAM 'gzip > /tmp/x.gz'",
        "COPY (SELECT stdin FROM t) TO '/tmp/x'",
        "SELECT 'a\\b', E'\\\\'",
        "SELECT $$\\copy$$",
    ] {
        assert_eq!(kinds(sql), vec![Kind::Sql], "{sql:?}");
    }
}

#[test]
fn the_psql_command_is_named() {
    match &kinds("\\copy t from 'x'")[0] {
        Kind::PsqlOnly { what, .. } => assert!(what.contains("\\copy"), "{what}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unterminated_tokens_are_reported_with_their_line() {
    assert_eq!(
        parse("SELECT 1;\n/* open").unterminated,
        Some((2, "/* comment"))
    );
    assert_eq!(
        parse("SELECT $$ x").unterminated,
        Some((1, "dollar-quoted string"))
    );
    assert_eq!(
        parse("\n\nSELECT 'x").unterminated,
        Some((3, "quoted string"))
    );
    assert_eq!(
        parse("SELECT E'\\'").unterminated,
        Some((1, "quoted string"))
    );
    assert_eq!(
        parse("SELECT \"x").unterminated,
        Some((1, "quoted identifier"))
    );
    assert_eq!(parse("SELECT 'a''b' /* c /* d */ */").unterminated, None);
}

#[test]
fn only_comments_make_no_statement() {
    assert!(parse("-- nothing\n/* at all */\n ; ;")
        .statements
        .is_empty());
}
