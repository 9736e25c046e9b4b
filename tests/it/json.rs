//! The JSON contract. Every command's `--format json` document is checked
//! against its example in docs/json.md: the fields listed there are read
//! from the document itself, so the documentation and the program cannot
//! drift apart. Run with UX_DUMP=1 to print what each command printed.

use crate::support::project::Project;
use crate::support::{write_migration, TestDb};
use serde_json::Value;
use std::collections::BTreeMap;

/// The documented examples: command name → example document.
fn documented() -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/json.md"))
        .expect("docs/json.md");
    let mut examples = BTreeMap::new();
    let mut name: Option<String> = None;
    let mut block: Option<String> = None;
    for line in text.lines() {
        if let Some(body) = block.as_mut() {
            if line.trim_start().starts_with("```") {
                let doc: Value = serde_json::from_str(body)
                    .unwrap_or_else(|e| panic!("docs/json.md, {name:?}: bad JSON: {e}"));
                examples.insert(name.take().expect("a heading before the example"), doc);
                block = None;
            } else {
                body.push_str(line);
                body.push('\n');
            }
        } else if let Some(heading) = line.strip_prefix("### `") {
            name = Some(heading.trim_end_matches('`').to_string());
        } else if line.trim_start().starts_with("```json") && name.is_some() {
            block = Some(String::new());
        }
    }
    examples
}

/// Checks `actual` against the documented example for `name`: the same
/// top-level fields with the same JSON types (null matches anything), and
/// the same fields in the first element of documented arrays of objects.
fn conforms(name: &str, actual: &Value, docs: &BTreeMap<String, Value>) {
    if std::env::var_os("UX_DUMP").is_some() {
        println!(
            "### `{name}`\n{}",
            serde_json::to_string_pretty(actual).unwrap()
        );
        if !docs.contains_key(name) {
            return;
        }
    }
    let example = docs
        .get(name)
        .unwrap_or_else(|| panic!("docs/json.md has no example for `{name}`"));
    assert_eq!(actual["format_version"], 1, "{name}: {actual}");
    // `create --autogenerate` and `upgrade --sql` are documents of `create`
    // and `upgrade`.
    let expected_command = match name {
        "error" => "upgrade",
        _ => name.split(" --").next().unwrap_or(name),
    };
    assert_eq!(actual["command"], expected_command, "{name}: {actual}");
    same_shape(name, example, actual);
    contract_rules(name, actual);
}

/// The rules of docs/json.md on every value of a document: durations (`_ms`)
/// rounded to 0.1 ms, no `-0.0` anywhere, timestamps (`_at`, `run_on`, and
/// any string that looks like a date and time) RFC 3339 in UTC with `Z`.
fn contract_rules(name: &str, actual: &Value) {
    let text = actual.to_string();
    assert!(
        !text.contains("-0.0,") && !text.contains("-0.0}") && !text.contains("-0.0]"),
        "{name}: -0.0 in {text}"
    );
    walk(actual, &mut |key, value| {
        if let Some(f) = value.as_f64() {
            assert!(
                !(f == 0.0 && f.is_sign_negative()),
                "{name}: {key} = {value} is -0.0"
            );
            if key.ends_with("_ms") {
                assert_eq!(
                    (f * 10.0).round() / 10.0,
                    f,
                    "{name}: {key} = {value} not 0.1 ms"
                );
            }
        }
        let Some(s) = value.as_str() else { return };
        let looks_like_time = s.len() >= 19
            && s.as_bytes()[4] == b'-'
            && s.as_bytes()[7] == b'-'
            && matches!(s.as_bytes()[10], b'T' | b' ')
            && s.as_bytes()[13] == b':';
        if key.ends_with("_at") || key == "run_on" || looks_like_time {
            assert!(
                chrono::DateTime::parse_from_rfc3339(s).is_ok()
                    && s.ends_with('Z')
                    && s.len() == 20,
                "{name}: {key} = {s} is not RFC 3339 UTC (2026-12-02T11:30:28Z)"
            );
        }
    });
}

