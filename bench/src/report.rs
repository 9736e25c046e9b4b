//! Writing BENCHMARKS.md: the machine, the targets, the other measurements,
//! every timing and the hand-written findings. The format is the one the
//! suite has always written, so figures stay comparable between runs.

use crate::machine::Machine;
use crate::rows::Line;
use crate::stats::ms;
use crate::suite::Suite;

/// What the report needs beyond the suite's results.
pub struct Context {
    /// `--small (N = 100)` or `full (N = 100 1000 2000)`.
    pub mode: String,
    /// The commit the binaries were built from.
    pub commit: String,
    /// Seconds the suite took.
    pub elapsed: u64,
    /// The machine.
    pub machine: Machine,
    /// Load averages at the start and the end.
    pub load: String,
}

/// The report as markdown.
pub fn render(s: &Suite, cx: &Context) -> String {
    let mut targets = Vec::new();
    let mut infos = Vec::new();
    let mut notes = Vec::new();
    for row in &s.rows {
        match row.evaluate(&s.results) {
            Some(Line::Target(t)) => targets.push(t),
            Some(Line::Info(i)) => infos.push(i),
            Some(Line::Note(n)) => notes.push(n),
            None => {}
        }
    }
    let mut out = Vec::new();
    machine_section(&mut out, s, cx);
    targets_section(&mut out, &targets);
    if !infos.is_empty() || !notes.is_empty() {
        out.push("## Other measurements".into());
        out.push(String::new());
        out.extend(infos.iter().chain(&notes).map(|i| format!("- {i}")));
        out.push(String::new());
    }
    timings_section(&mut out, s);
    findings_section(&mut out, s, &targets);
    out.join("\n")
}

/// The "## Targets" section alone (what the suite prints at the end).
pub fn targets_only(report: &str) -> &str {
    let start = report.find("## Targets").unwrap_or(0);
    let end = report
        .find("## Other measurements")
        .or_else(|| report.find("## All timings"));
    &report[start..end.unwrap_or(report.len())]
}

fn machine_section(out: &mut Vec<String>, s: &Suite, cx: &Context) {
    let m = &cx.machine;
    let plan = &s.plan;
    let now = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC");
    let diesel = s.tools.diesel_version.as_deref().unwrap_or("none");
    out.extend([
        "# Benchmarks".to_string(),
        String::new(),
        format!(
            "Written by `scripts/bench` ({}) on {now}, commit `{}`; the suite took {} s. Regenerate with \
             `scripts/bench` (or `scripts/bench --small` for a quick check).",
            cx.mode, cx.commit, cx.elapsed
        ),
        String::new(),
        "## Machine".into(),
        String::new(),
        format!("- CPU: {} ({} cores as seen by nproc)", m.cpu, m.cores),
        format!("- Memory: {}; kernel {}", m.memory, m.kernel),
        format!(
            "- Load average (1, 5, 15 min): {}. Anything above 0 means other processes shared the cores; \
             commands are interleaved run by run so that such load hits both sides of a ratio alike, and \
             each timed run waits for a quiet CPU first (waited {} s in all for a quiet CPU; {} run(s) \
             started on a busy CPU after the wait budget ran out).",
            cx.load,
            s.quiet.waited_seconds(),
            s.quiet.busy_starts()
        ),
        format!(
            "- PostgreSQL {}: a throwaway cluster started by the suite (through the library's \
             `server::cluster`), connected over TCP 127.0.0.1 (the embedded-default scenarios use the \
             tool's own local cluster over its unix socket)",
            s.pg_version
        ),
        format!(
            "- **fsync=off, synchronous_commit=off, full_page_writes=off**, data directory on {}: the suite \
             measures the migrator and its round trips, not the disk (on this VM creating a file on ext4 \
             costs ~0.25 ms and varies 3× between runs, and every CREATE TABLE creates files; that cost is \
             paid alike by the tool and the floor and would only blur the ratios). The embedded default's \
             own cluster runs on disk with its normal settings, as a user has it.",
            s.cluster.placement
        ),
        format!(
            "- Timed by `bench` (spawn to exit, no shell, output discarded, as hyperfine `-N`; CPU and peak \
             memory from `wait4`); {}; diesel_cli {diesel}",
            m.rustc
        ),
        format!(
            "- Runs: {} per migration scenario ({} for N ≤ 100, where fixed costs and noise weigh most), each \
             on a fresh database (dropped and created before every run, or copied from a template for \
             `downgrade`); {} runs after {} warm-up(s) for the quick status commands.",
            plan.runs,
            3 * plan.runs,
            plan.fast_runs,
            plan.warmup
        ),
        String::new(),
    ]);
}

