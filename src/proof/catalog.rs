//! A schema snapshot of a live database, read from the PostgreSQL catalogs,
//! and the difference between two snapshots.
//!
//! A [`Snapshot`] is a sorted list of [`Fact`]s. A fact is one object of the
//! schema: its [`Kind`], its identity (`name`, unique within the kind) and
//! its attributes as ordered key/value pairs. Comparing two snapshots is then
//! a merge on (kind, name) and a comparison of attributes, and every
//! [`Change`] renders as one line:
//!
//! ```text
//! + index users ix_users_email UNIQUE USING btree (email)
//! - column documents.num_tokens integer null
//! ~ column documents.num_chunks default 0 -> 1
//! ~ table documents columns (id, num_tokens, status) -> (id, status, num_tokens)
//! ```
//!
//! What is covered: schemas, extensions, enum / domain / composite / range
//! types, sequences, tables (column order, partitioning, inheritance, storage
//! options), columns, constraints (primary key, unique, foreign key, check,
//! exclusion; on tables and on domains), indexes that do not back a
//! constraint, views, materialized views, functions, aggregates, procedures
//! and triggers, in every schema except the system ones.
//!
//! What is left out, on purpose:
//! - the migration ledger tables (`__diesel_schema_migrations`,
//!   `__ragchat_migrations`, and `alembic_version`, the ledger of the Alembic
//!   system this tool takes over, which `adopt` leaves in place) and
//!   everything hanging off them: they describe migration history, not the
//!   schema;
//! - objects that belong to an extension: the extension itself (name,
//!   version, schema) stands for them;
//! - the `plpgsql` extension and the `public` schema, which every database
//!   created from the default `template1` has, so that an empty database has
//!   an empty snapshot (objects *in* `public` are of course listed);
//! - owners, privileges, comments, statistics, tablespaces, OIDs: they vary
//!   between otherwise identical databases or are not schema;
//! - operators, casts, operator classes, collations, text search objects,
//!   policies, rules, publications and event triggers (not used by the
//!   project; add a branch to [`FACTS_SQL`] when they are).
//!
//! Names in schema `public` are shown bare, others as `schema.name`: the
//! catalogs are read with `search_path` set to `public` alone, which is also
//! what makes `pg_get_*def` and `format_type` print `public` objects bare and
//! qualify everything else, whatever the caller's `search_path` is.
//!
//! Everything is read in one query inside one read-only repeatable-read
//! transaction (a consistent picture, a few milliseconds on the project's
//! schema), and sorted in Rust by byte order so that the database's collation
//! does not change the order.

use crate::error::Result;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::sql_types::{Int4, Nullable, Text};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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

    fn parse(word: &str) -> Option<Kind> {
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
const MAX_SUMMARY: usize = 120;
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

/// Collapses runs of whitespace (newlines of pretty-printed definitions) to
/// single spaces.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
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

/// One attribute of one fact, as the catalog query returns it. A row with a
/// NULL value only says that the object exists (schemas have no attributes;
/// attributes that do not apply come back NULL too and are skipped).
#[derive(QueryableByName)]
pub(crate) struct FactRow {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Int4)]
    ord: i32,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Nullable<Text>)]
    value: Option<String>,
}

