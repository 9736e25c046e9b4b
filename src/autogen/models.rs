//! The Diesel models as a desired schema: `schema.rs` (`table!`,
//! `diesel::table!`, `joinable!` and the `sql_types` enum types, as
//! `diesel print-schema` writes them and a developer edits them) and the
//! `DbEnum` enums next to it, which give an enum type its labels.
//!
//! What `schema.rs` cannot say (defaults, indexes, check constraints,
//! `ON DELETE`) is taken from the migrations' schema unchanged; a
//! primary-key change and types it has no mapping for are reported, not
//! guessed ([`ModelSchema::desired_snapshot`], in `models_diff.rs`).

use super::models_text::{
    attribute_value, macro_bodies, parse_table, rust_enums, sql_types, styled, table_name,
};
pub use super::models_text::{ModelColumn, ModelTable};
use super::names::quote;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Everything read from the models.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelSchema {
    /// Tables by catalog name.
    pub tables: BTreeMap<String, ModelTable>,
    /// `joinable!(child -> parent (column))` as (child, parent, column).
    pub joinables: Vec<(String, String, String)>,
    /// `sql_types` structs: Rust name -> PostgreSQL type name (as the catalog prints it).
    pub enum_types: BTreeMap<String, String>,
    /// Labels of enum types (PostgreSQL name) from `DbEnum` enums.
    pub enum_labels: BTreeMap<String, Vec<String>>,
    /// diesel.toml's `[print_schema] filter`: `only_tables` and
    /// `except_tables` patterns (regular expressions, as Diesel reads them).
    pub only_tables: Vec<String>,
    /// See `only_tables`.
    pub except_tables: Vec<String>,
}

/// The models file: diesel.toml's `[print_schema] file` under `root`, else
/// `src/schema.rs`.
pub fn locate(root: PathBuf) -> Result<PathBuf> {
    let configured = std::fs::read_to_string(root.join("diesel.toml"))
        .ok()
        .and_then(|t| t.parse::<toml::Table>().ok())
        .and_then(|t| {
            t.get("print_schema")?
                .get("file")?
                .as_str()
                .map(str::to_string)
        });
    let path = root.join(configured.unwrap_or_else(|| "src/schema.rs".into()));
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::Usage(format!(
            "no models file at {}; fix: run in the project, pass --schema FILE.rs, or \
             --desired FILE.sql",
            path.display()
        )))
    }
}

impl ModelSchema {
    /// Reads diesel.toml's `[print_schema] filter` under `root`: tables it
    /// leaves out of `schema.rs` are not the models' business (never dropped).
    pub fn read_filter(&mut self, root: &Path) -> Result<()> {
        let Some(filter) = std::fs::read_to_string(root.join("diesel.toml"))
            .ok()
            .and_then(|t| t.parse::<toml::Table>().ok())
            .and_then(|t| t.get("print_schema")?.get("filter").cloned())
        else {
            return Ok(());
        };
        let list = |key: &str| -> Vec<String> {
            filter
                .get(key)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        self.only_tables = list("only_tables");
        self.except_tables = list("except_tables");
        for p in self.only_tables.iter().chain(&self.except_tables) {
            regex::Regex::new(p).map_err(|e| {
                Error::Usage(format!(
                    "diesel.toml: filter pattern {p:?} is not a regular expression: {e}"
                ))
            })?;
        }
        Ok(())
    }

    /// True when `schema.rs` would list `table` (a name as the catalog
    /// prints it), by the diesel.toml filter.
    pub fn speaks_for(&self, table: &str) -> bool {
        let bare = super::names::unquote_parts(table).pop().unwrap_or_default();
        let matches = |patterns: &[String]| {
            patterns
                .iter()
                .any(|p| regex::Regex::new(p).is_ok_and(|r| r.is_match(&bare)))
        };
        (self.only_tables.is_empty() || matches(&self.only_tables)) && !matches(&self.except_tables)
    }

    /// Reads `schema.rs` and the `DbEnum` enums of the `.rs` files beside it.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path.display(), e))?;
        let mut model = Self::parse(&text)
            .map_err(|reason| Error::Usage(format!("cannot read {}: {reason}", path.display())))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut files = Vec::new();
        rust_files(dir, 4, &mut files);
        files.sort();
        for f in &files {
            if let Ok(source) = std::fs::read_to_string(f) {
                model.read_enums(&source);
            }
        }
        Ok(model)
    }

