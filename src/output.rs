//! Human and JSON rendering for the CLI: colour, quiet mode, and the one
//! JSON document a command prints with `--format json`. Commands build a
//! typed report (the files under `output/`, one per command family) and
//! hand it to [`Printer::report`], which prints it as text or as JSON.
//! Beside the reports: the JSON envelope (`json_contract`), progress bars
//! and step counters (`progress`), the notes about the local cluster
//! (`local_notes`), and quiet exit on a closed pipe (`pipe`).

pub mod check;
pub mod create;
pub mod dev;
pub mod history;
pub mod json_contract;
pub mod ledger;
pub mod lint;
pub mod local_notes;
pub mod migrate;
pub mod pipe;
pub mod progress;
pub mod show;
pub mod status;
pub mod verify;

use crate::cli::{ColorChoice, Format, Global};
use ragchat_migrate::config::secrets::mask;
use std::io::{IsTerminal, Write};
use std::sync::OnceLock;

/// The `source` field of every JSON document, once the command has chosen
/// its migrations.
static SOURCE: OnceLock<serde_json::Value> = OnceLock::new();

/// Records which migrations the command uses, for its JSON document.
pub fn set_source(source: serde_json::Value) {
    let _ = SOURCE.set(source);
}

/// A command's result: its human text, or (serialized) its JSON document.
pub trait Report: serde::Serialize {
    /// The human report: stdout lines, written at once (none: nothing).
    fn text(&self, p: &Printer) -> Vec<String>;
}

/// A duration for people: `12.3 ms` below a second, `4.2 s` from there.
pub fn duration(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

/// Where and how a command prints.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    /// Text or JSON.
    pub format: Format,
    /// ANSI colours on.
    pub color: bool,
    /// Only errors.
    pub quiet: bool,
    /// The command's name for JSON documents (see `json_contract`).
    pub command: &'static str,
    /// The colour choice for stderr (`--color`, NO_COLOR, a terminal).
    pub color_stderr: bool,
}

/// The styles the CLI uses.
#[derive(Debug, Clone, Copy)]
pub enum Style {
    /// Applied, success.
    Good,
    /// Pending, warnings.
    Warn,
    /// Errors, unknown versions.
    Bad,
    /// Secondary information.
    Dim,
    /// Emphasis.
    Bold,
}

impl Printer {
    /// From the global options and the environment.
    pub fn new(global: &Global) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stdout().is_terminal(),
        };
        let color_stderr = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !no_color && std::io::stderr().is_terminal(),
        };
        Printer {
            format: global.format,
            color,
            quiet: global.quiet,
            command: "",
            color_stderr,
        }
    }

    /// True with `--format json`.
    pub fn json_mode(&self) -> bool {
        self.format == Format::Json
    }

    /// A line of the human report on stdout (not with `-q` or JSON).
    pub fn line(&self, text: impl AsRef<str>) {
        if !self.quiet && !self.json_mode() {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", mask(text.as_ref()));
        }
    }

    /// A side note on stderr (not with `-q`).
    pub fn note(&self, text: impl AsRef<str>) {
        if !self.quiet {
            let text = mask(text.as_ref());
            let text = text.as_str();
            match text.strip_prefix("warning:") {
                // Coloured as `--color` says for stderr, like `error:`.
                Some(rest) => {
                    let painter = Printer {
                        color: self.color_stderr,
                        ..*self
                    };
                    eprintln!("{}{rest}", painter.paint("warning:", Style::Warn));
                }
                None => eprintln!("{text}"),
            }
        }
    }

    /// The command's JSON document on stdout (JSON mode only).
    pub fn json(&self, value: &serde_json::Value) {
        if self.json_mode() {
            let mut value = value.clone();
            if let (Some(object), Some(source)) = (value.as_object_mut(), SOURCE.get()) {
                object.entry("source").or_insert_with(|| source.clone());
            }
            let mut out = std::io::stdout().lock();
            let doc = crate::output::json_contract::finish(self.command, &value);
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            let _ = writeln!(out, "{}", mask(&text));
        }
    }

    /// `report` as text on stdout, or as the command's JSON document.
    pub fn report(&self, report: &impl Report) {
        if self.json_mode() {
            self.json_of(report);
        } else if !self.quiet {
            let lines = report.text(self);
            if !lines.is_empty() {
                self.line(lines.join("\n"));
            }
        }
    }

    /// A serializable document as the command's JSON document (JSON mode only).
    pub fn json_of(&self, document: &impl serde::Serialize) {
        if self.json_mode() {
            self.json(&serde_json::to_value(document).unwrap_or_default());
        }
    }

    /// An error, on stderr (and as JSON on stdout in JSON mode).
    pub fn error(&self, message: &str, exit_code: u8) {
        // As `--color` says for stderr (auto: when stderr is a terminal).
        let prefix = Printer {
            color: self.color_stderr,
            ..*self
        }
        .paint("error:", Style::Bad);
        let message = mask(message);
        eprintln!("{prefix} {message}");
        if self.json_mode() {
            self.json(&crate::output::json_contract::error_document(
                &message, exit_code,
            ));
        }
    }

    /// `text` in a style, when colour is on.
    pub fn paint(&self, text: &str, style: Style) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match style {
            Style::Good => "32",
            Style::Warn => "33",
            Style::Bad => "31;1",
            Style::Dim => "2",
            Style::Bold => "1",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}
