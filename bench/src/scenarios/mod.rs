//! The scenarios of the suite, in the order they run. Each times commands
//! into the results and records the report's rows; one failing scenario is
//! reported as an error row, not fatal.

mod embedded;
mod offline;
mod round_trips;
mod status;
mod upgrade;
mod verify;

use crate::measure::check_interrupted;
use crate::rows::{Line, Row};
use crate::suite::Suite;
use std::time::Instant;

type Scenario = fn(&mut Suite) -> Result<(), String>;

/// Runs every scenario of the plan (only the scaling ones with --scale).
pub fn run_all(s: &mut Suite) -> Result<(), String> {
    let big = s.plan.big;
    let down_n = s.plan.down_n;
    let verify_realistic: (String, Scenario) =
        ("verify and cold check, realistic".into(), verify::realistic);
    let list: Vec<(String, Scenario)> = if s.plan.scale {
        vec![verify_realistic]
    } else {
        vec![
            ("upgrade, realistic".into(), upgrade::realistic),
            (
                "upgrade, tiny (vs floor and diesel_cli)".into(),
                upgrade::tiny,
            ),
            (
                format!("current / pending / history, {big} applied"),
                status::status,
            ),
            ("check on the real migrations".into(), status::check),
            ("verify".into(), verify::real),
            verify_realistic,
            (
                format!("downgrade base, {down_n} realistic"),
                upgrade::downgrade,
            ),
            (format!("lint, {big} realistic"), offline::lint),
            ("peak memory".into(), offline::memory),
            ("round trips per migration".into(), round_trips::round_trips),
            (
                "embedded default: first upgrade".into(),
                embedded::first_upgrade,
            ),
            (
                "embedded default: current with the cluster running".into(),
                embedded::current,
            ),
        ]
    };
    for (name, scenario) in list {
        run_scenario(s, &name, scenario)?;
    }
    Ok(())
}

fn run_scenario(s: &mut Suite, name: &str, scenario: Scenario) -> Result<(), String> {
    crate::announce(name);
    let started = Instant::now();
    let first_row = s.rows.len();
    let outcome = scenario(s);
    eprintln!("   ({} s)", started.elapsed().as_secs());
    if let Err(why) = outcome {
        check_interrupted()?;
        eprintln!("bench: scenario '{name}' failed: {why}");
        let first_line = why.lines().next().unwrap_or_default().replace('|', "/");
        s.row(Row::Error {
            scenario: name.to_string(),
            why: format!("failed ({first_line}); see the output above"),
        });
    }
    // The targets of this scenario, as soon as they are known.
    for row in &s.rows[first_row..] {
        if let Some(Line::Target([scenario, median, _, ratio, target, result])) =
            row.evaluate(&s.results)
        {
            let figure = if ratio == "—" { median } else { ratio };
            eprintln!(
                "   → {scenario}: {figure}; target {target}: {}",
                result.replace("**", "")
            );
        }
    }
    Ok(())
}
