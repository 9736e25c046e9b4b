//! The rows of the report: targets (a figure against a limit), other
//! measurements and notes. A scenario records rows; the figures are looked
//! up in the results when the row is evaluated.

use crate::stats::{grouped, ms, Results};

/// One line of the report, recorded by a scenario.
#[derive(Debug, Clone)]
pub enum Row {
    /// `num`'s median over `den`'s median, at most `limit`.
    Ratio {
        scenario: String,
        num: String,
        den: String,
        limit: f64,
        target: String,
    },
    /// `key`'s median, at most `limit` seconds.
    Abs {
        scenario: String,
        key: String,
        limit: f64,
        target: String,
    },
    /// A peak memory in KiB, at most `limit` MiB.
    Mem {
        scenario: String,
        kib: i64,
        limit: f64,
        target: String,
    },
    /// A target not measured in this run, and why.
    Skip {
        scenario: String,
        target: String,
        why: String,
    },
    /// A scenario that failed.
    Error { scenario: String, why: String },
    /// A ratio without a target.
    Info {
        text: String,
        num: String,
        den: String,
    },
    /// CPU seconds (user + system) of `num` beyond `den`'s, at most `limit`.
    Cpu {
        scenario: String,
        num: String,
        den: String,
        limit: f64,
        target: String,
    },
    /// Time per migration of `key` over `n` migrations.
    Per { text: String, key: String, n: u32 },
    /// Free text.
    Note(String),
}

/// A row evaluated against the results.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    /// scenario, median, spread, ratio, target, result.
    Target([String; 6]),
    /// An entry of "Other measurements" (ratios and per-migration figures).
    Info(String),
    /// An entry of "Other measurements" written after the infos.
    Note(String),
}

fn target(
    scenario: &str,
    median: String,
    spread: String,
    ratio: String,
    text: &str,
    result: String,
) -> Line {
    Line::Target([
        scenario.to_string(),
        median,
        spread,
        ratio,
        text.to_string(),
        result,
    ])
}

fn verdict(ok: bool) -> String {
    if ok { "PASS" } else { "**MISS**" }.to_string()
}

fn no_data(scenario: &str, text: &str) -> Line {
    let dash = || "—".to_string();
    target(
        scenario,
        dash(),
        dash(),
        dash(),
        text,
        "ERROR (no data)".into(),
    )
}

fn spread(r: &crate::stats::Stats) -> String {
    format!("{} – {} (σ {})", ms(r.min), ms(r.max), ms(r.stddev))
}

impl Row {
    /// The report line of this row; `None` for an info whose data is missing.
    pub fn evaluate(&self, data: &Results) -> Option<Line> {
        let dash = || "—".to_string();
        Some(match self {
            Row::Ratio {
                scenario,
                num,
                den,
                limit,
                target: text,
            } => ratio_line(data, scenario, num, den, *limit, text),
            Row::Abs {
                scenario,
                key,
                limit,
                target: text,
            } => match data.get(key) {
                Some(a) => target(
                    scenario,
                    ms(a.median),
                    spread(a),
                    dash(),
                    text,
                    verdict(a.median <= *limit),
                ),
                None => no_data(scenario, text),
            },
            Row::Mem {
                scenario,
                kib,
                limit,
                target: text,
            } => mem_line(scenario, *kib, *limit, text),
            Row::Skip {
                scenario,
                target: text,
                why,
            } => target(
                scenario,
                dash(),
                dash(),
                dash(),
                text,
                format!("SKIPPED: {why}"),
            ),
            Row::Error { scenario, why } => target(
                scenario,
                dash(),
                dash(),
                dash(),
                "—",
                format!("ERROR: {why}"),
            ),
            Row::Info { text, num, den } => {
                let (a, b) = (data.get(num)?, data.get(den)?);
                let r = a.median / b.median;
                Line::Info(format!(
                    "{text}: {}, {r:.3} × ({})",
                    ms(a.median),
                    ms(b.median)
                ))
            }
            Row::Cpu {
                scenario,
                num,
                den,
                limit,
                target: text,
            } => cpu_line(data, scenario, num, den, *limit, text),
            Row::Per { text, key, n } => per_line(data.get(key)?, text, *n),
            Row::Note(text) => Line::Note(text.clone()),
        })
    }
}