fn same_shape(path: &str, example: &Value, actual: &Value) {
    let (Value::Object(doc), Value::Object(real)) = (example, actual) else {
        return;
    };
    for key in real.keys() {
        assert!(
            doc.contains_key(key),
            "{path}: field `{key}` is not documented in docs/json.md: {actual}"
        );
    }
    for (key, documented) in doc {
        let got = real
            .get(key)
            .unwrap_or_else(|| panic!("{path}: documented field `{key}` missing in {actual}"));
        let kind = |v: &Value| match v {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        if !documented.is_null() && !got.is_null() {
            assert_eq!(kind(documented), kind(got), "{path}.{key}: {got}");
        }
        match (documented, got) {
            (Value::Array(d), Value::Array(g)) if !d.is_empty() => {
                for (i, item) in g.iter().enumerate() {
                    same_shape(&format!("{path}.{key}[{i}]"), &d[0], item);
                }
            }
            (Value::Object(_), Value::Object(_)) => {
                same_shape(&format!("{path}.{key}"), documented, got);
            }
            _ => {}
        }
    }
}

fn walk(value: &Value, f: &mut dyn FnMut(&str, &Value)) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                f(k, v);
                walk(v, f);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| walk(v, f)),
        _ => {}
    }
}

/// Runs `args` with `--format json` and parses the document.
fn json(p: &Project, db: &TestDb, args: &[&str], code: i32) -> Value {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let r = p.run(db, &all);
    assert_eq!(r.code, code, "{args:?}:\n{}\n{}", r.stdout, r.stderr);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", r.stdout))
}

/// The documented examples, and the names of those a test has checked.
struct Contract {
    docs: BTreeMap<String, Value>,
    seen: Vec<String>,
}

impl Contract {
    /// Checks `doc` against the example for `name` and marks it exercised.
    fn check(&mut self, name: &str, doc: Value) {
        conforms(name, &doc, &self.docs);
        self.seen.push(name.to_string());
    }
}

#[test]
fn every_command_prints_the_documented_json() {
    let mut contract = Contract {
        docs: documented(),
        seen: Vec::new(),
    };
    let p = Project::new(3);
    let db = TestDb::new();
    create_and_offline_sql(&p, &db, &mut contract);
    the_migration_lifecycle(&p, &db, &mut contract);
    create_autogenerate(&p, &db, &mut contract);
    a_failed_upgrade(&p, &db, &mut contract);
    adopt_a_python_database(&p, &mut contract);
    the_dev_cluster(&p, &mut contract);
    // Every documented example was exercised, and every command documented.
    let documented: Vec<&String> = contract.docs.keys().collect();
    for name in &documented {
        assert!(
            contract.seen.contains(name) || name.as_str() == "completions",
            "docs/json.md documents `{name}`, which this test does not run"
        );
    }
}

/// `create` (its migration removed again), then `upgrade --sql`: one
/// document, the script in `sql`.
fn create_and_offline_sql(p: &Project, db: &TestDb, contract: &mut Contract) {
    contract.check("create", json(p, db, &["create", "add_widgets"], 0));
    std::fs::remove_dir_all(
        std::fs::read_dir(p.migrations())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|d| d.to_string_lossy().ends_with("_add_widgets"))
            .unwrap(),
    )
    .unwrap();
    let offline = json(p, db, &["upgrade", "--sql"], 0);
    assert!(
        offline["sql"].as_str().unwrap().contains("CREATE TABLE t1"),
        "{offline}"
    );
    assert_eq!(offline["steps"], 3, "{offline}");
    contract.check("upgrade --sql", offline);
}

/// Every reading and moving command, up to an edited migration accepted
/// and the database reset.
fn the_migration_lifecycle(p: &Project, db: &TestDb, contract: &mut Contract) {
    for (name, args) in [
        ("pending", &["pending"][..]),
        ("upgrade", &["upgrade"]),
        ("current", &["current"]),
        ("history", &["history", "--verbose"]),
        ("show", &["show", "head", "--down"]),
        ("check", &["check"]),
        ("lint", &["lint", "--all"]),
        ("verify", &["verify"]),
        ("downgrade", &["downgrade"]),
        ("redo", &["redo"]),
    ] {
        contract.check(name, json(p, db, args, 0));
    }
    json(p, db, &["upgrade"], 0);
    contract.check("stamp", json(p, db, &["stamp", "-1", "--force"], 0));
    json(p, db, &["stamp", "head"], 0);
    write_migration(
        &p.migrations(),
        "2025-01-01-000000_create_t1",
        "CREATE TABLE t1 (id int); -- a comment",
        "DROP TABLE t1;",
    );
    contract.check("accept", json(p, db, &["accept", "20250101"], 0));
    contract.check("reset", json(p, db, &["reset", "--yes"], 0));
}

