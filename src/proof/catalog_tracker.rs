//! An incremental schema snapshot: after each step of a long run, re-read
//! only the objects the step touched, so that the cost of a step does not
//! grow with the schema built so far (`verify` over thousands of migrations).
//!
//! Facts are kept per *owner* (a relation, a type or a routine of the
//! user's schemas). What a step touched is found one of two ways:
//!
//! - **the DDL log** ([`ddl_log`]): event triggers report every object a
//!   DDL command created, altered or dropped; each is mapped to its owner
//!   (an index to its table, ...), a dropped part through the parts read
//!   with its owner. A few rows, whatever the size of the schema. It needs a
//!   role that may create event triggers, and it is only a shortcut: an
//!   entry it cannot account for sends the step down the second way;
//! - **the inventory**: the catalogs summarised per owner (the number of
//!   catalog rows that are its and the sum of their `xmin`s), compared with
//!   the last inventory. Any DDL inserts, deletes or writes a new version of
//!   a catalog row, so an owner whose summary moved was touched. A scan of
//!   every catalog: its cost grows with the schema.
//!
//! Either way, every owner that depends on a touched one is touched too
//! (`pg_depend`: a view on a renamed column, a foreign key to a renamed
//! table, a trigger calling a renamed function; inheritance descendants).
//! Only those are read with [`crate::proof::catalog::FACTS_SQL`], restricted to their
//! oids; schemas and extensions (a handful of rows) are read every time.
//!
//! The facts are the ones [`crate::proof::catalog::snapshot`] gives, so an assembled
//! [`Tracker::snapshot`] equals a full snapshot of the same database.

mod cached_query;
mod ddl_log;
mod queries;

use crate::error::Result;
use crate::proof::catalog::{Fact, Kind, Snapshot};
use ddl_log::Entry;
use diesel::PgConnection;
use std::collections::{HashMap, HashSet};

/// One object that owns facts: `('r', oid)` a relation, `('t', oid)` a type,
/// `('p', oid)` a routine.
pub type Owner = (char, i64);

/// Facts per owner.
type FactsByOwner = HashMap<Owner, Vec<Fact>>;

/// Summary of an owner's catalog rows: (row count, sum of xmin).
type Stamp = (i64, i64);

/// The oids of the system catalogs the DDL log names (fixed in every
/// PostgreSQL version).
mod class {
    pub const PG_TYPE: i64 = 1247;
    pub const PG_PROC: i64 = 1255;
    pub const PG_CLASS: i64 = 1259;
    pub const PG_ATTRDEF: i64 = 2604;
    pub const PG_CONSTRAINT: i64 = 2606;
    pub const PG_NAMESPACE: i64 = 2615;
    pub const PG_REWRITE: i64 = 2618;
    pub const PG_TRIGGER: i64 = 2620;
    pub const PG_EXTENSION: i64 = 3079;
    /// The catalogs whose rows own facts or are parts of an owner: a row
    /// of these created or dropped is followed to its owner.
    pub const FOLLOWED: [i64; 7] = [
        PG_CLASS,
        PG_TYPE,
        PG_PROC,
        PG_CONSTRAINT,
        PG_TRIGGER,
        PG_REWRITE,
        PG_ATTRDEF,
    ];
}

/// The live schema of one database, kept up to date step by step.
#[derive(Debug, Default, Clone)]
pub struct Tracker {
    /// As of the last inventory.
    stamps: HashMap<Owner, Stamp>,
    /// Every owner that exists, as far as the tracker knows.
    known: HashSet<Owner>,
    facts: FactsByOwner,
    globals: Vec<Fact>,
    /// The parts of the known owners: `(classid, objid)` -> owner.
    parts: HashMap<(i64, i64), Owner>,
    /// The DDL log is installed on the connection and trusted.
    logging: bool,
    /// Steps whose touched owners came from the inventory (for tests).
    inventories: usize,
}

/// Facts of some owners at some moment, plus the schema-wide facts.
#[derive(Debug, Default, Clone)]
pub struct Picture {
    /// Facts per owner (an empty list: the owner did not exist).
    pub owners: HashMap<Owner, Vec<Fact>>,
    /// Schemas and extensions.
    pub globals: Vec<Fact>,
}

