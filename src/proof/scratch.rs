//! Scratch databases: created next to the target (same server, so the same
//! version and extensions), used to see what the migrations produce, and
//! dropped afterwards. The target's own data is never touched. When the
//! target's role may not create databases, the embedded local cluster is used
//! instead.

use crate::config::database_url::DatabaseUrl;
use crate::error::{Error, Result};
use crate::server::dev::{LocalCluster, Session};
use diesel::connection::SimpleConnection;
use diesel::PgConnection;

/// A database that exists for the duration of one check.
pub struct ScratchDb {
    name: String,
    url: DatabaseUrl,
    admin: DatabaseUrl,
    connect_timeout: u64,
    keep: bool,
    /// Already dropped ([`ScratchDb::drop_through`]).
    dropped: bool,
    /// The target session's `search_path`, given to every scratch session:
    /// role and database settings do not carry over to a new database, and
    /// the migrations must build into the same schemas as on the target.
    search_path: String,
    /// The connection that prepared the database, handed to the first
    /// [`ScratchDb::take_connection`]: a new one costs a few milliseconds.
    prepared: Option<PgConnection>,
    /// Keeps the local cluster running while the scratch database lives there.
    _local: Option<Session>,
}

impl ScratchDb {
    /// Creates an empty scratch database on the server of `target` (whose
    /// connection is `target_conn`), or on the local cluster when the target
    /// refuses `CREATE DATABASE`.
    pub fn create(
        target: &DatabaseUrl,
        target_conn: &mut PgConnection,
        connect_timeout: u64,
    ) -> Result<Self> {
        // Named after the target so that it is clear whose it is, and after
        // this host and process so that a later command can tell when it
        // was abandoned.
        // Announced before it exists, so that a signal meanwhile waits for
        // it to be registered, then drops it.
        let creation = crate::proof::scratch_cleanup::creation();
        let name = crate::proof::scratch_cleanup::new_name(target.dbname().unwrap_or("db"));
        for old in crate::proof::scratch_cleanup::sweep_abandoned(target_conn) {
            eprintln!(
                "note: dropped the scratch database {old}, left behind by a ragchat-migrate \
                 process that no longer runs"
            );
        }
        // template0: a template1 that someone filled must not leak into the check.
        let create = format!("CREATE DATABASE {name} TEMPLATE template0");
        let shape = crate::proof::scratch_shape::of(target_conn)?;
        let search_path = shape.search_path.clone();
        let scratch: Result<ScratchDb> = match target_conn.batch_execute(&create) {
            Ok(()) => Ok(ScratchDb {
                url: target.with_dbname(&name)?,
                admin: target.clone(),
                name,
                connect_timeout,
                keep: false,
                dropped: false,
                search_path,
                prepared: None,
                _local: None,
            }),
            Err(e) if crate::database::pg_error::is_permission_denied(&e) => {
                let session = LocalCluster::locate()?.use_for_command().map_err(|local| {
                    Error::refused(format!(
                        "the role of {target} may not create the scratch database this check \
                         needs, and the local cluster is not available either ({local}).\n  \
                         fix: grant CREATEDB to the role, or install the PostgreSQL server \
                         package so the local cluster can be used"
                    ))
                })?;
                let admin = session.url().clone();
                let mut conn = admin.connect(connect_timeout)?;
                conn.batch_execute(&create)?;
                Ok(ScratchDb {
                    url: admin.with_dbname(&name)?,
                    admin,
                    name,
                    connect_timeout,
                    keep: false,
                    dropped: false,
                    search_path,
                    prepared: None,
                    _local: Some(session),
                })
            }
            Err(e) => Err(e.into()),
        };
        let mut scratch = scratch?;
        crate::proof::scratch_cleanup::register(&scratch.admin, &scratch.name, connect_timeout);
        drop(creation);
        scratch.prepare(&shape, target_conn)?;
        Ok(scratch)
    }