/// The catalog query: one row per (kind, name, attribute).
///
/// Conventions: `::regclass::text` / `format_type` / `quote_ident` print
/// names as SQL would need them under `search_path = public` (bare in
/// `public`, qualified elsewhere, quoted when needed). Text aggregated inside
/// the query is ordered by catalog position or with `COLLATE "C"`, never by
/// the database's collation.
pub const FACTS_SQL: &str = r#"
WITH nsp AS (
  -- Every schema of the user's: pg_* are reserved for the system (pg_toast,
  -- pg_temp_N, pg_toast_temp_N, pg_catalog).
  SELECT n.oid, n.nspname FROM pg_namespace n
  WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
),
ext AS (
  SELECT classid, objid FROM pg_depend WHERE deptype = 'e'
),
rel AS (
  SELECT c.oid, c.relkind, c.relpersistence, c.relispartition, c.reloptions,
         c.relpartbound, c.oid::regclass::text AS qname,
         quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS fullname
  FROM pg_class c JOIN nsp n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
    AND c.relname NOT IN ('__diesel_schema_migrations', '__ragchat_migrations', 'alembic_version')
    AND NOT EXISTS (SELECT 1 FROM ext e
                    WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
    -- An identity column's sequence is internal to it (shown as the
    -- column's `identity` attribute).
    AND NOT (c.relkind = 'S' AND EXISTS (
          SELECT 1 FROM pg_depend d
          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'i'))
),
typ AS (
  SELECT t.oid, t.typtype, t.typbasetype, t.typtypmod, t.typnotnull, t.typdefaultbin,
         t.typrelid, t.oid::regtype::text AS qname
  FROM pg_type t JOIN nsp n ON n.oid = t.typnamespace
  WHERE (t.typtype IN ('e', 'd', 'r')
         OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_class c
                                         WHERE c.oid = t.typrelid AND c.relkind = 'c')))
    AND NOT EXISTS (SELECT 1 FROM ext e
                    WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
),
-- Materialized so that the few routines of the user's schemas are picked
-- out of pg_proc before anything else is done with them.
proc AS MATERIALIZED (
  SELECT p.oid, p.proname, p.prokind, n.nspname
  FROM pg_proc p JOIN nsp n ON n.oid = p.pronamespace
),
facts (kind, name, ord, key, value) AS (
  SELECT 'schema', quote_ident(n.nspname), 0, '', NULL::text
  FROM nsp n
  WHERE n.nspname <> 'public'
    AND NOT EXISTS (SELECT 1 FROM ext e
                    WHERE e.classid = 'pg_namespace'::regclass AND e.objid = n.oid)

  UNION ALL
  SELECT 'extension', quote_ident(x.extname), v.ord, v.key, v.value
  FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
  CROSS JOIN LATERAL (VALUES (1, 'version', x.extversion),
                             (2, 'schema', quote_ident(n.nspname))) v (ord, key, value)
  WHERE x.extname <> 'plpgsql'

  UNION ALL
  SELECT 'enum', t.qname, 1, 'labels',
         (SELECT '(' || coalesce(string_agg(quote_literal(e.enumlabel), ', '
                                            ORDER BY e.enumsortorder), '') || ')'
          FROM pg_enum e WHERE e.enumtypid = t.oid)
  FROM typ t WHERE t.typtype = 'e'

  UNION ALL
  SELECT 'domain', t.qname, v.ord, v.key, v.value
  FROM typ t
  CROSS JOIN LATERAL (VALUES
    (1, 'type', format_type(t.typbasetype, t.typtypmod)),
    (2, 'nullability', CASE WHEN t.typnotnull THEN 'not null' END),
    (3, 'default', pg_get_expr(t.typdefaultbin, 0))) v (ord, key, value)
  WHERE t.typtype = 'd'

  UNION ALL
  SELECT 'type', t.qname, 1, 'attributes',
         (SELECT '(' || coalesce(string_agg(quote_ident(a.attname) || ' '
                                            || format_type(a.atttypid, a.atttypmod), ', '
                                            ORDER BY a.attnum), '') || ')'
          FROM pg_attribute a
          WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped)
  FROM typ t WHERE t.typtype = 'c'

  UNION ALL
  SELECT 'type', t.qname, 1, 'range of', format_type(r.rngsubtype, NULL)
  FROM typ t JOIN pg_range r ON r.rngtypid = t.oid

  UNION ALL
  SELECT 'sequence', r.qname, v.ord, v.key, v.value
  FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
  LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = r.oid
       AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0 AND d.deptype = 'a'
  LEFT JOIN pg_attribute oa ON oa.attrelid = d.refobjid AND oa.attnum = d.refobjsubid
  CROSS JOIN LATERAL (VALUES
    (1, 'type', format_type(s.seqtypid, NULL)),
    (2, 'increment', s.seqincrement::text),
    (3, 'start', s.seqstart::text),
    (4, 'min', s.seqmin::text),
    (5, 'max', s.seqmax::text),
    (6, 'cache', s.seqcache::text),
    (7, 'cycle', CASE WHEN s.seqcycle THEN 'yes' ELSE 'no' END),
    (8, 'owned by', d.refobjid::regclass::text || '.' || quote_ident(oa.attname))
  ) v (ord, key, value)

  UNION ALL
  SELECT 'table', r.qname, v.ord, v.key, v.value
  FROM rel r
  CROSS JOIN LATERAL (VALUES
    (1, 'columns',
     (SELECT '(' || coalesce(string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum), '')
             || ')'
      FROM pg_attribute a
      WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped)),
    (2, 'persistence', CASE WHEN r.relpersistence = 'u' THEN 'unlogged' END),
    (3, 'partitioned by', CASE WHEN r.relkind = 'p' THEN pg_get_partkeydef(r.oid) END),
    (4, 'partition of',
     CASE WHEN r.relispartition THEN
       (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = r.oid)
       || ' ' || pg_get_expr(r.relpartbound, r.oid) END),
    (5, 'inherits',
     CASE WHEN NOT r.relispartition THEN
       (SELECT string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno)
        FROM pg_inherits i WHERE i.inhrelid = r.oid) END),
    (6, 'options',
     (SELECT string_agg(o, ', ' ORDER BY o COLLATE "C") FROM unnest(r.reloptions) o))
  ) v (ord, key, value)
  WHERE r.relkind IN ('r', 'p', 'f')

  UNION ALL
  SELECT 'column', r.qname || '.' || quote_ident(a.attname), v.ord, v.key, v.value
  FROM rel r
  JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  CROSS JOIN LATERAL (VALUES
    (1, 'type', format_type(a.atttypid, a.atttypmod)),
    (2, 'nullability', CASE WHEN a.attnotnull THEN 'not null' ELSE 'null' END),
    (3, 'default', CASE WHEN a.attgenerated NOT IN ('s', 'v')
                        THEN pg_get_expr(d.adbin, d.adrelid) END),
    (4, 'generated', CASE a.attgenerated
                       WHEN 's' THEN 'always as (' || pg_get_expr(d.adbin, d.adrelid) || ') stored'
                       WHEN 'v' THEN 'always as (' || pg_get_expr(d.adbin, d.adrelid) || ') virtual'
                     END),
    (5, 'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END),
    (6, 'collation', CASE WHEN a.attcollation <> t.typcollation
                          THEN a.attcollation::regcollation::text END)
  ) v (ord, key, value)
  WHERE r.relkind IN ('r', 'p', 'f')

  UNION ALL
  SELECT 'constraint', coalesce(r.qname, t.qname) || ' ' || quote_ident(con.conname),
         1, 'definition', pg_get_constraintdef(con.oid)
  FROM pg_constraint con
  LEFT JOIN rel r ON r.oid = con.conrelid
  LEFT JOIN typ t ON t.oid = con.contypid
  WHERE con.contype IN ('p', 'u', 'f', 'c', 'x')
    AND (r.oid IS NOT NULL OR t.oid IS NOT NULL)

  UNION ALL
  -- The `CREATE [UNIQUE] INDEX name ON [ONLY] schema.table ` head repeats
  -- the identity; only what follows it is the definition.
  SELECT 'index', r.qname || ' ' || quote_ident(ic.relname), 1, 'definition',
         CASE
           WHEN starts_with(x.def, x.head || r.fullname || ' ')
             THEN x.uq || substr(x.def, length(x.head || r.fullname || ' ') + 1)
           WHEN starts_with(x.def, x.head || 'ONLY ' || r.fullname || ' ')
             THEN x.uq || 'ONLY ' || substr(x.def, length(x.head || 'ONLY ' || r.fullname || ' ') + 1)
           ELSE x.def
         END
  FROM pg_index i
  JOIN rel r ON r.oid = i.indrelid
  JOIN pg_class ic ON ic.oid = i.indexrelid
  CROSS JOIN LATERAL (SELECT
      pg_get_indexdef(i.indexrelid) AS def,
      CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END AS uq,
      'CREATE ' || CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END || 'INDEX '
        || quote_ident(ic.relname) || ' ON ' AS head) x
  -- Indexes of primary key, unique and exclusion constraints are the
  -- constraint's; a foreign key's conindid points at the *referenced*
  -- table's index, which stays listed.
  WHERE NOT EXISTS (SELECT 1 FROM pg_constraint c
                    WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid
                      AND c.contype IN ('p', 'u', 'x'))

  UNION ALL
  SELECT CASE r.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END,
         r.qname, v.ord, v.key, v.value
  FROM rel r
  CROSS JOIN LATERAL (VALUES
    (1, 'definition', pg_get_viewdef(r.oid, true)),
    (2, 'options',
     (SELECT string_agg(o, ', ' ORDER BY o COLLATE "C") FROM unnest(r.reloptions) o))
  ) v (ord, key, value)
  WHERE r.relkind IN ('v', 'm')

  UNION ALL
  SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
         CASE WHEN p.nspname = 'public' THEN '' ELSE quote_ident(p.nspname) || '.' END
           || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')',
         1, 'definition',
         -- pg_get_functiondef refuses aggregates.
         CASE WHEN p.prokind = 'a' THEN
           (SELECT 'SFUNC = ' || ag.aggtransfn::regproc::text
                   || ', STYPE = ' || format_type(ag.aggtranstype, NULL)
                   || coalesce(', FINALFUNC = ' || nullif(ag.aggfinalfn, 0)::regproc::text, '')
                   || coalesce(', INITCOND = ' || quote_literal(ag.agginitval), '')
                   || ', RETURNS ' || pg_get_function_result(p.oid)
            FROM pg_aggregate ag WHERE ag.aggfnoid = p.oid)
         ELSE pg_get_functiondef(p.oid) END
  FROM proc p
  -- Members of an extension, and functions internal to another object (the
  -- constructors of a range type), are not listed on their own.
  WHERE NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                      AND d.deptype IN ('e', 'i'))

  UNION ALL
  -- As for indexes, `CREATE [CONSTRAINT] TRIGGER name` and `ON
  -- schema.table` repeat the identity and are cut out.
  SELECT 'trigger', r.qname || ' ' || quote_ident(tg.tgname), v.ord, v.key, v.value
  FROM pg_trigger tg
  JOIN rel r ON r.oid = tg.tgrelid
  CROSS JOIN LATERAL (SELECT
      CASE
        WHEN starts_with(d.def, 'CREATE TRIGGER ' || quote_ident(tg.tgname) || ' ')
          THEN substr(d.def, length('CREATE TRIGGER ' || quote_ident(tg.tgname) || ' ') + 1)
        WHEN starts_with(d.def, 'CREATE CONSTRAINT TRIGGER ' || quote_ident(tg.tgname) || ' ')
          THEN 'CONSTRAINT ' || substr(d.def,
                 length('CREATE CONSTRAINT TRIGGER ' || quote_ident(tg.tgname) || ' ') + 1)
        ELSE d.def
      END AS body
      FROM (SELECT pg_get_triggerdef(tg.oid) AS def) d) b
  CROSS JOIN LATERAL (SELECT position(' ON ' || r.fullname || ' ' IN b.body) AS at) o
  CROSS JOIN LATERAL (VALUES
    (1, 'definition',
     CASE WHEN o.at > 0
          THEN overlay(b.body PLACING ' ' FROM o.at FOR length(' ON ' || r.fullname || ' '))
          ELSE b.body END),
    (2, 'state', CASE tg.tgenabled WHEN 'D' THEN 'disabled'
                                   WHEN 'R' THEN 'enabled replica'
                                   WHEN 'A' THEN 'enabled always' END)
  ) v (ord, key, value)
  -- Internal triggers implement foreign keys; clones on partitions follow
  -- from the parent's trigger.
  WHERE NOT tg.tgisinternal AND tg.tgparentid = 0
)
SELECT kind, name, ord, key, value FROM facts
WHERE value IS NOT NULL OR key = ''
"#;

