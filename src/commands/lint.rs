//! `lint` and the lint section of `check`: the CLI around the engine in
//! [`ragchat_migrate::lint`] (the gate of `upgrade` is `lint_gate.rs`).

use super::context::{Connected, Context};
use crate::cli::LintArgs;
use crate::outcome::Outcome;
use crate::output::lint::{Fixed, LintDocument};
use crate::output::Printer;
use ragchat_migrate::database::ledger;

use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::lint::{self, fix, LintConfig, LintReport, PgVersion};
use ragchat_migrate::migrations::source::{MigrationScript, MigrationSet, Source};
use ragchat_migrate::migrations::status::Status;
use ragchat_migrate::migrations::target::resolve_revision;

/// Which migrations `lint` looks at.
enum Selection {
    Pending,
    All,
    Range(String, String),
    Since(String),
}

impl Context {
    /// The migrations directory as finding paths show it.
    pub(super) fn lint_location(&self) -> String {
        match &self.global.migrations_dir {
            Some(dir) => dir.display().to_string().trim_end_matches('/').to_string(),
            None => "migrations".to_string(),
        }
    }

    /// `lint [FROM:TO | --all | --since V] [--fix]`: select the migrations
    /// (the pending ones read from the database by default), lint, report.
    pub(super) fn lint(&self, args: &LintArgs) -> Result<Outcome> {
        let mut config = LintConfig::load(args.config.as_deref())?;
        let flag_pg = args.pg_version;
        let selection = match (&args.range, args.all, &args.since) {
            (Some(range), _, _) => Selection::Range(range.from.clone(), range.to.clone()),
            (None, true, _) => Selection::All,
            (None, false, Some(since)) => Selection::Since(since.clone()),
            (None, false, None) => Selection::Pending,
        };
        // --fix edits files, so it needs them on disk, not embedded.
        let (source, location) = if args.fix {
            let dir = self.migrations_dir_for_create()?;
            let shown = dir.display().to_string();
            (Source::Directory(dir), shown)
        } else {
            (self.source()?, self.lint_location())
        };
        let set = MigrationSet::load(&source)?;
        let fixed_range = select(&set, &selection)?;
        let mut db = match (&selection, args.fix) {
            (Selection::Pending, _) | (_, true) => Some(self.connect()?),
            _ => None,
        };
        let status = match db.as_mut() {
            Some(db) => Some(Status::new(
                &set,
                &ledger::observe(&mut db.conn, ledger::Detail::Versions)?.ledger,
            )),
            None => None,
        };
        let indexes: Vec<usize> = match (&selection, &status) {
            (Selection::Pending, Some(status)) => status.pending().collect(),
            _ => fixed_range,
        };
        let server_pg = db
            .as_mut()
            .and_then(|db| PgVersion::of_server(&mut db.conn));
        config.pg_version = flag_pg
            .or(server_pg)
            .or(config.file_pg_version)
            .unwrap_or_default();
        let report = lint_indexes(&set, &indexes, &location, &config);
        if args.fix {
            let applied: Vec<&str> = status
                .iter()
                .flat_map(|s| s.applied())
                .map(|i| set.all()[i].dir_name.as_str())
                .collect();
            return self.fix(&source, &location, &config, &indexes, &applied, report);
        }
        print_report(&self.printer, &report, None);
        Ok(outcome(&report))
    }

