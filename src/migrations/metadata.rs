//! `metadata.toml`, a migration directory's settings, read the way Diesel
//! reads it. A leaf: both the directory reader (for Diesel's harness) and the
//! migration set use it.

use serde::Deserialize;

/// `metadata.toml` as Diesel reads it. Diesel falls back silently to the
/// default (a transaction) when the file is not valid TOML or the key has
/// the wrong type; we refuse instead, because the author meant something
/// and a silent transaction breaks `CREATE INDEX CONCURRENTLY`. A valid file
/// means what it means to Diesel: a present file without the key means
/// `false` (serde's default for `bool`), and other keys are ignored, as
/// Diesel ignores them (tools keep their own settings there), except a key
/// that looks like a misspelt `run_in_transaction`.
#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    run_in_transaction: bool,
    #[serde(flatten)]
    other: std::collections::BTreeMap<String, toml::Value>,
}

/// The `run_in_transaction` setting of a `metadata.toml`, or why the file
/// is refused (the reason, with its fix).
pub fn run_in_transaction(text: &str) -> Result<bool, String> {
    let fix = "fix: the only setting is `run_in_transaction = false` (or true)";
    let metadata =
        toml::from_str::<Metadata>(text).map_err(|e| format!("{}; {fix}", e.message()))?;
    if let Some(key) = metadata.other.keys().find(|k| misspelt_setting(k)) {
        return Err(format!(
            "unknown key `{key}` (Diesel would ignore it and run in a transaction); {fix}"
        ));
    }
    Ok(metadata.run_in_transaction)
}

/// A key that is `run_in_transaction` with a typo, other case or separators.
fn misspelt_setting(key: &str) -> bool {
    let folded: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    folded.contains("transact") || folded.starts_with("runin") || folded.contains("intrans")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_follows_diesel_semantics_but_rejects_garbage() {
        assert_eq!(run_in_transaction("run_in_transaction = false"), Ok(false));
        assert_eq!(run_in_transaction("run_in_transaction = true"), Ok(true));
        assert_eq!(run_in_transaction(""), Ok(false));
        assert!(run_in_transaction("run_in_transaction = 'no'").is_err());
        assert!(run_in_transaction("run_in_transactoin = false").is_err());
        assert!(run_in_transaction("[[[").is_err());
        assert!(run_in_transaction("Run-In-Transaction = false").is_err());
        // Keys Diesel ignores are ignored here too.
        assert_eq!(
            run_in_transaction("owner = 'team-a'\nrun_in_transaction = false"),
            Ok(false)
        );
        assert_eq!(run_in_transaction("[tool]\nnote = 1"), Ok(false));
    }
}
