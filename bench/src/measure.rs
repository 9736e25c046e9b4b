//! Running one command the way hyperfine `-N` does: no shell, output
//! discarded, timed from spawn to exit. The child's own CPU time and peak
//! memory come from `wait4`'s resource usage.

use std::ffi::OsString;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Set by SIGINT or SIGTERM: the suite stops at the next command and cleans up.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Turns SIGINT and SIGTERM into a flag, so the temp dirs and the cluster
/// are cleaned up by the normal unwinding of `main`.
pub fn catch_interrupts() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to an atomic.
    unsafe {
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// An error unless the suite was interrupted.
pub fn check_interrupted() -> Result<(), String> {
    if INTERRUPTED.load(Ordering::SeqCst) {
        Err("interrupted".into())
    } else {
        Ok(())
    }
}

/// One program with its arguments and extra environment, run without a shell.
#[derive(Debug, Clone)]
pub struct Cmd {
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(String, OsString)>,
}

impl Cmd {
    /// A command running `program`.
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Cmd {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
        }
    }

    /// Appends arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets one environment variable for this command only.
    pub fn env(mut self, key: &str, value: impl Into<OsString>) -> Self {
        self.env.push((key.to_string(), value.into()));
        self
    }

    /// This command run by `wrapper` (e.g. strace): the wrapper's arguments,
    /// then this program and its arguments; the environment of both.
    pub fn under(self, wrapper: Cmd) -> Cmd {
        let mut args = wrapper.args;
        args.push(self.program.into_os_string());
        args.extend(self.args);
        let mut env = wrapper.env;
        env.extend(self.env);
        Cmd {
            program: wrapper.program,
            args,
            env,
        }
    }

    /// The `std` command, started in `cwd` with stdin closed.
    pub fn command(&self, cwd: &Path) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(cwd)
            .stdin(Stdio::null());
        cmd
    }

    /// The command line, for messages.
    pub fn display(&self) -> String {
        let mut text = self.program.display().to_string();
        for arg in &self.args {
            text.push(' ');
            text.push_str(&arg.to_string_lossy());
        }
        text
    }
}

/// What one timed run cost.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// Wall-clock seconds from spawn to exit.
    pub wall: f64,
    /// User CPU seconds of the child.
    pub user: f64,
    /// System CPU seconds of the child.
    pub system: f64,
    /// Peak resident memory of the child, KiB (the largest of the steps).
    pub max_rss_kib: i64,
}

/// Runs `steps` one after the other (a failing step stops the run) and
/// returns their summed cost. Output is discarded, stderr appended to `log`;
/// a step still running after `timeout` is killed.
pub fn run_timed(
    steps: &[Cmd],
    cwd: &Path,
    log: &Path,
    timeout: Duration,
) -> Result<Sample, String> {
    let mut total = Sample::default();
    for step in steps {
        let one = run_one(step, cwd, log, timeout)?;
        total.wall += one.wall;
        total.user += one.user;
        total.system += one.system;
        total.max_rss_kib = total.max_rss_kib.max(one.max_rss_kib);
    }
    Ok(total)
}

fn run_one(step: &Cmd, cwd: &Path, log: &Path, timeout: Duration) -> Result<Sample, String> {
    check_interrupted()?;
    let stderr = File::options()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("{}: {e}", log.display()))?;
    let mut cmd = step.command(cwd);
    cmd.stdout(Stdio::null()).stderr(stderr);
    let (done, watch) = mpsc::channel::<()>();
    let (pid_tx, pid_rx) = mpsc::channel::<i32>();
    let watchdog = std::thread::spawn(move || {
        let Ok(pid) = pid_rx.recv() else { return false };
        if let Err(mpsc::RecvTimeoutError::Timeout) = watch.recv_timeout(timeout) {
            // SAFETY: plain kill(2) of our own child, not yet reaped.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            return true;
        }
        false
    });
    let started = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("{}: {e}", step.display()))?;
    let pid = child.id() as i32;
    let _ = pid_tx.send(pid);
    let (status, usage) = wait4(pid)?;
    let wall = started.elapsed().as_secs_f64();
    let _ = done.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    check_interrupted()?;
    if timed_out {
        return Err(format!(
            "timed out after {} s: {}",
            timeout.as_secs(),
            step.display()
        ));
    }
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        return Err(format!(
            "exit status {}: {} (stderr in {})",
            describe_status(status),
            step.display(),
            log.display()
        ));
    }
    Ok(Sample {
        wall,
        user: seconds(usage.ru_utime),
        system: seconds(usage.ru_stime),
        max_rss_kib: usage.ru_maxrss,
    })
}

fn wait4(pid: i32) -> Result<(libc::c_int, libc::rusage), String> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain data; zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: waiting for our own child with valid out-pointers.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            return Ok((status, usage));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait4: {err}"));
        }
    }
}

fn describe_status(status: libc::c_int) -> String {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status).to_string()
    } else if libc::WIFSIGNALED(status) {
        format!("signal {}", libc::WTERMSIG(status))
    } else {
        format!("raw {status}")
    }
}

fn seconds(t: libc::timeval) -> f64 {
    t.tv_sec as f64 + t.tv_usec as f64 / 1e6
}