impl Picture {
    /// The picture as a snapshot.
    pub fn snapshot(&self) -> Snapshot {
        let mut facts: Vec<Fact> = self.owners.values().flatten().cloned().collect();
        facts.extend(self.globals.iter().cloned());
        Snapshot::from_facts(facts)
    }
}

/// What a step did to the owners.
#[derive(Debug, Default)]
struct Touched {
    changed: Vec<Owner>,
    gone: Vec<Owner>,
    /// The owners that depend on those of `changed` and `gone`, when found
    /// with them (from the log, in the same query); `None`: still to find.
    dependents: Option<Vec<Owner>>,
    /// The log shows that the schema-wide facts (schemas, extensions) did
    /// not change: it holds only drops of owners and of their parts.
    globals_kept: bool,
}

impl Tracker {
    /// Reads the whole schema of `conn`'s database, and from then on logs
    /// its DDL when the role may (see [`ddl_log`]).
    pub fn start(conn: &mut PgConnection) -> Result<Self> {
        let mut tracker = Tracker {
            logging: ddl_log::install(conn),
            ..Tracker::default()
        };
        // The log was installed first: nothing between it and the full
        // read below goes unseen; what it holds now is in that read.
        tracker.touched_by_inventory(conn)?;
        tracker.logging = tracker.logging && ddl_log::drain(conn)?.is_some();
        let all: Vec<Owner> = tracker.known.iter().copied().collect();
        tracker.read(conn, all)?;
        tracker.inventories = 0;
        Ok(tracker)
    }

    /// Re-reads what changed since the last read (on the connection that
    /// [`Tracker::start`] was given). Returns the facts the
    /// changed owners had before (empty for a new owner); the schema-wide
    /// facts before are [`Tracker::globals`] as read before this call.
    pub fn refresh(&mut self, conn: &mut PgConnection) -> Result<HashMap<Owner, Vec<Fact>>> {
        // The log is emptied in the transaction the reads share (a temporary
        // table may be written in a read-only transaction): one round trip
        // fewer. A failed drain aborts that transaction, which then commits
        // nothing; the step is read again, from the inventory.
        if self.logging {
            let from_log = queries::one_transaction(conn, |conn| match ddl_log::drain(conn)? {
                Some(entries) => self.refresh_from(conn, Some(entries)).map(Some),
                None => Ok(None),
            })?;
            if let Some(before) = from_log {
                return Ok(before);
            }
            self.logging = false;
        }
        queries::one_transaction(conn, |conn| self.refresh_from(conn, None))
    }

    /// [`Tracker::refresh`] once the log, if any, is read.
    fn refresh_from(
        &mut self,
        conn: &mut PgConnection,
        logged: Option<Vec<Entry>>,
    ) -> Result<HashMap<Owner, Vec<Fact>>> {
        let from_log = match logged {
            Some(entries) => self.touched_by_log(conn, &entries)?,
            None => None,
        };
        let stamps_kept = from_log.is_some();
        let Touched {
            mut changed,
            gone,
            dependents,
            globals_kept,
        } = match from_log {
            Some(touched) => touched,
            None => self.touched_by_inventory(conn)?,
        };
        let dependents = match dependents {
            Some(found) => found,
            None => {
                let seeds: Vec<Owner> = changed.iter().chain(&gone).copied().collect();
                queries::touched(conn, &[], &seeds)?.1
            }
        };
        for owner in dependents {
            if !gone.contains(&owner) && !changed.contains(&owner) {
                changed.push(owner);
            }
        }
        if stamps_kept {
            // The log does not keep the inventory's stamps up to date: the
            // owners this step touched lose theirs, so that an inventory
            // (a later step the log cannot explain) reads them again. Else
            // a step that undid this one (DROP TRIGGER after CREATE
            // TRIGGER) would match the old stamp, and the owner would keep
            // this step's facts.
            for owner in changed.iter().chain(&gone) {
                self.stamps.remove(owner);
            }
        }
        let mut before = HashMap::new();
        for owner in &gone {
            self.known.remove(owner);
            before.insert(*owner, self.facts.remove(owner).unwrap_or_default());
        }
        if changed.is_empty() && globals_kept && self.globals_are_schema_wide() {
            return Ok(before); // nothing to read: the facts query is skipped
        }
        for (owner, old) in self.read(conn, changed)? {
            before.insert(owner, old);
        }
        Ok(before)
    }

