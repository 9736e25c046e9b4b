//! The application's schema as the first migration creates it: exactly the
//! reference facts, the start-up call idempotent, and a clean revert.

use crate::support::migrated;
use crate::support::reference_catalog;
use ragchat_migrate::database::migrator::{self, Command, RunOptions, Silent};
use ragchat_migrate::migrations::target::Target;
use ragchat_migrate::{MigrationSet, Source};

#[test]
fn migrated_catalog_is_exactly_the_95_reference_facts() {
    let (db, _) = migrated();
    let catalog = db.catalog();
    assert_eq!(catalog.len(), 95);
    assert_eq!(catalog, reference_catalog());
}

#[test]
fn start_up_call_is_idempotent_and_records_the_ledger() {
    let (db, mut conn) = migrated();
    assert!(ragchat_migrate::run_pending_migrations(&mut conn)
        .unwrap()
        .is_empty());
    assert_eq!(
        db.lines("SELECT version::text AS v FROM __diesel_schema_migrations ORDER BY 1"),
        vec!["20251021000000"]
    );
    let sha = ragchat_migrate::migrations::checksum::sha256_hex(include_str!(
        "../../migrations/2025-10-21-000000_initial_schema/up.sql"
    ));
    assert_eq!(
        db.lines("SELECT up_sha256 AS v FROM __ragchat_migrations"),
        vec![sha]
    );
}

#[test]
fn revert_to_base_leaves_nothing_of_the_application() {
    let (db, mut conn) = migrated();
    let set = MigrationSet::load(&Source::Embedded).unwrap();
    migrator::run(
        &mut conn,
        &set,
        &Command::Downgrade(Target::Base),
        &RunOptions::default(),
        &mut Silent,
    )
    .unwrap();
    assert!(db.catalog().is_empty());
    let leftovers = db.lines(
        "SELECT kind || ' ' || name AS v FROM ( \
           SELECT 'relation' AS kind, c.relname::text AS name FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' \
           UNION ALL SELECT 'type', t.typname::text FROM pg_type t \
             JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public' \
           UNION ALL SELECT 'function', p.proname::text FROM pg_proc p \
             JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' \
           UNION ALL SELECT 'trigger', tgname::text FROM pg_trigger WHERE NOT tgisinternal \
         ) x WHERE name NOT LIKE '\\_\\_%' ORDER BY 1",
    );
    assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
    // The ledger says base.
    assert!(db
        .lines("SELECT version::text AS v FROM __diesel_schema_migrations")
        .is_empty());
}
