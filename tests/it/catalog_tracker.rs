//! The step-wise schema tracker (`proof::catalog_tracker`) that `verify`
//! relies on: after every kind of DDL step, what it assembled equals a full
//! snapshot, and it learnt the step from the DDL log, not a scan of every
//! catalog, except where the log cannot say (and then it falls back).

use crate::support::{run, write_migration, TestDb};
use diesel::connection::SimpleConnection;
use diesel::PgConnection;
use ragchat_migrate::proof::catalog;
use ragchat_migrate::proof::catalog_tracker::Tracker;
use serde_json::Value;

/// Runs `sql`, refreshes the tracker, and checks it against a full snapshot.
fn step(conn: &mut PgConnection, tracker: &mut Tracker, sql: &str) {
    conn.batch_execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    tracker.refresh(conn).expect("refresh");
    let full = catalog::snapshot(conn).expect("snapshot");
    let diff: Vec<String> = full
        .diff(&tracker.snapshot())
        .iter()
        .map(ToString::to_string)
        .collect();
    assert!(diff.is_empty(), "after {sql}\ntracker differs: {diff:#?}");
}

/// DDL whose effect the log reports, one step each; the shortcut must see
/// each (including what a step changes in objects it did not name).
const LOGGED_STEPS: &[&str] = &[
    "CREATE TABLE t (id bigserial PRIMARY KEY, name text NOT NULL DEFAULT 'x', q int)",
    "CREATE INDEX t_name ON t (name)",
    "ALTER TABLE t ALTER COLUMN q SET DEFAULT 7",
    "ALTER TABLE t ALTER COLUMN q SET NOT NULL",
    "ALTER TABLE t ALTER COLUMN name DROP DEFAULT",
    "COMMENT ON TABLE t IS 'a comment'",
    "GRANT SELECT ON t TO PUBLIC",
    "ALTER TABLE t RENAME COLUMN q TO quantity",
    "CREATE VIEW v AS SELECT id, quantity FROM t",
    "ALTER TABLE t RENAME TO items",
    "ALTER INDEX t_name RENAME TO items_name",
    "DROP INDEX items_name",
    "CREATE SCHEMA audit",
    "CREATE TABLE audit.log (id int PRIMARY KEY, at timestamptz DEFAULT now())",
    "CREATE INDEX log_at ON audit.log (at)",
    "DROP INDEX audit.log_at",
    "CREATE TYPE mood AS ENUM ('sad', 'ok')",
    "ALTER TABLE items ADD COLUMN moods mood[]",
    "ALTER TYPE mood ADD VALUE 'happy'",
    "ALTER TYPE mood RENAME TO feeling",
    "CREATE DOMAIN positive AS int CHECK (VALUE > 0)",
    "ALTER DOMAIN positive ADD CONSTRAINT small CHECK (VALUE < 1000)",
    "ALTER DOMAIN positive DROP CONSTRAINT small",
    "CREATE TYPE pair AS (a int, b int)",
    "ALTER TYPE pair ADD ATTRIBUTE c int",
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
    "CREATE TRIGGER items_touch BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION touch()",
    "ALTER FUNCTION touch() RENAME TO touch_row",
    "DROP TRIGGER items_touch ON items",
    "CREATE OR REPLACE FUNCTION touch_row() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$",
    "ALTER TABLE items ADD CONSTRAINT quantity_positive CHECK (quantity > 0)",
    "ALTER TABLE items DROP CONSTRAINT quantity_positive",
    "CREATE TABLE parent (a int); CREATE TABLE child () INHERITS (parent); \
     CREATE TABLE grandchild () INHERITS (child)",
    "ALTER TABLE parent ADD COLUMN b text",
    "CREATE SEQUENCE counter START 5",
    "ALTER SEQUENCE counter INCREMENT BY 2",
    "CREATE OR REPLACE VIEW v AS SELECT id, quantity, moods FROM items",
    "CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM items",
    "CREATE EXTENSION IF NOT EXISTS pgcrypto",
    "ALTER TABLE items ADD COLUMN token text DEFAULT gen_random_uuid()::text",
    "DROP EXTENSION pgcrypto CASCADE",
    "DROP VIEW v; DROP MATERIALIZED VIEW mv",
    "DROP TABLE audit.log",
    "DROP SCHEMA audit",
    "DROP TYPE feeling CASCADE",
    "DROP FUNCTION touch_row()",
    "CREATE TABLE scratch_t (a int); CREATE INDEX scratch_i ON scratch_t (a); DROP INDEX scratch_i",
    "DROP TABLE scratch_t, grandchild, child, parent",
    "DROP DOMAIN positive; DROP TYPE pair; DROP SEQUENCE counter",
    "DROP TABLE items",
];

