//! `lint` with Squawk's rules, the `upgrade` gate, `--fix`, and `check`'s
//! lint section, against the test server.

use crate::support::Tool;
use crate::support::{write_migration, Run, TestDb};
use std::path::Path;
use std::time::Duration;

const BASE: &str = "2025-01-01-000000_base";

const BASE_SQL: &str = "CREATE TYPE mood AS ENUM ('sad', 'happy');\n\
    CREATE TABLE posts (id bigint PRIMARY KEY, title text, feeling mood);\n\
    CREATE TABLE comments (id bigint PRIMARY KEY, post_id bigint);\n";
fn run_in(cwd: &Path, db: &TestDb, dir: &Path, args: &[&str]) -> Run {
    Tool::new()
        .current_dir(cwd)
        .db(db)
        .migrations(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(120))
        .run()
}

/// A project: a temp dir holding `migrations/` with the base migration
/// applied to a fresh database (a live database receiving new work).
struct Project {
    root: tempfile::TempDir,
    db: TestDb,
}

impl Project {
    fn live() -> Self {
        let p = Self::fresh();
        let r = p.run(&["upgrade"]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        p
    }

    fn fresh() -> Self {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("migrations")).unwrap();
        let p = Project {
            root,
            db: TestDb::new(),
        };
        p.add(BASE, BASE_SQL);
        p
    }

    fn dir(&self) -> std::path::PathBuf {
        self.root.path().join("migrations")
    }

    fn add(&self, name: &str, up: &str) {
        write_migration(&self.dir(), name, up, "SELECT 1;");
    }

    fn run(&self, args: &[&str]) -> Run {
        run_in(self.root.path(), &self.db, &self.dir(), args)
    }

    fn applied(&self) -> Vec<String> {
        self.db
            .lines("SELECT version::text AS v FROM __diesel_schema_migrations ORDER BY version")
    }
}

/// One migration per hazard kind of the issue: rule, line, exit code 3.
#[test]
fn each_hazard_kind_is_found_with_its_rule_line_and_exit_3() {
    let cases: &[(&str, &[&str], &str, &str)] = &[
        (
            "-- speed up lookups\nCREATE INDEX posts_title ON posts (title);\n",
            &[],
            "require-concurrent-index-creation",
            "up.sql:2:1",
        ),
        (
            "SELECT 1;\nALTER TABLE posts ADD COLUMN rank bigint NOT NULL;\n",
            &[],
            "adding-required-field",
            "up.sql:2:19",
        ),
        (
            "\n\nALTER TABLE posts ADD COLUMN score bigint NOT NULL DEFAULT 0;\n",
            &["--pg-version", "10"],
            "adding-field-with-default",
            "up.sql:3:",
        ),
        (
            "ALTER TABLE comments ADD CONSTRAINT comments_post_fk\n  FOREIGN KEY (post_id) REFERENCES posts (id);\n",
            &[],
            "constraint-missing-not-valid",
            "up.sql:1:22",
        ),
        (
            "ALTER TABLE posts ALTER COLUMN title TYPE varchar(50);\n",
            &[],
            "changing-column-type",
            "up.sql:1:",
        ),
        (
            "ALTER TYPE mood ADD VALUE 'meh' AFTER 'sad';\n",
            &["--pg-version", "11"],
            "add-enum-value-in-transaction",
            "up.sql:1:17",
        ),
    ];
    for (sql, flags, rule, position) in cases {
        let p = Project::live();
        p.add("2025-02-01-000000_hazard", sql);
        let mut args = vec!["lint"];
        args.extend_from_slice(flags);
        let r = p.run(&args);
        assert_eq!(r.code, 3, "{rule}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stdout.contains(&format!("error[{rule}]")),
            "{rule}: {}",
            r.stdout
        );
        let located = format!("2025-02-01-000000_hazard/{position}");
        assert!(
            r.stdout.contains(&located),
            "{rule} at {located}: {}",
            r.stdout
        );
        assert!(
            r.stdout.contains("help:"),
            "{rule}: Squawk's help: {}",
            r.stdout
        );
    }
}

