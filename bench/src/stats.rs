//! The timings of every benchmark: per command the runs' wall times and
//! their summary, kept by benchmark name in name order (the report's order).

use crate::measure::Sample;
use serde::Serialize;
use std::collections::BTreeMap;

/// One command's runs within one benchmark, summarised.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    /// The command's label in its benchmark.
    pub command: String,
    /// Wall seconds of every timed run, in order.
    pub times: Vec<f64>,
    /// Median wall seconds.
    pub median: f64,
    /// Mean wall seconds.
    pub mean: f64,
    /// Fastest run.
    pub min: f64,
    /// Slowest run.
    pub max: f64,
    /// Sample standard deviation (0 for a single run).
    pub stddev: f64,
    /// Mean user CPU seconds.
    pub user: f64,
    /// Mean system CPU seconds.
    pub system: f64,
    /// Largest peak resident memory of any run, KiB.
    pub max_rss_kib: i64,
}

impl Stats {
    /// Summarises the samples of one command (at least one).
    pub fn of(command: &str, samples: &[Sample]) -> Stats {
        let times: Vec<f64> = samples.iter().map(|s| s.wall).collect();
        let n = times.len() as f64;
        let mean = times.iter().sum::<f64>() / n;
        let stddev = if times.len() > 1 {
            (times.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
        } else {
            0.0
        };
        Stats {
            command: command.to_string(),
            median: median(&times),
            mean,
            min: times.iter().copied().fold(f64::INFINITY, f64::min),
            max: times.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            stddev,
            user: samples.iter().map(|s| s.user).sum::<f64>() / n,
            system: samples.iter().map(|s| s.system).sum::<f64>() / n,
            max_rss_kib: samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0),
            times,
        }
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

/// Every benchmark's commands, by benchmark name.
#[derive(Debug, Default, Serialize)]
pub struct Results(BTreeMap<String, Vec<Stats>>);

impl Results {
    /// Records a benchmark (replacing one of the same name).
    pub fn insert(&mut self, bench: &str, commands: Vec<Stats>) {
        self.0.insert(bench.to_string(), commands);
    }

    /// One command by its key, `BENCH:LABEL`.
    pub fn get(&self, key: &str) -> Option<&Stats> {
        let (bench, label) = key.split_once(':')?;
        self.0.get(bench)?.iter().find(|s| s.command == label)
    }

    /// (benchmark, command) pairs in the report's order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Stats)> {
        self.0
            .iter()
            .flat_map(|(bench, all)| all.iter().map(move |s| (bench.as_str(), s)))
    }
}

/// Seconds as the report writes them: `1,234.5 ms` below 10 s, else `12.34 s`.
pub fn ms(seconds: f64) -> String {
    if seconds < 10.0 {
        format!("{} ms", grouped(seconds * 1000.0, 1))
    } else {
        format!("{} s", grouped(seconds, 2))
    }
}

/// A number with `decimals` decimals and commas between thousands.
pub fn grouped(value: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    if value < 0.0 && text.chars().any(|c| c != '0' && c != '.') {
        out.insert(0, '-');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_the_report_always_did() {
        assert_eq!(ms(0.1205), "120.5 ms");
        assert_eq!(ms(1.117), "1,117.0 ms");
        assert_eq!(ms(12.345), "12.35 s");
        assert_eq!(grouped(1234567.0, 0), "1,234,567");
    }

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }
}
