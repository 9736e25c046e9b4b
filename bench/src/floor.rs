//! The floor for `scripts/bench`: the least work a migrator can do to apply
//! (or revert) a Diesel-layout migration directory on PostgreSQL.
//!
//! One connection, simple query protocol, and per migration exactly one
//! message: `BEGIN; <sql>; <ledger write>; COMMIT;` — one round trip, which
//! is what `ragchat-migrate` aims for too. Nothing else: no lock, no ledger
//! read, no checksums, no planning. The first `up` message also creates the
//! ledger table (Diesel's DDL), so the table is paid for as the tool pays.
//!
//! Usage: `floor up DIR URL` | `floor down DIR URL`

use postgres::{Client, NoTls};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (\n\
       version VARCHAR(50) PRIMARY KEY NOT NULL,\n\
       run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP\n);\n";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (up, dir, url) = match args.as_slice() {
        [cmd, dir, url] if cmd == "up" => (true, dir, url),
        [cmd, dir, url] if cmd == "down" => (false, dir, url),
        _ => {
            eprintln!("usage: floor up|down DIR URL");
            return ExitCode::from(2);
        }
    };
    match run(up, Path::new(dir), url) {
        Ok(n) => {
            println!(
                "{} {n} migration(s)",
                if up { "applied" } else { "reverted" }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("floor: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(up: bool, dir: &Path, url: &str) -> Result<usize, Box<dyn std::error::Error>> {
    let mut dirs = migration_dirs(dir)?;
    if !up {
        dirs.reverse();
    }
    let mut client = Client::connect(url, NoTls)?;
    let mut first = true;
    for path in &dirs {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        // Diesel's version: the digits of the leading timestamp.
        let version: String = name
            .split('_')
            .next()
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let file = if up { "up.sql" } else { "down.sql" };
        let sql = std::fs::read_to_string(path.join(file))
            .map_err(|e| format!("{}: {e}", path.join(file).display()))?;
        let ledger = if up {
            format!("INSERT INTO __diesel_schema_migrations (version) VALUES ('{version}');\n")
        } else {
            format!("DELETE FROM __diesel_schema_migrations WHERE version = '{version}';\n")
        };
        let prelude = if up && first { CREATE_LEDGER } else { "" };
        first = false;
        client
            .batch_execute(&format!("BEGIN;\n{prelude}{sql}\n;\n{ledger}COMMIT;"))
            .map_err(|e| format!("{name}/{file}: {e}"))?;
    }
    Ok(dirs.len())
}

/// Migration directories (those with an up.sql), oldest first: Diesel's
/// timestamps sort by name.
fn migration_dirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("up.sql").is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}
