//! Which rules run, at which level, for which PostgreSQL version: Squawk's
//! `.squawk.toml` (found as the `squawk` CLI finds it: in the current
//! directory or the nearest parent that has one), the migrator's defaults,
//! and the flags.

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use squawk_linter::{Linter, Rule};
use std::fmt;
use std::path::{Path, PathBuf};

/// The configuration file's name, as Squawk spells it.
pub const FILE_NAME: &str = ".squawk.toml";

/// Rules the migrator makes moot, off unless `included_rules` names them:
/// it sets `lock_timeout` (`--ddl-lock-timeout`, 5 s) around every
/// transactional migration itself, and a `statement_timeout` written into a
/// migration would abort a legitimate long backfill; the lock wait is the
/// outage, and that is bounded already.
pub const MOOT_RULES: &[&str] = &["require-lock-timeout", "require-statement-timeout"];

/// Rules whose findings are errors by default (refused by the `upgrade`
/// gate, exit 3 from `lint`): statements that take a long blocking lock on
/// an existing table, fail at deploy time, or destroy data. Every other rule
/// reports warnings.
pub const ERROR_RULES: &[&str] = &[
    "require-concurrent-index-creation",
    "require-concurrent-index-deletion",
    "require-concurrent-reindex",
    "require-concurrent-partition-detach",
    "ban-concurrent-index-creation-in-transaction",
    "constraint-missing-not-valid",
    "adding-foreign-key-constraint",
    "adding-field-with-default",
    "adding-not-nullable-field",
    "adding-required-field",
    "adding-serial-primary-key-field",
    "changing-column-type",
    "disallowed-unique-constraint",
    "ban-create-domain-with-constraint",
    "ban-alter-domain-with-add-constraint",
    "transaction-nesting",
    "ban-uncommitted-transaction",
    "ban-drop-database",
    "ban-drop-schema",
    "ban-drop-table",
    "ban-drop-column",
    "ban-truncate-cascade",
    "ban-duplicate-column-assignments",
    super::own_rules::RULE_NAME,
    super::own_rules::CONCURRENTLY_RULE,
];

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Refused by the upgrade gate; `lint` exits 3.
    Error,
    /// Printed; nothing refused.
    Warning,
}

/// A PostgreSQL version as the rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PgVersion {
    /// Major version, e.g. 15.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl Default for PgVersion {
    /// Squawk's own default.
    fn default() -> Self {
        PgVersion {
            major: 15,
            minor: 0,
        }
    }
}

impl fmt::Display for PgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl PgVersion {
    /// The version of the server `conn` is connected to, when it can be read.
    pub fn of_server(conn: &mut diesel::PgConnection) -> Option<Self> {
        use diesel::RunQueryDsl;
        let num: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
            "current_setting('server_version_num')",
        ))
        .get_result(conn)
        .ok()?;
        num.trim().parse().ok().map(PgVersion::from_server_num)
    }

    /// Parses `15`, `15.4`, `9.6` or `11.2.1` (as `.squawk.toml` and
    /// `--pg-version` write it).
    pub fn parse(text: &str) -> Result<Self> {
        let mut parts = text.trim().split('.');
        let number = |p: Option<&str>| p.map(|p| p.parse::<u32>()).transpose();
        match (number(parts.next()), number(parts.next())) {
            (Ok(Some(major)), Ok(minor)) if major > 0 => Ok(PgVersion {
                major,
                minor: minor.unwrap_or(0),
            }),
            _ => Err(Error::Usage(format!(
                "bad PostgreSQL version `{text}`; fix: write it like 15 or 11.2"
            ))),
        }
    }

    /// From the server's `server_version_num` (e.g. 150004, or 90624).
    pub fn from_server_num(num: u32) -> Self {
        if num >= 100_000 {
            PgVersion {
                major: num / 10_000,
                minor: num % 10_000,
            }
        } else {
            PgVersion {
                major: num / 10_000,
                minor: (num / 100) % 100,
            }
        }
    }
}

