//! The names of the rules the toolkit adds to Squawk's: a leaf, so that the
//! configuration (which validates rule names) and the checks (which report
//! them) both depend on it and not on each other.

/// Our rule for `ADD VALUE` in a transaction before PostgreSQL 12.
pub const RULE_NAME: &str = "add-enum-value-in-transaction";
/// Our rule for other `CONCURRENTLY` statements in a transaction.
pub const CONCURRENTLY_RULE: &str = "concurrently-in-transaction";
/// The rules the toolkit adds to Squawk's.
pub const OWN_RULES: &[&str] = &[RULE_NAME, CONCURRENTLY_RULE];
