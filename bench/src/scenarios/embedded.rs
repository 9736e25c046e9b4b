//! The embedded default: no DATABASE_URL, the tool's own local cluster.
//! These keep the tool's cluster on disk with its normal settings, as a
//! user has it.

use crate::measure::Cmd;
use crate::rounds::{one, Prepare};
use crate::rows::{ratio, Row};
use crate::suite::Suite;
use std::path::Path;

/// The tool with its local cluster under `project`.
fn local(s: &Suite, project: &Path) -> Cmd {
    s.tool().env("RAGCHAT_DEV_DIR", project.join(".ragchat"))
}

/// A fresh project dir: the tool creates the cluster (initdb), starts it,
/// migrates, and stops it, all in one command.
pub fn first_upgrade(s: &mut Suite) -> Result<(), String> {
    let project = s.work.join("proj-first");
    let label = "first upgrade (init+start+migrate+stop)";
    let commands = [one(label, local(s, &project).args(["-q", "upgrade"]))];
    let prepare = Prepare::quiet().recreating(project.clone());
    s.time("embedded-first", s.plan.runs, 0, &prepare, &commands)?;
    s.row(Row::Abs {
        scenario: "embedded default: first `upgrade` (init + start + migrate + stop)".into(),
        key: format!("embedded-first:{label}"),
        limit: 4.0,
        target: "≤ 4 s".into(),
    });
    let _ = std::fs::remove_dir_all(&project);
    Ok(())
}

/// With the local cluster running (`dev start`): `current` vs psql connect
/// + SELECT 1 over the same unix socket to the same server.
pub fn current(s: &mut Suite) -> Result<(), String> {
    let project = s.work.join("proj-warm");
    std::fs::create_dir_all(&project).map_err(|e| e.to_string())?;
    s.run(&local(s, &project).args(["-q", "dev", "start"]))?;
    let outcome = time_current(s, &project);
    s.run(&local(s, &project).args(["-q", "dev", "stop"]))?;
    outcome?;
    s.row(ratio(
        "embedded default: `current`, local cluster running",
        "embedded-current:current (local cluster running)",
        "embedded-current:psql SELECT 1 (local cluster socket)",
        1.5,
        "≤ 1.5 × connect floor",
    ));
    let _ = std::fs::remove_dir_all(&project);
    Ok(())
}

fn time_current(s: &mut Suite, project: &Path) -> Result<(), String> {
    s.run(&local(s, project).args(["-q", "upgrade"]))?;
    let pidfile = project.join(".ragchat/pg/data/postmaster.pid");
    let text =
        std::fs::read_to_string(&pidfile).map_err(|e| format!("{}: {e}", pidfile.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    let (port, socket) = (
        lines.get(3).copied().unwrap_or(""),
        lines.get(4).copied().unwrap_or(""),
    );
    let user = user_name();
    let psql =
        Cmd::new(&s.tools.psql).args(["-X", "-q", "-h", socket, "-p", port, "-U", user.as_str()]);
    let psql = psql.args(["-d", "ragchat", "-c", "SELECT 1"]);
    let commands = [
        one("psql SELECT 1 (local cluster socket)", psql),
        one(
            "current (local cluster running)",
            local(s, project).args(["current"]),
        ),
    ];
    s.time(
        "embedded-current",
        s.plan.fast_runs,
        s.plan.warmup,
        &Prepare::quiet(),
        &commands,
    )
}

/// The OS user's name (the local cluster's superuser).
fn user_name() -> String {
    std::process::Command::new("id")
        .arg("-un")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "postgres".into())
}
