//! `verify --jobs N`: the history checked in stretches at once gives the
//! same verdicts, table, round trip and exit code as one pass, wherever
//! the irreversible migrations, rebuilds and failed ups fall.

use crate::support::{run, write_migration, Run, TestDb};
use serde_json::Value;
use std::path::Path;

/// Migrations in the test histories: enough for three stretches of at
/// least 20 (the fewest a stretch checks).
const HISTORY: usize = 240;

/// How migration `i` of a test history misbehaves.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Reversible,
    /// The down forgets an index: a leftover, then up again fails (rebuild).
    ForgetsIndex,
    /// The transactional down fails and rolls back.
    DownFails,
    /// Declared irreversible on purpose.
    Declared,
    /// No down.sql.
    NoDown,
    /// The up fails.
    UpFails,
}

/// A history of [`HISTORY`] table migrations, with `odd` ones misbehaving.
fn history(dir: &Path, odd: &[(usize, Kind)]) {
    for i in 0..HISTORY {
        let kind = odd
            .iter()
            .find(|(at, _)| *at == i)
            .map_or(Kind::Reversible, |(_, kind)| *kind);
        let name = format!("2030-01-01-{i:06}_step {i}");
        let table = format!("t{i:03}");
        let mut up = format!("CREATE TABLE {table} (id int, v text);");
        let mut down = format!("DROP TABLE {table};");
        match kind {
            Kind::Reversible => {}
            Kind::ForgetsIndex => {
                up.push_str(&format!("\nCREATE INDEX ix_{table} ON {table} (v);"));
                down = format!("ALTER TABLE {table} DROP COLUMN id;");
            }
            Kind::DownFails => down = "DROP TABLE no_such_table;".into(),
            Kind::Declared => down = "-- ragchat-migrate: irreversible\n".into(),
            Kind::NoDown => {}
            Kind::UpFails => up = format!("CREATE TABLE {table} (id no_such_type);"),
        }
        write_migration(dir, &name, &up, &down);
        if kind == Kind::NoDown {
            std::fs::remove_file(dir.join(&name).join("down.sql")).unwrap();
        }
    }
}

/// The text and JSON of `verify --jobs N`, with timings and the scratch
/// database's name taken out.
fn verify_with(db: &TestDb, dir: &Path, jobs: &str) -> (Run, String, Value) {
    let text = run(db, Some(dir), &["verify", "--jobs", jobs]);
    let timing = regex::Regex::new(r"\(\d[^()]*s\)").unwrap();
    let shown = timing.replace_all(&text.stdout, "(time)").to_string();
    let json = run(
        db,
        Some(dir),
        &["--format", "json", "verify", "--jobs", jobs],
    );
    assert_eq!(json.code, text.code, "{}", json.stderr);
    let mut json: Value = serde_json::from_str(&json.stdout).unwrap();
    json["scratch_database"] = Value::Null;
    for verdict in json["migrations"].as_array_mut().unwrap() {
        verdict["duration_ms"] = Value::Null;
    }
    json["round_trip"]["duration_ms"] = Value::Null;
    assert!(
        db.scratch_databases().is_empty(),
        "a scratch database was left"
    );
    (text, shown, json)
}

/// `--jobs 1` and `--jobs 3` on the history with `odd`: the same text,
/// JSON and exit code; the JSON of the one pass.
fn same_either_way(odd: &[(usize, Kind)]) -> (Run, Value) {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), odd);
    let (one, one_text, one_json) = verify_with(&db, dir.path(), "1");
    let (three, three_text, three_json) = verify_with(&db, dir.path(), "3");
    assert_eq!(one.code, three.code, "{}\n{}", one.stderr, three.stderr);
    assert_eq!(one_text, three_text);
    assert_eq!(one_json, three_json);
    assert!(db.catalog().is_empty(), "verify touched the target");
    (one, one_json)
}

