//! Column types as generated SQL spells them, and what a type change risks:
//! whether PostgreSQL converts on its own (an assignment cast), and whether
//! the change can fail on existing rows or lose data.

/// `format_type` spells some types long; these read like hand-written SQL
/// and mean exactly the same.
const SHORT: &[(&str, &str)] = &[
    ("character varying", "varchar"),
    ("timestamp without time zone", "timestamp"),
    ("timestamp with time zone", "timestamptz"),
    ("time without time zone", "time"),
    ("time with time zone", "timetz"),
];

/// The type as a person would write it (`varchar(255)`, `timestamp`).
pub fn spelled(catalog_type: &str) -> String {
    for (long, short) in SHORT {
        if let Some(rest) = catalog_type.strip_prefix(long) {
            if rest.is_empty() || rest.starts_with('(') || rest.starts_with('[') {
                return format!("{short}{rest}");
            }
        }
    }
    catalog_type.to_string()
}

/// The family a type converts within by assignment casts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Text,
    Number,
    Time,
    Other,
}

fn family(t: &str) -> Family {
    let base = t.split('(').next().unwrap_or(t).trim();
    if t.ends_with("[]") {
        return Family::Other;
    }
    match base {
        "text" | "character varying" | "character" | "varchar" | "bpchar" | "name" => Family::Text,
        "smallint" | "integer" | "bigint" | "numeric" | "real" | "double precision" => {
            Family::Number
        }
        "date" | "timestamp without time zone" | "timestamp with time zone" => Family::Time,
        _ => Family::Other,
    }
}

/// The length or precision in `varchar(255)` or `numeric(10,2)`.
fn modifier(t: &str) -> Option<Vec<u32>> {
    let inner = t.split_once('(')?.1.split_once(')')?.0;
    inner
        .split(',')
        .map(|p| p.trim().parse().ok())
        .collect::<Option<Vec<u32>>>()
}

/// True when `ALTER COLUMN ... TYPE new` needs `USING col::new` because no
/// assignment cast converts `old` to `new`.
pub fn needs_using(old: &str, new: &str) -> bool {
    let (a, b) = (family(old), family(new));
    a != b || a == Family::Other
}

/// Why changing a column from `old` to `new` can fail or lose data, or
/// `None` when every value converts exactly (a wider varchar, `text`, a
/// bigger integer).
pub fn risk(old: &str, new: &str) -> Option<String> {
    let rank = |t: &str| {
        ["smallint", "integer", "bigint", "numeric"]
            .iter()
            .position(|n| *n == t)
    };
    let widening = match (family(old), family(new)) {
        (Family::Text, Family::Text) => match (modifier(old), modifier(new)) {
            (_, None) => new == "text" || new.starts_with("character varying"),
            (Some(o), Some(n)) => n[0] >= o[0] && !new.starts_with("character("),
            (None, Some(_)) => false,
        },
        (Family::Number, Family::Number) => match (rank(old), rank(new)) {
            (Some(o), Some(n)) => n >= o,
            _ => old == "real" && new == "double precision",
        },
        _ => false,
    };
    if widening {
        return None;
    }
    Some(format!(
        "changes the type from {old} to {new}: values that do not fit make it fail, or are \
         converted with loss"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_types_the_short_way() {
        assert_eq!(spelled("character varying(255)"), "varchar(255)");
        assert_eq!(spelled("character varying(10)[]"), "varchar(10)[]");
        assert_eq!(spelled("timestamp without time zone"), "timestamp");
        assert_eq!(spelled("integer"), "integer");
    }

    #[test]
    fn knows_which_changes_can_lose_data() {
        assert_eq!(
            risk("character varying(100)", "character varying(200)"),
            None
        );
        assert_eq!(risk("character varying(100)", "text"), None);
        assert_eq!(risk("integer", "bigint"), None);
        assert!(risk("character varying(200)", "character varying(100)").is_some());
        assert!(risk("text", "character varying(100)").is_some());
        assert!(risk("bigint", "integer").is_some());
        assert!(risk("text", "integer").is_some());
        assert!(!needs_using("integer", "bigint"));
        assert!(needs_using("text", "integer"));
        assert!(needs_using("text", "message_role"));
    }
}
