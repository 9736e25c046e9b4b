//! Odd migration files are input errors (exit 2, naming the file, nothing
//! changed), never a hang or exit 1; and directory names Diesel accepts
//! (spaces, capitals, dashes) are accepted.

use crate::support::{write_migration, TestDb};
use crate::support::{Run, Tool};
use std::path::Path;
use std::time::Duration;
/// The binary on `db` with the migrations in `dir`; a hang fails the test.
fn run(db: &TestDb, dir: &Path, args: &[&str]) -> Run {
    Tool::new()
        .db(db)
        .migrations(dir)
        .args(args)
        .timeout(Duration::from_secs(20))
        .run()
}

fn tables(db: &TestDb) -> Vec<String> {
    db.lines(
        "SELECT c.relname::text AS v FROM pg_class c JOIN pg_namespace n ON n.oid = \
         c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname NOT LIKE '\\_\\_%' ORDER BY 1",
    )
}

/// A folder with one good migration and one odd `up.sql` made by `odd`.
fn refused(odd: impl FnOnce(&Path)) -> (Run, TestDb) {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    write_migration(
        dir.path(),
        "2030-01-01-000000_good",
        "CREATE TABLE good (id int);",
        "DROP TABLE good;",
    );
    let odd_dir = dir.path().join("2030-01-02-000000_odd");
    std::fs::create_dir(&odd_dir).unwrap();
    std::fs::write(odd_dir.join("down.sql"), "SELECT 1;").unwrap();
    odd(&odd_dir.join("up.sql"));
    let r = run(&db, dir.path(), &["upgrade"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("2030-01-02-000000_odd/up.sql"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("permissions"), "{}", r.stderr);
    assert!(tables(&db).is_empty(), "nothing may change");
    (r, db)
}

#[test]
fn a_fifo_up_sql_is_refused_without_hanging() {
    let (r, _db) = refused(|path| {
        let c = std::ffi::CString::new(path.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    });
    assert!(r.stderr.contains("FIFO"), "{}", r.stderr);
}

#[test]
fn a_device_or_a_directory_as_up_sql_is_refused() {
    let (r, _db) = refused(|path| std::os::unix::fs::symlink("/dev/zero", path).unwrap());
    assert!(r.stderr.contains("a device"), "{}", r.stderr);
    let (r, _db) = refused(|path| std::fs::create_dir(path).unwrap());
    assert!(r.stderr.contains("a directory"), "{}", r.stderr);
}

#[test]
fn a_byte_order_mark_is_refused_and_said_so() {
    let (r, _db) =
        refused(|path| std::fs::write(path, b"\xEF\xBB\xBFCREATE TABLE b (id int);").unwrap());
    assert!(r.stderr.contains("byte order mark"), "{}", r.stderr);
}

#[test]
fn a_nul_byte_is_refused_with_its_line() {
    let (r, _db) = refused(|path| {
        std::fs::write(
            path,
            b"CREATE TABLE n1 (id int);\n\nCREATE TABLE n2\0 (id int);",
        )
        .unwrap()
    });
    assert!(r.stderr.contains("NUL byte at line 3"), "{}", r.stderr);
}

#[test]
fn a_300_character_create_name_is_refused() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let name = "a".repeat(300);
    let r = run(&db, dir.path(), &["create", &name]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("invalid migration name"), "{}", r.stderr);
    assert!(r.stderr.contains("at most 100 characters"), "{}", r.stderr);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn diesel_style_names_with_spaces_and_dashes_run_and_are_quoted() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let spaced = "2019-11-15-182353_Add email notifications to crate owners";
    write_migration(
        dir.path(),
        "2019-01-01-000000_Create-Users",
        "CREATE TABLE users (id int);",
        "DROP TABLE users;",
    );
    write_migration(
        dir.path(),
        spaced,
        "CREATE TABLE notes (id int);",
        "DROP TABLE notes;",
    );
    write_migration(
        dir.path(),
        "2024-05-01-120000-0000_checksum-column",
        "ALTER TABLE notes ADD COLUMN sum text;",
        "ALTER TABLE notes DROP COLUMN sum;",
    );
    // A target may be such a name.
    let r = run(&db, dir.path(), &["upgrade", spaced]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains(&format!("\"{spaced}\"")), "{}", r.stdout);
    assert_eq!(tables(&db), ["notes", "users"]);
    let r = run(&db, dir.path(), &["--format", "json", "current"]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["current"]["name"], spaced, "{json}");
    assert_eq!(run(&db, dir.path(), &["upgrade"]).code, 0);
    assert_eq!(
        db.lines("SELECT version::text AS v FROM __diesel_schema_migrations ORDER BY 1"),
        ["20190101000000", "20191115182353", "202405011200000000"]
    );
    // A failure names the migration in quotes.
    write_migration(
        dir.path(),
        "2025-01-01-000000_Broken Thing",
        "SELECT 1/0;",
        "SELECT 1;",
    );
    let r = run(&db, dir.path(), &["upgrade"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("\"2025-01-01-000000_Broken Thing\""),
        "{}",
        r.stderr
    );
}