/// The system catalogs whose rows [`FACTS_SQL`] reads, directly or through
/// the `pg_get_*def` and `format_type` deparsers and `reg*` constants.
/// (`pg_authid`, behind `regrole` constants, is not readable by ordinary
/// roles and is left out: a renamed role in a schema constant is missed.)
const FINGERPRINTED_CATALOGS: &[&str] = &[
    "pg_class",
    "pg_attribute",
    "pg_attrdef",
    "pg_type",
    "pg_enum",
    "pg_range",
    "pg_proc",
    "pg_aggregate",
    "pg_language",
    "pg_namespace",
    "pg_inherits",
    "pg_constraint",
    "pg_index",
    "pg_trigger",
    "pg_sequence",
    "pg_extension",
    "pg_depend",
    "pg_operator",
    "pg_opclass",
    "pg_collation",
    "pg_am",
    // Read by pg_get_viewdef, and by the output of regconfig/regdictionary
    // constants in defaults, checks and index expressions.
    "pg_rewrite",
    "pg_ts_config",
    "pg_ts_dict",
    "pg_partitioned_table",
];

/// A cheap fingerprint of everything a [`snapshot`] reads: per catalog, the
/// number of rows and the sum of their `xmin`, plus the server's version and
/// start time and the database's oid. Any DDL inserts, updates (a new row
/// version) or deletes catalog rows; an insert raises the count, a delete
/// lowers it, and a new row version carries a transaction id newer than any
/// row it replaces, so the sum moves even when the count does not. (Only
/// statistics are updated in place, without a new `xmin`, and they are not
/// schema.) Equal fingerprints of one database therefore mean an unchanged
/// schema; a false "changed" (after `VACUUM FREEZE`, a restart) only costs a
/// full snapshot. About a third of the cost of a snapshot on a new session.
pub fn fingerprint(conn: &mut PgConnection) -> Result<String> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        fingerprint: String,
    }
    let parts: Vec<String> = FINGERPRINTED_CATALOGS
        .iter()
        .map(|c| {
            format!(
                "(SELECT count(*) || ':' || coalesce(sum(xmin::text::int8), 0) FROM pg_catalog.{c})"
            )
        })
        .collect();
    let row: Row = diesel::sql_query(format!(
        "SELECT concat_ws(' ', version(), pg_postmaster_start_time(), \
           (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()), {}) \
         AS fingerprint",
        parts.join(", ")
    ))
    .get_result(conn)?;
    Ok(row.fingerprint)
}

