//! Lints migrations for locking and data-loss hazards with Squawk's rules
//! (`squawk-linter`), in the context the migrator will run them in: inside
//! a transaction or not (`run_in_transaction`), against a given PostgreSQL
//! version, with the rules a `.squawk.toml` selects.
//!
//! Each `up.sql` is parsed once and linted as a whole file, so a table
//! created earlier in the same migration counts as new (Squawk tracks that
//! itself). The engine touches no database and no file: it works on the
//! [`MigrationScript`]s the caller already read.

pub mod config;
mod context;
pub mod fix;
pub(crate) mod own_rules;
pub mod render;

use crate::migrations::source::MigrationScript;
pub use config::{Level, LintConfig, PgVersion};
use serde::Serialize;
use squawk_linter::{Fix, Linter, Rule};
use squawk_syntax::SourceFile;
use std::ops::Range;

/// A Squawk (rowan) text range as byte offsets.
macro_rules! to_range {
    ($range:expr) => {{
        let r = $range;
        usize::from(r.start())..usize::from(r.end())
    }};
}
pub(crate) use to_range;

/// One finding of a rule in one migration file.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The migration directory name.
    pub migration: String,
    /// The file as a path a user can open, e.g. `migrations/<dir>/up.sql`.
    pub file: String,
    /// 1-based line of the start of the finding.
    pub line: usize,
    /// 1-based column (in characters) of the start of the finding.
    pub column: usize,
    /// Squawk's rule name, e.g. `require-concurrent-index-creation`.
    pub rule: String,
    /// `error` (refused by the upgrade gate) or `warning`.
    pub level: Level,
    /// Squawk's message.
    pub message: String,
    /// Squawk's help text, when the rule has one.
    pub help: Option<String>,
    /// The title of Squawk's suggested fix, when the rule has one.
    pub fix: Option<String>,
    /// Byte range of the statement part the finding points at.
    #[serde(skip)]
    pub range: Range<usize>,
    /// The fix's edits.
    #[serde(skip)]
    pub edits: Option<Fix>,
}

/// A migration file Squawk's parser cannot read.
#[derive(Debug, Clone, Serialize)]
pub struct ParseFailure {
    /// The migration directory name.
    pub migration: String,
    /// The file as a path a user can open.
    pub file: String,
    /// 1-based line of the first syntax error.
    pub line: usize,
    /// 1-based column of the first syntax error.
    pub column: usize,
    /// The parser's message.
    pub message: String,
    /// Byte range of the error.
    #[serde(skip)]
    pub range: Range<usize>,
}

/// The findings of one migration file, with its text for the excerpts.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The migration directory name.
    pub migration: String,
    /// The file's path as shown to the user.
    pub file: String,
    /// The linted text.
    pub sql: String,
    /// Whether it was linted as running inside a transaction.
    pub in_transaction: bool,
    /// Findings, in file order.
    pub findings: Vec<Finding>,
    /// Set when the file could not be parsed (then there are no findings).
    pub parse_failure: Option<ParseFailure>,
}

/// The result of linting a list of migrations. Files without findings are
/// counted, not kept.
#[derive(Debug, Clone, Default)]
pub struct LintReport {
    /// Files with findings or parse failures, oldest migration first.
    pub files: Vec<FileReport>,
    /// How many migrations were linted.
    pub linted: usize,
    /// How many were skipped by `excluded_paths`.
    pub excluded: usize,
    /// The PostgreSQL version the rules assumed.
    pub pg_version: String,
}

impl LintReport {
    /// Every finding, in migration and file order.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.files.iter().flat_map(|f| f.findings.iter())
    }

    /// Every parse failure.
    pub fn parse_failures(&self) -> impl Iterator<Item = &ParseFailure> {
        self.files.iter().filter_map(|f| f.parse_failure.as_ref())
    }

    /// Findings at error level.
    pub fn errors(&self) -> usize {
        self.findings().filter(|f| f.level == Level::Error).count()
    }

    /// Findings at warning level.
    pub fn warnings(&self) -> usize {
        self.findings()
            .filter(|f| f.level == Level::Warning)
            .count()
    }
}

