//! `lint` (no database) and the peak memory of `upgrade`.

use crate::measure::run_timed;
use crate::rounds::{one, Prepare};
use crate::rows::{info, Row};
use crate::suite::Suite;

/// `lint --all` of BIG realistic migrations (issue 16): offline. `upgrade
/// --sql` reads, hashes and renders the same files without linting: the
/// difference is Squawk's parse and rules plus the report. Each migration
/// draws two warnings (prefer-bigint-over-int, prefer-identity), so the
/// compiler-style rendering is in the figure too.
pub fn lint(s: &mut Suite) -> Result<(), String> {
    let big = s.plan.big;
    let dir = s.set("realistic", big);
    let from_dir = || s.tool().args(["--migrations-dir"]).args([&dir]);
    let commands = [
        one("lint --all", from_dir().args(["lint", "--all"])),
        one(
            "upgrade --sql (reads the same files)",
            from_dir().args(["upgrade", "--sql"]),
        ),
    ];
    s.time(
        "lint",
        s.plan.runs,
        s.plan.warmup,
        &Prepare::quiet(),
        &commands,
    )?;
    s.row(Row::Cpu {
        scenario: format!("`lint --all`, {big} realistic migrations: CPU beyond reading the files"),
        num: "lint:lint --all".into(),
        den: "lint:upgrade --sql (reads the same files)".into(),
        limit: 0.5,
        target: "≤ 0.5 s CPU more than `upgrade --sql`".into(),
    });
    s.row(Row::Per {
        text: format!("`lint --all`, {big} realistic migrations"),
        key: "lint:lint --all".into(),
        n: big,
    });
    s.row(info(
        format!("`lint --all` vs `upgrade --sql` (reading the files, no lint), {big} realistic"),
        "lint:lint --all",
        "lint:upgrade --sql (reads the same files)",
    ));
    Ok(())
}

/// Peak memory (max RSS) of `upgrade` of BIG tiny from disk, the worst of 3;
/// the floor's beside it.
pub fn memory(s: &mut Suite) -> Result<(), String> {
    let big = s.plan.big;
    let dir = s.set("tiny", big);
    let log = s.res.join("memory.log");
    let mut max = 0;
    for _ in 0..3 {
        s.reset_db("bench", None)?;
        let up = s.tool_up("bench", &dir).args(["-q"]);
        max = max.max(run_timed(&[up], &s.empty, &log, s.plan.timeout)?.max_rss_kib);
    }
    s.reset_db("bench", None)?;
    let floor = s.floor("up", &dir, "bench");
    let floor_max = run_timed(&[floor], &s.empty, &log, s.plan.timeout)?.max_rss_kib;
    s.row(Row::Mem {
        scenario: format!("peak memory, `upgrade` {big} tiny from disk (max of 3)"),
        kib: max,
        limit: 25.0,
        target: "≤ 25 MiB".into(),
    });
    s.row(Row::Note(format!(
        "For comparison the floor's peak RSS for the same upgrade: {} MiB ({floor_max} KiB).",
        floor_max / 1024
    )));
    Ok(())
}
