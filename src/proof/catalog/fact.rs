//! One schema object as a fact: its [`Kind`], its identity and its
//! attributes.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What kind of schema object a [`Fact`] describes.
///
/// The declaration order is the order of a snapshot: containers first, then
/// what lives in them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A schema other than `public` and the system ones; no attributes.
    Schema,
    /// An installed extension: `version`, `schema`.
    Extension,
    /// An enum type: `labels` in order, e.g. `('user', 'assistant')`.
    Enum,
    /// A domain: `type`, `nullability` (only when `not null`), `default`;
    /// its CHECK constraints are [`Kind::Constraint`] facts.
    Domain,
    /// A composite type (`attributes`) or a range type (`range of`).
    Type,
    /// A sequence not backing an identity column: `type`, `increment`,
    /// `start`, `min`, `max`, `cache`, `cycle`, `owned by`.
    Sequence,
    /// A table: `columns` in order, and when they apply `persistence`,
    /// `partitioned by`, `partition of`, `inherits`, `options`.
    Table,
    /// A table column, named `table.column`: `type`, `nullability`, and when
    /// they apply `default`, `generated`, `identity`, `collation`. The
    /// column's position is the table's `columns` attribute rather than one
    /// of its own, so dropping a column is one table change, not a position
    /// change for every column after it.
    Column,
    /// A constraint, named `table constraint` (or `domain constraint`):
    /// `definition` from `pg_get_constraintdef`.
    Constraint,
    /// An index that backs no constraint, named `table index`: `definition`
    /// from `pg_get_indexdef` without the `CREATE INDEX name ON table` part.
    Index,
    /// A view: `definition` from `pg_get_viewdef`, and `options`.
    View,
    /// A materialized view: `definition` from `pg_get_viewdef`.
    MaterializedView,
    /// A function, named `name(identity arguments)`: `definition` from
    /// `pg_get_functiondef`.
    Function,
    /// An aggregate, named `name(identity arguments)`: `definition`
    /// (transition function, state type, final function, initial value).
    Aggregate,
    /// A procedure, named `name(identity arguments)`: `definition`.
    Procedure,
    /// A trigger, named `table trigger`: `definition` from
    /// `pg_get_triggerdef` without the `CREATE TRIGGER name` and `ON table`
    /// parts, and `state` when it is not simply enabled.
    Trigger,
}

impl Kind {
    /// Every kind, in snapshot order.
    pub const ALL: [Kind; 16] = [
        Kind::Schema,
        Kind::Extension,
        Kind::Enum,
        Kind::Domain,
        Kind::Type,
        Kind::Sequence,
        Kind::Table,
        Kind::Column,
        Kind::Constraint,
        Kind::Index,
        Kind::View,
        Kind::MaterializedView,
        Kind::Function,
        Kind::Aggregate,
        Kind::Procedure,
        Kind::Trigger,
    ];

    /// The word used in rendered lines (and by the catalog query).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Schema => "schema",
            Kind::Extension => "extension",
            Kind::Enum => "enum",
            Kind::Domain => "domain",
            Kind::Type => "type",
            Kind::Sequence => "sequence",
            Kind::Table => "table",
            Kind::Column => "column",
            Kind::Constraint => "constraint",
            Kind::Index => "index",
            Kind::View => "view",
            Kind::MaterializedView => "materialized view",
            Kind::Function => "function",
            Kind::Aggregate => "aggregate",
            Kind::Procedure => "procedure",
            Kind::Trigger => "trigger",
        }
    }

    /// The kind a word of [`Kind::as_str`] names.
    pub(crate) fn parse(word: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == word)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Attributes whose value reads on its own in a one-line summary (`integer
/// not null`); the others are shown as `key value` (`default 0`).
const BARE_KEYS: &[&str] = &[
    "type",
    "nullability",
    "definition",
    "columns",
    "labels",
    "attributes",
];

/// One schema object: kind, identity and attributes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    /// What kind of object this is.
    pub kind: Kind,
    /// Its identity within the kind (e.g. `documents.num_chunks`,
    /// `users ix_users_email`, `audit.log`, `f(integer)`).
    pub name: String,
    /// Its definition as ordered key/value pairs; an attribute that does not
    /// apply (no default, say) is absent rather than empty.
    pub attributes: Vec<(String, String)>,
}

impl Fact {
    /// A fact from its kind, name and attribute pairs.
    pub fn new(kind: Kind, name: &str, attributes: &[(&str, &str)]) -> Fact {
        Fact {
            kind,
            name: name.into(),
            attributes: attributes
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    /// The value of one attribute, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The attributes on one line, e.g. `integer not null default 0`
    /// (whitespace of multi-line definitions collapsed).
    pub fn summary(&self) -> String {
        let parts: Vec<String> = self
            .attributes
            .iter()
            .map(|(k, v)| {
                if BARE_KEYS.contains(&k.as_str()) {
                    one_line(v)
                } else {
                    format!("{k} {}", one_line(v))
                }
            })
            .collect();
        parts.join(" ")
    }
}

impl fmt::Display for Fact {
    /// `kind name summary`, e.g. `column documents.num_chunks integer not null default 0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.name)?;
        let summary = self.summary();
        if !summary.is_empty() {
            write!(f, " {summary}")?;
        }
        Ok(())
    }
}

/// Collapses runs of whitespace (newlines of pretty-printed definitions) to
/// single spaces.
pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
