//! The changes between two schema snapshots: each kind of object added,
//! removed or altered, rendered one line a change.

use super::snap;
use crate::support::migrated;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use ragchat_migrate::proof::catalog::{ChangeOp, Kind};

/// The rendered changes that `sql` makes to the schema behind `conn`.
fn changes_of(conn: &mut PgConnection, sql: &str) -> Vec<String> {
    let before = snap(conn);
    conn.batch_execute(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let after = snap(conn);
    before.diff(&after).iter().map(|c| c.to_string()).collect()
}

#[test]
fn changed_default_is_one_altered_line() {
    let (_db, mut conn) = migrated();
    let before = snap(&mut conn);
    conn.batch_execute("ALTER TABLE documents ALTER COLUMN num_chunks SET DEFAULT 1")
        .unwrap();
    let changes = before.diff(&snap(&mut conn));
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].op, ChangeOp::Altered);
    assert_eq!(changes[0].attribute.as_deref(), Some("default"));
    assert_eq!(
        changes[0].to_string(),
        "~ column documents.num_chunks default 0 -> 1"
    );
    assert_eq!(
        changes_of(
            &mut conn,
            "ALTER TABLE documents ALTER COLUMN num_chunks DROP DEFAULT"
        ),
        ["~ column documents.num_chunks default 1 -> (none)"]
    );
}

#[test]
fn changed_type_and_nullability_are_altered_lines() {
    let (_db, mut conn) = migrated();
    assert_eq!(
        changes_of(&mut conn, "ALTER TABLE users ALTER COLUMN email TYPE text"),
        ["~ column users.email type character varying(255) -> text"]
    );
    assert_eq!(
        changes_of(
            &mut conn,
            "ALTER TABLE documents ALTER COLUMN num_tokens SET NOT NULL"
        ),
        ["~ column documents.num_tokens nullability null -> not null"]
    );
}

#[test]
fn dropped_index_and_column_are_removed_lines() {
    let (_db, mut conn) = migrated();
    assert_eq!(
        changes_of(&mut conn, "DROP INDEX ix_users_email"),
        ["- index users ix_users_email UNIQUE USING btree (email)"]
    );
    let changes = changes_of(&mut conn, "ALTER TABLE documents DROP COLUMN num_tokens");
    // A long column list is cut down to where it differs.
    assert_eq!(
        changes,
        [
            "~ table documents columns …error_message, num_chunks, num_tokens, metadata, \
             created_at, updated_at) -> …error_message, num_chunks, metadata, created_at, \
             updated_at)",
            "- column documents.num_tokens integer null",
        ]
    );
}

#[test]
fn re_added_column_changes_the_column_order() {
    let (_db, mut conn) = migrated();
    assert_eq!(
        changes_of(
            &mut conn,
            "ALTER TABLE messages DROP COLUMN role; \
             ALTER TABLE messages ADD COLUMN role message_role NOT NULL"
        ),
        [
            "~ table messages columns (id, conversation_id, role, content, metadata, created_at) \
          -> (id, conversation_id, content, metadata, created_at, role)"
        ]
    );
}

#[test]
fn created_types_are_added_lines() {
    let (_db, mut conn) = migrated();
    assert_eq!(
        changes_of(
            &mut conn,
            "CREATE TYPE tool_kind AS ENUM ('search', 'fetch')"
        ),
        ["+ enum tool_kind ('search', 'fetch')"]
    );
    assert_eq!(
        changes_of(&mut conn, "CREATE TYPE pair AS (a integer, b text)"),
        ["+ type pair (a integer, b text)"]
    );
    // A range type's constructors and multirange are part of it.
    assert_eq!(
        changes_of(
            &mut conn,
            "CREATE TYPE floatrange AS RANGE (subtype = float8)"
        ),
        ["+ type floatrange range of double precision"]
    );
    assert_eq!(
        changes_of(
            &mut conn,
            "CREATE DOMAIN positive AS integer NOT NULL DEFAULT 1 \
             CONSTRAINT positive_check CHECK (VALUE > 0)"
        ),
        [
            "+ domain positive integer not null default 1",
            "+ constraint positive positive_check CHECK ((VALUE > 0))",
        ]
    );
    assert_eq!(
        changes_of(&mut conn, "ALTER TYPE message_role ADD VALUE 'tool'"),
        [
            "~ enum message_role labels ('user', 'assistant', 'system') \
          -> ('user', 'assistant', 'system', 'tool')"
        ]
    );
}

