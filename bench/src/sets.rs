//! The synthetic migration sets.
//!
//! - `realistic-N`: a table of four columns, an index, ten rows; down drops it.
//! - `tiny-N`: a one-column table; down drops it.
//!
//! Versions are 2030-01-01-000000 plus i seconds, so they sort by name and
//! by time. Sizes 10 and 100 are always made (the round-trip counting).

use chrono::{NaiveDate, TimeDelta};
use std::path::Path;

/// Writes `realistic-N` and `tiny-N` under `root` for every size.
pub fn generate(root: &Path, sizes: &[u32]) -> Result<(), String> {
    let mut all: Vec<u32> = sizes.iter().copied().chain([10, 100]).collect();
    all.sort_unstable();
    all.dedup();
    for (kind, make) in [
        ("realistic", realistic as fn(u32) -> (String, String)),
        ("tiny", tiny),
    ] {
        for &n in &all {
            write_set(&root.join(format!("{kind}-{n}")), kind, n, make)?;
        }
    }
    Ok(())
}

fn write_set(
    base: &Path,
    kind: &str,
    n: u32,
    make: fn(u32) -> (String, String),
) -> Result<(), String> {
    let start = NaiveDate::from_ymd_opt(2030, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or("bad start date")?;
    for i in 1..=n {
        let stamp = (start + TimeDelta::seconds(i64::from(i))).format("%Y-%m-%d-%H%M%S");
        let dir = base.join(format!("{stamp}_{kind}_{i:05}"));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let (up, down) = make(i);
        for (file, text) in [("up.sql", up), ("down.sql", down)] {
            std::fs::write(dir.join(file), text).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
    }
    Ok(())
}

/// A realistic migration: a table, an index and ten rows.
fn realistic(i: u32) -> (String, String) {
    let t = format!("bench_item_{i:05}");
    let rows: Vec<String> = (1..=10).map(|r| format!("('item {i}-{r}', {r})")).collect();
    let up = format!(
        "-- realistic migration {i}\n\
         CREATE TABLE {t} (\n    id bigserial PRIMARY KEY,\n    name text NOT NULL,\n    \
         quantity integer NOT NULL DEFAULT 0,\n    created_at timestamptz NOT NULL DEFAULT now()\n);\n\
         CREATE INDEX {t}_name_idx ON {t} (name);\n\
         INSERT INTO {t} (name, quantity) VALUES\n  {};\n",
        rows.join(",\n  ")
    );
    (up, format!("DROP TABLE {t};\n"))
}

/// A tiny migration: one one-column table.
fn tiny(i: u32) -> (String, String) {
    (
        format!("CREATE TABLE tiny_{i:05} (id integer);\n"),
        format!("DROP TABLE tiny_{i:05};\n"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_realistic_migration_is_what_the_suite_always_generated() {
        let (up, down) = realistic(7);
        assert_eq!(
            up,
            "-- realistic migration 7\nCREATE TABLE bench_item_00007 (\n    id bigserial PRIMARY KEY,\n    \
             name text NOT NULL,\n    quantity integer NOT NULL DEFAULT 0,\n    created_at timestamptz \
             NOT NULL DEFAULT now()\n);\nCREATE INDEX bench_item_00007_name_idx ON bench_item_00007 \
             (name);\nINSERT INTO bench_item_00007 (name, quantity) VALUES\n  ('item 7-1', 1),\n  \
             ('item 7-2', 2),\n  ('item 7-3', 3),\n  ('item 7-4', 4),\n  ('item 7-5', 5),\n  \
             ('item 7-6', 6),\n  ('item 7-7', 7),\n  ('item 7-8', 8),\n  ('item 7-9', 9),\n  \
             ('item 7-10', 10);\n"
        );
        assert_eq!(down, "DROP TABLE bench_item_00007;\n");
    }

    #[test]
    fn versions_count_seconds_from_2030() {
        let dir = tempfile::tempdir().unwrap();
        generate(dir.path(), &[]).unwrap();
        assert!(dir
            .path()
            .join("tiny-10/2030-01-01-000010_tiny_00010/up.sql")
            .is_file());
        assert!(dir
            .path()
            .join("realistic-100/2030-01-01-000140_realistic_00100/down.sql")
            .is_file());
    }
}
