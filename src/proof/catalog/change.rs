//! One difference between two snapshots, and how it reads on one line.

use super::fact::{one_line, Kind};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Whether an object appeared, disappeared or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    /// Present in the newer snapshot only (`+`).
    Added,
    /// Present in the older snapshot only (`-`).
    Removed,
    /// Present in both with one attribute different (`~`).
    Altered,
}

impl ChangeOp {
    /// The sign that starts a rendered line.
    pub fn sign(self) -> char {
        match self {
            ChangeOp::Added => '+',
            ChangeOp::Removed => '-',
            ChangeOp::Altered => '~',
        }
    }
}

/// One difference between two snapshots.
///
/// The values are kept in full; only [`Display`](fmt::Display) shortens long
/// ones to keep a line readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Added, removed or altered.
    pub op: ChangeOp,
    /// The kind of the object.
    pub kind: Kind,
    /// The object's identity.
    pub name: String,
    /// For [`ChangeOp::Altered`], the attribute that differs.
    pub attribute: Option<String>,
    /// The older value: the attribute's for an alteration (absent when the
    /// attribute did not apply), the object's [`Fact::summary`] for a removal.
    pub old: Option<String>,
    /// The newer value: the attribute's for an alteration, the object's
    /// summary for an addition.
    pub new: Option<String>,
}

/// Longest rendered summary of an added or removed object, in characters.
pub(crate) const MAX_SUMMARY: usize = 120;
/// Values up to this length are shown whole in an alteration.
const MAX_WHOLE_VALUE: usize = 100;
/// Characters of unchanged text kept around the differing part.
const CONTEXT: usize = 24;

impl fmt::Display for Change {
    /// `+ kind name summary`, `- kind name summary` or
    /// `~ kind name attribute old -> new`, on one line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.op.sign(), self.kind, self.name)?;
        match self.op {
            ChangeOp::Added | ChangeOp::Removed => {
                let summary = self.new.as_deref().or(self.old.as_deref()).unwrap_or("");
                let summary = truncate(&one_line(summary), MAX_SUMMARY);
                if !summary.is_empty() {
                    write!(f, " {summary}")?;
                }
                Ok(())
            }
            ChangeOp::Altered => {
                let (old, new) = compact_pair(
                    &self.old.as_deref().map(one_line),
                    &self.new.as_deref().map(one_line),
                );
                write!(
                    f,
                    " {} {old} -> {new}",
                    self.attribute.as_deref().unwrap_or("?")
                )
            }
        }
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max).collect();
    cut.push('…');
    cut
}

/// Two values for one `old -> new` line: short ones whole, long ones cut
/// down to the part that differs with some context, so that a one-word edit
/// in a function body stays one readable line.
fn compact_pair(old: &Option<String>, new: &Option<String>) -> (String, String) {
    const NONE: &str = "(none)";
    let (Some(old), Some(new)) = (old, new) else {
        return (
            old.as_deref()
                .map_or(NONE.into(), |v| truncate(v, MAX_SUMMARY)),
            new.as_deref()
                .map_or(NONE.into(), |v| truncate(v, MAX_SUMMARY)),
        );
    };
    let (o, n): (Vec<char>, Vec<char>) = (old.chars().collect(), new.chars().collect());
    if o.len() <= MAX_WHOLE_VALUE && n.len() <= MAX_WHOLE_VALUE {
        return (old.clone(), new.clone());
    }
    let prefix = o.iter().zip(&n).take_while(|(a, b)| a == b).count();
    let max_suffix = o.len().min(n.len()) - prefix;
    let suffix = o
        .iter()
        .rev()
        .zip(n.iter().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    // Widen the context to whole words, within reason.
    let start = {
        let mut at = prefix.saturating_sub(CONTEXT);
        let limit = at.saturating_sub(CONTEXT / 2);
        while at > limit && !o[at - 1].is_whitespace() {
            at -= 1;
        }
        at
    };
    let window = |chars: &[char]| -> String {
        let mut end = (chars.len() - suffix + CONTEXT).min(chars.len());
        let limit = (end + CONTEXT / 2).min(chars.len());
        while end < limit && !chars[end].is_whitespace() {
            end += 1;
        }
        let mut out = String::new();
        if start > 0 {
            out.push('…');
        }
        out.extend(&chars[start..end]);
        if end < chars.len() {
            out.push('…');
        }
        truncate(&out, MAX_SUMMARY)
    };
    (window(&o), window(&n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_cut_down_to_where_they_differ() {
        let body = |word: &str| {
            format!(
                "CREATE FUNCTION f()\n  RETURNS trigger AS $$ BEGIN NEW.at := {word}; \
                 RETURN NEW; END; $$ LANGUAGE plpgsql -- é and more text to make it long enough"
            )
        };
        let (old, new) = compact_pair(
            &Some(one_line(&body("now()"))),
            &Some(one_line(&body("clock()"))),
        );
        assert_eq!(
            old,
            "…trigger AS $$ BEGIN NEW.at := now(); RETURN NEW; END; $$ LANGUAGE…"
        );
        assert_eq!(
            new,
            "…trigger AS $$ BEGIN NEW.at := clock(); RETURN NEW; END; $$ LANGUAGE…"
        );
        // Multi-byte characters right at the cut do not panic.
        let long_old = "é".repeat(200);
        let long_new = format!("{}ü", "é".repeat(199));
        let (o, n) = compact_pair(&Some(long_old), &Some(long_new));
        assert!(o.ends_with("é") && n.ends_with("ü"), "{o} / {n}");
        assert!(o.chars().count() <= MAX_SUMMARY + 1);
    }
}