fn verdicts(json: &Value) -> Vec<String> {
    json["migrations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["verdict"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn stretches_checked_at_once_give_the_verdicts_of_one_pass() {
    // Something odd in each of the three stretches, rebuilds included.
    let odd = [
        (12, Kind::ForgetsIndex),
        (60, Kind::DownFails),
        (101, Kind::Declared),
        (140, Kind::ForgetsIndex),
        (190, Kind::NoDown),
        (215, Kind::ForgetsIndex),
        (228, Kind::Declared),
    ];
    let (r, json) = same_either_way(&odd);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let verdicts = verdicts(&json);
    for (at, kind) in odd {
        let expected = match kind {
            Kind::Declared => "irreversible (declared)",
            _ => "irreversible",
        };
        assert_eq!(verdicts[at], expected, "migration {at}");
    }
    assert_eq!(json["totals"]["reversible"], HISTORY - odd.len());
    assert_eq!(json["totals"]["rebuilds"], 3, "{}", json["totals"]);
    assert_eq!(json["round_trip"]["ok"], true, "{}", json["round_trip"]);
    assert!(
        json["round_trip"]["verdict"]
            .as_str()
            .unwrap()
            .contains("11 migration(s)"),
        "{}",
        json["round_trip"]
    );
}

#[test]
fn an_up_failing_in_a_later_stretch_leaves_the_rest_unchecked() {
    let (r, json) = same_either_way(&[(30, Kind::ForgetsIndex), (150, Kind::UpFails)]);
    assert_eq!(r.code, 3);
    let verdicts = verdicts(&json);
    assert_eq!(verdicts[30], "irreversible");
    assert_eq!(verdicts[149], "reversible");
    assert_eq!(verdicts[150], "up failed");
    assert!(verdicts[151..].iter().all(|v| v == "not checked"));
    assert_eq!(json["totals"]["not_checked"], HISTORY - 151);
    assert_eq!(json["round_trip"]["ok"], false);
}

#[test]
fn an_up_failing_in_the_first_stretch_leaves_everything_after_unchecked() {
    let (_, json) = same_either_way(&[(5, Kind::UpFails), (200, Kind::UpFails)]);
    let verdicts = verdicts(&json);
    assert_eq!(verdicts[5], "up failed");
    assert!(verdicts[6..].iter().all(|v| v == "not checked"));
    assert_eq!(json["totals"]["up_failed"], 1);
}

#[test]
fn keep_after_a_failed_up_keeps_the_database_where_it_failed() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), &[(150, Kind::UpFails)]);
    let r = run(
        &db,
        Some(dir.path()),
        &["--format", "json", "verify", "--jobs", "3", "--keep"],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    let json: Value = serde_json::from_str(&r.stdout).unwrap();
    let name = json["scratch_database"].as_str().unwrap().to_string();
    assert_eq!(db.scratch_databases(), std::slice::from_ref(&name));
    // Dropped with the test, like the test's own database.
    let kept = TestDb { name };
    let tables = kept.lines(
        "SELECT relname::text AS v FROM pg_class WHERE relname IN ('t149', 't150', 't200') \
         ORDER BY 1",
    );
    assert_eq!(tables, ["t149"]);
    // Its owner has exited, but it was kept on purpose: the next command's
    // sweep of abandoned scratch databases leaves it alone.
    let small = tempfile::tempdir().unwrap();
    write_migration(
        small.path(),
        "2030-01-01-000000_one",
        "CREATE TABLE one (id int);",
        "DROP TABLE one;",
    );
    let next = run(&db, Some(small.path()), &["verify"]);
    assert_eq!(next.code, 0, "{}", next.stderr);
    assert!(!next.stderr.contains(&kept.name), "{}", next.stderr);
    assert!(!kept
        .lines("SELECT current_database()::text AS v")
        .is_empty());
}

#[test]
fn a_jobs_value_that_is_not_a_positive_number_is_refused() {
    let db = TestDb::new();
    for bad in ["0", "two", "-1", "", "1.5"] {
        let r = run(&db, None, &["verify", &format!("--jobs={bad}")]);
        assert_eq!(r.code, 2, "--jobs {bad:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains("--jobs"), "{}", r.stderr);
        assert!(r.stderr.contains("fix:"), "{}", r.stderr);
    }
    assert!(db.scratch_databases().is_empty());
}

/// The library's `verify` with a scratch factory that refuses the first
/// `refused` scratch databases asked for after the first (as a server at
/// its connection limit would): those stretches are checked afterwards,
/// alone, and the report is the one pass's.
fn report_with_refusals(
    db: &TestDb,
    dir: &Path,
    jobs: usize,
    refused: usize,
) -> ragchat_migrate::proof::verify::Report {
    use ragchat_migrate::config::database_url::DatabaseUrl;
    use ragchat_migrate::proof::scratch::ScratchDb;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let url = DatabaseUrl::parse(&db.url()).unwrap();
    let target = Mutex::new(db.conn());
    let asked = AtomicUsize::new(0);
    let fresh = || {
        let n = asked.fetch_add(1, Ordering::SeqCst);
        if (1..=refused).contains(&n) {
            return Err(ragchat_migrate::error::Error::Internal(
                "too many connections (refused by the test)".into(),
            ));
        }
        ScratchDb::create(&url, &mut target.lock().unwrap(), 10)
    };
    let source = ragchat_migrate::Source::Directory(dir.to_path_buf());
    let set = ragchat_migrate::MigrationSet::load(&source).unwrap();
    let verified =
        ragchat_migrate::proof::verify::verify(&fresh, &set, 0, jobs, &mut |_| {}).unwrap();
    let mut report = verified.report;
    for verdict in &mut report.migrations {
        verdict.duration_ms = 0.0;
    }
    report.round_trip.duration_ms = 0.0;
    report
}

#[test]
fn a_stretch_refused_its_scratch_database_is_checked_after_the_others() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    history(
        dir.path(),
        &[
            (40, Kind::DownFails),
            (130, Kind::ForgetsIndex),
            (220, Kind::Declared),
        ],
    );
    let one_pass = report_with_refusals(&db, dir.path(), 1, 0);
    let refused = report_with_refusals(&db, dir.path(), 3, 2);
    assert_eq!(one_pass, refused);
    assert_eq!(one_pass.totals.irreversible, 2);
    assert_eq!(one_pass.totals.rebuilds, 1);
    assert!(
        db.scratch_databases().is_empty(),
        "a scratch database was left"
    );
}

#[test]
fn jobs_are_lowered_to_what_the_role_connection_limit_leaves() {
    let db = TestDb::new();
    let url = db.role_url(&format!("rjobs_{}", db.name), "CONNECTION LIMIT 4");
    let dir = tempfile::tempdir().unwrap();
    history(dir.path(), &[(100, Kind::ForgetsIndex)]);
    let r = crate::support::Tool::new()
        .url(&url)
        .migrations(dir.path())
        .args(["verify", "--jobs", "3"])
        .run();
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("--jobs 3 lowered to 1"), "{}", r.stderr);
    assert!(
        r.stdout.contains("FAIL \"2030-01-01-000100_step 100\""),
        "{}",
        r.stdout
    );
    assert!(db.scratch_databases().is_empty());
}
