//! `create NAME --autogenerate`, from the Diesel models and from a
//! desired-schema SQL file, proven on a scratch database before anything is
//! written; then `upgrade`, `verify` and the real `diesel print-schema`.

use crate::support::Tool;
use crate::support::{copy_of_this_project, crate_dir};
use crate::support::{Run, TestDb};
use diesel::connection::SimpleConnection;
use ragchat_migrate::autogen::models::ModelSchema;
use ragchat_migrate::proof::catalog;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
fn run(db: &TestDb, root: &Path, args: &[&str]) -> Run {
    Tool::new()
        .db(db)
        .migrations(&root.join("migrations"))
        .args(args)
        .current_dir(root)
        .run()
}

fn migration_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root.join("migrations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    dirs.sort();
    dirs
}

/// The migration directories written since `before` was listed.
fn created_since(root: &Path, before: &[PathBuf]) -> Vec<PathBuf> {
    migration_dirs(root)
        .into_iter()
        .filter(|d| !before.contains(d))
        .collect()
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

fn initial_up() -> String {
    std::fs::read_to_string(crate_dir().join("migrations/2025-10-21-000000_initial_schema/up.sql"))
        .unwrap()
}

/// Tables (name, primary key, sorted columns) and joinables.
type Normalised = (
    Vec<(String, Vec<String>, Vec<String>)>,
    BTreeSet<(String, String, String)>,
);

/// A model as (table -> sorted columns), joinables and primary keys: what
/// "equal up to column order within a table" compares.
fn normalised(model: &ModelSchema) -> Normalised {
    let tables = model
        .tables
        .values()
        .map(|t| {
            let mut cols: Vec<String> = t
                .columns
                .iter()
                .map(|c| {
                    format!(
                        "{} {} {:?} {}",
                        c.name, c.sql_type, c.max_length, c.nullable
                    )
                })
                .collect();
            cols.sort();
            (t.name.clone(), t.primary_key.clone(), cols)
        })
        .collect();
    (tables, model.joinables.iter().cloned().collect())
}
fn print_schema(db: &TestDb, root: &Path) -> String {
    crate::support::print_schema(&db.url(), root)
}

#[test]
fn models_route_generates_a_migration_that_print_schema_and_verify_accept() {
    let db = TestDb::new();
    let dir = copy_of_this_project();
    let root = dir.path();
    let schema = root.join("src/schema.rs");
    // A column with #[max_length], a nullability change, a dropped column
    // in the middle of a table, a new table with a foreign key, a new label.
    edit(&schema, "        hashed_password -> Varchar,\n", "        hashed_password -> Varchar,\n        #[max_length = 64]\n        timezone -> Nullable<Varchar>,\n");
    edit(
        &schema,
        "        title -> Nullable<Varchar>,",
        "        title -> Varchar,",
    );
    edit(&schema, "        content -> Text,\n        metadata -> Nullable<Jsonb>,\n        created_at -> Timestamp,\n    }", "        content -> Text,\n        created_at -> Timestamp,\n    }");
    edit(&schema, "diesel::joinable!(conversations -> users (user_id));", "diesel::table! {\n    tags (id) {\n        id -> Int4,\n        document_id -> Uuid,\n        #[max_length = 50]\n        label -> Varchar,\n    }\n}\n\ndiesel::joinable!(conversations -> users (user_id));\ndiesel::joinable!(tags -> documents (document_id));");
    edit(
        &root.join("src/models.rs"),
        "    Failed,\n}",
        "    Failed,\n    /// Kept for the record.\n    Archived,\n}",
    );
    let before = migration_dirs(root);
    let out = run(&db, root, &["create", "model_changes", "--autogenerate"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let created = created_since(root, &before);
    assert_eq!(created.len(), 1, "{created:?}");
    let up = std::fs::read_to_string(created[0].join("up.sql")).unwrap();
    assert!(
        up.contains("ALTER TABLE users ADD COLUMN timezone varchar(64);"),
        "{up}"
    );
    assert!(
        up.contains("ALTER TYPE document_status ADD VALUE 'archived';"),
        "{up}"
    );
    assert!(up.contains("-- WARNING: drops column messages.metadata and its data\n-- squawk-ignore ban-drop-column\nALTER TABLE messages DROP COLUMN metadata;"), "{up}");
    assert!(up.find("CREATE TABLE tags").unwrap() < up.len());
    assert!(
        up.contains("FOREIGN KEY (document_id) REFERENCES documents(id)"),
        "{up}"
    );
    assert!(
        out.stderr.contains("drops column messages.metadata"),
        "{}",
        out.stderr
    );
    assert!(
        db.scratch_databases().is_empty(),
        "scratch databases left behind"
    );

    let out = run(&db, root, &["upgrade"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let printed = ModelSchema::parse(&print_schema(&db, root)).unwrap();
    let edited = ModelSchema::parse(&std::fs::read_to_string(&schema).unwrap()).unwrap();
    assert_eq!(normalised(&printed), normalised(&edited));
    let out = run(&db, root, &["verify"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    // Now the models and the migrations agree.
    let out = run(&db, root, &["create", "again", "--autogenerate"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("nothing to generate"), "{}", out.stdout);
}

fn desired_file(root: &Path) -> PathBuf {
    let mut sql = initial_up()
        .replace(
            "'completed', 'failed');",
            "'completed', 'failed', 'archived');",
        )
        .replace(
            "num_chunks integer NOT NULL DEFAULT 0",
            "num_chunks integer NOT NULL DEFAULT 1",
        )
        // A new column in the middle of a table: the columns after it move.
        .replace(
            "    content text NOT NULL,\n    metadata jsonb,",
            "    content text NOT NULL,\n    summary text,\n    metadata jsonb,",
        );
    sql.push_str(
        "\nALTER TABLE documents ADD CONSTRAINT ck_documents_num_chunks CHECK (num_chunks >= 0);\n\
         CREATE INDEX ix_documents_pool_status ON documents (knowledge_pool_id, created_at DESC) WHERE status <> 'failed';\n\
         CREATE INDEX CONCURRENTLY ix_messages_created_at ON messages (created_at);\n",
    );
    let path = root.join("desired.sql");
    std::fs::write(&path, sql).unwrap();
    path
}

#[test]
fn desired_route_gives_the_desired_catalog_after_upgrade() {
    let db = TestDb::new();
    let dir = copy_of_this_project();
    let root = dir.path();
    assert!(initial_up().contains("num_chunks integer NOT NULL DEFAULT 0"));
    let desired = desired_file(root);
    let before = migration_dirs(root);
    let out = run(
        &db,
        root,
        &[
            "--format",
            "json",
            "create",
            "tune_documents",
            "--autogenerate",
            "--desired",
            desired.to_str().unwrap(),
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_desired_report(&report, &desired, root);
    let created = created_since(root, &before);
    assert_concurrent_index_apart(&created);

    let out = run(&db, root, &["upgrade"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_catalog_is_desired(&db, &desired);
    let out = run(&db, root, &["verify"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
}

/// The JSON report of `create --autogenerate --desired`: the changed
/// default listed, two migrations created, `desired_from` the file and
/// `source` the migrations read.
fn assert_desired_report(report: &Value, desired: &Path, root: &Path) {
    let changes: Vec<&str> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        changes.contains(&"~ column documents.num_chunks default 0 -> 1"),
        "{changes:?}"
    );
    assert_eq!(report["created"].as_array().unwrap().len(), 2, "{report}");
    // `desired_from` is the desired schema; `source` keeps its one meaning
    // everywhere: the migrations that were read (docs/json.md).
    assert_eq!(
        report["desired_from"],
        desired.to_str().unwrap(),
        "{report}"
    );
    assert_eq!(report["source"]["kind"], "migrations_dir", "{report}");
    assert_eq!(
        report["source"]["path"],
        root.join("migrations").to_str().unwrap(),
        "{report}"
    );
}

/// Two migrations were written, and the concurrent index is a migration of
/// its own, outside a transaction; the first warns of the moved column.
fn assert_concurrent_index_apart(created: &[PathBuf]) {
    assert_eq!(created.len(), 2);
    assert!(!created[0].join("metadata.toml").exists());
    assert_eq!(
        std::fs::read_to_string(created[1].join("metadata.toml")).unwrap(),
        "run_in_transaction = false\n"
    );
    let up2 = std::fs::read_to_string(created[1].join("up.sql")).unwrap();
    assert_eq!(up2.matches(';').count(), 1, "{up2}");
    assert!(
        up2.contains("CREATE INDEX CONCURRENTLY ix_messages_created_at ON messages (created_at);")
    );
    let up1 = std::fs::read_to_string(created[0].join("up.sql")).unwrap();
    assert!(!up1.contains("CONCURRENTLY"), "{up1}");
    assert!(
        up1.contains("-- WARNING: moves messages.metadata to keep the column order"),
        "{up1}"
    );
}

/// `db` has the catalog of a database built straight from the desired
/// file.
fn assert_catalog_is_desired(db: &TestDb, desired: &Path) {
    let reference = TestDb::new();
    reference
        .conn()
        .batch_execute(
            &std::fs::read_to_string(desired)
                .unwrap()
                .replace("CONCURRENTLY ", ""),
        )
        .unwrap();
    let want = catalog::snapshot(&mut reference.conn()).unwrap();
    let got = catalog::snapshot(&mut db.conn()).unwrap();
    let diff: Vec<String> = want.diff(&got).iter().map(ToString::to_string).collect();
    assert!(diff.is_empty(), "{diff:#?}");
}

#[test]
fn no_difference_gives_nothing_to_generate_and_writes_nothing() {
    let db = TestDb::new();
    let dir = copy_of_this_project();
    let root = dir.path();
    std::fs::write(root.join("same.sql"), initial_up()).unwrap();
    let before = migration_dirs(root);
    for args in [
        vec![
            "create",
            "nothing",
            "--autogenerate",
            "--desired",
            "same.sql",
        ],
        vec!["create", "nothing", "--autogenerate"],
    ] {
        let out = run(&db, root, &args);
        assert_eq!(out.code, 0, "{args:?}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("nothing to generate"), "{}", out.stdout);
        assert_eq!(migration_dirs(root), before);
    }
}

#[test]
fn differences_the_route_cannot_express_are_refused_with_nothing_written() {
    let db = TestDb::new();
    let dir = copy_of_this_project();
    let root = dir.path();
    let before = migration_dirs(root);
    // A primary-key change in the models.
    edit(
        &root.join("src/schema.rs"),
        "    users (id) {",
        "    users (email) {",
    );
    let out = run(&db, root, &["create", "new_key", "--autogenerate"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("primary key of users"),
        "{}",
        out.stderr
    );
    assert_eq!(migration_dirs(root), before);
    // A domain, and a removed enum label, in a desired file.
    let sql = initial_up().replace("'todo', 'note', 'journal'", "'todo', 'note'")
        + "\nCREATE DOMAIN email_address AS text CHECK (VALUE LIKE '%@%');\n";
    std::fs::write(root.join("d.sql"), sql).unwrap();
    let out = run(
        &db,
        root,
        &["create", "domain", "--autogenerate", "--desired", "d.sql"],
    );
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("domain email_address"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("enum scratchpad_entry_type labels"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("ALTER TYPE scratchpad_entry_type RENAME TO"),
        "{}",
        out.stderr
    );
    assert_eq!(migration_dirs(root), before);
    // --force writes the rest, with the rest as -- TODO comments.
    let out = run(
        &db,
        root,
        &[
            "create",
            "domain",
            "--autogenerate",
            "--desired",
            "d.sql",
            "--force",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let created = created_since(root, &before);
    let up = std::fs::read_to_string(created[0].join("up.sql")).unwrap();
    assert!(
        up.contains("-- TODO: domain email_address not generated"),
        "{up}"
    );
}

#[test]
fn a_missing_desired_file_is_bad_input() {
    let db = TestDb::new();
    let dir = copy_of_this_project();
    let out = run(
        &db,
        dir.path(),
        &["create", "x", "--autogenerate", "--desired", "nope.sql"],
    );
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("nope.sql"), "{}", out.stderr);
    let out = run(&db, dir.path(), &["create", "Bad Name", "--autogenerate"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

/// The normal developer loop on a database at head: edit the models,
/// autogenerate, `upgrade` through the lint gate (no --no-lint), `verify`.
/// The hazards the developer asked for are acknowledged in the file and
/// listed for review; none is left for the gate to refuse.
#[test]
fn autogenerated_migration_passes_the_upgrade_lint_gate_on_a_database_at_head() {
    let db = TestDb::new();
    let dir = copy_of_this_project();
    let root = dir.path();
    std::fs::copy(crate_dir().join(".squawk.toml"), root.join(".squawk.toml")).unwrap();
    let out = run(&db, root, &["upgrade"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let schema = root.join("src/schema.rs");
    edit_models_as_a_developer_would(&schema);
    let before = migration_dirs(root);
    let out = run(
        &db,
        root,
        &[
            "--format",
            "json",
            "create",
            "loop_changes",
            "--autogenerate",
        ],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_hazards_acknowledged(&out);
    let created = created_since(root, &before);
    assert_eq!(created.len(), 1, "{created:?}");
    let up = std::fs::read_to_string(created[0].join("up.sql")).unwrap();
    assert!(
        up.contains("-- WARNING: drops column messages.metadata and its data\n-- squawk-ignore ban-drop-column\nALTER TABLE messages DROP COLUMN metadata;"),
        "{up}"
    );

    let out = run(&db, root, &["--format", "json", "lint"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let lint: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(lint["errors"], 0, "{lint}");
    assert_eq!(lint["linted"], 1, "{lint}");

    let out = run(&db, root, &["upgrade"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_file_size_widened_and_metadata_dropped(&db);
    let out = run(&db, root, &["verify"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let printed = ModelSchema::parse(&print_schema(&db, root)).unwrap();
    let edited = ModelSchema::parse(&std::fs::read_to_string(&schema).unwrap()).unwrap();
    assert_eq!(normalised(&printed), normalised(&edited));
}

/// A dropped column, a type change, a nullability change, a column with a
/// foreign key on an existing table, a new table with a foreign key.
fn edit_models_as_a_developer_would(schema: &Path) {
    edit(
        schema,
        "        content -> Text,\n        metadata -> Nullable<Jsonb>,\n",
        "        content -> Text,\n        document_id -> Nullable<Uuid>,\n",
    );
    edit(
        schema,
        "        file_size -> Nullable<Int4>,",
        "        file_size -> Nullable<Int8>,",
    );
    edit(
        schema,
        "        title -> Nullable<Varchar>,",
        "        title -> Varchar,",
    );
    edit(schema, "diesel::joinable!(conversations -> users (user_id));", "diesel::table! {\n    tags (id) {\n        id -> Int4,\n        document_id -> Uuid,\n        #[max_length = 50]\n        label -> Varchar,\n    }\n}\n\ndiesel::joinable!(conversations -> users (user_id));\ndiesel::joinable!(tags -> documents (document_id));\ndiesel::joinable!(messages -> documents (document_id));");
}

/// The JSON document and the report on stderr acknowledge the dropped
/// column and the type change.
fn assert_hazards_acknowledged(out: &Run) {
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let rules: BTreeSet<&str> = doc["acknowledged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["rule"].as_str().unwrap())
        .collect();
    for rule in ["ban-drop-column", "changing-column-type"] {
        assert!(rules.contains(rule), "{rule} not acknowledged: {doc}");
    }
    assert!(out.stderr.contains("acknowledged"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("ban-drop-column: ALTER TABLE messages DROP COLUMN metadata;"),
        "{}",
        out.stderr
    );
}

/// After `upgrade`, documents.file_size is a bigint and messages.metadata
/// is gone.
fn assert_file_size_widened_and_metadata_dropped(db: &TestDb) {
    assert_eq!(
        db.lines(
            "SELECT data_type::text AS v FROM information_schema.columns \
             WHERE table_name = 'documents' AND column_name = 'file_size'"
        ),
        ["bigint"]
    );
    assert!(db
        .lines(
            "SELECT column_name::text AS v FROM information_schema.columns \
             WHERE table_name = 'messages' AND column_name = 'metadata'"
        )
        .is_empty());
}
