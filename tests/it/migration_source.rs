//! The folder you edit is the folder that runs: every test runs the built
//! binary in a temporary project with no flags, against a database of the
//! test server given by DATABASE_URL.

use crate::support::project::in_dir;
use crate::support::Tool;
use crate::support::{url_for, Run, TestDb};
use serde_json::Value;
use std::path::Path;
fn run(dir: &Path, db: &TestDb, args: &[&str]) -> Run {
    in_dir(dir)
        .args(args)
        .env("DATABASE_URL", url_for(&db.name))
        .run()
}

fn ok(dir: &Path, db: &TestDb, args: &[&str]) -> Run {
    let r = run(dir, db, args);
    assert_eq!(r.code, 0, "{args:?}:\n{}\n{}", r.stdout, r.stderr);
    r
}

/// A project like a fresh `diesel setup`: diesel.toml naming its folder
/// (not `migrations/`, to prove diesel.toml is read) and one migration.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("diesel.toml"),
        "[print_schema]\nfile = \"src/schema.rs\"\n\n[migrations_directory]\ndir = \"db/migrations\"\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("src/deep")).unwrap();
    crate::support::table_migration(
        &dir.path().join("db/migrations"),
        "2024-01-01-000000_first",
        "first_table",
    );
    dir
}

#[test]
fn create_then_upgrade_then_current_runs_the_new_migration_with_no_flag() {
    let p = project();
    let db = TestDb::new();
    // From a subdirectory, as a developer would.
    let sub = p.path().join("src/deep");
    let created = ok(&sub, &db, &["create", "add_notes"]);
    let dir = std::fs::read_dir(p.path().join("db/migrations"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|d| d.to_string_lossy().ends_with("_add_notes"))
        .unwrap_or_else(|| panic!("create wrote elsewhere: {}", created.stdout));
    std::fs::write(dir.join("up.sql"), "CREATE TABLE notes (id int);").unwrap();
    std::fs::write(dir.join("down.sql"), "DROP TABLE notes;").unwrap();

    let up = ok(&sub, &db, &["upgrade"]);
    assert!(up.stdout.contains("_add_notes"), "{}", up.stdout);
    let source_line = up
        .stderr
        .lines()
        .find(|l| l.starts_with("migrations: "))
        .unwrap_or_else(|| panic!("no source line: {}", up.stderr));
    assert!(
        source_line.contains("db/migrations") && source_line.contains("diesel.toml"),
        "{source_line}"
    );
    // The binary's own set differs from this folder: said once.
    assert_eq!(
        up.stderr.matches("not in this binary").count(),
        1,
        "{}",
        up.stderr
    );
    assert!(up
        .stderr
        .contains("2 migrations on disk are not in this binary"));
    let current = ok(&sub, &db, &["current"]);
    assert!(
        current.stdout.trim().ends_with("add_notes (head)"),
        "{}",
        current.stdout
    );
    assert_eq!(db.lines("SELECT count(*)::text AS v FROM notes"), ["0"]);

    let json: Value =
        serde_json::from_str(&ok(&sub, &db, &["--format", "json", "current"]).stdout).unwrap();
    assert_eq!(json["source"]["kind"], "project");
    assert!(json["source"]["path"]
        .as_str()
        .unwrap()
        .ends_with("db/migrations"));
}

#[test]
fn embedded_flag_and_migrations_dir_override_the_project() {
    let p = project();
    let db = TestDb::new();
    // --embedded: the binary's own migrations, whatever the folder holds.
    let embedded = ok(p.path(), &db, &["--embedded", "upgrade"]);
    assert!(
        embedded.stdout.contains("initial_schema") && !embedded.stdout.contains("_first"),
        "{}",
        embedded.stdout
    );
    assert!(embedded
        .stderr
        .contains("migrations: embedded in this binary (--embedded)"));
    let json: Value = serde_json::from_str(
        &ok(
            p.path(),
            &db,
            &["--embedded", "--format", "json", "pending"],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(json["source"]["kind"], "embedded");

    // MIGRATIONS_DIR wins over the project's folder.
    let other = tempfile::tempdir().unwrap();
    crate::support::table_migration(other.path(), "2030-01-01-000000_elsewhere", "elsewhere");
    let db2 = TestDb::new();
    let r = Tool::new()
        .args(["pending"])
        .current_dir(p.path())
        .env("DATABASE_URL", url_for(&db2.name))
        .env("MIGRATIONS_DIR", other.path())
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout.trim(),
        "20300101000000 2030-01-01-000000_elsewhere"
    );
    assert!(r.stderr.contains("MIGRATIONS_DIR"), "{}", r.stderr);
}

#[test]
fn outside_a_project_the_embedded_set_runs_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = TestDb::new();
    let r = ok(dir.path(), &db, &["upgrade"]);
    assert!(r.stdout.contains("initial_schema"), "{}", r.stdout);
    assert!(
        r.stderr.contains("migrations: embedded in this binary"),
        "{}",
        r.stderr
    );
    // -q: only errors.
    let quiet = ok(dir.path(), &db, &["-q", "current"]);
    assert_eq!(quiet.stderr, "");
}

#[test]
fn a_plain_migrations_folder_is_a_project_too_and_a_broken_diesel_toml_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    crate::support::table_migration(
        &dir.path().join("migrations"),
        "2024-02-02-000000_t",
        "t_only",
    );
    let db = TestDb::new();
    ok(dir.path(), &db, &["upgrade"]);
    assert_eq!(db.lines("SELECT count(*)::text AS v FROM t_only"), ["0"]);

    std::fs::write(
        dir.path().join("diesel.toml"),
        "[migrations_directory]\ndir = \"missing\"\n",
    )
    .unwrap();
    let r = run(dir.path(), &db, &["current"]);
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
}
