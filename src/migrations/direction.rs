//! Which way a migration step goes. A leaf: the planner makes steps with
//! it, and the ledger decides from it when its side records are due.

use serde::Serialize;

/// Which way a step goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Run `up.sql`.
    Up,
    /// Run `down.sql`.
    Down,
}

impl Direction {
    /// The file a step in this direction runs.
    pub fn file(self) -> &'static str {
        match self {
            Direction::Up => "up.sql",
            Direction::Down => "down.sql",
        }
    }
}