/// Writes `sql` as the desired schema and runs `create add_widgets
/// --autogenerate --desired` on it.
fn autogenerate_from(p: &Project, db: &TestDb, desired: &std::path::Path, sql: &str) -> Value {
    std::fs::write(desired, sql).unwrap();
    json(
        p,
        db,
        &[
            "create",
            "add_widgets",
            "--autogenerate",
            "--desired",
            desired.to_str().unwrap(),
        ],
        0,
    )
}

/// create --autogenerate from a desired-schema file: its own example,
/// `desired_from` for the file, `source` for the migrations read; and with
/// nothing to generate, the same document, empty.
fn create_autogenerate(p: &Project, db: &TestDb, contract: &mut Contract) {
    let desired = p.path().join("desired.sql");
    let desired_arg = desired.to_str().unwrap();
    let auto = autogenerate_from(
        p,
        db,
        &desired,
        "CREATE TABLE t1 (id int);\nCREATE TABLE t2 (id int);\nCREATE TABLE t3 (id int);\n\
         CREATE TABLE widgets (id int PRIMARY KEY, name text);\n",
    );
    assert_eq!(auto["desired_from"], desired_arg, "{auto}");
    assert_eq!(auto["source"]["kind"], "migrations_dir", "{auto}");
    for dir in auto["created"].as_array().unwrap() {
        std::fs::remove_dir_all(dir.as_str().unwrap()).unwrap();
    }
    contract.check("create --autogenerate", auto);
    let nothing = autogenerate_from(
        p,
        db,
        &desired,
        "CREATE TABLE t1 (id int);\nCREATE TABLE t2 (id int);\nCREATE TABLE t3 (id int);\n",
    );
    assert_eq!(nothing["nothing_to_generate"], true, "{nothing}");
    assert_eq!(nothing["created"].as_array().unwrap().len(), 0, "{nothing}");
    conforms("create --autogenerate", &nothing, &contract.docs);
}

/// A failed run: the step before the failure, and the one that failed.
fn a_failed_upgrade(p: &Project, db: &TestDb, contract: &mut Contract) {
    write_migration(
        &p.migrations(),
        "2025-01-03-000000_create_t3",
        "CREATE TABLE t3 (id int);\nSELECT * FROM missing;",
        "DROP TABLE t3;",
    );
    let failed = json(p, db, &["upgrade"], 1);
    assert_eq!(failed["ok"], false);
    assert_eq!(failed["exit_code"], 1);
    assert_eq!(failed["steps"].as_array().unwrap().len(), 2, "{failed}");
    assert_eq!(failed["failed"]["name"], "2025-01-03-000000_create_t3");
    assert_eq!(failed["failed"]["line"], 2);
    contract.check("error", failed);
}

/// adopt: a database the Python system made (the embedded migrations).
fn adopt_a_python_database(p: &Project, contract: &mut Contract) {
    let alembic = TestDb::new();
    use diesel::connection::SimpleConnection;
    alembic
        .conn()
        .batch_execute(include_str!("../data/alembic_001.sql"))
        .unwrap();
    let r = crate::support::project::run(
        p.path(),
        Some(&alembic),
        None,
        // The embedded migrations, not the project's folder around it.
        &["--embedded", "--format", "json", "adopt"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    contract.check("adopt", serde_json::from_str(&r.stdout).unwrap());
}

/// dev: the local cluster, in a directory of the test's own.
fn the_dev_cluster(p: &Project, contract: &mut Contract) {
    let dev = |args: &[&str]| {
        let mut all = vec!["--format", "json", "dev"];
        all.extend_from_slice(args);
        let r = crate::support::project::configured(p.path(), None, None)
            .env("RAGCHAT_DEV_DIR", p.path().join("dev"))
            .args(&all)
            .run();
        assert_eq!(r.code, 0, "dev {args:?}: {}", r.stderr);
        serde_json::from_str::<Value>(&r.stdout).unwrap()
    };
    for (name, args) in [
        ("dev start", &["start"][..]),
        ("dev url", &["url"]),
        ("dev status", &["status"]),
        ("dev stop", &["stop"]),
        ("dev destroy", &["destroy", "--yes"]),
    ] {
        contract.check(name, dev(args));
    }
}
