//! `upgrade` and `downgrade base` against the floor (and diesel_cli).

use crate::rounds::{one, Prepare};
use crate::rows::{info, ratio, skip};
use crate::suite::Suite;

/// `upgrade` of N realistic migrations on an empty database vs the floor.
pub fn realistic(s: &mut Suite) -> Result<(), String> {
    for n in s.plan.sizes.clone() {
        let dir = s.set("realistic", n);
        let name = format!("up-realistic-{n}");
        let commands = [
            one("ragchat-migrate upgrade", s.tool_up("bench", &dir)),
            one("floor up", s.floor("up", &dir, "bench")),
        ];
        s.time(
            &name,
            s.plan.runs_for(n),
            0,
            &Prepare::fresh("bench"),
            &commands,
        )?;
        s.row(ratio(
            format!("`upgrade` {n} realistic, empty database"),
            format!("{name}:ragchat-migrate upgrade"),
            format!("{name}:floor up"),
            1.05,
            "≤ 1.05 × floor",
        ));
    }
    Ok(())
}

/// `upgrade` of N tiny migrations vs the floor and diesel_cli; growth 1000 → 2000.
pub fn tiny(s: &mut Suite) -> Result<(), String> {
    for n in s.plan.sizes.clone() {
        let dir = s.set("tiny", n);
        let name = format!("up-tiny-{n}");
        let mut commands = vec![
            one("ragchat-migrate upgrade", s.tool_up("bench", &dir)),
            one("floor up", s.floor("up", &dir, "bench")),
        ];
        // diesel_cli regenerates schema.rs when it finds a diesel.toml: the
        // commands run from an empty temp dir that has none above it.
        if let Ok(diesel) = &s.tools.diesel {
            let cmd = crate::measure::Cmd::new(diesel)
                .args(["migration", "run", "--migration-dir"])
                .args([&dir])
                .args(["--database-url".into(), s.url("bench")]);
            commands.push(one("diesel migration run", cmd));
        }
        s.time(
            &name,
            s.plan.runs_for(n),
            0,
            &Prepare::fresh("bench"),
            &commands,
        )?;
        s.row(ratio(
            format!("`upgrade` {n} tiny, empty database"),
            format!("{name}:ragchat-migrate upgrade"),
            format!("{name}:floor up"),
            1.15,
            "≤ 1.15 × floor",
        ));
        match &s.tools.diesel {
            Ok(_) => s.row(ratio(
                format!("`upgrade` {n} tiny vs diesel_cli `migration run`"),
                format!("{name}:ragchat-migrate upgrade"),
                format!("{name}:diesel migration run"),
                1.0,
                "≤ 1 × diesel_cli",
            )),
            Err(why) => {
                let why = why.clone();
                s.row(skip(
                    format!("`upgrade` {n} tiny vs diesel_cli"),
                    "≤ 1 × diesel_cli",
                    why,
                ));
            }
        }
    }
    if s.plan.has_growth_sizes() {
        s.row(ratio(
            "growth: `upgrade` 2000 vs 1000 tiny",
            "up-tiny-2000:ragchat-migrate upgrade",
            "up-tiny-1000:ragchat-migrate upgrade",
            2.1,
            "≤ 2.1 ×",
        ));
        s.row(info(
            "growth of the floor, 2000 vs 1000 tiny",
            "up-tiny-2000:floor up",
            "up-tiny-1000:floor up",
        ));
    } else {
        s.row(skip(
            "growth: `upgrade` 2000 vs 1000 tiny",
            "≤ 2.1 ×",
            "needs N = 1000 and 2000 (full run)",
        ));
    }
    Ok(())
}

/// `downgrade base` of DOWN_N realistic vs the floor's down. Each run starts
/// from a copy of a template database that the tool upgraded once, so both
/// sides revert exactly the same state (both ledger tables present).
pub fn downgrade(s: &mut Suite) -> Result<(), String> {
    let n = s.plan.down_n;
    let dir = s.set("realistic", n);
    let template = "bench_down_tpl";
    s.reset_db(template, None)?;
    s.run(&s.tool_up(template, &dir).args(["-q"]))?;
    let name = format!("down-realistic-{n}");
    let commands = [
        one(
            "ragchat-migrate downgrade base",
            s.tool_on("bench", &dir)
                .args(["downgrade", "base", "--yes"]),
        ),
        one("floor down", s.floor("down", &dir, "bench")),
    ];
    s.time(
        &name,
        s.plan.runs_for(n),
        0,
        &Prepare::copy("bench", template),
        &commands,
    )?;
    s.row(ratio(
        format!("`downgrade base` of {n} realistic"),
        format!("{name}:ragchat-migrate downgrade base"),
        format!("{name}:floor down"),
        1.1,
        "≤ 1.1 × floor (same down SQL)",
    ));
    s.sql(&format!("DROP DATABASE {template}"))
}
