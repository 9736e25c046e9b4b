//! The Diesel models as a desired schema: `schema.rs` (`table!`,
//! `diesel::table!`, `joinable!` and the `sql_types` enum types, as
//! `diesel print-schema` writes them and a developer edits them) and the
//! `DbEnum` enums next to it, which give an enum type its labels.
//!
//! What `schema.rs` cannot say (defaults, indexes, check constraints,
//! `ON DELETE`) is taken from the migrations' schema unchanged; a
//! primary-key change and types it has no mapping for are reported, not
//! guessed ([`ModelSchema::desired_snapshot`], in `models_diff.rs`).

use super::names::quote;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One column of a `table!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelColumn {
    /// The SQL name (from `#[sql_name]`, else the Rust name), quoted if needed.
    pub name: String,
    /// The Diesel type without `Nullable<>`, e.g. `Varchar`, `Array<Nullable<Int4>>`.
    pub sql_type: String,
    /// `Nullable<...>`.
    pub nullable: bool,
    /// `#[max_length = N]`.
    pub max_length: Option<u32>,
}

/// One `table!`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelTable {
    /// The table as the catalog names it (`users`, `audit.log`).
    pub name: String,
    /// The primary-key columns, quoted if needed.
    pub primary_key: Vec<String>,
    /// Columns in declaration order.
    pub columns: Vec<ModelColumn>,
}

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

/// A Rust table name (`users`, `audit.log`) as the catalog prints it.
fn table_name(rust: &str) -> String {
    rust.split('.')
        .map(|p| quote(p.trim()))
        .collect::<Vec<_>>()
        .join(".")
}

/// The bodies of every `name!(...)` / `name! { ... }` (also `diesel::name!`).
fn macro_bodies(text: &str, name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find(name) {
        let start = from + at;
        from = start + name.len();
        let before = text[..start].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[from..];
        let Some(open) = rest.find(['(', '{']) else {
            break;
        };
        if !rest[..open].trim().is_empty() {
            continue;
        }
        let (o, c) = if rest.as_bytes()[open] == b'(' {
            ('(', ')')
        } else {
            ('{', '}')
        };
        let mut depth = 0;
        for (i, ch) in rest[open..].char_indices() {
            if ch == o {
                depth += 1;
            } else if ch == c {
                depth -= 1;
                if depth == 0 {
                    out.push(rest[open + 1..open + i].to_string());
                    from += open + i;
                    break;
                }
            }
        }
    }
    out
}

/// `pub mod sql_types`: `#[diesel(postgres_type(name = "x", schema = "s"))] pub struct X;`.
fn sql_types(text: &str) -> BTreeMap<String, String> {
    let mut types = BTreeMap::new();
    let mut pending: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(at) = line.find("postgres_type(") {
            let args = &line[at + "postgres_type(".len()..];
            let name = quoted_after(args, "name");
            let schema = quoted_after(args, "schema");
            pending = name.map(|n| match schema {
                Some(s) if s != "public" => format!("{}.{}", quote(&s), quote(&n)),
                _ => quote(&n),
            });
        } else if let (Some(rest), Some(pg)) = (line.strip_prefix("pub struct "), pending.as_ref())
        {
            let rust = rest.trim_end_matches(';').trim().to_string();
            types.insert(rust, pg.clone());
            pending = None;
        }
    }
    types
}

/// The string literal after `key =` in `text`.
fn quoted_after(text: &str, key: &str) -> Option<String> {
    let mut from = 0;
    while let Some(at) = text[from..].find(key) {
        let rest = text[from + at + key.len()..].trim_start();
        from += at + key.len();
        if let Some(rest) = rest.strip_prefix('=') {
            let rest = rest.trim_start().strip_prefix('"')?;
            return rest.split_once('"').map(|(v, _)| v.to_string());
        }
    }
    None
}

/// `#[Key = "value"]` anywhere in `attrs`.
fn attribute_value(attrs: &str, key: &str) -> Option<String> {
    quoted_after(attrs, key)
}

