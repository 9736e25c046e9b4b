//! A long, realistic Diesel history, generated here (names with dashes,
//! spaces and capitals, both version formats, extensions, functions,
//! triggers, a non-transactional index build, irreversible migrations), run
//! side by side with diesel_cli through every command.

use crate::support::diesel_on;

use crate::support::{server, TestDb};
use crate::support::{Run, Tool};
use diesel::migration::MigrationSource;
use diesel::pg::Pg;
use serde_json::Value;
use std::path::Path;

/// Tables the generated history creates, one every few migrations.
const ENTITIES: usize = 24;

fn write(dir: &Path, name: &str, up: &str, down: Option<&str>, no_tx: bool) {
    let m = dir.join(name);
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("up.sql"), up).unwrap();
    if let Some(down) = down {
        std::fs::write(m.join("down.sql"), down).unwrap();
    }
    if no_tx {
        std::fs::write(m.join("metadata.toml"), "run_in_transaction = false\n").unwrap();
    }
}

/// The directory name of the `n`th migration: old-style versions for the
/// first half, `YYYY-MM-DD-HHMMSS-XXXX` after; names in the styles real
/// projects use.
fn dir_name(n: usize, label: &str) -> String {
    let (year, day) = (2014 + n / 12, 1 + n % 12);
    let style = match n % 4 {
        0 => label.replace(' ', "_").to_lowercase(),
        1 => label.replace(' ', "-").to_lowercase(),
        2 => label.to_string(),
        _ => label.replace(' ', ""),
    };
    if n < 60 {
        format!("{year}-{day:02}-15-1{n:05}_{style}")
    } else {
        format!("{year}-{day:02}-15-120000-{n:04}_{style}")
    }
}

/// The history being written: its directory names so far, and the
/// irreversible migrations (undeclared, declared) once written.
struct History<'a> {
    dir: &'a Path,
    names: Vec<String>,
    irreversible: String,
    declared: String,
}

impl History<'_> {
    /// Writes the next migration, named after `label`.
    fn add(&mut self, label: &str, up: &str, down: Option<&str>, no_tx: bool) {
        let name = dir_name(self.names.len(), label);
        write(self.dir, &name, up, down, no_tx);
        self.names.push(name);
    }

    /// The name of the migration written last.
    fn last(&self) -> String {
        self.names.last().unwrap().clone()
    }
}

/// Writes the history; returns (its directory names in order, the
/// undeclared irreversible one, the declared one).
fn generate(dir: &Path) -> (Vec<String>, String, String) {
    let mut h = History {
        dir,
        names: Vec::new(),
        irreversible: String::new(),
        declared: String::new(),
    };
    add_foundations(&mut h);
    for e in 0..ENTITIES {
        add_entity(&mut h, e);
        add_entity_extra(&mut h, e);
    }
    // Not migrations, by Diesel's rule.
    std::fs::write(dir.join("README.md"), "notes").unwrap();
    std::fs::write(dir.join(".keep"), "").unwrap();
    (h.names, h.irreversible, h.declared)
}

/// What every entity needs: extensions, the touch function, the status type.
fn add_foundations(h: &mut History) {
    h.add(
        "Enable Extensions",
        "CREATE EXTENSION IF NOT EXISTS pgcrypto;\nCREATE EXTENSION IF NOT EXISTS pg_trgm;\n\
         CREATE EXTENSION IF NOT EXISTS ltree;",
        Some("DROP EXTENSION ltree;\nDROP EXTENSION pg_trgm;\nDROP EXTENSION pgcrypto;"),
        false,
    );
    h.add(
        "Touch Function",
        "CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$\n\
         BEGIN\n  NEW.updated_at := now();\n  RETURN NEW;\nEND;\n$$;",
        Some("DROP FUNCTION touch_updated_at();"),
        false,
    );
    h.add(
        "Create Status Type",
        "CREATE TYPE entity_status AS ENUM ('new', 'active', 'gone');",
        Some("DROP TYPE entity_status;"),
        false,
    );
}

