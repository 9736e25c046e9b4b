//! A fresh database per test on the test server, so tests run in parallel.

use super::server;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use ragchat_migrate::{MigrationSet, Source};
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh database on the test cluster, dropped when the test ends.
pub struct TestDb {
    pub name: String,
}

impl TestDb {
    /// Creates an empty database.
    pub fn new() -> Self {
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        admin()
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create database");
        TestDb { name }
    }

    /// A URL for this database (no password: the cluster trusts loopback).
    pub fn url(&self) -> String {
        url_for(&self.name)
    }

    /// A new connection.
    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url()).expect("connect to test database")
    }

    /// The schema as the sorted facts of `catalog.sql`.
    pub fn catalog(&self) -> Vec<String> {
        #[derive(QueryableByName)]
        struct Fact {
            #[diesel(sql_type = Text)]
            line: String,
        }
        diesel::sql_query(include_str!("../../data/catalog.sql"))
            .load::<Fact>(&mut self.conn())
            .expect("catalog query")
            .into_iter()
            .map(|f| f.line)
            .collect()
    }

    /// Runs one query returning one text column `v`, row by row.
    pub fn lines(&self, sql: &str) -> Vec<String> {
        #[derive(QueryableByName)]
        struct Line {
            #[diesel(sql_type = Text)]
            v: String,
        }
        diesel::sql_query(sql)
            .load::<Line>(&mut self.conn())
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .map(|l| l.v)
            .collect()
    }
}

impl TestDb {
    /// The versions in Diesel's ledger, in order.
    pub fn applied_versions(&self) -> Vec<String> {
        self.lines("SELECT version::text AS v FROM __diesel_schema_migrations ORDER BY 1")
    }

    /// The relations (tables, indexes, sequences...) in schema `public`.
    pub fn relations(&self) -> Vec<String> {
        self.lines(
            "SELECT c.relname::text AS v FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' ORDER BY 1",
        )
    }

    /// Creates login role `role` (with CREATEDB and `options`, such as
    /// `CONNECTION LIMIT 4`), allowed to create in schema `public`; a URL
    /// for this database as that role.
    pub fn role_url(&self, role: &str, options: &str) -> String {
        self.conn()
            .batch_execute(&format!(
                "CREATE ROLE {role} LOGIN CREATEDB {options}; \
                 GRANT CREATE ON SCHEMA public TO {role};"
            ))
            .unwrap_or_else(|e| panic!("role {role}: {e}"));
        format!(
            "postgres://{role}@127.0.0.1:{}/{}",
            server().port(),
            self.name
        )
    }

    /// The scratch databases of commands run on this database (the
    /// cluster is shared by the parallel tests: only this database's).
    pub fn scratch_databases(&self) -> Vec<String> {
        self.lines(&format!(
            "SELECT datname::text AS v FROM pg_database WHERE datname LIKE 'ragchat\\_scratch\\_{}\\_%'",
            self.name
        ))
    }
}

/// A fresh database migrated with the embedded set by the library's
/// start-up call, and a connection to it.
pub fn migrated() -> (TestDb, PgConnection) {
    let db = TestDb::new();
    let mut conn = db.conn();
    let applied = ragchat_migrate::run_pending_migrations(&mut conn).expect("migrate");
    assert_eq!(
        applied.len(),
        MigrationSet::load(&Source::Embedded).unwrap().len()
    );
    (db, conn)
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = admin().batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

/// A URL for any database on the test cluster.
pub fn url_for(db: &str) -> String {
    server().url(db)
}

fn admin() -> PgConnection {
    PgConnection::establish(&url_for("postgres")).expect("connect to the test cluster")
}
