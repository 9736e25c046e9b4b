//! Identifiers as the catalog prints them and as generated SQL needs them:
//! quoted only where PostgreSQL requires it, split into their parts, and the
//! comma-separated lists the snapshot uses for column names and enum labels.

/// Keywords that `quote_ident` quotes (PostgreSQL's reserved, type/function
/// name and column name keywords). Unreserved keywords may stand bare.
const NEEDS_QUOTES: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json",
    "json_array",
    "json_arrayagg",
    "json_exists",
    "json_object",
    "json_objectagg",
    "json_query",
    "json_scalar",
    "json_serialize",
    "json_table",
    "json_value",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "merge_action",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// `ident` as SQL needs it: bare when it is lowercase letters, digits, `_`
/// and `$` (not starting with a digit or `$`) and not a keyword, else in
/// double quotes with inner quotes doubled (what `quote_ident` does).
pub fn quote(ident: &str) -> String {
    let plain = ident
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && ident
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$')
        && !NEEDS_QUOTES.contains(&ident);
    if plain {
        ident.to_string()
    } else {
        format!("\"{}\"", ident.replace('"', "\"\""))
    }
}

/// Splits `text` at `sep` where it is outside double quotes and single
/// quotes, trimming each part.
pub fn split_outside_quotes(text: &str, sep: char) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let (mut in_double, mut in_single) = (false, false);
    for c in text.chars() {
        match c {
            '"' if !in_single => in_double = !in_double,
            '\'' if !in_double => in_single = !in_single,
            c if c == sep && !in_double && !in_single => {
                parts.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() || !parts.is_empty() {
        parts.push(current.trim().to_string());
    }
    parts
}

/// The parts of a possibly qualified, possibly quoted name, unquoted:
/// `"My Schema".t` is `["My Schema", "t"]`.
pub fn unquote_parts(name: &str) -> Vec<String> {
    split_outside_quotes(name, '.')
        .into_iter()
        .map(
            |p| match p.strip_prefix('"').and_then(|p| p.strip_suffix('"')) {
                Some(inner) => inner.replace("\"\"", "\""),
                None => p,
            },
        )
        .collect()
}

/// The schema prefix of a qualified relation name as printed (`audit.` for
/// `audit.log`, empty for a name in `public`), for objects such as indexes
/// that live in their table's schema.
pub fn schema_prefix(qname: &str) -> String {
    let parts = split_outside_quotes(qname, '.');
    if parts.len() > 1 {
        format!("{}.", parts[..parts.len() - 1].join("."))
    } else {
        String::new()
    }
}

/// A parenthesised, comma-separated list as the snapshot prints it,
/// `(a, "b c")`, as its items (still quoted).
pub fn paren_list(text: &str) -> Vec<String> {
    let inner = text
        .trim()
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(text);
    split_outside_quotes(inner, ',')
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect()
}

/// An enum label as a SQL literal (`'it''s'`).
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The labels of an enum fact, `('a', 'it''s')`, unquoted.
pub fn enum_labels(text: &str) -> Vec<String> {
    paren_list(text)
        .into_iter()
        .map(|l| {
            l.strip_prefix('\'')
                .and_then(|l| l.strip_suffix('\''))
                .unwrap_or(&l)
                .replace("''", "'")
        })
        .collect()
}

/// True when `def` mentions identifier `col` as a whole word.
pub fn mentions(def: &str, col: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '"';
    def.match_indices(col).any(|(at, _)| {
        let before = def[..at].chars().last();
        let after = def[at + col.len()..].chars().next();
        !before.is_some_and(ident) && !after.is_some_and(ident)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_where_needed() {
        assert_eq!(quote("users"), "users");
        assert_eq!(quote("user"), "\"user\"");
        assert_eq!(quote("Users"), "\"Users\"");
        assert_eq!(quote("a b"), "\"a b\"");
        assert_eq!(quote("2fa"), "\"2fa\"");
        assert_eq!(quote("say\"hi"), "\"say\"\"hi\"");
        assert_eq!(quote("created_at"), "created_at");
    }

    #[test]
    fn splits_names_and_lists() {
        assert_eq!(unquote_parts("\"My S\".t"), ["My S", "t"]);
        assert_eq!(schema_prefix("audit.log"), "audit.");
        assert_eq!(schema_prefix("log"), "");
        assert_eq!(paren_list("(id, \"a, b\", c)"), ["id", "\"a, b\"", "c"]);
        assert!(paren_list("()").is_empty());
        assert_eq!(enum_labels("('a', 'it''s', 'x, y')"), ["a", "it's", "x, y"]);
    }
    #[test]
    fn finds_whole_words_only() {
        assert!(mentions("USING btree (email)", "email"));
        assert!(!mentions("USING btree (email_lower)", "email"));
        assert!(mentions("CHECK ((a > 0) AND (b < a))", "b"));
        assert!(!mentions("CHECK ((ab > 0))", "b"));
    }
}