fn ratio_line(
    data: &Results,
    scenario: &str,
    num: &str,
    den: &str,
    limit: f64,
    text: &str,
) -> Line {
    let (Some(a), Some(b)) = (data.get(num), data.get(den)) else {
        return no_data(scenario, text);
    };
    let ratio = a.median / b.median;
    let mut cell = format!("{ratio:.3} × ({})", ms(b.median));
    // Same benchmark: the runs were interleaved round by round, so the
    // ratio of each round shows how much the ratio itself moves.
    if num.split(':').next() == den.split(':').next() && a.times.len() == b.times.len() {
        let per: Vec<f64> = a.times.iter().zip(&b.times).map(|(x, y)| x / y).collect();
        let lo = per.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = per.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        cell += &format!("; per round {lo:.2}–{hi:.2}");
    }
    target(
        scenario,
        ms(a.median),
        spread(a),
        cell,
        text,
        verdict(ratio <= limit),
    )
}

fn mem_line(scenario: &str, kib: i64, limit: f64, text: &str) -> Line {
    let mib = kib as f64 / 1024.0;
    let rss = "max RSS, wait4's ru_maxrss".to_string();
    target(
        scenario,
        format!("{mib:.1} MiB"),
        rss,
        "—".into(),
        text,
        verdict(mib <= limit),
    )
}

fn cpu_line(data: &Results, scenario: &str, num: &str, den: &str, limit: f64, text: &str) -> Line {
    let (Some(a), Some(b)) = (data.get(num), data.get(den)) else {
        return no_data(scenario, text);
    };
    let (ca, cb) = (a.user + a.system, b.user + b.system);
    let extra = ca - cb;
    let detail = format!("{ca:.3} s vs {cb:.3} s (user + system, mean)");
    let figure = format!("{extra:.3} s CPU");
    target(
        scenario,
        figure,
        detail,
        "—".into(),
        text,
        verdict(extra <= limit),
    )
}

fn per_line(r: &crate::stats::Stats, text: &str, n: u32) -> Line {
    let cpu = r.user + r.system;
    let n = f64::from(n);
    Line::Info(format!(
        "{text}: {} in all, {} µs per migration; CPU {cpu:.3} s (user {:.3} s, system {:.3} s), {} µs per migration",
        ms(r.median),
        grouped(r.median / n * 1e6, 0),
        r.user,
        r.system,
        grouped(cpu / n * 1e6, 0)
    ))
}

/// Builds a ratio row (the most common kind).
pub fn ratio(
    scenario: impl Into<String>,
    num: impl Into<String>,
    den: impl Into<String>,
    limit: f64,
    target: &str,
) -> Row {
    Row::Ratio {
        scenario: scenario.into(),
        num: num.into(),
        den: den.into(),
        limit,
        target: target.to_string(),
    }
}

/// Builds a skip row.
pub fn skip(scenario: impl Into<String>, target: &str, why: impl Into<String>) -> Row {
    Row::Skip {
        scenario: scenario.into(),
        target: target.to_string(),
        why: why.into(),
    }
}

/// Builds an info row (a ratio without a target).
pub fn info(text: impl Into<String>, num: impl Into<String>, den: impl Into<String>) -> Row {
    Row::Info {
        text: text.into(),
        num: num.into(),
        den: den.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Sample;
    use crate::stats::Stats;

    fn timed(walls: &[f64]) -> Vec<Sample> {
        walls
            .iter()
            .map(|&wall| Sample {
                wall,
                ..Sample::default()
            })
            .collect()
    }

    #[test]
    fn a_ratio_of_one_benchmark_shows_the_per_round_range() {
        let mut data = Results::default();
        data.insert(
            "up",
            vec![
                Stats::of("tool", &timed(&[0.11, 0.12, 0.13])),
                Stats::of("floor", &timed(&[0.10, 0.10, 0.10])),
            ],
        );
        let row = ratio("upgrade", "up:tool", "up:floor", 1.15, "≤ 1.15 × floor");
        let Some(Line::Target(cells)) = row.evaluate(&data) else {
            panic!("no target")
        };
        assert_eq!(cells[1], "120.0 ms");
        assert_eq!(cells[3], "1.200 × (100.0 ms); per round 1.10–1.30");
        assert_eq!(cells[5], "**MISS**");
        let row = ratio("upgrade", "up:tool", "up:floor", 1.25, "≤ 1.25 × floor");
        let Some(Line::Target(cells)) = row.evaluate(&data) else {
            panic!("no target")
        };
        assert_eq!(cells[5], "PASS");
    }

    #[test]
    fn missing_data_is_an_error_row_and_a_missing_info_is_left_out() {
        let data = Results::default();
        let row = ratio("x", "a:b", "c:d", 1.0, "t");
        let Some(Line::Target(cells)) = row.evaluate(&data) else {
            panic!("no target")
        };
        assert_eq!(cells[5], "ERROR (no data)");
        assert_eq!(info("x", "a:b", "c:d").evaluate(&data), None);
    }
}