    /// Opens the first connection and gives the database the target's
    /// shape; the connection is kept for [`ScratchDb::take_connection`].
    /// When the connection is refused (a connection limit), the database
    /// is dropped through the target's connection, as a new one would be
    /// refused too.
    fn prepare(
        &mut self,
        shape: &crate::proof::scratch_shape::Shape,
        target_conn: &mut PgConnection,
    ) -> Result<()> {
        let prepared = self.connect().and_then(|mut conn| {
            shape.prepare(&mut conn)?;
            Ok(conn)
        });
        match prepared {
            Ok(conn) => {
                self.prepared = Some(conn);
                Ok(())
            }
            Err(error) => {
                if self._local.is_none() {
                    let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
                    if target_conn.batch_execute(&drop).is_ok() {
                        crate::proof::scratch_cleanup::unregister(&self.name);
                        self.dropped = true;
                    }
                }
                Err(error)
            }
        }
    }

    /// A connection to the scratch database, with the target's
    /// `search_path`: the one that prepared it, the first time.
    pub fn take_connection(&mut self) -> Result<PgConnection> {
        match self.prepared.take() {
            Some(conn) => Ok(conn),
            None => self.connect(),
        }
    }

    /// A new connection to the scratch database, with the target's
    /// `search_path` (and commits that do not wait for the disk).
    pub fn connect(&self) -> Result<PgConnection> {
        let mut conn = self.url.connect(self.connect_timeout)?;
        crate::proof::scratch_shape::set_scratch_session(&mut conn, &self.search_path)?;
        Ok(conn)
    }

    /// The scratch database's URL (masked when displayed).
    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// The scratch database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Leave the database in place when this value is dropped (`--keep`).
    /// It is marked as kept, so that no later command's sweep takes it for
    /// abandoned once this process has exited; dropping it is the user's.
    pub fn keep(&mut self) {
        self.keep = true;
        crate::proof::scratch_cleanup::unregister(&self.name);
        let conn = match self.prepared.take() {
            Some(conn) => Ok(conn),
            None => self.connect(),
        };
        if let Ok(mut conn) = conn {
            let _ = conn.batch_execute(&format!(
                "COMMENT ON DATABASE {} IS '{}'",
                self.name,
                crate::proof::scratch_cleanup::KEPT
            ));
        }
    }

    /// Drops the database through `target_conn`, the connection it was
    /// created through, once its last session is gone: saves opening a
    /// connection just for the drop. Dropping while a closed session's
    /// backend is still exiting would make the server wait 100 ms for it,
    /// so its exit is awaited first (on the server, up to a second; an
    /// autovacuum worker is not waited for: the drop stops it). Falls
    /// back to the usual drop when the database lives on the local cluster
    /// or anything fails.
    pub fn drop_through(mut self, target_conn: &mut PgConnection) {
        drop(self.prepared.take());
        if self.keep || self._local.is_some() {
            return;
        }
        let name = &self.name;
        let wait = format!(
            "DO $wait$ BEGIN FOR i IN 1..1000 LOOP PERFORM pg_catalog.pg_stat_clear_snapshot(); \
             EXIT WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_stat_activity \
             WHERE datname = '{name}' AND backend_type = 'client backend'); \
             PERFORM pg_catalog.pg_sleep(0.001); END LOOP; END $wait$"
        );
        let dropped = target_conn.batch_execute(&wait).and_then(|()| {
            target_conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        });
        if dropped.is_ok() {
            crate::proof::scratch_cleanup::unregister(name);
            self.dropped = true;
        }
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        crate::proof::scratch_cleanup::wait_if_interrupted();
        // Closed before the drop, which would otherwise wait for it.
        drop(self.prepared.take());
        if self.keep || self.dropped {
            return;
        }
        // The target database may refuse one more connection (a connection
        // limit): the maintenance database can drop the scratch one too.
        let timeout = self.connect_timeout;
        let conn = self.admin.connect(timeout).or_else(|_| {
            let maintenance = self.admin.with_dbname("postgres")?;
            maintenance.connect(timeout)
        });
        if let Ok(mut conn) = conn {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
        crate::proof::scratch_cleanup::unregister(&self.name);
    }
}
