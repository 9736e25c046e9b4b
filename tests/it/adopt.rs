//! `stamp`, which checks the schema before writing the ledger, and `adopt`
//! of a database the original Python (Alembic) system migrated.

use crate::support::run;
use crate::support::{reference_catalog, TestDb};
use diesel::connection::SimpleConnection;

#[test]
fn stamping_over_a_different_schema_is_refused_unless_forced() {
    let db = TestDb::new();
    // A schema made by hand that is almost, but not quite, the first migration.
    db.conn()
        .batch_execute(include_str!("../data/alembic_001.sql"))
        .unwrap();
    db.conn()
        .batch_execute("DROP TABLE alembic_version; ALTER TABLE users DROP COLUMN is_superuser;")
        .unwrap();
    let r = run(&db, None, &["stamp", "head"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("- column users.is_superuser boolean not null default false"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(run(&db, None, &["current"]).stdout.trim(), "base");
    let forced = run(&db, None, &["stamp", "head", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(
        run(&db, None, &["current"]).stdout.trim(),
        "20251021000000 initial_schema (head)"
    );
    // stamp base over the tables is refused the same way.
    assert_eq!(run(&db, None, &["stamp", "base"]).code, 1);
}

#[test]
fn stamping_a_matching_schema_is_accepted() {
    let db = TestDb::new();
    assert_eq!(run(&db, None, &["upgrade"]).code, 0);
    db.conn()
        .batch_execute("DROP TABLE __diesel_schema_migrations, __ragchat_migrations")
        .unwrap();
    let r = run(&db, None, &["stamp", "head"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(run(&db, None, &["check"]).code, 0);
}

fn alembic_database() -> TestDb {
    let db = TestDb::new();
    db.conn()
        .batch_execute(include_str!("../data/alembic_001.sql"))
        .unwrap();
    db.conn()
        .batch_execute(
            "INSERT INTO users (email, username, hashed_password, updated_at) \
             VALUES ('ada@example.com', 'ada', 'h', '2000-01-01')",
        )
        .unwrap();
    db
}

#[test]
fn an_alembic_database_is_adopted_without_touching_its_data() {
    let db = alembic_database();
    // Plain upgrade refuses and points to adopt.
    let refused = run(&db, None, &["upgrade"]);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("adopt"), "{}", refused.stderr);

    let r = run(&db, None, &["adopt"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("recorded 2025-10-21-000000_initial_schema"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("created trigger users set_updated_at"),
        "{}",
        r.stdout
    );
    assert_eq!(db.catalog(), reference_catalog());
    assert_eq!(
        db.lines("SELECT email::text AS v FROM users"),
        ["ada@example.com"]
    );
    assert_eq!(
        db.lines("SELECT version_num::text AS v FROM alembic_version"),
        ["001"]
    );
    assert_eq!(
        run(&db, None, &["current"]).stdout.trim(),
        "20251021000000 initial_schema (head)"
    );
    let check = run(&db, None, &["check"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    // updated_at is now kept by the database, as on a fresh install.
    db.conn()
        .batch_execute("UPDATE users SET username = 'ada2'")
        .unwrap();
    assert!(db.lines("SELECT (updated_at > '2001-01-01')::text AS v FROM users") == ["true"]);
    // Adopting twice does nothing.
    assert_eq!(run(&db, None, &["adopt"]).code, 1);
    assert!(db.scratch_databases().is_empty());
}

#[test]
fn a_tampered_alembic_database_is_refused_with_the_differences() {
    let db = alembic_database();
    db.conn()
        .batch_execute("DROP INDEX ix_users_email; ALTER TABLE documents ALTER COLUMN source_type SET DEFAULT 'url'")
        .unwrap();
    let r = run(&db, None, &["adopt"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("- index users ix_users_email UNIQUE USING btree (email)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("~ column documents.source_type default"),
        "{}",
        r.stderr
    );
    assert!(
        db.lines("SELECT (to_regclass('__diesel_schema_migrations') IS NULL)::text AS v")
            == ["true"]
    );
    assert!(db
        .lines("SELECT tgname::text AS v FROM pg_trigger WHERE NOT tgisinternal")
        .is_empty());
    assert_eq!(
        db.lines("SELECT email::text AS v FROM users"),
        ["ada@example.com"]
    );
}

#[test]
fn adopt_refuses_databases_it_does_not_recognise() {
    let db = TestDb::new();
    db.conn()
        .batch_execute("CREATE TABLE users (id int)")
        .unwrap();
    let r = run(&db, None, &["adopt"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("no alembic_version table") && r.stderr.contains("stamp"),
        "{}",
        r.stderr
    );
    let other = alembic_database();
    other
        .conn()
        .batch_execute("UPDATE alembic_version SET version_num = '002'")
        .unwrap();
    let r = run(&other, None, &["adopt"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("\"002\"") && r.stderr.contains("001"),
        "{}",
        r.stderr
    );
}
