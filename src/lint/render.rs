//! Findings as text, in the compiler style Squawk prints them
//! (annotate-snippets: `error[rule]: message`, the path with line and
//! column, the statement excerpt underlined, Squawk's help and fix), and as
//! one JSON document.

use super::{FileReport, Finding, Level, LintReport, ParseFailure};
use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Patch, Renderer, Snippet};

/// The text report: every finding and parse failure, then a summary line.
pub fn text(report: &LintReport, color: bool) -> String {
    let renderer = if color {
        Renderer::styled()
    } else {
        Renderer::plain()
    }
    .decor_style(DecorStyle::Unicode);
    let mut out = String::new();
    for file in &report.files {
        if let Some(failure) = &file.parse_failure {
            out.push_str(&renderer.render(&[parse_group(file, failure)]));
            out.push_str("\n\n");
        }
        for finding in &file.findings {
            out.push_str(&renderer.render(&[finding_group(file, finding)]));
            out.push_str("\n\n");
        }
    }
    out.push_str(&summary(report));
    out
}

/// One line: how many errors and warnings in how many migrations.
pub fn summary(report: &LintReport) -> String {
    let failures = report.parse_failures().count();
    let mut line = format!(
        "lint: {} error(s), {} warning(s) in {} migration(s) (PostgreSQL {} rules)",
        report.errors(),
        report.warnings(),
        report.linted,
        report.pg_version
    );
    if report.excluded > 0 {
        line.push_str(&format!("; {} excluded by excluded_paths", report.excluded));
    }
    if failures > 0 {
        line.push_str(&format!("; {failures} file(s) could not be parsed"));
    }
    line
}

fn level(level: Level) -> annotate_snippets::Level<'static> {
    match level {
        Level::Error => annotate_snippets::Level::ERROR,
        Level::Warning => annotate_snippets::Level::WARNING,
    }
}

fn finding_group<'a>(file: &'a FileReport, finding: &'a Finding) -> Group<'a> {
    let snippet = Snippet::source(file.sql.as_str())
        .path(file.file.as_str())
        .fold(true)
        .annotation(AnnotationKind::Primary.span(finding.range.clone()));
    let mut group = level(finding.level)
        .primary_title(finding.message.as_str())
        .id(finding.rule.as_str())
        .element(snippet);
    if let Some(help) = &finding.help {
        group = group.element(annotate_snippets::Level::HELP.message(help.as_str()));
    }
    if let Some(fix) = &finding.edits {
        let patches = fix.edits.iter().map(|edit| {
            let range = super::to_range!(edit.text_range);
            Patch::new(range, edit.text.as_deref().unwrap_or_default().to_string())
        });
        group = group.element(
            Snippet::source(file.sql.as_str())
                .path(file.file.as_str())
                .fold(true)
                .patches(patches),
        );
    }
    group
}

fn parse_group<'a>(file: &'a FileReport, failure: &'a ParseFailure) -> Group<'a> {
    let snippet = Snippet::source(file.sql.as_str())
        .path(file.file.as_str())
        .fold(true)
        .annotation(AnnotationKind::Primary.span(failure.range.clone()));
    annotate_snippets::Level::ERROR
        .primary_title(failure.message.as_str())
        .id("syntax-error")
        .element(snippet)
        .element(annotate_snippets::Level::HELP.message(
            "Squawk's parser cannot read this file, so it was not linted; fix the SQL, or \
             report valid SQL it rejects to https://github.com/sbdchd/squawk",
        ))
}

/// The body of `lint --format json`: counts, findings and parse errors.
#[derive(Debug, serde::Serialize)]
pub struct LintSummary<'r> {
    /// Migrations linted.
    pub linted: usize,
    /// Migrations excluded by the configuration.
    pub excluded: usize,
    /// The PostgreSQL version the rules were judged for.
    pub pg_version: &'r str,
    /// Findings at error level.
    pub errors: usize,
    /// Findings at warning level.
    pub warnings: usize,
    /// Every finding, in migration order.
    pub findings: Vec<&'r Finding>,
    /// Files Squawk's parser could not read.
    pub parse_errors: Vec<&'r ParseFailure>,
}

/// The JSON body of `lint --format json` for `report`.
pub fn json_summary(report: &LintReport) -> LintSummary<'_> {
    LintSummary {
        linted: report.linted,
        excluded: report.excluded,
        pg_version: &report.pg_version,
        errors: report.errors(),
        warnings: report.warnings(),
        findings: report.findings().collect(),
        parse_errors: report.parse_failures().collect(),
    }
}