/// Reads the schema of the database `conn` is connected to.
///
/// Runs in its own read-only repeatable-read transaction, or, when the
/// caller already has a transaction open, inside it (so that a migration's
/// uncommitted changes are seen), restoring `search_path` afterwards.
pub fn snapshot(conn: &mut PgConnection) -> Result<Snapshot> {
    snapshot_with(conn, FACTS_SQL)
}

/// [`snapshot`] with another form of [`FACTS_SQL`] (one restricted to some
/// objects, by the catalog tracker).
pub(crate) fn snapshot_with(conn: &mut PgConnection, facts_sql: &str) -> Result<Snapshot> {
    let in_transaction = AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()?
        .is_some();
    let rows = if in_transaction {
        #[derive(QueryableByName)]
        struct Setting {
            #[diesel(sql_type = Text)]
            search_path: String,
        }
        let saved: Setting =
            diesel::sql_query("SELECT current_setting('search_path') AS search_path")
                .get_result(conn)?;
        diesel::sql_query("SELECT set_config('search_path', 'public', true)").execute(conn)?;
        let rows = diesel::sql_query(facts_sql).load::<FactRow>(conn)?;
        diesel::sql_query("SELECT set_config('search_path', $1, true)")
            .bind::<Text, _>(&saved.search_path)
            .execute(conn)?;
        rows
    } else {
        conn.build_transaction()
            .read_only()
            .repeatable_read()
            .run(|conn| {
                diesel::sql_query("SET LOCAL search_path TO public").execute(conn)?;
                diesel::sql_query(facts_sql).load::<FactRow>(conn)
            })?
    };
    Ok(collect(rows))
}

