//! How `verify` reads `--from` and prints its verdicts and final table.

use crate::output::{Printer, Style};
use ragchat_migrate::error::{Error, Result};
use ragchat_migrate::migrations::names::shown;
use ragchat_migrate::migrations::source::MigrationSet;
use ragchat_migrate::migrations::target::{resolve_revision, Target};
use ragchat_migrate::proof::verify::{Report, Verdict};

/// How many migrations `--from TARGET` applies before checking: those up to
/// and including TARGET (`base`: none, `head`: all).
pub fn start_index(set: &MigrationSet, from: Option<&str>) -> Result<usize> {
    let Some(text) = from else {
        return Ok(0);
    };
    match text.parse::<Target>()? {
        Target::Base => Ok(0),
        Target::Head => Ok(set.len()),
        Target::Revision(r) => Ok(resolve_revision(set, &r)? + 1),
        Target::Relative(_) => Err(Error::Usage(format!(
            "verify --from {text}: a relative target has no meaning here; fix: give a \
             version, a directory name, base or head"
        ))),
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
    let took = p.paint(
        &format!("({})", crate::output::duration(v.duration_ms)),
        Style::Dim,
    );
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
pub fn print_summary(p: &Printer, report: &Report) {
    p.line("");
    p.line(format!("{:<24} migration", "verdict"));
    for v in &report.migrations {
        p.line(format!("{:<24} {}", v.verdict, shown(&v.name)));
    }
    let rt = &report.round_trip;
    p.line(format!(
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
    p.line(format!(
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
    p.line(if report.ok {
        format!(
            "verified {} migration(s): every one reverts cleanly or is declared irreversible",
            t.checked
        )
    } else {
        "verification failed".to_string()
    });
}