/// Entity `e`'s table (a child of the one before), its trigger, first row
/// and indexes.
fn add_entity(h: &mut History, e: usize) {
    let parent = if e == 0 {
        String::new()
    } else {
        format!(
            ",\n  parent_id uuid REFERENCES entity_{} (id) ON DELETE CASCADE",
            e - 1
        )
    };
    h.add(
        &format!("Create Entity {e}"),
        &format!(
            "CREATE TABLE entity_{e} (\n  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),\n  \
             title text NOT NULL,\n  path ltree,\n  status entity_status NOT NULL DEFAULT \
             'new',\n  created_at timestamptz NOT NULL DEFAULT now(),\n  updated_at \
             timestamptz NOT NULL DEFAULT now(){parent}\n);\n\
             CREATE TRIGGER entity_{e}_touch BEFORE UPDATE ON entity_{e}\n  FOR EACH ROW \
             EXECUTE FUNCTION touch_updated_at();\n\
             INSERT INTO entity_{e} (title, path) VALUES ('first', 'top.e{e}');"
        ),
        Some(&format!("DROP TABLE entity_{e};")),
        false,
    );
    h.add(
        &format!("Index Entity {e} Titles"),
        &format!(
            "CREATE INDEX entity_{e}_title_trgm ON entity_{e} USING gin (title gin_trgm_ops);\n\
             CREATE INDEX entity_{e}_path ON entity_{e} USING gist (path);"
        ),
        Some(&format!(
            "DROP INDEX entity_{e}_path;\nDROP INDEX entity_{e}_title_trgm;"
        )),
        false,
    );
}

/// One more change to entity `e`, a different kind in turn: a column from
/// an extension, a concurrent index, a view, a function, the two
/// irreversible migrations, a rename.
fn add_entity_extra(h: &mut History, e: usize) {
    match e % 6 {
        0 => h.add(
            &format!("Add Entity {e} Secret"),
            &format!(
                "ALTER TABLE entity_{e} ADD COLUMN secret bytea;\n\
                 UPDATE entity_{e} SET secret = digest(title, 'sha256');"
            ),
            Some(&format!("ALTER TABLE entity_{e} DROP COLUMN secret;")),
            false,
        ),
        1 => h.add(
            &format!("Concurrent Index Entity {e}"),
            &format!("CREATE INDEX CONCURRENTLY entity_{e}_created ON entity_{e} (created_at);"),
            Some(&format!("DROP INDEX CONCURRENTLY entity_{e}_created;")),
            true,
        ),
        2 => h.add(
            &format!("Entity {e} Summary View"),
            &format!(
                "CREATE VIEW entity_{e}_summary AS\n  SELECT status, count(*) AS n FROM \
                 entity_{e} GROUP BY status;"
            ),
            Some(&format!("DROP VIEW entity_{e}_summary;")),
            false,
        ),
        3 => h.add(
            &format!("Entity {e} Title Function"),
            &format!(
                "CREATE FUNCTION entity_{e}_like(q text) RETURNS SETOF entity_{e}\n  \
                 LANGUAGE sql STABLE AS $$ SELECT * FROM entity_{e} WHERE title % q $$;"
            ),
            Some(&format!("DROP FUNCTION entity_{e}_like(text);")),
            false,
        ),
        4 if h.irreversible.is_empty() => {
            // The down puts the column back at the end: another schema.
            h.add(
                &format!("Drop Entity {e} Path"),
                &format!("ALTER TABLE entity_{e} DROP COLUMN path;"),
                Some(&format!("ALTER TABLE entity_{e} ADD COLUMN path ltree;")),
                false,
            );
            h.irreversible = h.last();
        }
        4 if h.declared.is_empty() => {
            h.add(
                &format!("Backfill Entity {e} Titles"),
                &format!("UPDATE entity_{e} SET title = upper(title);"),
                Some(
                    "-- ragchat-migrate: irreversible (a data migration)\n\
                     DO $$ BEGIN RAISE EXCEPTION 'irreversible data migration'; END $$;",
                ),
                false,
            );
            h.declared = h.last();
        }
        _ => h.add(
            &format!("Rename Entity {e} Title"),
            &format!("ALTER TABLE entity_{e} RENAME COLUMN title TO label;"),
            Some(&format!(
                "ALTER TABLE entity_{e} RENAME COLUMN label TO title;"
            )),
            false,
        ),
    }
}

fn diesel_run(db: &TestDb, migrations: &Path) {
    diesel_on(&db.url(), migrations, &["migration", "run"]);
}
fn ours(db: &TestDb, dir: &Path, args: &[&str]) -> Run {
    Tool::new()
        .db(db)
        .migrations(dir)
        .args(args)
        .timeout(std::time::Duration::from_secs(300))
        .run()
}

