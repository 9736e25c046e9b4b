//! Migration folders and reference data the tests build on.

use diesel::prelude::*;
use ragchat_migrate::models::{NewUser, User};
use ragchat_migrate::schema::users;
use std::path::Path;

/// The 95 reference facts of the RAG chat schema.
pub fn reference_catalog() -> Vec<String> {
    include_str!("../../data/rag_schema.catalog")
        .lines()
        .map(str::to_string)
        .collect()
}

/// Writes a migration directory with its up.sql and down.sql.
pub fn write_migration(dir: &Path, name: &str, up: &str, down: &str) {
    let m = dir.join(name);
    std::fs::create_dir_all(&m).unwrap();
    std::fs::write(m.join("up.sql"), up).unwrap();
    std::fs::write(m.join("down.sql"), down).unwrap();
}

/// A migration that creates table `table (id int)` and whose down drops it.
pub fn table_migration(dir: &Path, name: &str, table: &str) {
    write_migration(
        dir,
        name,
        &format!("CREATE TABLE {table} (id int);"),
        &format!("DROP TABLE {table};"),
    );
}

/// Inserts user `name` (`name@example.com`) through the models.
pub fn new_user(conn: &mut PgConnection, name: &str) -> User {
    diesel::insert_into(users::table)
        .values(NewUser {
            email: &format!("{name}@example.com"),
            username: name,
            hashed_password: "$argon2id$hash",
        })
        .returning(User::as_returning())
        .get_result(conn)
        .expect("insert user")
}

/// The crate's own directory.
pub fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of this crate's project files: migrations/, diesel.toml, src/schema.rs, src/models.rs.
pub fn copy_of_this_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::create_dir_all(root.join("migrations")).unwrap();
    for entry in std::fs::read_dir(crate_dir().join("migrations")).unwrap() {
        let entry = entry.unwrap();
        let to = root.join("migrations").join(entry.file_name());
        std::fs::create_dir_all(&to).unwrap();
        for file in std::fs::read_dir(entry.path()).unwrap() {
            let file = file.unwrap();
            std::fs::copy(file.path(), to.join(file.file_name())).unwrap();
        }
    }
    std::fs::copy(crate_dir().join("diesel.toml"), root.join("diesel.toml")).unwrap();
    for f in ["src/schema.rs", "src/models.rs"] {
        std::fs::copy(crate_dir().join(f), root.join(f)).unwrap();
    }
    dir
}

/// How many entries of `dir` have a name that passes `test`.
pub fn count_entries(dir: &Path, test: impl Fn(&str) -> bool) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| test(&e.as_ref().unwrap().file_name().to_string_lossy()))
        .count()
}
