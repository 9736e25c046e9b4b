//! Diesel SQL types and PostgreSQL types, both ways, as `diesel
//! print-schema` maps them.

use super::models::ModelSchema;

/// (Diesel name, aliases, PostgreSQL type as `format_type` prints it).
const TYPES: &[(&str, &[&str], &str)] = &[
    ("Int2", &["SmallInt"], "smallint"),
    ("Int4", &["Integer"], "integer"),
    ("Int8", &["BigInt"], "bigint"),
    ("Float4", &["Float"], "real"),
    ("Float8", &["Double"], "double precision"),
    ("Numeric", &["Decimal"], "numeric"),
    ("Text", &[], "text"),
    ("Varchar", &["VarChar"], "character varying"),
    ("Bpchar", &["Char"], "character"),
    ("Bool", &[], "boolean"),
    ("Date", &[], "date"),
    ("Time", &[], "time without time zone"),
    ("Timestamp", &[], "timestamp without time zone"),
    ("Timestamptz", &[], "timestamp with time zone"),
    ("Interval", &[], "interval"),
    ("Uuid", &[], "uuid"),
    ("Json", &[], "json"),
    ("Jsonb", &[], "jsonb"),
    ("Bytea", &["Binary"], "bytea"),
    ("Inet", &[], "inet"),
    ("Cidr", &[], "cidr"),
    ("MacAddr", &[], "macaddr"),
    ("Money", &["Cents"], "money"),
    ("Oid", &[], "oid"),
];

/// A model type in canonical form: aliases resolved, `Array<T>` written
/// `Array<Nullable<T>>` as print-schema does, custom types by their
/// PostgreSQL name.
pub fn canonical(model: &ModelSchema, sql_type: &str) -> String {
    let ty = sql_type.rsplit("::").next().unwrap_or(sql_type);
    if let Some(inner) = ty.strip_prefix("Array<").and_then(|t| t.strip_suffix('>')) {
        let inner = inner
            .strip_prefix("Nullable<")
            .and_then(|t| t.strip_suffix('>'))
            .unwrap_or(inner);
        return format!("Array<Nullable<{}>>", canonical(model, inner));
    }
    if let Some(pg) = model.enum_types.get(ty) {
        return format!("enum {pg}");
    }
    TYPES
        .iter()
        .find(|(d, aliases, _)| *d == ty || aliases.contains(&ty))
        .map_or_else(|| ty.to_string(), |(d, _, _)| d.to_string())
}

/// A PostgreSQL column type as print-schema reads it: canonical Diesel type
/// and `#[max_length]`. `None` when print-schema has no mapping.
pub fn from_pg(model: &ModelSchema, pg: &str) -> (Option<String>, Option<u32>) {
    if let Some(elem) = pg.strip_suffix("[]") {
        let (inner, _) = from_pg(model, elem);
        return (inner.map(|i| format!("Array<Nullable<{i}>>")), None);
    }
    let (base, modifier) = match pg.split_once('(') {
        Some((b, rest)) => (
            format!("{b}{}", rest.split_once(')').map(|(_, t)| t).unwrap_or("")),
            rest.split([',', ')'])
                .next()
                .and_then(|n| n.trim().parse().ok()),
        ),
        None => (pg.to_string(), None),
    };
    let base = base.trim();
    if model.enum_types.values().any(|e| e == base) {
        return (Some(format!("enum {base}")), None);
    }
    match TYPES.iter().find(|(_, _, p)| *p == base) {
        Some((d, _, _)) => {
            let length = matches!(*d, "Varchar" | "Bpchar")
                .then_some(modifier)
                .flatten();
            (Some(d.to_string()), length)
        }
        None => (None, None),
    }
}

/// The PostgreSQL type for a model column, or `None` when unknown.
pub fn to_pg(model: &ModelSchema, sql_type: &str, max_length: Option<u32>) -> Option<String> {
    let canon = canonical(model, sql_type);
    if let Some(inner) = canon
        .strip_prefix("Array<Nullable<")
        .and_then(|t| t.strip_suffix(">>"))
    {
        let inner_type = model
            .enum_types
            .iter()
            .find(|(_, pg)| format!("enum {pg}") == inner)
            .map(|(r, _)| r.clone())
            .unwrap_or_else(|| inner.to_string());
        return to_pg(model, &inner_type, None).map(|t| format!("{t}[]"));
    }
    if let Some(pg) = canon.strip_prefix("enum ") {
        return Some(pg.to_string());
    }
    let (_, _, pg) = TYPES.iter().find(|(d, _, _)| *d == canon)?;
    Some(match max_length {
        Some(n) => format!("{pg}({n})"),
        None => pg.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_both_ways() {
        let mut model = ModelSchema::default();
        model
            .enum_types
            .insert("MessageRole".into(), "message_role".into());
        assert_eq!(
            to_pg(&model, "Varchar", Some(50)).as_deref(),
            Some("character varying(50)")
        );
        assert_eq!(to_pg(&model, "Integer", None).as_deref(), Some("integer"));
        assert_eq!(
            to_pg(&model, "MessageRole", None).as_deref(),
            Some("message_role")
        );
        assert_eq!(
            to_pg(&model, "Array<Text>", None).as_deref(),
            Some("text[]")
        );
        assert_eq!(to_pg(&model, "Mystery", None), None);
        assert_eq!(
            from_pg(&model, "character varying(50)"),
            (Some("Varchar".into()), Some(50))
        );
        assert_eq!(
            from_pg(&model, "numeric(10,2)"),
            (Some("Numeric".into()), None)
        );
        assert_eq!(
            from_pg(&model, "message_role"),
            (Some("enum message_role".into()), None)
        );
        assert_eq!(
            from_pg(&model, "text[]").0.as_deref(),
            Some("Array<Nullable<Text>>")
        );
        assert_eq!(
            canonical(&model, "diesel::sql_types::Array<Text>"),
            "Array<Nullable<Text>>"
        );
    }
}