/// Groups the query's rows into facts, attributes in their declared order.
pub(crate) fn collect(rows: Vec<FactRow>) -> Snapshot {
    // (kind, name) -> [(position, key, value)]
    type Grouped = BTreeMap<(Kind, String), Vec<(i32, String, String)>>;
    let mut facts = Grouped::new();
    for row in rows {
        let Some(kind) = Kind::parse(&row.kind) else {
            // The query and Kind are written together; a mismatch is a bug.
            debug_assert!(false, "unknown fact kind {:?}", row.kind);
            continue;
        };
        let attrs = facts.entry((kind, row.name)).or_default();
        if let Some(value) = row.value {
            attrs.push((row.ord, row.key, value));
        }
    }
    Snapshot::from_facts(
        facts
            .into_iter()
            .map(|((kind, name), mut attrs)| {
                attrs.sort();
                Fact {
                    kind,
                    name,
                    attributes: attrs.into_iter().map(|(_, k, v)| (k, v)).collect(),
                }
            })
            .collect(),
    )
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

    #[test]
    fn every_kind_has_a_word_the_query_can_use() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        let mut sorted = Kind::ALL;
        sorted.sort();
        assert_eq!(sorted, Kind::ALL, "ALL is in snapshot order");
        // Every kind word the query produces is one of ours.
        for word in [
            "'schema'",
            "'extension'",
            "'enum'",
            "'domain'",
            "'type'",
            "'sequence'",
            "'table'",
            "'column'",
            "'constraint'",
            "'index'",
            "'view'",
            "'materialized view'",
            "'function'",
            "'aggregate'",
            "'procedure'",
            "'trigger'",
        ] {
            assert!(FACTS_SQL.contains(word), "{word}");
        }
    }
}
