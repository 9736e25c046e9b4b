//! The quick status commands and `check`, against a bare connect.

use crate::measure::Cmd;
use crate::rounds::{one, Prepare};
use crate::rows::{info, ratio};
use crate::suite::Suite;

/// `current`, `pending`, `history` on an up-to-date database with BIG tiny
/// applied, vs a bare connect-and-SELECT 1 by psql (the connect floor).
pub fn status(s: &mut Suite) -> Result<(), String> {
    let big = s.plan.big;
    let dir = s.set("tiny", big);
    let db = "bench_status";
    s.reset_db(db, None)?;
    s.run(&s.tool_up(db, &dir).args(["-q"]))?;
    let psql = Cmd::new(&s.tools.psql).args(["-X", "-q", "-d", &s.url(db), "-c", "SELECT 1"]);
    let commands = [
        one("psql SELECT 1", psql),
        one("current", s.tool_on(db, &dir).args(["current"])),
        one("pending", s.tool_on(db, &dir).args(["pending"])),
        one("history", s.tool_on(db, &dir).args(["history"])),
    ];
    s.time(
        "status",
        s.plan.fast_runs,
        s.plan.warmup,
        &Prepare::quiet(),
        &commands,
    )?;
    for c in ["current", "pending", "history"] {
        s.row(ratio(
            format!("`{c}`, {big} applied, up to date"),
            format!("status:{c}"),
            "status:psql SELECT 1",
            1.5,
            "≤ 1.5 × psql connect + SELECT 1",
        ));
    }
    Ok(())
}

/// `check` (no drift) on the real, embedded migrations vs `current` on the
/// same. `check` compares the live schema with the schema the applied
/// migrations produce, which it builds on a scratch database once and then
/// caches (in the temp dir here, so the suite neither reads nor fills the
/// user's cache). The target is for the everyday case, a warm cache (the
/// warm-up rounds fill it); the cold case is reported beside it.
pub fn check(s: &mut Suite) -> Result<(), String> {
    let db = "bench_real";
    let cache = s.work.join("check-cache");
    s.reset_db(db, None)?;
    s.run(
        &s.tool()
            .args(["--database-url", &s.url(db), "-q", "upgrade"]),
    )?;
    let on_db = |cmd: &str| {
        s.tool()
            .env("RAGCHAT_CACHE_DIR", &cache)
            .args(["--database-url", &s.url(db), cmd])
    };
    let commands = [
        one("current (embedded)", on_db("current")),
        one("check (embedded, cached)", on_db("check")),
    ];
    let cold = [one("check (embedded, cold cache)", on_db("check"))];
    s.time(
        "check",
        s.plan.fast_runs,
        s.plan.warmup,
        &Prepare::quiet(),
        &commands,
    )?;
    s.row(ratio(
        "`check` (no drift), real migrations, expected schema cached",
        "check:check (embedded, cached)",
        "check:current (embedded)",
        2.0,
        "≤ 2 × `current`",
    ));
    s.time(
        "check-cold",
        s.plan.runs,
        0,
        &Prepare::quiet().removing(cache),
        &cold,
    )?;
    s.row(info(
        "`check` with a cold cache (scratch database built) vs warm `current`",
        "check-cold:check (embedded, cold cache)",
        "check:current (embedded)",
    ));
    Ok(())
}