/// Lints `up.sql` of each migration. `location` is the migrations
/// directory as shown in paths (e.g. `migrations`). Long lists are split
/// over the machine's cores; the report keeps the migrations' order.
pub fn lint_migrations<'m>(
    migrations: impl IntoIterator<Item = &'m MigrationScript>,
    location: &str,
    config: &LintConfig,
) -> LintReport {
    let migrations: Vec<&MigrationScript> = migrations.into_iter().collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let per_thread = migrations.len().div_ceil(threads).max(PER_THREAD_MIN);
    let parts: Vec<(usize, usize, Vec<FileReport>)> = if migrations.len() <= PER_THREAD_MIN {
        vec![lint_chunk(&migrations, location, config)]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = migrations
                .chunks(per_thread)
                .map(|chunk| scope.spawn(move || lint_chunk(chunk, location, config)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    let mut report = LintReport {
        pg_version: config.pg_version.to_string(),
        ..LintReport::default()
    };
    for (linted, excluded, files) in parts {
        report.linted += linted;
        report.excluded += excluded;
        report.files.extend(files);
    }
    report
}

/// Below this many migrations a second thread costs more than it saves.
const PER_THREAD_MIN: usize = 64;

/// Lints a run of migrations on this thread: (linted, excluded, files with
/// findings).
fn lint_chunk(
    migrations: &[&MigrationScript],
    location: &str,
    config: &LintConfig,
) -> (usize, usize, Vec<FileReport>) {
    // squawk-linter 2.68 keeps a linter's findings from one file to the
    // next, so each file gets a fresh one built from the same rule set.
    let template = config.linter();
    let (mut linted, mut excluded, mut files) = (0, 0, Vec::new());
    for migration in migrations {
        let file = format!("{location}/{}/up.sql", migration.dir_name);
        if config.path_excluded(&file) {
            excluded += 1;
            continue;
        }
        linted += 1;
        let mut linter = Linter::from(template.rules.iter().copied());
        linter.settings = template.settings.clone();
        // A bug in Squawk on one odd file must not take the whole run down:
        // that file is reported as not linted, like a parse failure.
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lint_one(&mut linter, migration, file.clone(), config)
        }));
        match outcome {
            Ok(Some(file_report)) => files.push(file_report),
            Ok(None) => {}
            Err(_) => files.push(crashed(migration, file)),
        }
    }
    (linted, excluded, files)
}

/// The report of a file on which squawk-linter panicked.
fn crashed(migration: &MigrationScript, file: String) -> FileReport {
    FileReport {
        migration: migration.dir_name.clone(),
        parse_failure: Some(ParseFailure {
            migration: migration.dir_name.clone(),
            file: file.clone(),
            line: 1,
            column: 1,
            message: "squawk-linter failed on this file (a bug in Squawk); it was not linted"
                .to_string(),
            range: 0..0,
        }),
        file,
        sql: migration.up_sql.clone(),
        in_transaction: migration.run_in_transaction,
        findings: Vec::new(),
    }
}

