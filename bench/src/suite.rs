//! The state of one run of the suite: the plan, the temp dirs, the programs,
//! the cluster with an admin connection, and what was measured so far.

use crate::measure::{check_interrupted, Cmd};
use crate::options::Plan;
use crate::quiet::QuietCpu;
use crate::rows::Row;
use crate::server::{stop_local_cluster, Cluster};
use crate::stats::Results;
use crate::tools::Tools;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// One run of the suite.
pub struct Suite {
    /// Sizes and run counts.
    pub plan: Plan,
    /// The repository.
    pub root: PathBuf,
    /// The temp dir: sets, results, caches, local clusters.
    pub work: PathBuf,
    /// An empty directory the commands run in (no .env, no diesel.toml).
    pub empty: PathBuf,
    /// Logs (and with BENCH_KEEP=1 the raw timings).
    pub res: PathBuf,
    /// The programs.
    pub tools: Tools,
    /// The throwaway cluster.
    pub cluster: Cluster,
    /// The server's version (`SHOW server_version`).
    pub pg_version: String,
    /// The quiet-CPU wait before each timed run.
    pub quiet: QuietCpu,
    /// Every timing so far.
    pub results: Results,
    /// The report's rows so far.
    pub rows: Vec<Row>,
    admin: postgres::Client,
}

impl Suite {
    /// Starts the cluster and connects to it.
    pub fn new(
        plan: Plan,
        root: PathBuf,
        work: PathBuf,
        tools: Tools,
        cluster: Cluster,
    ) -> Result<Suite, String> {
        let empty = work.join("empty");
        let res = work.join("results");
        for dir in [&empty, &res] {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let mut admin = postgres::Client::connect(&cluster.url("postgres"), postgres::NoTls)
            .map_err(|e| format!("connecting to the throwaway cluster: {e}"))?;
        admin
            .batch_execute("SET client_min_messages = warning")
            .map_err(|e| e.to_string())?;
        let pg_version: String = admin
            .query_one("SHOW server_version", &[])
            .map_err(|e| e.to_string())?
            .get(0);
        Ok(Suite {
            quiet: QuietCpu::new(plan.quiet_budget_ms),
            plan,
            root,
            work,
            empty,
            res,
            tools,
            cluster,
            pg_version,
            results: Results::default(),
            rows: Vec::new(),
            admin,
        })
    }

    /// Runs SQL on the `postgres` database.
    pub fn sql(&mut self, sql: &str) -> Result<(), String> {
        self.admin
            .batch_execute(sql)
            .map_err(|e| format!("{sql}: {e}"))
    }

    /// Drops `db` and creates it empty, or as a copy of `template`.
    pub fn reset_db(&mut self, db: &str, template: Option<&str>) -> Result<(), String> {
        self.sql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))?;
        match template {
            Some(t) => self.sql(&format!("CREATE DATABASE {db} TEMPLATE {t}")),
            None => self.sql(&format!("CREATE DATABASE {db}")),
        }
    }

    /// The URL of a database of the throwaway cluster.
    pub fn url(&self, db: &str) -> String {
        self.cluster.url(db)
    }

    /// A generated migration set, e.g. `realistic-100`.
    pub fn set(&self, kind: &str, n: u32) -> PathBuf {
        self.work.join("sets").join(format!("{kind}-{n}"))
    }

    /// The tool, with no arguments.
    pub fn tool(&self) -> Cmd {
        Cmd::new(&self.tools.tool)
    }

    /// The tool on database `db` with the migrations of `dir`.
    pub fn tool_on(&self, db: &str, dir: &Path) -> Cmd {
        self.tool()
            .args(["--database-url", &self.url(db), "--migrations-dir"])
            .args([dir])
    }

    /// `upgrade` of `dir` on `db`.
    pub fn tool_up(&self, db: &str, dir: &Path) -> Cmd {
        self.tool_on(db, dir).args(["upgrade"])
    }

    /// The floor applying (`up`) or reverting (`down`) `dir` on `db`.
    pub fn floor(&self, verb: &str, dir: &Path, db: &str) -> Cmd {
        Cmd::new(&self.tools.floor)
            .args([verb])
            .args([dir])
            .args([self.url(db)])
    }

    /// Runs a command outside the timings (set-up), from the empty dir.
    pub fn run(&self, cmd: &Cmd) -> Result<(), String> {
        check_interrupted()?;
        let out = cmd
            .command(&self.empty)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("{}: {e}", cmd.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed ({}): {}",
                cmd.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// Records a row of the report.
    pub fn row(&mut self, row: Row) {
        self.rows.push(row);
    }
}

impl Drop for Suite {
    /// Stops the local clusters the tool created under the temp dir.
    fn drop(&mut self) {
        let Ok(entries) = std::fs::read_dir(&self.work) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with("proj-") {
                let data = entry.path().join(".ragchat/pg/data");
                stop_local_cluster(self.cluster.bins(), &self.cluster.user, &data);
            }
        }
    }
}