#[test]
fn the_tracker_follows_every_kind_of_step_through_the_ddl_log() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let mut tracker = Tracker::start(&mut conn).expect("start");
    assert!(tracker.logging(), "the test role may create event triggers");
    for sql in LOGGED_STEPS {
        step(&mut conn, &mut tracker, sql);
    }
    assert_eq!(tracker.inventories(), 0, "every step came from the log");
    assert!(tracker.snapshot().is_empty());
}

#[test]
fn what_the_log_cannot_explain_falls_back_to_the_full_inventory() {
    let db = TestDb::new();
    let mut conn = db.conn();
    let mut tracker = Tracker::start(&mut conn).expect("start");
    step(
        &mut conn,
        &mut tracker,
        "CREATE SCHEMA s; CREATE TABLE s.t (a int); CREATE VIEW s.v AS SELECT a FROM s.t",
    );
    assert_eq!(tracker.inventories(), 0);
    // Renaming a schema renames everything in it: the log names the schema.
    step(&mut conn, &mut tracker, "ALTER SCHEMA s RENAME TO s2");
    assert_eq!(tracker.inventories(), 1);
    step(&mut conn, &mut tracker, "CREATE TABLE s2.u (b int)");
    assert_eq!(tracker.inventories(), 1, "back on the log");
    // A step that throws the log away: the tracker carries on without it.
    step(&mut conn, &mut tracker, "DISCARD TEMP");
    step(
        &mut conn,
        &mut tracker,
        "ALTER TABLE s2.u RENAME COLUMN b TO c",
    );
    assert!(!tracker.logging());
    assert_eq!(tracker.inventories(), 3);
}

/// A step the log explains, then one it cannot that undoes it: the full
/// inventory must not compare with stamps from before the first step (the
/// log does not keep them). Seen on a real history: a down.sql that dropped
/// a trigger from a table that had others, in a step the log could not
/// explain, left the trigger in the tracker's picture, and verify called a
/// correct down irreversible (with a role that may not log, it did not).
#[test]
fn an_inventory_after_logged_steps_sees_what_they_changed_and_undid() {
    let db = TestDb::new();
    let mut conn = db.conn();
    conn.batch_execute(
        "CREATE SCHEMA s; CREATE TABLE s.t (id int PRIMARY KEY); \
         CREATE FUNCTION s.f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$; \
         CREATE TRIGGER tr0 AFTER INSERT ON s.t FOR EACH ROW EXECUTE FUNCTION s.f()",
    )
    .unwrap();
    // t has a trigger already: a second one leaves its pg_class row alone.
    let mut tracker = Tracker::start(&mut conn).expect("start");
    step(
        &mut conn,
        &mut tracker,
        "CREATE TRIGGER tr AFTER UPDATE ON s.t REFERENCING NEW TABLE AS updated \
         FOR EACH STATEMENT EXECUTE FUNCTION s.f()",
    );
    assert_eq!(tracker.inventories(), 0, "the log explained the first step");
    // The same owner back as it was, and a schema renamed there and back:
    // the log cannot explain that, so the inventory decides.
    step(
        &mut conn,
        &mut tracker,
        "DROP TRIGGER tr ON s.t; ALTER SCHEMA s RENAME TO s2; ALTER SCHEMA s2 RENAME TO s",
    );
    assert_eq!(tracker.inventories(), 1);
}

/// DDL run under another role (a migration's `SET ROLE`) still succeeds and
/// is still logged.
#[test]
fn ddl_under_another_role_is_logged_too() {
    let db = TestDb::new();
    let role = format!("tracker_role_{}", db.name);
    let mut conn = db.conn();
    conn.batch_execute(&format!(
        "CREATE ROLE {role}; GRANT CREATE, USAGE ON SCHEMA public TO {role}"
    ))
    .unwrap();
    let mut tracker = Tracker::start(&mut conn).expect("start");
    step(
        &mut conn,
        &mut tracker,
        &format!("SET ROLE {role}; CREATE TABLE owned (a int); RESET ROLE"),
    );
    assert_eq!(tracker.inventories(), 0);
    conn.batch_execute(&format!(
        "DROP TABLE owned; DROP OWNED BY {role}; DROP ROLE {role}"
    ))
    .unwrap();
}

