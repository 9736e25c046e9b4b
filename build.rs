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
        let file = |f: &str| {
            let p = dir.join(f);
            if p.is_file() {
                format!("Some(include_str!({:?}))", p.display().to_string())
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