    /// Reads the facts and parts of `owners` (which exist) and the
    /// schema-wide facts; returns the old facts of the owners whose facts
    /// changed.
    fn read(&mut self, conn: &mut PgConnection, owners: Vec<Owner>) -> Result<FactsByOwner> {
        let (mut fresh, globals, parts) = queries::read_owners(conn, &owners, self.logging)?;
        self.parts.extend(parts);
        let mut before = HashMap::new();
        for owner in owners {
            self.known.insert(owner);
            let old = self.facts.remove(&owner).unwrap_or_default();
            let new = fresh.remove(&owner).unwrap_or_default();
            if old != new {
                before.insert(owner, old);
            }
            self.facts.insert(owner, new);
        }
        self.globals = globals;
        Ok(before)
    }

    /// The owners whose inventory stamp moved since the last inventory, and
    /// the known owners that are no longer there.
    fn touched_by_inventory(&mut self, conn: &mut PgConnection) -> Result<Touched> {
        self.inventories += 1;
        let stamps = queries::inventory(conn)?;
        let changed = stamps
            .iter()
            .filter(|(owner, stamp)| self.stamps.get(owner) != Some(stamp))
            .map(|(owner, _)| *owner)
            .collect();
        let gone = self
            .known
            .iter()
            .filter(|owner| !stamps.contains_key(owner))
            .copied()
            .collect();
        self.known = stamps.keys().copied().collect();
        self.stamps = stamps;
        Ok(Touched {
            changed,
            gone,
            dependents: None,
            globals_kept: false,
        })
    }

    /// The owners the DDL log's `entries` name, or `None` when they hold
    /// something it cannot account for.
    fn touched_by_log(
        &mut self,
        conn: &mut PgConnection,
        entries: &[Entry],
    ) -> Result<Option<Touched>> {
        let created: HashSet<(i64, i64)> = entries
            .iter()
            .filter(|e| !e.dropped)
            .filter_map(|e| Some((e.classid?, e.objid?)))
            .collect();
        let mut touched = Touched::default();
        let mut objects = Vec::new();
        for entry in entries {
            let (Some(classid), Some(objid)) = (entry.classid, entry.objid) else {
                continue; // GRANT and REVOKE name no object
            };
            if entry.in_system_schema() {
                continue;
            }
            let explained = if entry.dropped {
                self.dropped(entry, (classid, objid), &created, &mut touched)
            } else {
                altered(entry, (classid, objid), &mut objects)
            };
            if !explained {
                return Ok(None);
            }
        }
        // Seeds: what the drops touched; the query adds the owners of
        // `objects` to them. An owner that is gone leaves nothing depending
        // on it (what did was dropped with it, and is in the log): a step
        // that only dropped whole owners (a down.sql's DROP TABLE) needs no
        // query.
        let seeds: Vec<Owner> = touched
            .changed
            .iter()
            .chain(&touched.gone)
            .copied()
            .collect();
        let only_gone = seeds.iter().all(|owner| touched.gone.contains(owner));
        let (direct, depending) = match objects.is_empty() && only_gone {
            true => (Vec::new(), Vec::new()),
            false => queries::touched(conn, &objects, &seeds)?,
        };
        for owner in direct {
            if !touched.changed.contains(&owner) {
                touched.changed.push(owner);
            }
        }
        touched.dependents = Some(depending);
        touched.globals_kept = entries.iter().all(|e| {
            e.in_system_schema()
                || (e.dropped && e.classid.is_some_and(|c| class::FOLLOWED.contains(&c)))
        });
        touched.changed.sort_unstable();
        touched.changed.dedup();
        touched
            .changed
            .retain(|owner| !touched.gone.contains(owner));
        Ok(Some(touched))
    }

