//! The TARGET grammar: `head`, `base`, a version or unique prefix of one, a
//! directory name, `+N` or `-N`.

use crate::error::{Error, Result};
use crate::migrations::source::MigrationSet;

/// A parsed TARGET, not yet resolved against a migration set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The newest migration.
    Head,
    /// Nothing applied.
    Base,
    /// N steps forward (`+N`) or backward (`-N`) from the current state.
    Relative(i64),
    /// A version, a unique prefix of one, or a directory name.
    Revision(String),
}

impl std::str::FromStr for Target {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        let text = text.trim();
        match text {
            "" => Err(Error::Usage(
                "empty target; fix: give head, base, a version, +N or -N".into(),
            )),
            "head" | "heads" => Ok(Target::Head),
            "base" => Ok(Target::Base),
            _ if text.starts_with('+') || text.starts_with('-') => {
                let digits = &text[1..];
                let n: i64 = (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| digits.parse().ok())
                    .flatten()
                    .ok_or_else(|| {
                        Error::Usage(format!(
                            "bad relative target `{text}`; fix: write +N or -N with a whole number"
                        ))
                    })?;
                if n == 0 {
                    return Err(Error::Usage(format!(
                        "relative target `{text}` moves nowhere; fix: use +1 or more, -1 or more"
                    )));
                }
                Ok(Target::Relative(if text.starts_with('-') { -n } else { n }))
            }
            _ => Ok(Target::Revision(text.to_string())),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Head => f.write_str("head"),
            Target::Base => f.write_str("base"),
            Target::Relative(n) if *n > 0 => write!(f, "+{n}"),
            Target::Relative(n) => write!(f, "{n}"),
            Target::Revision(r) => f.write_str(r),
        }
    }
}

/// Finds the index of the migration a revision names: an exact version, an
/// exact directory name, or a unique version prefix.
pub fn resolve_revision(set: &MigrationSet, revision: &str) -> Result<usize> {
    let all = set.all();
    if let Some(i) = all
        .iter()
        .position(|m| m.version == revision || m.dir_name == revision)
    {
        return Ok(i);
    }
    // Accept the dashed timestamp too: 2025-10-21-000000 is 20251021000000.
    let digits: String = revision.chars().filter(|c| *c != '-').collect();
    let matches: Vec<usize> = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        (0..all.len())
            .filter(|&i| all[i].version.starts_with(&digits))
            .collect()
    } else {
        (0..all.len())
            .filter(|&i| all[i].dir_name.starts_with(revision))
            .collect()
    };
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::Usage(format!(
            "unknown target `{revision}`; fix: use head, base, +N, -N or a version{}:\n{}",
            if all.len() > crate::migrations::suggest::CANDIDATES {
                format!(
                    " (the {} closest of {} are listed; `history` shows all)",
                    crate::migrations::suggest::CANDIDATES,
                    all.len()
                )
            } else {
                String::new()
            },
            candidate_list(
                set,
                crate::migrations::suggest::closest(set, revision).into_iter()
            )
        ))),
        many => Err(Error::Usage(format!(
            "ambiguous target `{revision}` matches {} migrations; fix: give more digits:\n{}",
            many.len(),
            candidate_list(set, many.iter().copied())
        ))),
    }
}

fn candidate_list(set: &MigrationSet, indexes: impl Iterator<Item = usize>) -> String {
    let lines: Vec<String> = indexes
        .map(|i| format!("  {}  {}", set.all()[i].version, set.all()[i].dir_name))
        .collect();
    if lines.is_empty() {
        "  (no migrations)".into()
    } else {
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrations::source::MigrationScript;

    fn set(names: &[&str]) -> MigrationSet {
        MigrationSet::from_scripts(
            names
                .iter()
                .map(|n| MigrationScript {
                    version: n.split('_').next().unwrap().replace('-', ""),
                    dir_name: n.to_string(),
                    up_sql: "SELECT 1".into(),
                    down_sql: Some("SELECT 1".into()),
                    run_in_transaction: true,
                    up_sha256: String::new(),
                    down_sha256: None,
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn parses_the_grammar() {
        assert_eq!("head".parse::<Target>().unwrap(), Target::Head);
        assert_eq!("base".parse::<Target>().unwrap(), Target::Base);
        assert_eq!("+2".parse::<Target>().unwrap(), Target::Relative(2));
        assert_eq!("-1".parse::<Target>().unwrap(), Target::Relative(-1));
        assert!("+x".parse::<Target>().is_err());
        assert!("+-3".parse::<Target>().is_err());
        assert!("-+3".parse::<Target>().is_err());
        assert!("-0".parse::<Target>().is_err());
        assert!("".parse::<Target>().is_err());
        assert_eq!(
            "2025".parse::<Target>().unwrap(),
            Target::Revision("2025".into())
        );
    }

    #[test]
    fn resolves_versions_prefixes_and_names() {
        let s = set(&[
            "2025-10-21-000000_initial_schema",
            "2025-11-01-120000_add_x",
            "2025-11-02-120000_add_y",
        ]);
        assert_eq!(resolve_revision(&s, "20251021000000").unwrap(), 0);
        assert_eq!(resolve_revision(&s, "2025-11-01-120000_add_x").unwrap(), 1);
        assert_eq!(resolve_revision(&s, "202511021").unwrap(), 2);
        assert_eq!(resolve_revision(&s, "2025-10").unwrap(), 0);
        let ambiguous = resolve_revision(&s, "202511").unwrap_err().to_string();
        assert!(ambiguous.contains("ambiguous") && ambiguous.contains("add_x"));
        let unknown = resolve_revision(&s, "1999").unwrap_err().to_string();
        assert!(unknown.contains("unknown target") && unknown.contains("initial_schema"));
        assert_eq!(
            resolve_revision(&s, "nope").unwrap_err().kind(),
            crate::error::ErrorKind::BadInput
        );
    }
}
