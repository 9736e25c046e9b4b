//! A schema as sorted facts, and what changed between two of them.

use super::change::{Change, ChangeOp};
use super::fact::{Fact, Kind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The schema of a database as sorted facts; see the module documentation.
///
/// Serialises as `{"facts": [...]}`; deserialising sorts again, so a
/// hand-edited file still diffs correctly.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SnapshotRepr")]
pub struct Snapshot {
    facts: Vec<Fact>,
}

#[derive(Deserialize)]
struct SnapshotRepr {
    facts: Vec<Fact>,
}

impl From<SnapshotRepr> for Snapshot {
    fn from(repr: SnapshotRepr) -> Self {
        Snapshot::from_facts(repr.facts)
    }
}

impl Snapshot {
    /// A snapshot of the given facts, sorted by kind then name (byte order).
    pub fn from_facts(mut facts: Vec<Fact>) -> Self {
        facts.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        Snapshot { facts }
    }

    /// The facts, sorted by kind then name.
    pub fn facts(&self) -> &[Fact] {
        &self.facts
    }

    /// The fact of one object, if present.
    pub fn get(&self, kind: Kind, name: &str) -> Option<&Fact> {
        self.facts
            .binary_search_by(|f| (f.kind, f.name.as_str()).cmp(&(kind, name)))
            .ok()
            .map(|i| &self.facts[i])
    }

    /// True when the database has no schema objects of its own.
    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    /// The number of facts.
    pub fn len(&self) -> usize {
        self.facts.len()
    }

    /// What changed from `self` (the older snapshot) to `newer`: objects
    /// added, removed, and one [`Change`] per attribute that differs, in
    /// snapshot order.
    pub fn diff(&self, newer: &Snapshot) -> Vec<Change> {
        // Keyed maps rather than a merge walk, so that the result does not
        // depend on both inputs being sorted.
        let old = by_identity(self);
        let new = by_identity(newer);
        let mut keys: Vec<&(Kind, String)> = old.keys().chain(new.keys()).collect();
        keys.sort();
        keys.dedup();

        let mut changes = Vec::new();
        for key in keys {
            let (kind, name) = (key.0, key.1.clone());
            match (old.get(key), new.get(key)) {
                (Some(o), None) => changes.extend(o.iter().map(|f| Change {
                    op: ChangeOp::Removed,
                    kind,
                    name: name.clone(),
                    attribute: None,
                    old: Some(f.summary()),
                    new: None,
                })),
                (None, Some(n)) => changes.extend(n.iter().map(|f| Change {
                    op: ChangeOp::Added,
                    kind,
                    name: name.clone(),
                    attribute: None,
                    old: None,
                    new: Some(f.summary()),
                })),
                (Some(o), Some(n)) => {
                    // Identities are unique per kind; should a catalog ever
                    // yield two facts of the same identity, compare their
                    // attributes merged.
                    let merge = |fs: &[&Fact]| -> Vec<(String, String)> {
                        fs.iter().flat_map(|f| f.attributes.clone()).collect()
                    };
                    let (oa, na) = (merge(o), merge(n));
                    let mut attr_keys: Vec<&str> = oa.iter().map(|(k, _)| k.as_str()).collect();
                    for (k, _) in &na {
                        if !attr_keys.contains(&k.as_str()) {
                            attr_keys.push(k);
                        }
                    }
                    let lookup = |attrs: &[(String, String)], k: &str| {
                        attrs.iter().find(|(ak, _)| ak == k).map(|(_, v)| v.clone())
                    };
                    for k in attr_keys {
                        let (ov, nv) = (lookup(&oa, k), lookup(&na, k));
                        if ov != nv {
                            changes.push(Change {
                                op: ChangeOp::Altered,
                                kind,
                                name: name.clone(),
                                attribute: Some(k.to_string()),
                                old: ov,
                                new: nv,
                            });
                        }
                    }
                }
                (None, None) => unreachable!("every key comes from one of the maps"),
            }
        }
        changes
    }
}

/// The facts of a snapshot keyed by (kind, name).
fn by_identity(snapshot: &Snapshot) -> BTreeMap<(Kind, String), Vec<&Fact>> {
    let mut map: BTreeMap<(Kind, String), Vec<&Fact>> = BTreeMap::new();
    for fact in &snapshot.facts {
        map.entry((fact.kind, fact.name.clone()))
            .or_default()
            .push(fact);
    }
    map
}

impl fmt::Display for Snapshot {
    /// One fact per line, in snapshot order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for fact in &self.facts {
            writeln!(f, "{fact}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(changes: &[Change]) -> Vec<String> {
        changes.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn changes_render_as_one_line_each() {
        let older = Snapshot::from_facts(vec![
            Fact::new(
                Kind::Column,
                "documents.num_chunks",
                &[
                    ("type", "integer"),
                    ("nullability", "not null"),
                    ("default", "0"),
                ],
            ),
            Fact::new(
                Kind::Column,
                "documents.num_tokens",
                &[("type", "integer"), ("nullability", "null")],
            ),
            Fact::new(Kind::Table, "t", &[("columns", "(a, b, c)")]),
        ]);
        let newer = Snapshot::from_facts(vec![
            Fact::new(Kind::Table, "t", &[("columns", "(a, c, b)")]),
            Fact::new(
                Kind::Index,
                "users ix_users_email",
                &[("definition", "UNIQUE USING btree (email)")],
            ),
            Fact::new(
                Kind::Column,
                "documents.num_chunks",
                &[
                    ("type", "integer"),
                    ("nullability", "not null"),
                    ("default", "1"),
                ],
            ),
        ]);
        assert_eq!(
            lines(&older.diff(&newer)),
            [
                "~ table t columns (a, b, c) -> (a, c, b)",
                "~ column documents.num_chunks default 0 -> 1",
                "- column documents.num_tokens integer null",
                "+ index users ix_users_email UNIQUE USING btree (email)",
            ]
        );
        // And back again.
        assert_eq!(
            lines(&newer.diff(&older)),
            [
                "~ table t columns (a, c, b) -> (a, b, c)",
                "~ column documents.num_chunks default 1 -> 0",
                "+ column documents.num_tokens integer null",
                "- index users ix_users_email UNIQUE USING btree (email)",
            ]
        );
        assert!(older.diff(&older).is_empty());
    }

    #[test]
    fn an_attribute_that_appears_or_goes_is_shown_as_none() {
        let a = Snapshot::from_facts(vec![Fact::new(Kind::Column, "t.c", &[("type", "integer")])]);
        let b = Snapshot::from_facts(vec![Fact::new(
            Kind::Column,
            "t.c",
            &[("type", "integer"), ("default", "now()")],
        )]);
        let changes = a.diff(&b);
        assert_eq!(lines(&changes), ["~ column t.c default (none) -> now()"]);
        assert_eq!(changes[0].old, None);
        assert_eq!(lines(&b.diff(&a)), ["~ column t.c default now() -> (none)"]);
    }

    #[test]
    fn added_summaries_are_one_line_and_bounded() {
        let f = Fact::new(
            Kind::View,
            "v",
            &[(
                "definition",
                &format!(" SELECT a,\n    b\n   FROM t{};", " ".repeat(5)),
            )],
        );
        assert_eq!(f.to_string(), "view v SELECT a, b FROM t ;");
        let long = Fact::new(Kind::Function, "f()", &[("definition", &"x".repeat(500))]);
        let change = &Snapshot::default().diff(&Snapshot::from_facts(vec![long]))[0];
        let line = change.to_string();
        assert!(line.starts_with("+ function f() xxx") && line.ends_with('…'));
        assert_eq!(change.new.as_deref().map(str::len), Some(500), "kept whole");
    }

    #[test]
    fn deserialising_sorts_the_facts() {
        let json = r#"{"facts": [
            {"kind": "trigger", "name": "users t", "attributes": [["definition", "x"]]},
            {"kind": "materialized_view", "name": "mv", "attributes": []},
            {"kind": "column", "name": "users.b", "attributes": [["type", "text"]]},
            {"kind": "column", "name": "users.a", "attributes": [["type", "text"]]}
        ]}"#;
        let s: Snapshot = serde_json::from_str(json).unwrap();
        let order: Vec<_> = s.facts().iter().map(|f| f.to_string()).collect();
        assert_eq!(
            order,
            [
                "column users.a text",
                "column users.b text",
                "materialized view mv",
                "trigger users t x",
            ]
        );
        assert_eq!(
            s.get(Kind::Column, "users.b").unwrap().get("type"),
            Some("text")
        );
        let again: Snapshot = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(again, s);
    }
}