    /// Accounts for one dropped object: a known owner is gone, a known part
    /// touches its owner, anything else must be no owner's. False when it
    /// cannot tell.
    fn dropped(
        &self,
        entry: &Entry,
        object: (i64, i64),
        created: &HashSet<(i64, i64)>,
        touched: &mut Touched,
    ) -> bool {
        let (classid, objid) = object;
        let owner_kind = match classid {
            class::PG_CLASS => 'r',
            class::PG_TYPE => 't',
            class::PG_PROC => 'p',
            _ => '?',
        };
        if self.known.contains(&(owner_kind, objid)) {
            if entry.objsubid.unwrap_or(0) > 0 {
                touched.changed.push((owner_kind, objid)); // a column
            } else if !touched.gone.contains(&(owner_kind, objid)) {
                touched.gone.push((owner_kind, objid));
            }
            return true;
        }
        if let Some(owner) = self.parts.get(&object) {
            touched.changed.push(*owner);
            return true;
        }
        match classid {
            // Every type and routine that owns facts is an owner: these are
            // array and row types, base types, functions of pg_temp.
            class::PG_TYPE | class::PG_PROC => true,
            class::PG_CLASS if entry.objsubid.unwrap_or(0) > 0 => true,
            class::PG_CLASS
            | class::PG_CONSTRAINT
            | class::PG_TRIGGER
            | class::PG_REWRITE
            | class::PG_ATTRDEF => created.contains(&object),
            // Schemas and extensions are re-read every time; operators,
            // casts, policies, comments own no facts.
            _ => true,
        }
    }
}

/// Accounts for one created or altered object: those of the catalogs that
/// hold facts go to `objects`, to be mapped to their owners. False when it
/// cannot tell what the change did (a schema renamed, an extension altered).
fn altered(entry: &Entry, object: (i64, i64), objects: &mut Vec<(i64, i64)>) -> bool {
    let command = entry.command.as_deref().unwrap_or("");
    match object.0 {
        class::PG_NAMESPACE => command == "CREATE SCHEMA",
        class::PG_EXTENSION => command == "CREATE EXTENSION",
        id if class::FOLLOWED.contains(&id) => {
            objects.push(object);
            true
        }
        // Operators, collations, text search objects...: a new one changes
        // no existing fact; an altered one might (an index naming it).
        _ => {
            command.starts_with("CREATE ")
                || matches!(command, "COMMENT" | "GRANT" | "REVOKE" | "SECURITY LABEL")
        }
    }
}

impl Tracker {
    /// The schema-wide facts (schemas, extensions) as last read.
    pub fn globals(&self) -> &[Fact] {
        &self.globals
    }

    /// The current facts of one owner (empty when it does not exist).
    pub fn facts_of(&self, owner: &Owner) -> Vec<Fact> {
        self.facts.get(owner).cloned().unwrap_or_default()
    }

    /// The current facts of these owners, with the schema-wide ones.
    pub fn picture<'a>(&self, owners: impl IntoIterator<Item = &'a Owner>) -> Picture {
        Picture {
            owners: owners.into_iter().map(|o| (*o, self.facts_of(o))).collect(),
            globals: self.globals.clone(),
        }
    }

    /// The whole schema, assembled from what was read.
    pub fn snapshot(&self) -> Snapshot {
        let mut facts: Vec<Fact> = self.facts.values().flatten().cloned().collect();
        facts.extend(self.globals.iter().cloned());
        Snapshot::from_facts(facts)
    }

    /// True when the schema-wide facts are schemas and extensions only (no
    /// fact that no owner claimed, which would have to be read every time).
    fn globals_are_schema_wide(&self) -> bool {
        self.globals
            .iter()
            .all(|f| matches!(f.kind, Kind::Schema | Kind::Extension))
    }

    /// True while steps are read through the DDL log.
    pub fn logging(&self) -> bool {
        self.logging
    }

    /// How many refreshes since [`Tracker::start`] fell back to the full
    /// inventory.
    pub fn inventories(&self) -> usize {
        self.inventories
    }
}
