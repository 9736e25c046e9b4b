//! No silent success without a database: an empty URL and CI without a URL
//! are refused (exit 2) before anything is created; `--local` and
//! `CI=false` reach the local cluster.

use super::*;

use crate::support::Run;
use crate::support::Tool;
use std::path::Path;
/// Runs in `project` with no DATABASE_URL unless `env` sets one.
fn run(project: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut tool = Tool::new().args(args).current_dir(project);
    for (k, v) in env {
        tool = tool.env(k, v);
    }
    tool.run()
}

fn assert_refused(p: &Path, r: &Run, needles: &[&str]) {
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    for n in needles {
        assert!(r.stderr.contains(n), "missing {n:?} in {}", r.stderr);
    }
    assert!(
        !p.join(".ragchat").exists(),
        "a local cluster was started: {}",
        r.stderr
    );
}

#[test]
fn an_empty_or_blank_url_is_exit_2_and_creates_nothing() {
    let p = project();
    for command in [&["upgrade"][..], &["current"], &["check"], &["history"]] {
        let r = run(p.path(), command, &[("DATABASE_URL", "")]);
        assert_refused(p.path(), &r, &["DATABASE_URL is set but empty"]);
        let r = run(p.path(), command, &[("DATABASE_URL", "  \t")]);
        assert_refused(p.path(), &r, &["DATABASE_URL is set but empty"]);
    }
    let mut args = vec!["--database-url", " "];
    args.push("upgrade");
    let r = run(p.path(), &args, &[]);
    assert_refused(
        p.path(),
        &r,
        &["DATABASE_URL is set but empty", "--database-url"],
    );
    // JSON mode: the error document, still nothing created.
    let r = run(
        p.path(),
        &["--format", "json", "upgrade"],
        &[("DATABASE_URL", "")],
    );
    assert_refused(p.path(), &r, &["set but empty"]);
    assert!(r.stdout.contains("\"exit_code\": 2"), "{}", r.stdout);
}

#[test]
fn an_empty_url_in_dotenv_is_exit_2_too() {
    let p = project();
    std::fs::write(p.path().join(".env"), "DATABASE_URL=\n").unwrap();
    let r = run(p.path(), &["upgrade"], &[]);
    assert_refused(p.path(), &r, &["DATABASE_URL is set but empty", ".env"]);
}

#[test]
fn ci_without_a_url_is_refused_naming_both_ways_out() {
    let p = project();
    for ci in ["true", "1", "yes", "TRUE"] {
        let r = run(p.path(), &["upgrade"], &[("CI", ci)]);
        assert_refused(p.path(), &r, &["CI", "DATABASE_URL", "--local"]);
    }
}

#[test]
fn ci_false_and_local_reach_the_local_cluster() {
    // With the server binaries hidden, reaching for the local cluster fails
    // fast with the install hint: proof that it was not refused for CI.
    let p = project();
    let empty = tempfile::tempdir().unwrap();
    let hidden = [("PG_BIN", empty.path().to_str().unwrap()), ("PATH", "")];
    for (ci, extra) in [("false", None), ("0", None), ("true", Some("--local"))] {
        let mut env = hidden.to_vec();
        env.push(("CI", ci));
        let mut args = vec!["upgrade"];
        args.extend(extra);
        let r = run(p.path(), &args, &env);
        assert_eq!(r.code, 2, "CI={ci}: {}", r.stderr);
        assert!(
            r.stderr.contains("using the local database"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("PG_BIN"), "{}", r.stderr);
        assert!(!r.stderr.contains("this is CI"), "{}", r.stderr);
    }
}

#[test]
fn local_and_database_url_together_are_refused() {
    let p = project();
    let r = run(
        p.path(),
        &["--local", "--database-url", "postgres://u@h/db", "current"],
        &[],
    );
    assert_refused(p.path(), &r, &["--local", "--database-url"]);
}