/// Each kind of object made or changed in turn: (the SQL, the changes the
/// catalog then reports).
const EVERY_KIND_OF_OBJECT: &[(&str, &[&str])] = &[
    (
        "ALTER TABLE documents ADD CONSTRAINT documents_num_chunks_check \
         CHECK (num_chunks >= 0)",
        &["+ constraint documents documents_num_chunks_check CHECK ((num_chunks >= 0))"],
    ),
    (
        "CREATE VIEW active_users AS SELECT id, email FROM users WHERE is_active",
        &["+ view active_users SELECT users.id, users.email FROM users WHERE users.is_active;"],
    ),
    (
        "CREATE OR REPLACE VIEW active_users AS \
         SELECT id, email FROM users WHERE is_active AND NOT is_superuser",
        &[
            "~ view active_users definition SELECT users.id, users.email FROM users WHERE \
           users.is_active; -> SELECT users.id, users.email FROM users WHERE \
           users.is_active AND NOT users.is_superuser;",
        ],
    ),
    (
        "CREATE MATERIALIZED VIEW user_counts AS SELECT count(*) AS n FROM users",
        &["+ materialized view user_counts SELECT count(*) AS n FROM users;"],
    ),
    (
        "CREATE SEQUENCE invoice_no START 100 INCREMENT 5",
        &["+ sequence invoice_no bigint increment 5 start 100 min 1 \
           max 9223372036854775807 cache 1 cycle no"],
    ),
    (
        "ALTER SEQUENCE invoice_no CYCLE",
        &["~ sequence invoice_no cycle no -> yes"],
    ),
    (
        "CREATE FUNCTION add_one(i integer) RETURNS integer LANGUAGE sql IMMUTABLE \
         AS 'SELECT i + 1'",
        &[
            "+ function add_one(i integer) CREATE OR REPLACE FUNCTION public.add_one(i integer) \
           RETURNS integer LANGUAGE sql IMMUTABLE AS $function$SELECT i + 1$fu…",
        ],
    ),
    (
        "CREATE PROCEDURE noop() LANGUAGE sql AS 'SELECT 1'",
        &[
            "+ procedure noop() CREATE OR REPLACE PROCEDURE public.noop() LANGUAGE sql \
           AS $procedure$SELECT 1$procedure$",
        ],
    ),
    (
        "CREATE AGGREGATE my_sum(integer) (SFUNC = int4pl, STYPE = integer, INITCOND = '0')",
        &[
            "+ aggregate my_sum(integer) SFUNC = int4pl, STYPE = integer, INITCOND = '0', \
           RETURNS integer",
        ],
    ),
    (
        "CREATE TRIGGER touch_documents BEFORE INSERT OR UPDATE OF status ON documents \
         FOR EACH ROW WHEN (NEW.num_chunks > 0) EXECUTE FUNCTION diesel_set_updated_at()",
        &[
            "+ trigger documents touch_documents BEFORE INSERT OR UPDATE OF status FOR EACH ROW \
           WHEN ((new.num_chunks > 0)) EXECUTE FUNCTION diesel_set_updated_at()",
        ],
    ),
    (
        "ALTER TABLE documents DISABLE TRIGGER touch_documents",
        &["~ trigger documents touch_documents state (none) -> disabled"],
    ),
    (
        "CREATE OR REPLACE FUNCTION diesel_set_updated_at() RETURNS trigger AS $$ \
         BEGIN IF ( NEW IS DISTINCT FROM OLD AND NEW.updated_at IS NOT DISTINCT FROM \
         OLD.updated_at ) THEN NEW.updated_at := clock_timestamp(); END IF; RETURN NEW; \
         END; $$ LANGUAGE plpgsql",
        &[
            "~ function diesel_set_updated_at() definition …) THEN NEW.updated_at := now(); \
           END IF; RETURN NEW; END;… -> …) THEN NEW.updated_at := clock_timestamp(); \
           END IF; RETURN NEW; END;…",
        ],
    ),
    (
        "CREATE TABLE m (k int, v int) PARTITION BY RANGE (k); \
         CREATE TABLE m1 PARTITION OF m FOR VALUES FROM (0) TO (10)",
        &[
            "+ table m (k, v) partitioned by RANGE (k)",
            "+ table m1 (k, v) partition of m FOR VALUES FROM (0) TO (10)",
            "+ column m.k integer null",
            "+ column m.v integer null",
            "+ column m1.k integer null",
            "+ column m1.v integer null",
        ],
    ),
    (
        "CREATE UNLOGGED TABLE scratch (a int); CREATE TABLE kid (b int) INHERITS (scratch)",
        &[
            "+ table kid (a, b) inherits scratch",
            "+ table scratch (a) persistence unlogged",
            "+ column kid.a integer null",
            "+ column kid.b integer null",
            "+ column scratch.a integer null",
        ],
    ),
];