/// `pg_dump --schema-only` without the ledger tables and the dump's
/// per-run lines.
fn schema_dump(db: &TestDb) -> String {
    let out = Tool::program(server().bins().bin("pg_dump"))
        .args(["--schema-only", "--no-owner", "--no-privileges"])
        .args([
            "--exclude-table=__diesel_schema_migrations",
            "--exclude-table=__ragchat_migrations",
        ])
        .arg(db.url())
        .run();
    assert!(out.code == 0, "{}", out.stderr);
    out.stdout
        .lines()
        .filter(|l| {
            !l.starts_with("--") && !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn psql_file(db: &TestDb, script: &str) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), script).unwrap();
    let out = Tool::program(server().bins().bin("psql"))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
        .arg(file.path())
        .arg(db.url())
        .run();
    assert!(out.code == 0, "psql: {}", out.stderr);
}

fn listing(source: &dyn MigrationSource<Pg>) -> Vec<(String, String)> {
    let mut all: Vec<_> = source
        .migrations()
        .unwrap()
        .iter()
        .map(|m| (m.name().version().to_string(), m.name().to_string()))
        .collect();
    all.sort();
    all
}

#[test]
fn a_long_realistic_history_matches_diesel_through_every_command() {
    let folder = tempfile::tempdir().unwrap();
    let dir = folder.path().join("migrations");
    std::fs::create_dir(&dir).unwrap();
    let (names, irreversible, declared) = generate(&dir);
    assert!(names.len() > 70 && names.iter().any(|n| n.contains(' ')));

    // The folder lists exactly as Diesel's own FileBasedMigrations lists it.
    let ours_listed =
        listing(&ragchat_migrate::migrations::directory::MigrationDirectory::open(&dir).unwrap());
    let diesel_listed = listing(&diesel_migrations::FileBasedMigrations::from_path(&dir).unwrap());
    assert_eq!(ours_listed, diesel_listed);
    assert_eq!(ours_listed.len(), names.len());

    // upgrade == diesel migration run == offline --sql replayed by psql.
    let (by_diesel, by_us, offline) = (TestDb::new(), TestDb::new(), TestDb::new());
    diesel_run(&by_diesel, &dir);
    let up = ours(&by_us, &dir, &["upgrade"]);
    assert_eq!(up.code, 0, "{}{}", up.stdout, up.stderr);
    let script = ours(&offline, &dir, &["upgrade", "--sql"]);
    assert_eq!(script.code, 0, "{}", script.stderr);
    assert!(
        script
            .stdout
            .contains(&format!("-- \"{}\" (up.sql)", names[2])),
        "names with spaces are quoted in --sql comments"
    );
    psql_file(&offline, &script.stdout);
    let expected = schema_dump(&by_diesel);
    assert!(expected.contains("CREATE EXTENSION IF NOT EXISTS ltree"));
    assert_eq!(schema_dump(&by_us), expected, "upgrade differs from diesel");
    assert_eq!(
        schema_dump(&offline),
        expected,
        "--sql replay differs from diesel"
    );

    // check is clean; a diesel-migrated database is taken over cleanly.
    let check = ours(&by_us, &dir, &["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);
    let takeover = ours(&by_diesel, &dir, &["upgrade"]);
    assert_eq!(takeover.code, 0, "{}{}", takeover.stdout, takeover.stderr);
    let check = ours(&by_diesel, &dir, &["check"]);
    assert_eq!(check.code, 0, "{}{}", check.stdout, check.stderr);

    // verify finishes the whole set and names exactly the irreversible one.
    let v = ours(&by_us, &dir, &["--format", "json", "verify"]);
    assert_eq!(v.code, 3, "{}{}", v.stdout, v.stderr);
    let json: Value = serde_json::from_str(&v.stdout).unwrap();
    let verdicts = json["migrations"].as_array().unwrap();
    assert_eq!(verdicts.len(), names.len());
    let with = |word: &str| -> Vec<&str> {
        verdicts
            .iter()
            .filter(|m| m["verdict"] == word)
            .map(|m| m["name"].as_str().unwrap())
            .collect()
    };
    assert_eq!(with("irreversible"), [irreversible.as_str()], "{json}");
    assert_eq!(
        with("irreversible (declared)"),
        [declared.as_str()],
        "{json}"
    );
    assert_eq!(with("reversible").len(), names.len() - 2);
    assert_eq!(json["round_trip"]["ok"], true, "{json}");
    let last_irreversible = irreversible.clone().max(declared.clone());
    assert!(
        json["round_trip"]["name"]
            .as_str()
            .unwrap()
            .contains(&last_irreversible),
        "{json}"
    );
    assert_eq!(json["totals"]["checked"], names.len());
    // The schemas of the targets were not touched.
    assert_eq!(schema_dump(&by_us), expected);
}
