//! Reading the text of Diesel's model files: the bodies of `table!` and
//! `joinable!` macros, the `sql_types` enum declarations, and the `DbEnum`
//! enums with their attributes. No Rust parser is needed for what
//! `diesel print-schema` writes; this keeps the reading in one place.

use super::names::quote;
use std::collections::BTreeMap;

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

/// A Rust table name (`users`, `audit.log`) as the catalog prints it.
pub(super) fn table_name(rust: &str) -> String {
    rust.split('.')
        .map(|p| quote(p.trim()))
        .collect::<Vec<_>>()
        .join(".")
}

/// The delimiters a macro's body may open and close with.
const BODY_DELIMITERS: [(char, char); 2] = [('(', ')'), ('{', '}')];

/// Where a variant's name ends in an enum line (`Name(..)`, `Name { .. }`,
/// `Name = 1`).
const VARIANT_END: [char; 4] = ['(', '{', '=', ' '];

/// The bodies of every `name!(...)` / `name! { ... }` (also `diesel::name!`).
pub(super) fn macro_bodies(text: &str, name: &str) -> Vec<String> {
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
        let Some(open) = rest.find(|ch| BODY_DELIMITERS.iter().any(|d| d.0 == ch)) else {
            break;
        };
        if !rest[..open].trim().is_empty() {
            continue;
        }
        let opening = rest[open..].chars().next();
        let Some(&(o, c)) = BODY_DELIMITERS.iter().find(|d| Some(d.0) == opening) else {
            break;
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
pub(super) fn sql_types(text: &str) -> BTreeMap<String, String> {
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
pub(super) fn quoted_after(text: &str, key: &str) -> Option<String> {
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
pub(super) fn attribute_value(attrs: &str, key: &str) -> Option<String> {
    quoted_after(attrs, key)
}

pub(super) fn parse_table(body: &str) -> std::result::Result<ModelTable, String> {
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
pub(super) type RustEnum = (String, String, Vec<(String, String)>);

pub(super) fn rust_enums(source: &str) -> Vec<RustEnum> {
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
                    .split(VARIANT_END)
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
pub(super) fn styled(variant: &str, style: &str) -> String {
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