    /// Parses the text of a `schema.rs`.
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        let mut model = ModelSchema {
            enum_types: sql_types(text),
            ..ModelSchema::default()
        };
        for body in macro_bodies(text, "table!") {
            let table = parse_table(&body)?;
            model.tables.insert(table.name.clone(), table);
        }
        for body in macro_bodies(text, "joinable!") {
            let (child, rest) = body
                .split_once("->")
                .ok_or_else(|| format!("joinable!({body}) has no ->"))?;
            let (parent, column) = rest
                .split_once('(')
                .ok_or_else(|| format!("joinable!({body}) has no (column)"))?;
            model.joinables.push((
                table_name(child.trim()),
                table_name(parent.trim()),
                quote(column.trim().trim_end_matches(')').trim()),
            ));
        }
        Ok(model)
    }

    /// Adds the labels of `DbEnum` enums found in `source` whose
    /// `ExistingTypePath` (or `PgType`) names one of the enum types.
    fn read_enums(&mut self, source: &str) {
        for (attrs, name, variants) in rust_enums(source) {
            if !attrs.contains("DbEnum") {
                continue;
            }
            let pg = attribute_value(&attrs, "ExistingTypePath")
                .and_then(|p| {
                    self.enum_types
                        .get(p.rsplit("::").next().unwrap_or(&p))
                        .cloned()
                })
                .or_else(|| attribute_value(&attrs, "PgType"))
                .or_else(|| self.enum_types.get(&name).cloned());
            let Some(pg) = pg else { continue };
            let style =
                attribute_value(&attrs, "DbValueStyle").unwrap_or_else(|| "snake_case".into());
            let labels = variants
                .iter()
                .map(|(vattrs, v)| {
                    attribute_value(vattrs, "db_rename").unwrap_or_else(|| styled(v, &style))
                })
                .collect();
            self.enum_labels.insert(pg, labels);
        }
    }
}

/// The `.rs` files under `dir`, down to `depth` levels (the models may live
/// in `src/models/*.rs`).
fn rust_files(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
        if path.is_dir() && depth > 0 {
            rust_files(&path, depth - 1, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_project_schema() {
        let model = ModelSchema::parse(include_str!("../schema.rs")).unwrap();
        assert_eq!(model.tables.len(), 7);
        let docs = &model.tables["documents"];
        assert_eq!(docs.primary_key, ["id"]);
        let filename = docs.columns.iter().find(|c| c.name == "filename").unwrap();
        assert_eq!(
            (
                filename.sql_type.as_str(),
                filename.max_length,
                filename.nullable
            ),
            ("Varchar", Some(500), false)
        );
        let status = docs.columns.iter().find(|c| c.name == "status").unwrap();
        assert_eq!(status.sql_type, "DocumentStatus");
        assert_eq!(model.enum_types["DocumentStatus"], "document_status");
        assert!(model.joinables.contains(&(
            "documents".into(),
            "knowledge_pools".into(),
            "knowledge_pool_id".into()
        )));
        let mut model = model;
        model.read_enums(include_str!("../models.rs"));
        assert_eq!(
            model.enum_labels["document_status"],
            ["pending", "processing", "completed", "failed"]
        );
    }

    #[test]
    fn the_diesel_toml_filter_decides_which_tables_the_models_speak_for() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("diesel.toml"),
            "[print_schema]\nfilter = { except_tables = [\"^audit_\", \"alembic_version\"] }\n",
        )
        .unwrap();
        let mut model = ModelSchema::default();
        model.read_filter(dir.path()).unwrap();
        assert!(model.speaks_for("users"));
        assert!(!model.speaks_for("audit_log"));
        assert!(!model.speaks_for("alembic_version"));
        std::fs::write(
            dir.path().join("diesel.toml"),
            "[print_schema]\nfilter = { only_tables = [\"users\"] }\n",
        )
        .unwrap();
        model.read_filter(dir.path()).unwrap();
        assert!(model.speaks_for("users") && !model.speaks_for("posts"));
    }

    #[test]
    fn enum_value_styles() {
        assert_eq!(styled("InProgress", "snake_case"), "in_progress");
        assert_eq!(styled("InProgress", "kebab-case"), "in-progress");
        assert_eq!(styled("InProgress", "camelCase"), "inProgress");
        assert_eq!(styled("InProgress", "SCREAMING_SNAKE_CASE"), "IN_PROGRESS");
    }
}