    /// Writes the fixes of `report` into pending migrations, then lints them
    /// again and reports what is left.
    fn fix(
        &self,
        source: &Source,
        location: &str,
        config: &LintConfig,
        indexes: &[usize],
        applied_dirs: &[&str],
        report: LintReport,
    ) -> Result<Outcome> {
        if let Some(failure) = report.parse_failures().next() {
            print_report(&self.printer, &report, None);
            return Err(Error::Usage(format!(
                "nothing fixed: {} cannot be parsed ({}:{}); fix the SQL first",
                failure.file, failure.line, failure.column
            )));
        }
        let plans: Vec<fix::FixPlan> = report.files.iter().filter_map(fix::plan).collect();
        let applied: Vec<&str> = plans
            .iter()
            .filter(|p| applied_dirs.contains(&p.migration.as_str()))
            .map(|p| p.migration.as_str())
            .collect();
        if !applied.is_empty() {
            return Err(Error::Usage(format!(
                "refusing to --fix applied migration(s): {}; their checksums are recorded, and \
                 every database that has them would refuse the edited file\n  fix: write the \
                 change as a new migration (`create NAME`), or lint only pending ones (drop \
                 --all / the range / --since)",
                applied.join(", ")
            )));
        }
        let mut changed = Vec::new();
        for plan in &plans {
            let dir = std::path::Path::new(location).join(&plan.migration);
            if !plan.applied.is_empty() {
                fix::write(&dir, plan)?;
            }
            let fixed = Fixed::of(plan);
            for line in fixed.lines(&self.printer, location) {
                self.printer.line(line);
            }
            changed.push(fixed);
        }
        if plans.is_empty() {
            self.printer
                .line("nothing to fix: no finding carries a suggested fix");
        }
        let set = MigrationSet::load(source)?;
        let after = lint_indexes(&set, indexes, location, config);
        print_report(&self.printer, &after, Some(changed));
        Ok(outcome(&after))
    }

    /// Lint findings for `check`: those of the pending migrations.
    pub(super) fn lint_for_check(
        &self,
        pending: &[&MigrationScript],
        db: &mut Connected,
    ) -> Result<LintReport> {
        if pending.is_empty() {
            return Ok(LintReport::default());
        }
        let config = LintConfig::for_server(&mut db.conn)?;
        Ok(lint::lint_migrations(
            pending.iter().copied(),
            &self.lint_location(),
            &config,
        ))
    }
}

/// The indexes `selection` names (all of them for `Pending`, which the
/// ledger narrows later); checked before anything connects.
fn select(set: &MigrationSet, selection: &Selection) -> Result<Vec<usize>> {
    let n = set.len();
    let after = |side: &str, empty_is: usize| -> Result<usize> {
        match side.trim() {
            "" => Ok(empty_is),
            "base" => Ok(0),
            "head" => Ok(n),
            revision => resolve_revision(set, revision).map(|i| i + 1),
        }
    };
    Ok(match selection {
        Selection::Pending | Selection::All => (0..n).collect(),
        Selection::Range(from, to) => {
            let (from, to) = (after(from, 0)?, after(to, n)?);
            if from > to {
                return Err(Error::Usage(
                    "empty range: FROM is newer than TO; fix: write the older one first".into(),
                ));
            }
            (from..to).collect()
        }
        Selection::Since(since) => match resolve_revision(set, since) {
            Ok(i) => (i + 1..n).collect(),
            Err(_) if !since.is_empty() && since.bytes().all(|b| b.is_ascii_digit()) => (0..n)
                .filter(|&i| {
                    let v = &set.all()[i].version;
                    (v.len(), v.as_str()) > (since.len(), since.as_str())
                })
                .collect(),
            Err(e) => return Err(e),
        },
    })
}

/// Lints the migrations at `indexes` of `set`.
fn lint_indexes(
    set: &MigrationSet,
    indexes: &[usize],
    location: &str,
    config: &LintConfig,
) -> LintReport {
    lint::lint_migrations(indexes.iter().map(|&i| &set.all()[i]), location, config)
}

/// Prints the report: the findings in compiler style and a summary, or one
/// JSON document (with the fixes made, after `--fix`).
fn print_report(printer: &Printer, report: &LintReport, fixed: Option<Vec<Fixed<'_>>>) {
    let code = crate::outcome::exit_code(&Ok(outcome(report)));
    printer.report(&LintDocument::new(report, fixed, code));
}

/// How `lint` ended: a file that cannot be parsed, error-level findings,
/// or clean.
fn outcome(report: &LintReport) -> Outcome {
    if report.parse_failures().next().is_some() {
        Outcome::Unparsable
    } else {
        Outcome::clean_if(report.errors() == 0)
    }
}
