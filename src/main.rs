//! `ragchat-migrate`: parse, run the command, map the outcome to an exit code.

mod cli;
mod commands;
mod help;
mod outcome;
mod output;

use clap::FromArgMatches;
use ragchat_migrate::error::Error;
use std::process::ExitCode;

fn main() -> ExitCode {
    output::pipe::install_panic_hook();
    // `.env` in this directory or a parent fills in what the environment
    // lacks; the environment and then explicit flags win over it.
    ragchat_migrate::config::database_choice::remember_environment();
    let env_file_problem = load_env_file();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let text: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let parsed = help::command(&text)
        .try_get_matches_from(&args)
        .and_then(|m| cli::Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(outcome::exit_code(&help::report_usage_error(&e, &text))),
    };
    let mut printer = output::Printer::new(&cli.global);
    printer.command = output::json_contract::command_name(&cli.command);
    output::progress::install_scratch_bar(&printer);
    let result = match env_file_problem {
        // Without a URL on the command line, `.env` was where it would come from.
        Some(problem) if cli.global.database_url.is_none() => Err(Error::Usage(problem)),
        Some(problem) => {
            printer.note(format!("warning: {problem}"));
            commands::run(cli, printer)
        }
        None => commands::run(cli, printer),
    };
    let code = outcome::exit_code(&result);
    if let Err(error) = result {
        printer.error(&error.to_string(), code);
    }
    ExitCode::from(code)
}

/// Loads `.env`; a file that cannot be parsed is reported without its
/// content (the offending line may hold a password).
fn load_env_file() -> Option<String> {
    match dotenvy::dotenv() {
        Ok(_) => None,
        Err(e) if e.not_found() => None,
        Err(dotenvy::Error::LineParse(_, index)) => Some(format!(
            ".env cannot be parsed near byte {index} of the offending line (not shown: it may \
             hold a secret)\n  fix: each line must be KEY=value"
        )),
        Err(e) => Some(format!(".env cannot be read: {e}")),
    }
}
