//! Embeds the text of every migration next to Diesel's `embed_migrations!`.
//!
//! Diesel's embedded migrations can run themselves but do not expose their
//! SQL, and the toolkit needs the text for checksums and offline `--sql`
//! scripts. This script writes `$OUT_DIR/embedded_texts.rs`: one entry per
//! migration directory with `include_str!` of its files, so the binary and
//! Diesel's list are built from the same files in the same compilation.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

fn main() {
    embed_migration_texts();
    if env::var_os("CARGO_FEATURE_BUNDLED_LIBPQ").is_none() {
        provide_libpq_link_name();
    }
}

/// pq-sys links with `-lpq`, which needs the `libpq.so` development symlink
/// from libpq-dev. A machine with only the PostgreSQL server package has the
/// runtime library `libpq.so.5`; point a private `libpq.so` at it so the
/// project builds there too. Does nothing where `libpq.so` already exists.
fn provide_libpq_link_name() {
    const LIB_DIRS: [&str; 6] = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib64",
        "/usr/lib",
        "/usr/local/lib",
        "/usr/local/pgsql/lib",
    ];
    let dirs = LIB_DIRS.iter().map(Path::new);
    if dirs
        .clone()
        .any(|d| d.join("libpq.so").exists() || d.join("libpq.dylib").exists())
    {
        return;
    }
    let Some(runtime) = dirs.map(|d| d.join("libpq.so.5")).find(|p| p.exists()) else {
        return; // pq-sys will report what is missing.
    };
    let link_dir = Path::new(&env::var("OUT_DIR").unwrap()).join("libpq-link");
    let _ = fs::create_dir_all(&link_dir);
    let link = link_dir.join("libpq.so");
    let _ = fs::remove_file(&link);
    if std::os::unix::fs::symlink(&runtime, &link).is_ok() {
        println!("cargo:rustc-link-search=native={}", link_dir.display());
    }
}

fn embed_migration_texts() {
    let root = Path::new(&env::var("CARGO_MANIFEST_DIR").unwrap()).join("migrations");
    // A directory path makes Cargo rerun this script when anything below it changes.
    println!("cargo:rerun-if-changed=migrations");

    let mut dirs: Vec<_> = fs::read_dir(&root)
        .expect("migrations/ must exist")
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir() && !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    dirs.sort();

    let mut out = String::from("&[\n");
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        // Paths are built from CARGO_MANIFEST_DIR when the library compiles,
        // not written out absolute here: a target directory reused by another
        // checkout (a CI cache, a worktree) must not read the old tree.
        let file = |f: &str| {
            if dir.join(f).is_file() {
                format!(
                    "Some(include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {:?})))",
                    format!("/migrations/{name}/{f}")
                )
            } else {
                "None".to_string()
            }
        };
        writeln!(
            out,
            "    EmbeddedText {{ dir_name: {name:?}, up_sql: {}, down_sql: {}, metadata_toml: {} }},",
            file("up.sql"),
            file("down.sql"),
            file("metadata.toml")
        )
        .unwrap();
    }
    out.push(']');
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("embedded_texts.rs");
    fs::write(dest, out).unwrap();
}