/// `.squawk.toml` as Squawk reads it, plus an optional table of our own
/// that Squawk ignores.
#[derive(Debug, Default, Deserialize)]
struct SquawkToml {
    #[serde(default)]
    excluded_rules: Vec<String>,
    #[serde(default)]
    included_rules: Vec<String>,
    #[serde(default)]
    pg_version: Option<String>,
    #[serde(default)]
    assume_in_transaction: Option<bool>,
    #[serde(default)]
    excluded_paths: Vec<String>,
    #[serde(default, rename = "ragchat-migrate")]
    levels: Levels,
}

/// `[ragchat-migrate]`: moves rules between the error and warning levels.
#[derive(Debug, Default, Deserialize)]
struct Levels {
    #[serde(default)]
    error: Vec<String>,
    #[serde(default)]
    warning: Vec<String>,
}

/// Everything the engine needs to lint.
#[derive(Debug, Clone, Default)]
pub struct LintConfig {
    /// Rules added to Squawk's default set.
    pub included: Vec<String>,
    /// Rules removed (wins over `included`).
    pub excluded: Vec<String>,
    /// The PostgreSQL version the rules assume.
    pub pg_version: PgVersion,
    /// `pg_version` from the file, when it had one.
    pub file_pg_version: Option<PgVersion>,
    /// Rules raised to error level.
    pub errors: Vec<String>,
    /// Rules lowered to warning level.
    pub warnings: Vec<String>,
    /// Path globs (Squawk's `excluded_paths`) of files not to lint.
    pub excluded_paths: Vec<String>,
    /// The file the settings came from.
    pub file: Option<PathBuf>,
}

impl LintConfig {
    /// The project's configuration (the nearest `.squawk.toml`) for the
    /// server `conn` is connected to: its PostgreSQL version, else the
    /// file's `pg_version`, else the default.
    pub fn for_server(conn: &mut diesel::PgConnection) -> Result<Self> {
        let mut config = Self::load(None)?;
        config.pg_version = PgVersion::of_server(conn)
            .or(config.file_pg_version)
            .unwrap_or_default();
        Ok(config)
    }

    /// Reads `path`, or the `.squawk.toml` nearest to the current directory,
    /// or uses the defaults when there is none.
    pub fn load(path: Option<&Path>) -> Result<Self> {
        let found = match path {
            Some(p) => Some(p.to_path_buf()),
            None => std::env::current_dir().ok().and_then(|cwd| {
                cwd.ancestors()
                    .map(|d| d.join(FILE_NAME))
                    .find(|f| f.is_file())
            }),
        };
        let Some(file) = found else {
            return Ok(LintConfig::default());
        };
        let text = std::fs::read_to_string(&file).map_err(|e| Error::io(file.display(), e))?;
        Self::from_toml(&text, &file)
    }

    /// Parses the text of a `.squawk.toml` read from `file`.
    pub fn from_toml(text: &str, file: &Path) -> Result<Self> {
        let bad = |reason: String| Error::Usage(format!("{}: {reason}", file.display()));
        let raw: SquawkToml = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        // Squawk's key; the migrator knows each migration's transaction mode.
        let _ = raw.assume_in_transaction;
        for name in raw
            .excluded_rules
            .iter()
            .chain(&raw.included_rules)
            .chain(&raw.levels.error)
            .chain(&raw.levels.warning)
        {
            check_rule_name(name).map_err(bad)?;
        }
        let file_pg_version = raw
            .pg_version
            .as_deref()
            .map(PgVersion::parse)
            .transpose()
            .map_err(|e| bad(e.to_string()))?;
        Ok(LintConfig {
            included: raw.included_rules,
            excluded: raw.excluded_rules,
            pg_version: file_pg_version.unwrap_or_default(),
            file_pg_version,
            errors: raw.levels.error,
            warnings: raw.levels.warning,
            excluded_paths: raw.excluded_paths,
            file: Some(file.to_path_buf()),
        })
    }

    /// True when `rule` runs.
    pub fn enabled(&self, rule: &str) -> bool {
        !self.excluded.iter().any(|r| r == rule)
    }

    /// The level of `rule`'s findings.
    pub fn level_of(&self, rule: &str) -> Level {
        if self.warnings.iter().any(|r| r == rule) {
            Level::Warning
        } else if self.errors.iter().any(|r| r == rule) || ERROR_RULES.contains(&rule) {
            Level::Error
        } else {
            Level::Warning
        }
    }

