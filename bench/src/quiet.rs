//! Waiting for a quiet CPU before each timed run.
//!
//! The machine may be shared (another engineer's build or test suite), and
//! load from outside inflates a run 2-3 times, which no number of runs
//! averages away. A run starts once the CPU was at least 90 % idle over
//! 100 ms, waiting at most a budget shared by the whole suite; runs that had
//! to start on a busy machine are counted in the report.

use std::time::Duration;

/// The shared waiting budget and what it was used for.
#[derive(Debug)]
pub struct QuietCpu {
    budget_ms: i64,
    initial_ms: i64,
    busy_starts: u32,
}

impl QuietCpu {
    /// A budget of `budget_ms` milliseconds of waiting for the whole suite.
    pub fn new(budget_ms: i64) -> Self {
        QuietCpu {
            budget_ms,
            initial_ms: budget_ms,
            busy_starts: 0,
        }
    }

    /// Returns once the CPU was quiet for 100 ms, or the budget is spent.
    pub fn wait(&mut self) {
        loop {
            let (busy0, total0) = cpu_sample();
            std::thread::sleep(Duration::from_millis(100));
            let (busy1, total1) = cpu_sample();
            if (busy1 - busy0) * 10 <= total1 - total0 {
                return;
            }
            if self.budget_ms <= 0 {
                self.busy_starts += 1;
                return;
            }
            self.budget_ms -= 100;
        }
    }

    /// Seconds spent waiting in all.
    pub fn waited_seconds(&self) -> i64 {
        (self.initial_ms - self.budget_ms) / 1000
    }

    /// Runs that started on a busy CPU because the budget ran out.
    pub fn busy_starts(&self) -> u32 {
        self.busy_starts
    }
}

/// Busy and total jiffies of all CPUs, from the first line of `/proc/stat`.
fn cpu_sample() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = text
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|f| f.parse().unwrap_or(0))
        .collect();
    let get = |i: usize| fields.get(i).copied().unwrap_or(0);
    // user nice system idle iowait irq softirq steal
    let busy = get(0) + get(1) + get(2) + get(5) + get(6) + get(7);
    (busy, busy + get(3) + get(4))
}