#[test]
fn every_kind_of_object_is_detected() {
    let (_db, mut conn) = migrated();
    for (sql, expected) in EVERY_KIND_OF_OBJECT {
        assert_eq!(&changes_of(&mut conn, sql), expected, "after {sql}");
    }
}

#[test]
fn objects_outside_public_are_schema_qualified() {
    let (_db, mut conn) = migrated();
    assert_eq!(
        changes_of(
            &mut conn,
            "CREATE SCHEMA audit; \
             CREATE TABLE audit.log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
               at timestamptz, n serial, twice integer GENERATED ALWAYS AS (n * 2) STORED, \
               note text COLLATE \"C\") WITH (fillfactor = 70); \
             CREATE INDEX ix_log_at ON audit.log (at) WHERE at IS NOT NULL"
        ),
        [
            "+ schema audit",
            // The identity column's own sequence is not listed; serial's is.
            "+ sequence audit.log_n_seq integer increment 1 start 1 min 1 max 2147483647 \
             cache 1 cycle no owned by audit.log.n",
            "+ table audit.log (id, at, n, twice, note) options fillfactor=70",
            "+ column audit.log.at timestamp with time zone null",
            "+ column audit.log.id bigint not null identity always",
            "+ column audit.log.n integer not null default nextval('audit.log_n_seq'::regclass)",
            "+ column audit.log.note text null collation \"C\"",
            "+ column audit.log.twice integer null generated always as ((n * 2)) stored",
            "+ constraint audit.log log_pkey PRIMARY KEY (id)",
            "+ index audit.log ix_log_at USING btree (at) WHERE (at IS NOT NULL)",
        ]
    );
}

#[test]
fn extension_members_are_hidden_behind_the_extension() {
    let (_db, mut conn) = migrated();
    let changes = changes_of(&mut conn, "CREATE EXTENSION citext");
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(
        changes[0].starts_with("+ extension citext version ")
            && changes[0].ends_with(" schema public"),
        "{changes:?}"
    );
}

/// A foreign key's `conindid` names the referenced table's unique index; that
/// index still backs no constraint of its own table and stays listed.
#[test]
fn index_referenced_by_a_foreign_key_stays_listed() {
    let (_db, mut conn) = migrated();
    assert_eq!(
        changes_of(
            &mut conn,
            "CREATE TABLE invites (email varchar(255) REFERENCES users (email))"
        ),
        [
            "+ table invites (email)",
            "+ column invites.email character varying(255) null",
            "+ constraint invites invites_email_fkey FOREIGN KEY (email) REFERENCES users(email)",
        ]
    );
    assert!(snap(&mut conn)
        .get(Kind::Index, "users ix_users_email")
        .is_some());
}
