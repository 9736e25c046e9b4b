//! `create`: templates, refused names, and processes racing each other.

use super::*;

use crate::support::{server, TestDb, Tool};
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn create_makes_templates_and_refuses_hostile_or_duplicate_names() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    let r = run_in(dir.path(), &["create", "add_user_timezone"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_one_commented_template(&migrations);
    duplicate_and_hostile_names_are_refused(dir.path(), &migrations);
    no_transaction_writes_metadata(dir.path(), &migrations);
    // What create makes is a valid migration for the toolkit.
    let db = TestDb::new();
    let u = url(&db);
    let r = run_in(
        dir.path(),
        &[
            "--database-url",
            &u,
            "--migrations-dir",
            migrations.to_str().unwrap(),
            "upgrade",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// The folder holds one migration, named by version and
/// `add_user_timezone`, its up.sql only comments, a down.sql and no
/// metadata.toml.
fn assert_one_commented_template(migrations: &Path) {
    let created: Vec<_> = std::fs::read_dir(migrations)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    assert_eq!(created.len(), 1);
    let name = &created[0];
    assert!(
        name.ends_with("_add_user_timezone")
            && name.len() == "YYYY-MM-DD-HHMMSS_add_user_timezone".len(),
        "{name}"
    );
    let up = std::fs::read_to_string(migrations.join(name).join("up.sql")).unwrap();
    assert!(
        up.lines().all(|l| l.is_empty() || l.starts_with("--")),
        "{up}"
    );
    assert!(migrations.join(name).join("down.sql").exists());
    assert!(!migrations.join(name).join("metadata.toml").exists());
}

/// The name already taken, and names that are not plain snake case, exit
/// 2 and write nothing, inside the folder or outside it.
fn duplicate_and_hostile_names_are_refused(root: &Path, migrations: &Path) {
    let dup = run_in(root, &["create", "add_user_timezone"]);
    assert_eq!(dup.code, 2);
    assert!(dup.stderr.contains("already exists"), "{}", dup.stderr);
    for hostile in [
        "../escape",
        "a/b",
        "Upper",
        "with space",
        "",
        "semi;colon",
        "..",
        "x.sql",
    ] {
        let r = run_in(root, &["create", hostile]);
        assert_eq!(r.code, 2, "{hostile:?} was accepted");
        assert!(r.stderr.contains("invalid migration name"), "{}", r.stderr);
    }
    assert!(!root.join("escape").exists());
    assert_eq!(std::fs::read_dir(migrations).unwrap().count(), 1);
}

/// `--no-transaction` writes `run_in_transaction = false` beside the SQL.
fn no_transaction_writes_metadata(root: &Path, migrations: &Path) {
    let r = run_in(root, &["create", "index_concurrently", "--no-transaction"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m = std::fs::read_dir(migrations)
        .unwrap()
        .flatten()
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .ends_with("index_concurrently")
        })
        .unwrap();
    assert_eq!(
        std::fs::read_to_string(m.path().join("metadata.toml"))
            .unwrap()
            .trim(),
        "run_in_transaction = false"
    );
}

/// Starts `create NAME` on `migrations` without waiting for it.
fn spawn_create(migrations: &Path, name: &str) -> Child {
    Tool::new()
        .migrations(migrations)
        .args(["create", name])
        .spawn()
}

/// Whether an entry of `dir` has a name that `test` accepts.
fn any_entry(dir: &Path, test: impl Fn(&str) -> bool) -> bool {
    crate::support::fixtures::count_entries(dir, test) > 0
}

#[test]
fn concurrent_creates_get_distinct_versions_and_complete_folders() {
    let _ = server();
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| load_until_stopped(&migrations, &stop));
        let children: Vec<_> = (0..12)
            .map(|i| spawn_create(&migrations, &format!("racer_{i}")))
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        stop.store(true, Ordering::SeqCst);
        assert!(reader.join().unwrap() > 0);
    });
    twelve_distinct_versions_all_complete(&migrations);
    // The same name twice at once: one wins, the other is told.
    let a = spawn_create(&migrations, "same");
    let b = spawn_create(&migrations, "same");
    let codes = [a, b].map(|c| c.wait_with_output().unwrap().status.code());
    let created = crate::support::fixtures::count_entries(&migrations, |n| n.ends_with("_same"));
    assert!(created >= 1, "{codes:?}");
    assert!(!any_entry(&migrations, |name| name.starts_with('.')));
    // The reservations were made (and removed) beside the folder.
    assert!(!any_entry(dir.path(), |name| name.contains(".creating")));
}

/// A reader loading the folder the whole time never sees half a
/// migration, nor an entry that vanishes under it (Diesel stats every
/// entry it lists, hidden ones included). Returns how many loads it made.
fn load_until_stopped(migrations: &Path, stop: &AtomicBool) -> usize {
    let mut loads = 0;
    while !stop.load(Ordering::SeqCst) {
        let source = ragchat_migrate::Source::Directory(migrations.to_path_buf());
        if let Err(e) = ragchat_migrate::MigrationSet::load(&source) {
            panic!("a reader saw a broken folder: {e}");
        }
        let diesel = diesel_migrations::FileBasedMigrations::from_path(migrations).unwrap();
        let listed =
            diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&diesel).unwrap();
        for m in listed {
            let name = m.name().to_string();
            assert!(
                migrations.join(&name).join("down.sql").is_file(),
                "Diesel listed {name} before it was complete"
            );
        }
        loads += 1;
    }
    loads
}

/// The twelve racers made twelve folders with twelve versions, each with
/// its up.sql and down.sql.
fn twelve_distinct_versions_all_complete(migrations: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(migrations)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 12, "{names:?}");
    let mut versions: Vec<&str> = names.iter().map(|n| n.split('_').next().unwrap()).collect();
    versions.dedup();
    assert_eq!(versions.len(), 12, "{names:?}");
    for n in &names {
        let d = migrations.join(n);
        assert!(
            d.join("up.sql").is_file() && d.join("down.sql").is_file(),
            "{n}"
        );
    }
}
