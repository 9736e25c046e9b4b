//! The report of `verify`: a line per verdict as soon as it is known, then
//! the table of every migration checked, the round trip and the totals.

use super::{duration, Printer, Report, Style};
use ragchat_migrate::migrations::names::shown;
use ragchat_migrate::proof::verify::{self, Verdict};
use serde::Serialize;

/// `verify`.
#[derive(Debug, Serialize)]
pub struct VerifyReport {
    /// The masked URL of the database the scratch databases were made from.
    pub database: String,
    /// The last scratch database.
    pub scratch_database: String,
    /// `--keep`: it was left in place.
    pub kept: bool,
    /// `--from` as given.
    pub from: Option<String>,
    /// The verdicts, round trip, totals and `ok`.
    #[serde(flatten)]
    pub report: verify::Report,
}

impl Report for VerifyReport {
    fn text(&self, _: &Printer) -> Vec<String> {
        summary(&self.report)
    }
}

/// One line per verdict as soon as it is known, with its problems and diffs.
pub fn print_verdict(p: &Printer, v: &Verdict) {
    let tag = match v.verdict.as_str() {
        _ if v.version.is_empty() && v.ok => p.paint("PASS", Style::Good),
        _ if v.version.is_empty() => p.paint("FAIL", Style::Bad),
        "reversible" => p.paint("PASS", Style::Good),
        "irreversible (declared)" => p.paint("SKIP", Style::Warn),
        "not checked" => p.paint("----", Style::Dim),
        _ => p.paint("FAIL", Style::Bad),
    };
    let took = p.paint(&format!("({})", duration(v.duration_ms)), Style::Dim);
    let name = if v.version.is_empty() {
        v.name.clone()
    } else {
        shown(&v.name).into_owned()
    };
    p.line(format!("{tag} {name}  {took}"));
    for problem in &v.problems {
        p.line(format!("       {}: {}", problem.stage, problem.detail));
        for line in &problem.diff {
            p.line(format!("         {line}"));
        }
    }
}

/// The table of every migration checked, the round trip and the totals.
fn summary(report: &verify::Report) -> Vec<String> {
    let mut lines = Vec::new();
    lines.push(String::new());
    lines.push(format!("{:<24} migration", "verdict"));
    for v in &report.migrations {
        lines.push(format!("{:<24} {}", v.verdict, shown(&v.name)));
    }
    let rt = &report.round_trip;
    lines.push(format!(
        "{:<24} {} ({})",
        if rt.ok {
            "round trip ok"
        } else {
            "round trip FAILED"
        },
        rt.name,
        rt.verdict
    ));
    let t = &report.totals;
    lines.push(format!(
        "{} checked: {} reversible, {} irreversible, {} irreversible (declared), {} failed to \
         apply, {} not checked{}",
        t.checked,
        t.reversible,
        t.irreversible,
        t.declared,
        t.up_failed,
        t.not_checked,
        if t.rebuilds > 0 {
            format!(" ({} scratch rebuild(s) to carry on)", t.rebuilds)
        } else {
            String::new()
        }
    ));
    lines.push(if report.ok {
        format!(
            "verified {} migration(s): every one reverts cleanly or is declared irreversible",
            t.checked
        )
    } else {
        "verification failed".to_string()
    });
    lines
}
