//! The JSON contract (docs/json.md): every document a command prints with
//! `--format json` carries `"format_version": 1`, the command's name and
//! `ok`;
//! timestamps are RFC 3339 in UTC, durations in milliseconds rounded to
//! 0.1 ms and never `-0.0`. Commands build their documents freely; this
//! module stamps and normalises them on the way out, so no command can
//! forget.

use crate::cli::{Commands, DevAction};
use serde_json::{Map, Value};
use std::sync::Mutex;

/// The version of the documented contract. Bumped only when a documented
/// field changes meaning or disappears; new fields may appear at any time.
pub const FORMAT_VERSION: u64 = 1;

/// Extra fields for the error document of a failed run (the steps applied
/// before the failure, the one that failed), set by the command that knows
/// them and merged by [`error_document`].
static FAILURE_DETAIL: Mutex<Option<Map<String, Value>>> = Mutex::new(None);

/// The name a document gives for the command, as typed (`dev start` for a
/// `dev` action; `create` also when typed as `revision`).
pub fn command_name(command: &Commands) -> &'static str {
    match command {
        Commands::Upgrade(_) => "upgrade",
        Commands::Downgrade(_) => "downgrade",
        Commands::Reset(_) => "reset",
        Commands::Redo(_) => "redo",
        Commands::Current => "current",
        Commands::History(_) => "history",
        Commands::Show(_) => "show",
        Commands::Pending => "pending",
        Commands::Create(_) => "create",
        Commands::Stamp(_) => "stamp",
        Commands::Accept(_) => "accept",
        Commands::Lint(_) => "lint",
        Commands::Check => "check",
        Commands::Verify(_) => "verify",
        Commands::Adopt => "adopt",
        Commands::Completions { .. } => "completions",
        Commands::Dev { action } => match action {
            DevAction::Start => "dev start",
            DevAction::Stop => "dev stop",
            DevAction::Status => "dev status",
            DevAction::Url => "dev url",
            DevAction::Destroy { .. } => "dev destroy",
        },
    }
}

/// `value` as the contract prints it: `format_version` and `command` first
/// (objects only), durations rounded, timestamps in RFC 3339.
pub fn finish(command: &str, value: &Value) -> Value {
    let mut body = value.clone();
    normalise(None, &mut body);
    let Value::Object(fields) = body else {
        return body;
    };
    let mut doc = Map::new();
    doc.insert("format_version".into(), FORMAT_VERSION.into());
    doc.insert("command".into(), command.into());
    // `ok` on every document: false only when the command failed (or, for
    // `check` and `verify`, found problems).
    doc.insert("ok".into(), true.into());
    for (key, field) in fields {
        if key != "format_version" && key != "command" {
            doc.insert(key, field);
        }
    }
    Value::Object(doc)
}

/// Remembers fields to add to this run's error document.
pub fn set_failure_detail(detail: Map<String, Value>) {
    if let Ok(mut slot) = FAILURE_DETAIL.lock() {
        *slot = Some(detail);
    }
}

/// The document printed when a command fails: the message, the exit code,
/// and whatever the command recorded with [`set_failure_detail`].
pub fn error_document(message: &str, exit_code: u8) -> Value {
    let mut doc = Map::new();
    doc.insert("ok".into(), false.into());
    doc.insert("error".into(), message.into());
    doc.insert("exit_code".into(), exit_code.into());
    if let Some(detail) = FAILURE_DETAIL.lock().ok().and_then(|mut s| s.take()) {
        doc.extend(detail);
    }
    Value::Object(doc)
}

/// A duration in milliseconds, rounded to 0.1 ms, never `-0.0`.
pub fn round_ms(ms: f64) -> f64 {
    let rounded = (ms * 10.0).round() / 10.0;
    if rounded == 0.0 || !rounded.is_finite() {
        0.0
    } else {
        rounded
    }
}

/// A timestamp in RFC 3339, UTC, whole seconds: `2026-12-02T11:30:28Z`.
pub fn rfc3339(at: &chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn normalise(key: Option<&str>, value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                normalise(Some(k), v);
            }
        }
        Value::Array(items) => {
            for v in items {
                normalise(key, v);
            }
        }
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                let f = if key.is_some_and(|k| k.ends_with("_ms")) {
                    round_ms(f)
                } else if f == 0.0 {
                    0.0
                } else {
                    f
                };
                *value = Value::from(f);
            }
        }
        Value::String(text) if key.is_some_and(|k| k.ends_with("_at") || k == "run_on") => {
            if let Some(at) = parse_timestamp(text) {
                *text = rfc3339(&at);
            }
        }
        _ => {}
    }
}

/// Reads the timestamp forms the toolkit produced before the contract
/// (chrono's serde form, `YYYY-MM-DD HH:MM:SS[ UTC]`).
fn parse_timestamp(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&chrono::Utc));
    }
    let bare = text.trim_end_matches(" UTC");
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(bare, f).ok())
        .map(|naive| naive.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stamps_and_normalises() {
        let doc = finish(
            "history",
            &json!({
                "total_ms": -0.01,
                "steps": [{ "duration_ms": 12.345_678 }],
                "applied_at": "2026-12-02 11:30:28 UTC",
                "run_on": "2026-12-02T11:30:28.123456",
                "ratio": -0.0,
            }),
        );
        assert_eq!(doc["format_version"], 1);
        assert_eq!(doc["command"], "history");
        assert_eq!(doc["total_ms"].to_string(), "0.0");
        assert_eq!(doc["steps"][0]["duration_ms"], 12.3);
        assert_eq!(doc["applied_at"], "2026-12-02T11:30:28Z");
        assert_eq!(doc["run_on"], "2026-12-02T11:30:28Z");
        assert_eq!(doc["ratio"].to_string(), "0.0");
    }
}