/// Migrations whose down.sql leaves something behind, one per kind of
/// object, and the line verify must report for each.
const LEFTOVERS: &[(&str, &str, &str, &str)] = &[
    (
        "table",
        "CREATE TABLE extra (x int)",
        "SELECT 1",
        "+ table extra",
    ),
    (
        "table_redefined",
        "CREATE TABLE redefined (x int)",
        "DROP TABLE redefined; CREATE TABLE redefined (x bigint)",
        "+ table redefined",
    ),
    (
        "column",
        "ALTER TABLE base ADD COLUMN c int",
        "SELECT 1",
        "+ column base.c",
    ),
    (
        "default_added",
        "ALTER TABLE base ALTER a SET DEFAULT 1",
        "SELECT 1",
        "~ column base.a default (none) -> 1",
    ),
    (
        "default_changed",
        "ALTER TABLE base ALTER b SET DEFAULT 'y'",
        "ALTER TABLE base ALTER b SET DEFAULT 'z'",
        "~ column base.b default 'x'::text -> 'z'::text",
    ),
    (
        "constraint",
        "ALTER TABLE base ADD CONSTRAINT a_positive CHECK (a > 0)",
        "SELECT 1",
        "+ constraint base a_positive",
    ),
    (
        "index",
        "CREATE INDEX base_b ON base (b)",
        "SELECT 1",
        "+ index base base_b",
    ),
    (
        "sequence",
        "CREATE SEQUENCE seq1",
        "SELECT 1",
        "+ sequence seq1",
    ),
    (
        "view_redefined",
        "CREATE VIEW v1 AS SELECT id FROM base",
        "DROP VIEW v1; CREATE VIEW v1 AS SELECT id, a FROM base",
        "+ view v1",
    ),
    (
        "function",
        "CREATE FUNCTION f1() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "SELECT 1",
        "+ function f1()",
    ),
    (
        "trigger",
        "CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$; \
         CREATE TRIGGER base_stamp BEFORE INSERT ON base FOR EACH ROW EXECUTE FUNCTION stamp()",
        "DROP TRIGGER base_stamp ON base; \
         CREATE TRIGGER base_stamp BEFORE UPDATE ON base FOR EACH ROW EXECUTE FUNCTION stamp()",
        "+ trigger base base_stamp",
    ),
    (
        "enum",
        "CREATE TYPE e1 AS ENUM ('a')",
        "SELECT 1",
        "+ enum e1",
    ),
    (
        "enum_label",
        "CREATE TYPE e2 AS ENUM ('a'); ALTER TYPE e2 ADD VALUE 'b'",
        "DROP TYPE e2; CREATE TYPE e2 AS ENUM ('b', 'a')",
        "+ enum e2",
    ),
    (
        "domain",
        "CREATE DOMAIN d1 AS int",
        "SELECT 1",
        "+ domain d1",
    ),
    (
        "composite",
        "CREATE TYPE pair AS (a int)",
        "SELECT 1",
        "+ type pair",
    ),
    (
        "extension",
        "CREATE EXTENSION pg_trgm",
        "SELECT 1",
        "+ extension pg_trgm",
    ),
    (
        "schema",
        "CREATE SCHEMA s1; CREATE TABLE s1.t (a int)",
        "DROP TABLE s1.t",
        "+ schema s1",
    ),
    (
        "other_schema",
        "CREATE SCHEMA s2; CREATE TABLE s2.t (a int); CREATE INDEX s2_ix ON s2.t (a)",
        "DROP INDEX s2.s2_ix",
        "+ table s2.t",
    ),
    (
        "rename",
        "ALTER TABLE base RENAME COLUMN b TO bb",
        "ALTER TABLE base RENAME COLUMN bb TO b2",
        "+ column base.b2",
    ),
    (
        "materialized_view",
        "CREATE MATERIALIZED VIEW mv AS SELECT count(*) AS n FROM base",
        "SELECT 1",
        "+ materialized view mv",
    ),
];

/// Every kind of object a down.sql leaves behind (or brings back changed)
/// is reported, in one verify run that carries on after each.
#[test]
fn verify_reports_a_leftover_of_every_kind() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    write_migration(
        dir.path(),
        "2030-01-01-000000_base",
        "CREATE TABLE base (id int PRIMARY KEY, a int, b text DEFAULT 'x')",
        "DROP TABLE base",
    );
    for (i, (name, up, down, _)) in LEFTOVERS.iter().enumerate() {
        let dir_name = format!("2030-01-02-{:06}_{name}", i + 1);
        write_migration(dir.path(), &dir_name, up, down);
    }
    let r = run(&db, Some(dir.path()), &["--format", "json", "verify"]);
    assert_eq!(r.code, 3, "{}\n{}", r.stdout, r.stderr);
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    let verdicts = json["migrations"].as_array().unwrap();
    assert_eq!(verdicts[0]["verdict"], "reversible", "{:#}", verdicts[0]);
    for (i, (name, _, _, line)) in LEFTOVERS.iter().enumerate() {
        let v = &verdicts[i + 1];
        assert_eq!(v["verdict"], "irreversible", "{name}: {v:#}");
        let diff: Vec<&str> = v["problems"][0]["diff"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(
            diff.iter().any(|l| l.starts_with(line)),
            "{name}: no line starting with {line:?} in {diff:#?}"
        );
    }
}