/// Lints one migration; `None` when it is clean.
fn lint_one(
    linter: &mut Linter,
    migration: &MigrationScript,
    file: String,
    config: &LintConfig,
) -> Option<FileReport> {
    let sql = migration.up_sql.as_str();
    let mut report = FileReport {
        migration: migration.dir_name.clone(),
        file,
        sql: String::new(),
        in_transaction: migration.run_in_transaction,
        findings: Vec::new(),
        parse_failure: None,
    };
    let parse = SourceFile::parse(sql);
    if let Some(error) = parse.errors().first() {
        let range = to_range!(error.range());
        let (line, column) = line_col(sql, range.start);
        report.parse_failure = Some(ParseFailure {
            migration: report.migration.clone(),
            file: report.file.clone(),
            line,
            column,
            message: error.message().to_string(),
            range,
        });
        report.sql = sql.to_string();
        return Some(report);
    }
    linter.settings.assume_in_transaction = migration.run_in_transaction;
    let mut violations = linter.lint(&parse, sql);
    // Squawk reports an ignore comment naming one of our rules as unknown.
    violations.retain(|v| {
        v.code != Rule::UnusedIgnore || !own_rules::OWN_RULES.iter().any(|r| v.message.contains(r))
    });
    let mut found: Vec<Finding> = violations
        .into_iter()
        .map(|v| {
            let rule = v.code.to_string();
            finding(
                &report,
                sql,
                rule,
                config,
                to_range!(v.text_range),
                v.message,
            )
            .with_help(v.help, v.fix)
        })
        .collect();
    let in_transaction = linter.settings.assume_in_transaction;
    let enabled = |rule: &str| config.enabled(rule) && rule_runs(linter, rule);
    for (rule, range, message, help) in
        context::check(&parse, in_transaction, config.pg_version, enabled)
    {
        found.push(
            finding(&report, sql, rule.to_string(), config, range, message)
                .with_help(Some(help), None),
        );
    }
    if found.is_empty() {
        return None;
    }
    found.sort_by_key(|f| f.range.start);
    report.findings = found;
    report.sql = sql.to_string();
    Some(report)
}

fn finding(
    file: &FileReport,
    sql: &str,
    rule: String,
    config: &LintConfig,
    range: Range<usize>,
    message: String,
) -> Finding {
    let (line, column) = line_col(sql, range.start);
    Finding {
        migration: file.migration.clone(),
        file: file.file.clone(),
        line,
        column,
        level: config.level_of(&rule),
        rule,
        message,
        help: None,
        fix: None,
        range,
        edits: None,
    }
}

/// Squawk's own rules run when its linter has them; ours unless excluded.
fn rule_runs(linter: &Linter, rule: &str) -> bool {
    rule.parse::<Rule>()
        .map_or(true, |r| linter.rules.contains(&r))
}

impl Finding {
    fn with_help(mut self, help: Option<String>, fix: Option<Fix>) -> Self {
        self.help = help;
        self.fix = fix.as_ref().map(|f| f.title.to_string());
        self.edits = fix;
        self
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(i: usize, sql: &str) -> MigrationScript {
        MigrationScript {
            version: format!("2030{i:010}"),
            dir_name: format!("2030-{i:010}_m"),
            up_sql: sql.to_string(),
            down_sql: None,
            run_in_transaction: true,
            up_sha256: String::new(),
            down_sha256: None,
        }
    }

    #[test]
    fn long_lists_keep_their_order_and_every_finding_across_threads() {
        let scripts: Vec<MigrationScript> = (0..300)
            .map(|i| {
                if i % 3 == 0 {
                    script(i, "\nCREATE INDEX i ON t (a);")
                } else {
                    script(i, "SELECT 1;")
                }
            })
            .collect();
        let report = lint_migrations(&scripts, "migrations", &LintConfig::default());
        assert_eq!(report.linted, 300);
        assert_eq!(report.files.len(), 100);
        assert_eq!(report.errors(), 100);
        let order: Vec<&str> = report.files.iter().map(|f| f.migration.as_str()).collect();
        let mut sorted = order.clone();
        sorted.sort();
        assert_eq!(order, sorted);
        let first = report.findings().next().unwrap();
        assert_eq!((first.line, first.column), (2, 1));
        assert_eq!(first.file, "migrations/2030-0000000000_m/up.sql");
    }

    #[test]
    fn line_and_column_count_characters() {
        assert_eq!(line_col("ab\ncé d", 7), (2, 4));
        assert_eq!(line_col("x", 99), (1, 2));
    }
}
