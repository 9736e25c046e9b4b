//! Migration directory names as Diesel reads them, and as messages show them.
//!
//! Diesel (`migrations_internals::version_from_string`) takes the part of a
//! directory name before the first `_`, without dashes, as the version, and
//! the whole name as the migration's name: `2019-11-15-182353_Add email
//! notifications` and `2022-08-14-090630_checksum-column` are as valid as
//! `2025-10-21-000000_initial_schema`, and so are versions that are not
//! timestamps at all (`v2_users`, `0001a_init`, `initial`): Diesel accepts
//! any string and orders versions as strings, and so does the toolkit.
//!
//! The few names refused are ones Diesel could not run either or that would
//! make a name unusable here: an empty version (`_x`), a version longer than
//! Diesel's ledger column, a version spelled like a target keyword (`head`,
//! `heads`, `base`: `upgrade head` could not name it), and control
//! characters (a newline would break the `--sql` comments and every
//! one-line message).

use std::borrow::Cow;

/// The longest version `__diesel_schema_migrations.version` (VARCHAR(50)) holds.
pub const MAX_VERSION_LEN: usize = 50;

/// The longest NAME `create` accepts: the directory name (timestamp, `_`,
/// NAME) must stay well inside the 255 bytes file systems allow.
pub const MAX_CREATE_NAME_LEN: usize = 100;

/// Target words a version may not be spelled as (see [`crate::migrations::target`]).
const RESERVED_VERSIONS: [&str; 3] = ["head", "heads", "base"];

/// Why a directory name cannot be used, or `None` when it can.
pub fn dir_name_problem(dir_name: &str, version: &str) -> Option<String> {
    if version.is_empty() {
        return Some(
            "bad directory name: nothing before the first `_`, so it has no version; fix: \
             name it YYYY-MM-DD-HHMMSS_name, as `ragchat-migrate create NAME` does"
                .to_string(),
        );
    }
    if RESERVED_VERSIONS.contains(&version) {
        return Some(format!(
            "bad directory name: its version `{version}` is a target keyword, so no command \
             could name it; fix: rename it YYYY-MM-DD-HHMMSS_name, as \
             `ragchat-migrate create NAME` does"
        ));
    }
    if version.chars().count() > MAX_VERSION_LEN {
        return Some(format!(
            "bad directory name: its version has {} characters, more than the \
             {MAX_VERSION_LEN} Diesel's ledger holds; fix: name it YYYY-MM-DD-HHMMSS_name",
            version.chars().count()
        ));
    }
    if dir_name.chars().any(char::is_control) {
        return Some(
            "bad directory name: it contains a control character (a newline, a tab); fix: \
             rename the directory without it"
                .to_string(),
        );
    }
    None
}

/// `text` with ASCII letters and digits lowercased and every other character
/// turned into `_`: a piece safe in a migration name or a database name.
pub fn slug(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// A directory name as messages show it: bare when it is plain (letters,
/// digits, `_ - . / :`), else in double quotes (with `"` and `\` escaped),
/// so that a name with spaces reads as one name.
pub fn shown(name: &str) -> Cow<'_, str> {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:".contains(c));
    if plain {
        Cow::Borrowed(name)
    } else {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        Cow::Owned(format!("\"{escaped}\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diesel_names_are_accepted() {
        for (name, version) in [
            ("2025-10-21-000000_initial_schema", "20251021000000"),
            ("2022-08-14-090630_checksum-column", "20220814090630"),
            (
                "2019-11-15-182353_Add email notifications to crate owners",
                "20191115182353",
            ),
            ("2024-01-02-030405-0000_new_format", "202401020304050000"),
            ("00000000000000_diesel_initial_setup", "00000000000000"),
            ("20200101000000", "20200101000000"),
            ("v2_users", "v2"),
            ("initial", "initial"),
            ("0001a_Add Users", "0001a"),
            ("release-1.2_x", "release1.2"),
        ] {
            assert_eq!(dir_name_problem(name, version), None, "{name}");
        }
    }

    #[test]
    fn unusable_names_are_refused() {
        assert!(dir_name_problem("head", "head").is_some());
        assert!(dir_name_problem("base_x", "base").is_some());
        assert!(dir_name_problem("_x", "").is_some());
        assert!(dir_name_problem("2025_a\nb", "2025").is_some());
        let long = "1".repeat(51);
        assert!(dir_name_problem(&long, &long).is_some());
    }

    #[test]
    fn names_with_spaces_are_quoted() {
        assert_eq!(
            shown("2025-10-21-000000_initial"),
            "2025-10-21-000000_initial"
        );
        assert_eq!(shown("2019_Add email"), "\"2019_Add email\"");
        assert_eq!(shown("2019_a\"b"), "\"2019_a\\\"b\"");
    }
}
