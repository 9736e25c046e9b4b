//! A migration declared irreversible on purpose (a data migration, a
//! one-way drop): a comment line in its `down.sql`, which Diesel runs as a
//! comment and `verify` reports as "irreversible (declared)" instead of
//! failing on it (docs/verify.md).

use crate::migrations::source::MigrationScript;

/// The line in `down.sql` that declares a migration irreversible on purpose
/// (compared without case, after `--` and spaces). Diesel sees a comment.
pub const DECLARED_IRREVERSIBLE_MARKER: &str = "ragchat-migrate: irreversible";

/// True when `m`'s `down.sql` declares it irreversible.
pub fn declared_irreversible(m: &MigrationScript) -> bool {
    m.down_sql.as_deref().is_some_and(|sql| {
        sql.lines().any(|line| {
            line.trim().strip_prefix("--").is_some_and(|c| {
                c.trim()
                    .to_lowercase()
                    .starts_with(DECLARED_IRREVERSIBLE_MARKER)
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_down(down: &str) -> MigrationScript {
        MigrationScript {
            version: "1".into(),
            dir_name: "1_x".into(),
            up_sql: "SELECT 1;".into(),
            down_sql: Some(down.into()),
            run_in_transaction: true,
            up_sha256: String::new(),
            down_sha256: None,
        }
    }

    #[test]
    fn the_marker_is_a_comment_line() {
        assert!(declared_irreversible(&with_down(
            "-- ragchat-migrate: irreversible\n"
        )));
        assert!(declared_irreversible(&with_down(
            "SELECT 1;\n  --   RAGCHAT-MIGRATE: irreversible (data migration)\n"
        )));
        assert!(!declared_irreversible(&with_down(
            "DROP TABLE t; -- irreversible"
        )));
        assert!(!declared_irreversible(&with_down(
            "SELECT 'ragchat-migrate: irreversible';"
        )));
    }
}
