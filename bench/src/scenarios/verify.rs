//! `verify`, and the scaling of `verify` and a cold `check` (issue 14).

use crate::rounds::{one, Prepare};
use crate::rows::{ratio, skip, Row};
use crate::suite::Suite;

/// `verify` of the real, embedded migrations, on a fresh database each run.
pub fn real(s: &mut Suite) -> Result<(), String> {
    let verify = s
        .tool()
        .args(["--database-url", &s.url("bench_verify"), "verify"]);
    s.time(
        "verify",
        s.plan.runs,
        0,
        &Prepare::fresh("bench_verify"),
        &[one("verify", verify)],
    )?;
    s.row(Row::Abs {
        scenario: "`verify`, real migrations".into(),
        key: "verify:verify".into(),
        limit: 2.0,
        target: "≤ 2 s".into(),
    });
    Ok(())
}

/// `verify` and a cold `check` of N realistic migrations (issue 14).
///
/// `verify` runs up, down and up again per migration, then head → base →
/// head: it is held to 4 × (`upgrade` + `downgrade base` + `upgrade`) of the
/// same set, timed in the same rounds, and must grow linearly (2000 vs 1000
/// ≤ 2.2 ×). A cold `check` (no cache: the expected schema is built on a
/// scratch database) is held to 1.5 × `upgrade` of the same set, also timed
/// in the same rounds.
pub fn realistic(s: &mut Suite) -> Result<(), String> {
    let cache = s.work.join("verify-cache");
    for n in s.plan.sizes.clone() {
        let dir = s.set("realistic", n);
        let runs = if n <= 100 { s.plan.runs } else { 3 };
        let on_bench = |verb: &[&str]| {
            s.tool_on("bench", &dir)
                .args(["-q"])
                .args(verb.iter().copied())
        };
        let name = format!("verify-realistic-{n}");
        let round_trip = vec![
            on_bench(&["upgrade"]),
            on_bench(&["downgrade", "base", "--yes"]),
            on_bench(&["upgrade"]),
        ];
        let commands = [
            one("verify", on_bench(&["verify"])),
            ("up+down+up".to_string(), round_trip),
        ];
        s.time(&name, runs, 0, &Prepare::fresh("bench"), &commands)?;
        s.row(ratio(
            format!("`verify` {n} realistic vs upgrade + downgrade base + upgrade"),
            format!("{name}:verify"),
            format!("{name}:up+down+up"),
            4.0,
            "≤ 4 × up+down+up",
        ));
        cold_check(s, n, runs, &cache)?;
    }
    if s.plan.has_growth_sizes() {
        s.row(ratio(
            "growth: `verify` 2000 vs 1000 realistic",
            "verify-realistic-2000:verify",
            "verify-realistic-1000:verify",
            2.2,
            "≤ 2.2 ×",
        ));
    } else {
        s.row(skip(
            "growth: `verify` 2000 vs 1000 realistic",
            "≤ 2.2 ×",
            "needs N = 1000 and 2000 (full run or --scale)",
        ));
    }
    Ok(())
}

/// A cold `check` of a database at head of realistic-N, vs `upgrade` of
/// the same set on an empty database, interleaved.
fn cold_check(s: &mut Suite, n: u32, runs: u32, cache: &std::path::Path) -> Result<(), String> {
    let dir = s.set("realistic", n);
    let checked = "bench_checked";
    s.reset_db(checked, None)?;
    s.run(&s.tool_up(checked, &dir).args(["-q"]))?;
    let name = format!("check-cold-realistic-{n}");
    let check = s
        .tool_on(checked, &dir)
        .env("RAGCHAT_CACHE_DIR", cache)
        .args(["check"]);
    let commands = [
        one("check (cold cache)", check),
        one("upgrade", s.tool_up("bench", &dir)),
    ];
    let prepare = Prepare::fresh("bench").removing(cache.to_path_buf());
    s.time(&name, runs, 0, &prepare, &commands)?;
    s.row(ratio(
        format!("`check` with a cold cache, {n} realistic, vs `upgrade` of the same set"),
        format!("{name}:check (cold cache)"),
        format!("{name}:upgrade"),
        1.5,
        "≤ 1.5 × upgrade",
    ));
    s.sql(&format!("DROP DATABASE {checked}"))
}