fn parse_table(body: &str) -> std::result::Result<ModelTable, String> {
    let mut attrs = String::new();
    let mut table: Option<ModelTable> = None;
    let mut rust_names: Vec<(String, String)> = Vec::new();
    for line in body.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("//") || line.starts_with("use ") || line == "}" {
            continue;
        }
        if line.starts_with("#[") {
            attrs.push_str(line);
            continue;
        }
        match &mut table {
            None => {
                let (name, rest) = line
                    .split_once('(')
                    .ok_or_else(|| format!("table header {line:?}"))?;
                let pk = rest.split_once(')').map(|(k, _)| k).unwrap_or("");
                let name =
                    quoted_after(&attrs, "sql_name").unwrap_or_else(|| name.trim().to_string());
                table = Some(ModelTable {
                    name: table_name(&name),
                    primary_key: pk
                        .split(',')
                        .map(|c| quote(c.trim()))
                        .filter(|c| c != "\"\"")
                        .collect(),
                    columns: Vec::new(),
                });
            }
            Some(t) => {
                let (name, ty) = line
                    .split_once("->")
                    .ok_or_else(|| format!("column {line:?}"))?;
                let ty = ty.trim().trim_end_matches(',').trim();
                let (nullable, ty) = match ty
                    .strip_prefix("Nullable<")
                    .and_then(|t| t.strip_suffix('>'))
                {
                    Some(inner) => (true, inner),
                    None => (false, ty),
                };
                let sql_name =
                    quoted_after(&attrs, "sql_name").unwrap_or_else(|| name.trim().to_string());
                rust_names.push((quote(name.trim()), quote(&sql_name)));
                t.columns.push(ModelColumn {
                    name: quote(&sql_name),
                    sql_type: ty.replace(' ', ""),
                    nullable,
                    max_length: attrs
                        .split_once("max_length")
                        .and_then(|(_, r)| r.trim_start().strip_prefix('='))
                        .and_then(|r| r.trim().trim_end_matches([']', ')']).trim().parse().ok()),
                });
            }
        }
        attrs.clear();
    }
    let mut table = table.ok_or("an empty table!")?;
    // The primary key names Rust columns; map them to their SQL names.
    table.primary_key = table
        .primary_key
        .iter()
        .map(|k| {
            rust_names
                .iter()
                .find(|(rust, _)| rust == k)
                .map_or_else(|| k.clone(), |(_, sql)| sql.clone())
        })
        .collect();
    Ok(table)
}

/// Rust enums in `source`: (attributes above it, name, [(variant attributes, variant)]).
type RustEnum = (String, String, Vec<(String, String)>);

fn rust_enums(source: &str) -> Vec<RustEnum> {
    let mut out = Vec::new();
    let mut attrs = String::new();
    let lines: Vec<&str> = source.lines().map(str::trim).collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line.starts_with("#[")
            || (!attrs.is_empty()
                && !line.contains("enum ")
                && !line.starts_with("pub ")
                && !line.starts_with("//"))
        {
            attrs.push_str(line);
            attrs.push('\n');
            continue;
        }
        let Some(rest) = line
            .strip_prefix("pub enum ")
            .or_else(|| line.strip_prefix("enum "))
        else {
            if !line.starts_with("//") {
                attrs.clear();
            }
            continue;
        };
        let name = rest.trim_end_matches('{').trim().to_string();
        let mut variants = Vec::new();
        let mut vattrs = String::new();
        while i < lines.len() && !lines[i].starts_with('}') {
            let l = lines[i];
            i += 1;
            if l.starts_with("#[") {
                vattrs.push_str(l);
            } else if !l.is_empty() && !l.starts_with("//") {
                let v = l
                    .trim_end_matches(',')
                    .split(['(', '{', '=', ' '])
                    .next()
                    .unwrap_or("");
                if !v.is_empty() {
                    variants.push((std::mem::take(&mut vattrs), v.to_string()));
                }
            }
        }
        out.push((std::mem::take(&mut attrs), name, variants));
    }
    out
}

/// A variant name in diesel-derive-enum's `DbValueStyle`.
fn styled(variant: &str, style: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for (i, c) in variant.char_indices() {
        if c.is_uppercase() && i > 0 || words.is_empty() {
            words.push(String::new());
        }
        if let Some(w) = words.last_mut() {
            w.push(c);
        }
    }
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    match style {
        "verbatim" => variant.to_string(),
        "PascalCase" => variant.to_string(),
        "camelCase" => {
            let mut s = lower.first().cloned().unwrap_or_default();
            s.extend(words.iter().skip(1).cloned());
            s
        }
        "kebab-case" => lower.join("-"),
        "UPPERCASE" => variant.to_uppercase(),
        "SCREAMING_SNAKE_CASE" => lower.join("_").to_uppercase(),
        "lowercase" => variant.to_lowercase(),
        _ => lower.join("_"),
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
