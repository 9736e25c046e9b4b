//! Reaching the database: where the URL comes from (flag, environment,
//! `.env`), its spellings, and the errors of a bad or unreachable one.

use super::*;

use crate::support::{reference_catalog, server, TestDb};
use serde_json::Value;

#[test]
fn global_options_work_after_the_subcommand_too() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        &["upgrade", "--database-url", &url(&db), "--format", "json"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["steps"].as_array().unwrap().len(), 1);
    assert_eq!(v["current"]["head"], true);
}

#[test]
fn seed_env_file_with_the_asyncpg_url_works_unchanged() {
    let db = TestDb::new();
    let project = tempfile::tempdir().unwrap();
    let nested = project.path().join("backend/app");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(
        project.path().join(".env"),
        format!(
            "DATABASE_URL=postgresql+asyncpg://postgres:{PASSWORD}@127.0.0.1:{}/{}\n",
            server().port(),
            db.name
        ),
    )
    .unwrap();
    // dotenvy finds .env in a parent directory.
    let r = run_in(&nested, &["upgrade"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(db.catalog(), reference_catalog());
    // An explicit flag wins over .env.
    let other = TestDb::new();
    let r = run_in(&nested, &["--database-url", &url(&other), "current"]);
    assert_eq!(r.stdout.trim(), "base");
}

#[test]
fn flag_beats_environment_beats_env_file() {
    let good = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "DATABASE_URL=postgres://nobody@127.0.0.1:1/nothing\n",
    )
    .unwrap();
    let out = Tool::new()
        .arg("current")
        .current_dir(dir.path())
        .env("DATABASE_URL", url(&good))
        .run();
    assert!(out.code == 0, "{}", out.stderr);
    let out = Tool::new()
        .args(["--database-url", &url(&good), "current"])
        .current_dir(dir.path())
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/nothing")
        .run();
    assert!(out.code == 0, "{}", out.stderr);
}

#[test]
fn url_spellings_and_conninfo_are_accepted() {
    let db = TestDb::new();
    let port = server().port();
    for u in [
        format!(
            "postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/{}",
            db.name
        ),
        format!(
            "postgresql+psycopg2://postgres:{PASSWORD}@127.0.0.1:{port}/{}",
            db.name
        ),
        format!(
            "postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{port}/{}",
            db.name
        ),
        format!(
            "host=127.0.0.1 port={port} user=postgres password={PASSWORD} dbname={}",
            db.name
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let r = run_in(dir.path(), &["--database-url", &u, "current"]);
        assert_eq!((r.code, r.stdout.trim()), (0, "base"), "{u}: {}", r.stderr);
    }
}

#[test]
fn malformed_urls_are_usage_errors_that_say_why() {
    let dir = tempfile::tempdir().unwrap();
    for (bad, why) in [
        (format!("mysql://u:{PASSWORD}@h/db"), "unsupported scheme"),
        (
            format!("postgresql://u:{PASSWORD}@h:99999/db"),
            "invalid port",
        ),
        ("just words".to_string(), "neither a URL"),
        (format!("host=h password={PASSWORD} nonsense=1"), "nonsense"),
    ] {
        let r = run_in(dir.path(), &["--database-url", &bad, "upgrade"]);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        assert!(
            r.stderr.contains("invalid database URL") && r.stderr.contains(why),
            "{bad}: {}",
            r.stderr
        );
    }
}

#[test]
fn unreachable_server_is_exit_1_with_the_masked_url_and_a_fix() {
    let dir = tempfile::tempdir().unwrap();
    let port = crate::support::server().port() + 1; // nothing listens next to the test server
    let started = std::time::Instant::now();
    let r = run_in(
        dir.path(),
        &[
            "--database-url",
            &format!("postgres://u:{PASSWORD}@127.0.0.1:{port}/db"),
            "--connect-timeout",
            "2",
            "current",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains(&format!("postgres://u:***@127.0.0.1:{port}/db")),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("fix:"), "{}", r.stderr);
    assert!(started.elapsed().as_secs() < 10);
}

#[test]
fn missing_database_is_exit_1_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        &[
            "--database-url",
            &format!(
                "postgres://postgres:{PASSWORD}@127.0.0.1:{}/no_such_db",
                server().port()
            ),
            "current",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("no_such_db") && r.stderr.contains("createdb"),
        "{}",
        r.stderr
    );
}
