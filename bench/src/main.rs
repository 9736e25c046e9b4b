//! `bench`: the performance suite of ragchat-migrate (issue 7), run by
//! `scripts/bench`, which builds it and the tool in release first.
//!
//! In order: starts a throwaway PostgreSQL cluster through the library's
//! server code, generates synthetic migration sets, times every scenario
//! against its target, and writes the report (BENCHMARKS.md). Nothing outside
//! its temp dirs is touched except the report.
//!
//! Environment: PG_BIN (PostgreSQL server binaries), BENCH_KEEP=1 (keep the
//! temp dir with the logs, the raw timings and the sets).

mod machine;
mod measure;
mod options;
mod quiet;
mod report;
mod rounds;
mod rows;
mod scenarios;
mod server;
mod sets;
mod stats;
mod suite;
mod tools;

use clap::Parser;
use options::{Options, Plan};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Prints a step of the suite in bold on stderr.
pub fn announce(what: &str) {
    eprintln!("\x1b[1m== {what}\x1b[0m");
}

fn main() -> ExitCode {
    let options = Options::parse();
    measure::catch_interrupts();
    let keep = std::env::var_os("BENCH_KEEP").is_some_and(|v| !v.is_empty());
    let work = match tempfile::Builder::new().prefix("ragchat-bench.").tempdir() {
        Ok(w) => w,
        Err(e) => {
            eprintln!("bench: temp dir: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = run(&options, work.path());
    if keep {
        eprintln!("bench: kept {}", work.keep().display());
    }
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            if measure::check_interrupted().is_err() {
                ExitCode::from(130)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn run(options: &Options, work: &Path) -> Result<(), String> {
    let started = Instant::now();
    let plan = Plan::from(options);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .ok_or("no repository root")?;
    isolate_environment(work);
    // The server runs as `postgres` when we are root and must reach its dirs.
    std::fs::set_permissions(work, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| e.to_string())?;
    let build_dir = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .parent()
        .map(Path::to_path_buf)
        .ok_or("no build directory")?;
    let commit = machine::built_commit(&root);
    let load_start = machine::load_average();
    announce("starting a throwaway PostgreSQL cluster");
    let cluster = server::Cluster::start()?;
    announce(&format!("throwaway cluster on {}", cluster.placement));
    let res = work.join("results");
    std::fs::create_dir_all(&res).map_err(|e| e.to_string())?;
    let install_root = build_dir.parent().unwrap_or(&build_dir).join("tools");
    let tools = tools::Tools::find(&build_dir, &cluster.bins().bindir, &install_root, &res)?;
    let mut suite = suite::Suite::new(plan, root, work.to_path_buf(), tools, cluster)?;
    announce(&format!(
        "generating migration sets ({:?})",
        suite.plan.sizes
    ));
    sets::generate(&work.join("sets"), &suite.plan.sizes)?;
    scenarios::run_all(&mut suite)?;
    let cx = report::Context {
        mode: mode(&suite.plan),
        commit,
        elapsed: started.elapsed().as_secs(),
        machine: machine::Machine::read(),
        load: format!(
            "{load_start} at the start, {} at the end",
            machine::load_average()
        ),
    };
    let text = report::render(&suite, &cx);
    let output = match (&options.output, suite.plan.scale) {
        (Some(path), _) => Some(path.clone()),
        (None, false) => Some(suite.root.join("BENCHMARKS.md")),
        (None, true) => None,
    };
    if let Some(path) = output {
        announce(&format!("writing {}", path.display()));
        std::fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!("{}", report::targets_only(&text));
    Ok(())
}

fn mode(plan: &Plan) -> String {
    let sizes: Vec<String> = plan.sizes.iter().map(u32::to_string).collect();
    let what = if plan.small { "--small" } else { "full" };
    let scale = if plan.scale { " --scale" } else { "" };
    format!("{what}{scale} (N = {})", sizes.join(" "))
}

/// Every command gets its database explicitly: a DATABASE_URL or
/// MIGRATIONS_DIR of the caller must not leak in, and CI would make the
/// embedded-default scenarios refuse. The tool's cache for `check` lives in
/// the temp dir, so the suite neither reads nor fills the user's ~/.cache.
fn isolate_environment(work: &Path) {
    for var in [
        "DATABASE_URL",
        "MIGRATIONS_DIR",
        "PGDATABASE",
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGOPTIONS",
        "CI",
    ] {
        std::env::remove_var(var);
    }
    std::env::set_var("RAGCHAT_CACHE_DIR", work.join("cache"));
}
