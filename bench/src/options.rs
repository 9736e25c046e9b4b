//! The suite's flags, and the run counts and sizes derived from them.

use clap::Parser;
use std::path::PathBuf;

/// The performance suite of ragchat-migrate (issue 7): times every scenario
/// against its target on a throwaway PostgreSQL cluster and writes the report.
#[derive(Debug, Parser)]
#[command(name = "scripts/bench", bin_name = "scripts/bench")]
pub struct Options {
    /// N = 100 only (a smoke run, about a minute)
    #[arg(long)]
    pub small: bool,

    /// Only the scaling scenarios of issue 14: `verify` and a cold `check`
    /// of realistic sets, with the upgrades they are compared with (N = 100,
    /// 1000 and 2000; N = 100 with --small). Prints the ratios; writes a
    /// report only with --output.
    #[arg(long)]
    pub scale: bool,

    /// Timed runs per migration scenario, at least 5 (default 5 with
    /// --small, else 10; scenarios of N <= 100 get 3 × RUNS, quick status
    /// commands 2-4 × RUNS)
    #[arg(long, value_parser = clap::value_parser!(u32).range(5..))]
    pub runs: Option<u32>,

    /// The report (default: BENCHMARKS.md at the repository root; none with --scale)
    #[arg(long)]
    pub output: Option<PathBuf>,

    /// Kill a single timed command after this many seconds (the scenario
    /// is reported as an error)
    #[arg(long, default_value_t = 1800)]
    pub timeout: u64,
}

/// What the options amount to.
#[derive(Debug, Clone)]
pub struct Plan {
    /// --small.
    pub small: bool,
    /// --scale.
    pub scale: bool,
    /// The set sizes of the migration scenarios.
    pub sizes: Vec<u32>,
    /// The largest size (status, memory, lint).
    pub big: u32,
    /// The size of the `downgrade base` scenario.
    pub down_n: u32,
    /// Runs per migration scenario.
    pub runs: u32,
    /// Runs of the quick status commands.
    pub fast_runs: u32,
    /// Warm-up rounds of the quick commands.
    pub warmup: u32,
    /// Seconds of waiting for a quiet CPU, for the whole suite.
    pub quiet_budget_ms: i64,
    /// Limit per timed command.
    pub timeout: std::time::Duration,
}

impl Plan {
    /// Derives the plan from the flags.
    pub fn from(options: &Options) -> Plan {
        let small = options.small;
        // 5 runs in --small (the minute budget), else 10: a 2-core machine
        // is noisy and a 5 % target needs a steady median.
        let runs = options.runs.unwrap_or(if small { 5 } else { 10 });
        let sizes = if small {
            vec![100]
        } else {
            vec![100, 1000, 2000]
        };
        Plan {
            small,
            scale: options.scale,
            big: *sizes.last().unwrap_or(&100),
            sizes,
            down_n: if small { 100 } else { 1000 },
            runs,
            // Quick commands (a connect and a query or two) are noisy; more
            // runs for them (fewer in --small, which must stay short).
            fast_runs: runs * if small { 2 } else { 4 },
            warmup: if small { 1 } else { 3 },
            quiet_budget_ms: if small { 5_000 } else { 120_000 },
            timeout: std::time::Duration::from_secs(options.timeout),
        }
    }

    /// Small sets (tens of milliseconds a run) are as noisy as their fixed
    /// costs and cheap to repeat: 3 × RUNS for N <= 100.
    pub fn runs_for(&self, n: u32) -> u32 {
        if n <= 100 {
            self.runs * 3
        } else {
            self.runs
        }
    }

    /// Both 1000 and 2000 are measured (the growth targets).
    pub fn has_growth_sizes(&self) -> bool {
        self.sizes.contains(&1000) && self.sizes.contains(&2000)
    }
}
