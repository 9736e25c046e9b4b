//! Starting, stopping and creating the local cluster's server: `initdb`
//! on first use, `pg_ctl start` with a port and a private socket
//! directory, the `ragchat` database, and `pg_ctl stop`. The caller holds
//! `cluster.lock` (see [`crate::server::dev`]).

use crate::error::{Error, Result};
use crate::server::cluster::{self, ServerBinaries, ServerUser};
use crate::server::dev_cluster::{LocalCluster, DATABASE};
use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;
use std::fs::File;
use std::path::Path;
use std::process::Stdio;

impl LocalCluster {
    /// Creates the cluster if needed and starts it if stopped; true when it
    /// was started here. Caller holds `cluster.lock`.
    pub(crate) fn ensure_running(&self) -> Result<bool> {
        if self.is_initialized() && self.running_pid().is_some() {
            return Ok(false);
        }
        let bins = ServerBinaries::find()?;
        let user = ServerUser::for_this_process()?;
        if !self.is_initialized() {
            self.create(&bins, &user)?;
        }
        if self.running_pid().is_some() {
            return Ok(false);
        }
        self.remove_stale_lock_files();
        // A `dev start` whose server has since died (a crash, a reboot) no
        // longer asks for anything: who starts it now decides.
        let _ = std::fs::remove_file(self.state_dir.join("keep-running"));
        let port = match self.port() {
            Some(p) if std::net::TcpListener::bind(("127.0.0.1", p)).is_ok() => p,
            _ => {
                let p = cluster::free_port()?;
                std::fs::write(self.state_dir.join("port"), p.to_string())
                    .map_err(|e| Error::io(self.state_dir.display(), e))?;
                p
            }
        };
        let socket_dir = self.socket_dir();
        prepare_socket_dir(&socket_dir, &user)?;
        let options: Vec<String> = cluster::server_args(port, &socket_dir, false)
            .into_iter()
            .map(|a| crate::config::database_url::conninfo_quote(&a.to_string_lossy()))
            .chain(["-c".into(), "unix_socket_permissions=0700".into()])
            .collect();
        let out = user
            .command(bins.bin("pg_ctl"))
            .arg("start")
            .arg("-D")
            .arg(&self.data_dir)
            .arg("-l")
            .arg(self.server_dir.join("server.log"))
            .args(["-w", "-t", "60", "-s", "-o"])
            .arg(options.join(" "))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .output()
            .map_err(|e| Error::io(bins.bin("pg_ctl").display(), e))?;
        if !out.status.success() {
            let log =
                std::fs::read_to_string(self.server_dir.join("server.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(8).collect();
            return Err(Error::Server {
                message: format!(
                    "could not start the local PostgreSQL cluster in {}: {}\n{}",
                    self.data_dir.display(),
                    String::from_utf8_lossy(&out.stderr).trim(),
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                ),
                missing_binaries: false,
            });
        }
        self.create_database()?;
        Ok(true)
    }

    /// A crash leaves `postmaster.pid` and the socket's `.s.PGSQL.*.lock`
    /// behind, naming a pid that may now be a zombie or another process, and
    /// the server refuses to start while they name a live pid. The caller
    /// holds `cluster.lock` and found no server running, and the socket
    /// directory is this cluster's alone, so they are stale.
    fn remove_stale_lock_files(&self) {
        let _ = std::fs::remove_file(self.data_dir.join("postmaster.pid"));
        if let Ok(entries) = std::fs::read_dir(self.socket_dir()) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(".s.PGSQL.") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }

    fn create(&self, bins: &ServerBinaries, user: &ServerUser) -> Result<()> {
        // Leftovers of an initdb that did not finish.
        if self.server_dir.exists() {
            std::fs::remove_dir_all(&self.server_dir)
                .map_err(|e| Error::io(self.server_dir.display(), e))?;
        }
        std::fs::create_dir_all(&self.server_dir)
            .map_err(|e| Error::io(self.server_dir.display(), e))?;
        let gitignore = self.state_dir.join(".gitignore");
        if !gitignore.exists() {
            let _ = std::fs::write(
                &gitignore,
                "# the local PostgreSQL cluster of ragchat-migrate\n*\n",
            );
        }
        user.own(&self.server_dir)?;
        if user.switch {
            let reachable = user
                .command("test")
                .args(["-w"])
                .arg(&self.server_dir)
                .status()
                .is_ok_and(|s| s.success());
            if !reachable {
                let _ = std::fs::remove_dir_all(&self.server_dir);
                return Err(Error::Server {
                    message: format!(
                        "running as root, the local cluster's server runs as the `postgres` \
                         OS user, which cannot reach {} (a parent directory lacks o+x).\n  \
                         fix: `chmod o+x` the parent directories, set RAGCHAT_DEV_DIR to a \
                         directory it can reach, run as an ordinary user, or set DATABASE_URL",
                        self.server_dir.display()
                    ),
                    missing_binaries: false,
                });
            }
        }
        // TCP connections need this password; the socket (mode 0700) is
        // trusted for the server's own OS user only.
        let password = random_password()?;
        let secret = self.state_dir.join("password");
        write_private(&secret, &password)?;
        let pwfile = self.server_dir.join("initdb.pw");
        write_private(&pwfile, &password)?;
        user.own(&pwfile)?;
        let made = cluster::initdb(
            bins,
            user,
            &self.data_dir,
            &Self::superuser(),
            cluster::Auth::SocketTrustTcpPassword(&pwfile),
        );
        let _ = std::fs::remove_file(&pwfile);
        made
    }

    fn create_database(&self) -> Result<()> {
        let url = self.socket_url()?;
        let mut conn = url.with_dbname("postgres")?.connect(10)?;
        #[derive(diesel::QueryableByName)]
        struct Exists {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            exists: bool,
        }
        let found: Exists = diesel::sql_query(format!(
            "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{DATABASE}') AS exists"
        ))
        .get_result(&mut conn)?;
        if !found.exists {
            conn.batch_execute(&format!("CREATE DATABASE {DATABASE}"))?;
        }
        Ok(())
    }

    pub(crate) fn pg_ctl_stop(&self) -> Result<bool> {
        let Some(pid) = self.running_pid() else {
            return Ok(false);
        };
        let bins = ServerBinaries::find()?;
        let user = ServerUser::for_this_process()?;
        let out = user
            .command(bins.bin("pg_ctl"))
            .arg("stop")
            .arg("-D")
            .arg(&self.data_dir)
            .args(["-m", "fast", "-w", "-t", "60", "-s"])
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::io(bins.bin("pg_ctl").display(), e))?;
        if out.status.success() || self.running_pid().is_none() {
            // pg_ctl returns once postmaster.pid is gone, which the server
            // removes just before it exits: wait for the process itself.
            wait_for_exit(pid, std::time::Duration::from_secs(30));
            Ok(true)
        } else {
            Err(Error::Server {
                message: format!(
                    "could not stop the local PostgreSQL cluster: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
                missing_binaries: false,
            })
        }
    }
}

/// Waits until `pid` has exited (a zombie awaiting its reaper counts as gone).
fn wait_for_exit(pid: i32, timeout: std::time::Duration) {
    let started = std::time::Instant::now();
    while started.elapsed() < timeout {
        let alive = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Ok(stat) => !stat
                .rsplit(')')
                .next()
                .is_some_and(|rest| rest.trim_start().starts_with('Z')),
            Err(_) => {
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok()
                    && !Path::new("/proc/self").exists()
            }
        };
        if !alive {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// The socket directory must be the server user's alone (mode 0700): in
/// /tmp another user could otherwise create it first and swap the socket.
fn prepare_socket_dir(dir: &Path, user: &ServerUser) -> Result<()> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    if !dir.exists() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
        user.own(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(dir.display(), e))?;
    }
    let meta = std::fs::metadata(dir).map_err(|e| Error::io(dir.display(), e))?;
    if meta.uid() != user.uid {
        return Err(Error::Server {
            message: format!(
                "the socket directory {} belongs to another user; fix: remove it, or set \
                 RAGCHAT_DEV_DIR to a shorter path",
                dir.display()
            ),
            missing_binaries: false,
        });
    }
    Ok(())
}

/// 32 hex characters from the kernel's random source.
fn random_password() -> Result<String> {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .map_err(|e| Error::io("/dev/urandom", e))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = File::options()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io(path.display(), e))?;
    file.write_all(text.as_bytes())
        .map_err(|e| Error::io(path.display(), e))
}
