//! `ragchat-migrate`: parse, run the command, map the outcome to an exit code.

mod cli;
mod commands;
mod output;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // `.env` in this directory or a parent fills in what the environment
    // lacks; the environment and then explicit flags win over it.
    if let Err(e) = dotenvy::dotenv() {
        if !e.not_found() {
            eprintln!("error: cannot read .env: {e}\n  fix: each line must be KEY=value");
            return ExitCode::from(2);
        }
    }
    let cli = cli::Cli::parse();
    let printer = output::Printer::new(&cli.global);
    match commands::run(cli, printer) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let code = error.exit_code();
            printer.error(&error.to_string(), code);
            ExitCode::from(code)
        }
    }
}
