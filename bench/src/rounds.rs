//! Timing commands in interleaved rounds.
//!
//! The machine has 2 cores and may be shared, so the commands of one
//! benchmark are interleaved: each round runs every command once (each after
//! its own preparation), in alternating order. A burst of outside load then
//! hits both sides of a ratio alike instead of all runs of one command.
//! Warm-up rounds are run first and discarded.

use crate::measure::{run_timed, Cmd, Sample};
use crate::stats::{ms, Stats};
use crate::suite::Suite;
use std::path::PathBuf;

/// What happens before every timed run (not timed).
#[derive(Debug, Clone, Default)]
pub struct Prepare {
    database: Option<(String, Option<String>)>,
    remove: Vec<PathBuf>,
    recreate: Option<PathBuf>,
}

impl Prepare {
    /// Only the quiet-CPU wait.
    pub fn quiet() -> Self {
        Prepare::default()
    }

    /// A fresh empty database `db` (and a CHECKPOINT, so the checkpointer
    /// does not write the previous run's buffers during this one).
    pub fn fresh(db: &str) -> Self {
        Prepare {
            database: Some((db.to_string(), None)),
            ..Prepare::default()
        }
    }

    /// `db` as a fresh copy of `template`, and a CHECKPOINT.
    pub fn copy(db: &str, template: &str) -> Self {
        Prepare {
            database: Some((db.to_string(), Some(template.to_string()))),
            ..Prepare::default()
        }
    }

    /// Also removes `path` (a cache).
    pub fn removing(mut self, path: PathBuf) -> Self {
        self.remove.push(path);
        self
    }

    /// Also removes `path` and creates it again, empty.
    pub fn recreating(mut self, path: PathBuf) -> Self {
        self.recreate = Some(path);
        self
    }
}

/// One command of a benchmark: its label, and the programs it runs in turn.
pub type Timed = (String, Vec<Cmd>);

impl Suite {
    /// Times `commands` over `runs` rounds after `warmup` discarded ones and
    /// records them as benchmark `name` (keys `name:label`).
    pub fn time(
        &mut self,
        name: &str,
        runs: u32,
        warmup: u32,
        prepare: &Prepare,
        commands: &[Timed],
    ) -> Result<(), String> {
        let log = self.res.join(format!("{name}.log"));
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); commands.len()];
        for round in -(warmup as i64)..runs as i64 {
            let mut order: Vec<usize> = (0..commands.len()).collect();
            if round % 2 != 0 {
                order.reverse();
            }
            for i in order {
                self.prepare(prepare)?;
                let sample = run_timed(&commands[i].1, &self.empty, &log, self.plan.timeout)?;
                if round >= 0 {
                    samples[i].push(sample);
                }
            }
        }
        let stats: Vec<Stats> = commands
            .iter()
            .zip(&samples)
            .map(|((label, _), s)| Stats::of(label, s))
            .collect();
        for s in &stats {
            eprintln!(
                "   {:<44} median {:>12}  [{} – {}]  n={}",
                s.command,
                ms(s.median),
                ms(s.min),
                ms(s.max),
                s.times.len()
            );
        }
        if std::env::var_os("BENCH_KEEP").is_some_and(|v| !v.is_empty()) {
            let json = serde_json::to_string_pretty(&stats).unwrap_or_default();
            let _ = std::fs::write(self.res.join(format!("{name}.json")), json);
        }
        self.results.insert(name, stats);
        Ok(())
    }

    fn prepare(&mut self, prepare: &Prepare) -> Result<(), String> {
        for path in &prepare.remove {
            remove(path)?;
        }
        if let Some(path) = &prepare.recreate {
            remove(path)?;
            std::fs::create_dir_all(path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        if let Some((db, template)) = &prepare.database {
            self.reset_db(db, template.as_deref())?;
            self.sql("CHECKPOINT")?;
        }
        self.quiet.wait();
        Ok(())
    }
}

fn remove(path: &std::path::Path) -> Result<(), String> {
    match std::fs::remove_dir_all(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("{}: {e}", path.display()))
        }
        _ => Ok(()),
    }
}

/// A benchmark command from a label and one program.
pub fn one(label: &str, cmd: Cmd) -> Timed {
    (label.to_string(), vec![cmd])
}
