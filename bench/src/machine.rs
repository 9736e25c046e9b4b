//! What the report says about the machine, the versions and the commit.

use std::path::Path;
use std::process::Command;

/// The facts of the report's "Machine" section.
#[derive(Debug, Clone)]
pub struct Machine {
    /// CPU model name.
    pub cpu: String,
    /// `nproc`.
    pub cores: String,
    /// MemTotal, e.g. `23.5 GiB`.
    pub memory: String,
    /// Kernel release.
    pub kernel: String,
    /// rustc --version.
    pub rustc: String,
}

impl Machine {
    /// Reads /proc and asks rustc.
    pub fn read() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(": "))
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let kib: f64 = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        Machine {
            cpu,
            cores: output("nproc", &[]),
            memory: format!("{:.1} GiB", kib / 1_048_576.0),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_string(),
            rustc: output("rustc", &["--version"]),
        }
    }
}

/// The 1, 5 and 15 minute load averages.
pub fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The commit the binaries are built from (the tree may move on during the
/// run), noting uncommitted changes to what goes into the tool.
pub fn built_commit(root: &Path) -> String {
    let root = root.to_string_lossy();
    let commit = output("git", &["-C", &root, "rev-parse", "--short", "HEAD"]);
    if commit.is_empty() {
        return "unknown".into();
    }
    let dirty = output(
        "git",
        &[
            "-C",
            &root,
            "status",
            "--porcelain",
            "--",
            "src",
            "migrations",
            "build.rs",
            "Cargo.toml",
            "Cargo.lock",
        ],
    );
    if dirty.is_empty() {
        commit
    } else {
        format!("{commit} (with uncommitted changes)")
    }
}

fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
