//! The report of `lint`: the findings in compiler style and a summary, or
//! the engine's JSON document with the exit code (and, after `--fix`, the
//! fixes made).

use super::{Printer, Report, Style};
use ragchat_migrate::lint::fix::FixPlan;
use ragchat_migrate::lint::{render, LintReport};
use serde::Serialize;

/// `lint`.
#[derive(Debug, Serialize)]
pub struct LintDocument<'a> {
    /// The engine's document: counts, findings, parse errors.
    #[serde(flatten)]
    pub document: render::LintSummary<'a>,
    /// After `--fix`: per migration, the fixes applied and skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed: Option<Vec<Fixed<'a>>>,
    /// The command's exit code.
    pub exit_code: u8,
    /// True when the exit code is 0.
    pub ok: bool,
    /// The report, for the text.
    #[serde(skip)]
    pub report: &'a LintReport,
}

impl<'a> LintDocument<'a> {
    /// The document of `report`, ending with `exit_code`.
    pub fn new(report: &'a LintReport, fixed: Option<Vec<Fixed<'a>>>, exit_code: u8) -> Self {
        LintDocument {
            document: render::json_summary(report),
            fixed,
            exit_code,
            ok: exit_code == 0,
            report,
        }
    }
}

impl Report for LintDocument<'_> {
    fn text(&self, p: &Printer) -> Vec<String> {
        vec![render::text(self.report, p.color)]
    }
}

/// What `--fix` did to one migration.
#[derive(Debug, Serialize)]
pub struct Fixed<'a> {
    /// The migration directory name.
    pub migration: &'a str,
    /// The file as shown.
    pub file: &'a str,
    /// `line:column rule: fix title` of each fix applied.
    pub applied: &'a [String],
    /// Fixes left out, with the reason.
    pub skipped: &'a [String],
    /// metadata.toml now says run_in_transaction = false.
    pub run_in_transaction_false: bool,
}

impl<'a> Fixed<'a> {
    /// What `plan` does.
    pub fn of(plan: &'a FixPlan) -> Self {
        Fixed {
            migration: &plan.migration,
            file: &plan.file,
            applied: &plan.applied,
            skipped: &plan.skipped,
            run_in_transaction_false: plan.make_non_transactional,
        }
    }

    /// The lines printed once the fixes are written into `location`.
    pub fn lines(&self, p: &Printer, location: &str) -> Vec<String> {
        let fixed = p.paint("fixed", Style::Good);
        let mut lines: Vec<String> = self
            .applied
            .iter()
            .map(|line| format!("{fixed} {}:{line}", self.file))
            .collect();
        if self.run_in_transaction_false {
            lines.push(format!(
                "{fixed} {location}/{}/metadata.toml: run_in_transaction = false (CONCURRENTLY \
                 cannot run in a transaction)",
                self.migration
            ));
        }
        for line in self.skipped {
            lines.push(format!("not fixed {}:{line}", self.file));
        }
        lines
    }
}