fn targets_section(out: &mut Vec<String>, targets: &[[String; 6]]) {
    out.extend([
        "## Targets".to_string(),
        String::new(),
        "Ratios are of medians measured in the same run of the suite, the commands interleaved round by round; \
         in parentheses the median of the baseline, then the range of the per-round ratios."
            .into(),
        String::new(),
        "| scenario | median | spread (min – max, σ) | ratio (baseline) | target | result |".into(),
        "| --- | --- | --- | --- | --- | --- |".into(),
    ]);
    out.extend(targets.iter().map(|t| format!("| {} |", t.join(" | "))));
    out.push(String::new());
    let count = |word: &str| targets.iter().filter(|t| t[5].contains(word)).count();
    out.push(format!(
        "**{} passed, {} missed**, {} skipped, {} errors.",
        count("PASS"),
        count("MISS"),
        count("SKIPPED"),
        count("ERROR")
    ));
    out.push(String::new());
}

fn timings_section(out: &mut Vec<String>, s: &Suite) {
    out.extend([
        "## All timings".to_string(),
        String::new(),
        "| benchmark | command | median | min – max | σ | runs |".into(),
        "| --- | --- | --- | --- | --- | --- |".into(),
    ]);
    for (bench, r) in s.results.iter() {
        out.push(format!(
            "| {bench} | {} | {} | {} – {} | {} | {} |",
            r.command,
            ms(r.median),
            ms(r.min),
            ms(r.max),
            ms(r.stddev),
            r.times.len()
        ));
    }
    out.push(String::new());
    out.push(
        "The floor (`bench/`, binary `floor`) applies the same SQL on one connection with the fewest round trips \
         possible: per migration one simple-protocol message `BEGIN; <sql>; <ledger INSERT/DELETE>; COMMIT;`, \
         and nothing else (no lock, no ledger read, no checksums)."
            .into(),
    );
    out.push(String::new());
}

fn findings_section(out: &mut Vec<String>, s: &Suite, targets: &[[String; 6]]) {
    out.push("## Findings".into());
    out.push(String::new());
    let misses: Vec<&str> = targets
        .iter()
        .filter(|t| t[5].contains("MISS"))
        .map(|t| t[0].as_str())
        .collect();
    if !misses.is_empty() {
        out.push(format!("Missed in this run: {}.", misses.join("; ")));
        out.push(String::new());
    }
    match std::fs::read_to_string(s.root.join("bench/FINDINGS.md")) {
        Ok(text) => {
            out.push(
                "Investigation notes, written by hand (`bench/FINDINGS.md`); their numbers are from the \
                 investigation, the tables above from this run."
                    .into(),
            );
            out.push(String::new());
            out.push(strip_comments(&text).trim().to_string());
        }
        Err(_) => out.push("No investigation notes (bench/FINDINGS.md) yet.".into()),
    }
    out.push(String::new());
}

/// The text without its `<!-- ... -->` comments.
fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("<!--") {
        out.push_str(&rest[..start]);
        match rest[start..].find("-->") {
            Some(end) => rest = &rest[start + end + 3..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_left_out_of_the_findings() {
        assert_eq!(
            strip_comments("<!-- a\nb -->\n### x\n<!--c-->y"),
            "\n### x\ny"
        );
    }

    #[test]
    fn the_printed_part_is_the_targets_section() {
        let report = "# B\n## Targets\n| x |\n## Other measurements\n- y\n";
        assert_eq!(targets_only(report), "## Targets\n| x |\n");
    }
}