    /// True when `path` (a migration's `up.sql` as shown) matches one of
    /// Squawk's `excluded_paths` globs.
    pub fn path_excluded(&self, path: &str) -> bool {
        // The pattern may be relative to any directory above the file, as
        // the path shown may be absolute (--migrations-dir /abs/migrations).
        let suffixes =
            std::iter::once(path).chain(path.match_indices('/').map(|(i, _)| &path[i + 1..]));
        let suffixes: Vec<&str> = suffixes.collect();
        self.excluded_paths.iter().any(|g| {
            let g = g.trim_start_matches("./");
            suffixes.iter().any(|s| glob_match(g, s))
        })
    }

    /// A Squawk linter with this configuration's rules and PostgreSQL version.
    pub fn linter(&self) -> Linter {
        let squawk = |names: &[String]| -> Vec<Rule> {
            names
                .iter()
                .filter_map(|n| n.parse::<Rule>().ok())
                .collect()
        };
        let included = squawk(&self.included);
        let mut excluded = squawk(&self.excluded);
        for moot in MOOT_RULES {
            let asked = self.included.iter().any(|r| {
                r == moot || (r == "require-timeout-settings" && moot.starts_with("require-"))
            });
            if !asked {
                excluded.extend(moot.parse::<Rule>());
            }
        }
        let mut linter = Linter::with_rules(&included, &excluded);
        if let Ok(version) = self.pg_version.to_string().parse() {
            linter.settings.pg_version = version;
        }
        linter
    }
}

fn check_rule_name(name: &str) -> std::result::Result<(), String> {
    if name.parse::<Rule>().is_ok() || super::own_rules::OWN_RULES.contains(&name) {
        return Ok(());
    }
    Err(format!(
        "unknown rule `{name}`; fix: use a rule name from https://squawkhq.com/docs/rules \
         (or one of {})",
        super::own_rules::OWN_RULES.join(", ")
    ))
}

/// `*` matches any run of characters (also `/`), `?` one character.
fn glob_match(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_like_squawk_writes_them() {
        assert_eq!(PgVersion::parse("11").unwrap().to_string(), "11.0");
        assert_eq!(PgVersion::parse("9.6").unwrap().major, 9);
        assert!(PgVersion::parse("x").is_err());
        assert_eq!(PgVersion::from_server_num(150004).to_string(), "15.4");
        assert_eq!(PgVersion::from_server_num(90624).to_string(), "9.6");
    }

    #[test]
    fn unknown_rule_names_are_refused_with_the_file() {
        let err = LintConfig::from_toml("excluded_rules = [\"nope\"]", Path::new(".squawk.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(".squawk.toml") && err.contains("nope"),
            "{err}"
        );
    }

    #[test]
    fn moot_rules_are_off_unless_included() {
        let config = LintConfig::default();
        assert!(!config.linter().rules.contains(&Rule::RequireLockTimeout));
        let config = LintConfig {
            included: vec!["require-timeout-settings".into()],
            ..LintConfig::default()
        };
        assert!(config.linter().rules.contains(&Rule::RequireLockTimeout));
    }

    #[test]
    fn levels_and_paths_come_from_the_file() {
        let text = "excluded_paths = [\"migrations/2019-*/up.sql\"]\npg_version = \"11\"\n\
                    [ragchat-migrate]\nwarning = [\"ban-drop-column\"]\nerror = [\"prefer-robust-stmts\"]\n";
        let config = LintConfig::from_toml(text, Path::new(".squawk.toml")).unwrap();
        assert_eq!(config.level_of("ban-drop-column"), Level::Warning);
        assert_eq!(config.level_of("prefer-robust-stmts"), Level::Error);
        assert_eq!(config.level_of("changing-column-type"), Level::Error);
        assert_eq!(config.level_of("prefer-text-field"), Level::Warning);
        assert_eq!(
            config.file_pg_version,
            Some(PgVersion {
                major: 11,
                minor: 0
            })
        );
        assert!(config.path_excluded("/abs/migrations/2019-01-01-000000_x/up.sql"));
        assert!(!config.path_excluded("/abs/migrations/2020-01-01-000000_x/up.sql"));
    }

    #[test]
    fn globs() {
        assert!(glob_match(
            "migrations/*_old/*",
            "migrations/2020_old/up.sql"
        ));
        assert!(!glob_match("*.txt", "up.sql"));
    }
}