#[test]
fn version_dependent_rules_follow_the_connected_server() {
    // The harness runs PostgreSQL 15: a constant default and ADD VALUE in a
    // transaction are fine there, though not on 10 / 11 (tested above).
    let p = Project::live();
    p.add(
        "2025-02-01-000000_ok_on_15",
        "ALTER TYPE mood ADD VALUE 'meh' AFTER 'sad';\n\
         ALTER TABLE posts ADD COLUMN score bigint DEFAULT 0;\n",
    );
    let r = p.run(&["lint", "--format", "json"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        doc["pg_version"].as_str().unwrap().starts_with("15."),
        "{doc}"
    );
    assert_eq!(doc["errors"], 0, "{doc}");
}

#[test]
fn a_table_created_earlier_in_the_same_migration_is_new() {
    let p = Project::live();
    p.add(
        "2025-02-01-000000_new_table",
        "CREATE TABLE tags (id bigint PRIMARY KEY, name text);\n\
         CREATE INDEX tags_name ON tags (name);\n\
         ALTER TABLE tags ADD CONSTRAINT tags_self FOREIGN KEY (id) REFERENCES tags (id);\n",
    );
    let r = p.run(&["lint"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn ignore_comments_silence_a_statement_or_a_file() {
    let p = Project::live();
    p.add(
        "2025-02-01-000000_ignored",
        "-- squawk-ignore require-concurrent-index-creation\n\
         CREATE INDEX posts_title ON posts (title);\n",
    );
    p.add(
        "2025-02-02-000000_file_ignored",
        "-- squawk-ignore-file changing-column-type, add-enum-value-in-transaction\n\
         ALTER TABLE posts ALTER COLUMN title TYPE varchar(50);\n\
         ALTER TYPE mood ADD VALUE 'meh' AFTER 'sad';\n",
    );
    let r = p.run(&["lint", "--pg-version", "11"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("error["), "{}", r.stdout);
    // The same statement without its comment is still found.
    p.add(
        "2025-02-03-000000_not_ignored",
        "CREATE INDEX posts_title2 ON posts (title);\n",
    );
    let r = p.run(&["lint", "--pg-version", "11"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert_eq!(r.stdout.matches("error[").count(), 1, "{}", r.stdout);
}

#[test]
fn squawk_toml_excludes_a_rule_and_an_unknown_rule_is_refused() {
    let p = Project::live();
    p.add(
        "2025-02-01-000000_index",
        "CREATE INDEX posts_title ON posts (title);\n",
    );
    assert_eq!(p.run(&["lint"]).code, 3);
    // Found the usual way: in the current directory or a parent of it.
    std::fs::write(
        p.root.path().join(".squawk.toml"),
        "# reason: tiny tables\nexcluded_rules = [\"require-concurrent-index-creation\"]\n",
    )
    .unwrap();
    let nested = p.root.path().join("src/deep");
    std::fs::create_dir_all(&nested).unwrap();
    let r = run_in(&nested, &p.db, &p.dir(), &["lint"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    std::fs::write(
        p.root.path().join(".squawk.toml"),
        "excluded_rules = [\"no-such-rule\"]\n",
    )
    .unwrap();
    let r = p.run(&["lint"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains(".squawk.toml") && r.stderr.contains("no-such-rule"));
}

#[test]
fn run_in_transaction_false_changes_the_verdict_on_create_index_concurrently() {
    let p = Project::live();
    let name = "2025-02-01-000000_concurrent";
    p.add(
        name,
        "CREATE INDEX CONCURRENTLY posts_title ON posts (title);\n",
    );
    let r = p.run(&["lint"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r
        .stdout
        .contains("error[ban-concurrent-index-creation-in-transaction]"));
    std::fs::write(
        p.dir().join(name).join("metadata.toml"),
        "run_in_transaction = false\n",
    )
    .unwrap();
    let r = p.run(&["lint"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    // The same class: DROP INDEX CONCURRENTLY cannot run in a transaction.
    p.add(
        "2025-02-02-000000_drop",
        "DROP INDEX CONCURRENTLY IF EXISTS posts_title;\n",
    );
    let r = p.run(&["lint"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("error[concurrently-in-transaction]"));
}

#[test]
fn the_upgrade_gate_refuses_on_a_live_database_and_not_from_base() {
    let hazard = "2025-02-01-000000_index";
    let p = Project::live();
    p.add(hazard, "CREATE INDEX posts_title ON posts (title);\n");
    let r = p.run(&["upgrade"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("require-concurrent-index-creation"));
    assert!(r.stderr.contains(hazard) && r.stderr.contains("--no-lint"));
    assert_eq!(p.applied().len(), 1, "nothing ran");
    let r = p.run(&["upgrade", "--no-lint"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(p.applied().len(), 2);

    // From base the whole history applies ungated.
    let fresh = Project::fresh();
    fresh.add(hazard, "CREATE INDEX posts_title ON posts (title);\n");
    let r = fresh.run(&["upgrade"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("require-concurrent"), "{}", r.stderr);
    assert_eq!(fresh.applied().len(), 2);

    // Warnings are printed and the upgrade goes on.
    let w = Project::live();
    w.add(
        "2025-02-01-000000_warn",
        "CREATE TABLE notes (id int PRIMARY KEY);\n",
    );
    let r = w.run(&["upgrade"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("warning[prefer-bigint-over-int]"),
        "{}",
        r.stderr
    );
    assert_eq!(w.applied().len(), 2);
}

#[test]
fn fix_rewrites_a_pending_migration_and_refuses_an_applied_one() {
    let p = Project::live();
    let name = "2025-02-01-000000_index";
    p.add(name, "CREATE INDEX posts_title ON posts (title);\n");
    let r = p.run(&["lint", "--fix"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("fixed") && r.stdout.contains(name),
        "{}",
        r.stdout
    );
    let up = std::fs::read_to_string(p.dir().join(name).join("up.sql")).unwrap();
    assert_eq!(
        up,
        "CREATE INDEX concurrently posts_title ON posts (title);\n"
    );
    let meta = std::fs::read_to_string(p.dir().join(name).join("metadata.toml")).unwrap();
    assert!(meta.contains("run_in_transaction = false"));
    // The fixed migration passes the gate and builds the index.
    let r = p.run(&["upgrade"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        p.db.lines("SELECT indexname::text AS v FROM pg_indexes WHERE indexname = 'posts_title'"),
        ["posts_title"]
    );

    // An applied migration with a fixable finding is never touched.
    let q = Project::fresh();
    q.add(name, "CREATE INDEX posts_title ON posts (title);\n");
    assert_eq!(q.run(&["upgrade"]).code, 0);
    let r = q.run(&["lint", "--all", "--fix"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("applied") && r.stderr.contains(name),
        "{}",
        r.stderr
    );
    let up = std::fs::read_to_string(q.dir().join(name).join("up.sql")).unwrap();
    assert_eq!(up, "CREATE INDEX posts_title ON posts (title);\n");
}

#[test]
fn an_unparseable_file_gives_exit_2_with_its_name_and_position() {
    let p = Project::live();
    let name = "2025-02-01-000000_broken";
    p.add(name, "SELECT 1;\nCREATE TABL oops (;\n");
    let r = p.run(&["lint"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(&format!("{name}/up.sql:2:")),
        "{}",
        r.stdout
    );
    let r = p.run(&["lint", "--format", "json"]);
    assert_eq!(r.code, 2);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(doc["parse_errors"][0]["line"], 2, "{doc}");
}

#[test]
fn all_ranges_since_and_json_select_what_they_say_offline() {
    let p = Project::fresh();
    p.add("2025-02-01-000000_a", "CREATE INDEX a ON posts (title);\n");
    p.add("2025-03-01-000000_b", "CREATE INDEX b ON posts (title);\n");
    p.add("2025-04-01-000000_c", "CREATE INDEX c ON posts (title);\n");
    let offline = |args: &[&str]| {
        // An unreachable URL: these selections must not connect.
        Tool::new()
            .current_dir(p.root.path())
            .args(["--database-url", "postgres://nobody@127.0.0.1:1/none"])
            .migrations(&p.dir())
            .args(args)
            .env("NO_COLOR", "1")
            .run()
    };
    let count = |args: &[&str]| {
        let r = offline(args);
        assert_eq!(r.code, 3, "{args:?}: {}{}", r.stdout, r.stderr);
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let dirs: Vec<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["migration"].as_str().unwrap().to_string())
            .collect();
        (doc["linted"].as_u64().unwrap(), dirs)
    };
    assert_eq!(count(&["lint", "--all", "--format", "json"]).0, 4);
    let (n, dirs) = count(&["lint", "--since", "20250201000000", "--format", "json"]);
    assert_eq!((n, dirs.len()), (2, 2));
    let (n, dirs) = count(&["lint", "2025-02:2025-03", "--format", "json"]);
    assert_eq!((n, dirs), (1, vec!["2025-03-01-000000_b".to_string()]));
    let r = offline(&["lint", "nonsense", "--all"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn check_includes_lint_findings_of_pending_migrations() {
    let p = Project::live();
    p.add(
        "2025-02-01-000000_index",
        "CREATE INDEX posts_title ON posts (title);\n",
    );
    let r = p.run(&["check", "--format", "json"]);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        doc["lint"]["findings"][0]["rule"], "require-concurrent-index-creation",
        "{doc}"
    );
    let r = p.run(&["check"]);
    assert!(r
        .stdout
        .contains("error[require-concurrent-index-creation]"));
}
