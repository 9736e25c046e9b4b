//! Round trips per migration: the client's send() calls counted with
//! strace, for 100 and 10 tiny migrations. The difference over 90
//! migrations cancels the fixed cost (connect, lock, ledger read). Counts
//! sendto/sendmsg/write/writev on file descriptors other than 0-2.

use crate::measure::Cmd;
use crate::rows::{skip, Row};
use crate::suite::Suite;

/// Counts the client messages of the tool, the floor and diesel_cli.
pub fn round_trips(s: &mut Suite) -> Result<(), String> {
    let Some(strace) = s.tools.strace.clone() else {
        s.row(skip(
            "round trips per migration",
            "—",
            "strace is not installed",
        ));
        return Ok(());
    };
    let mut results = Vec::new();
    for who in ["tool", "floor", "diesel"] {
        let mut sends = [0i64; 2];
        for (slot, n) in [10, 100].into_iter().enumerate() {
            let dir = s.set("tiny", n);
            let cmd = match who {
                "tool" => s.tool_up("bench", &dir).args(["-q"]),
                "floor" => s.floor("up", &dir, "bench"),
                _ => match &s.tools.diesel {
                    Ok(diesel) => Cmd::new(diesel)
                        .args(["migration", "run", "--migration-dir"])
                        .args([&dir])
                        .args(["--database-url".into(), s.url("bench")]),
                    Err(_) => break,
                },
            };
            sends[slot] = count_sends(s, &strace, &cmd)?;
        }
        if who == "diesel" && s.tools.diesel.is_err() {
            continue;
        }
        let per = (sends[1] - sends[0]) as f64 / 90.0;
        let fixed = (sends[0] as f64 - 10.0 * per).round_ties_even();
        results.push(format!("{who}: {per:.2} per migration + {fixed} fixed"));
    }
    s.row(Row::Note(format!(
        "Client messages sent (≈ round trips), tiny upgrade, counted with strace: {}.",
        results.join("; ")
    )));
    Ok(())
}

fn count_sends(s: &mut Suite, strace: &std::path::Path, cmd: &Cmd) -> Result<i64, String> {
    s.reset_db("bench", None)?;
    let trace = s.res.join("strace.txt");
    let traced = Cmd::new(strace)
        .args(["-f", "-qq", "-o"])
        .args([&trace])
        .args(["-e", "trace=sendto,sendmsg,write,writev"]);
    let full = cmd.clone().under(traced);
    s.run(&full)?;
    let text = std::fs::read_to_string(&trace).map_err(|e| e.to_string())?;
    Ok(text.lines().filter(|l| is_client_send(l)).count() as i64)
}

/// `PID  sendto(FD, ...` with FD >= 3.
fn is_client_send(line: &str) -> bool {
    let rest = line.trim_start_matches(|c: char| c.is_ascii_digit());
    if rest.len() == line.len() || !rest.starts_with(' ') {
        return false;
    }
    let rest = rest.trim_start_matches(' ');
    let Some((call, args)) = rest.split_once('(') else {
        return false;
    };
    if !matches!(call, "sendto" | "sendmsg" | "write" | "writev") {
        return false;
    }
    let fd = args.split(',').next().unwrap_or_default();
    fd.parse::<u32>().is_ok_and(|fd| fd >= 3) && !fd.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::is_client_send;

    #[test]
    fn only_sends_on_sockets_count() {
        assert!(is_client_send(
            "1234  sendto(3, \"Q\\0\\0\"..., 40, MSG_NOSIGNAL, NULL, 0) = 40"
        ));
        assert!(is_client_send("99 writev(12, [{iov_base=...}], 2) = 7"));
        assert!(!is_client_send("1234  write(1, \"applied\", 7) = 7"));
        assert!(!is_client_send("1234  write(2, \"x\", 1) = 1"));
        assert!(!is_client_send("write(5, \"x\", 1) = 1"));
        assert!(!is_client_send("1234  read(5, \"x\", 1) = 1"));
    }
}
