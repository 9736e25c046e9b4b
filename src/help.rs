//! The help screen a person reads: the global options under their own
//! heading (set in `cli.rs`), only those that do something for the command
//! at hand, and clap's own messages coloured as `--color` says.

use crate::cli::Cli;
use crate::outcome::{exit_code, Outcome};
use clap::CommandFactory;
use ragchat_migrate::error::{Error, Result};

/// Global options that do nothing for a command, by subcommand. Hidden from
/// that command's help (still accepted, so scripts that pass them keep
/// working). Ids not defined (yet) are ignored.
const IDLE_GLOBALS: &[(&str, &[&str])] = &[
    // No lock and no migration run (`--autogenerate` connects, for its
    // scratch databases).
    ("create", &["lock_timeout", "ddl_lock_timeout"]),
    // The local cluster only, and no migration is run.
    (
        "dev",
        &[
            "database_url",
            "migrations_dir",
            "embedded",
            "local",
            "connect_timeout",
            "lock_timeout",
            "ddl_lock_timeout",
        ],
    ),
    (
        "completions",
        &[
            "database_url",
            "migrations_dir",
            "embedded",
            "local",
            "format",
            "color",
            "quiet",
            "connect_timeout",
            "lock_timeout",
            "ddl_lock_timeout",
        ],
    ),
    // Read-only: no lock, no migration SQL.
    ("current", &["lock_timeout", "ddl_lock_timeout"]),
    ("history", &["lock_timeout", "ddl_lock_timeout"]),
    ("pending", &["lock_timeout", "ddl_lock_timeout"]),
    ("show", &["lock_timeout", "ddl_lock_timeout"]),
    ("check", &["lock_timeout", "ddl_lock_timeout"]),
    ("verify", &["lock_timeout", "ddl_lock_timeout"]),
    ("lint", &["lock_timeout", "ddl_lock_timeout"]),
    // Take the lock, but run no migration SQL.
    ("stamp", &["ddl_lock_timeout"]),
    ("accept", &["ddl_lock_timeout"]),
    ("adopt", &["ddl_lock_timeout"]),
];

/// The clap command with per-command help trimmed and colour chosen from
/// `args` (the process arguments).
pub fn command(args: &[String]) -> clap::Command {
    let mut cmd = Cli::command().color(color_choice(args));
    // Global options are copied into the subcommands when the command is
    // built; only then can a subcommand's copy be hidden.
    cmd.build();
    for (name, ids) in IDLE_GLOBALS {
        if cmd.find_subcommand(name).is_some() {
            cmd = cmd.mut_subcommand(name, |sub| hide(sub, ids));
        }
    }
    cmd
}

/// Hides the global options `ids` on `cmd` and its own subcommands.
fn hide(mut cmd: clap::Command, ids: &[&str]) -> clap::Command {
    // In place: a built command indexes its arguments by position.
    cmd = cmd.mut_args(|a| {
        if ids.contains(&a.get_id().as_str()) {
            a.hide(true)
        } else {
            a
        }
    });
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        cmd = cmd.mut_subcommand(name, |sub| hide(sub, ids));
    }
    cmd
}

/// Reports a command line clap refused (or `--help`, `--version`) as clap
/// does, and returns how the run ended. Under `--format json` a refused
/// command line also prints the contract's error document, so a script
/// reading stdout gets one.
pub fn report_usage_error(error: &clap::Error, args: &[String]) -> Result<Outcome> {
    use clap::error::ErrorKind;
    // A value our own parser refused (a TARGET, a duration) is reported in
    // our words alone, as every other bad input is, without clap's framing.
    let own_words = value_error(error);
    match &own_words {
        Some(message) => eprintln!("error: {message}"),
        None => {
            let _ = error.print();
        }
    }
    // Help and version go to stdout and succeed.
    if !error.use_stderr() {
        return Ok(Outcome::Success);
    }
    let rendered = error.render().to_string();
    let message = own_words
        .as_deref()
        .unwrap_or_else(|| rendered.trim().trim_start_matches("error: "));
    let failure = Err(Error::Usage(message.to_string()));
    let informational = error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand;
    if !informational && option_value(args, "--format").as_deref() == Some("json") {
        let names: Vec<String> = Cli::command()
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        let command = args
            .iter()
            .skip(1)
            .find(|a| names.contains(a))
            .map_or("", String::as_str);
        let doc = crate::output::json_contract::finish(
            command,
            &crate::output::json_contract::error_document(message, exit_code(&failure)),
        );
        crate::output::pipe::stdout(format!("{doc:#}\n").as_bytes());
    }
    failure
}

/// The message of a value parser of ours that refused its value (it names
/// the problem and the fix); `None` for clap's own refusals, whose framing
/// names the flag.
fn value_error(error: &clap::Error) -> Option<String> {
    if error.kind() != clap::error::ErrorKind::ValueValidation {
        return None;
    }
    std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<crate::cli::ValueError>())
        .map(ToString::to_string)
}

/// The value of `--name VALUE` or `--name=VALUE`, the last one given.
fn option_value(args: &[String], name: &str) -> Option<String> {
    let mut value = None;
    let mut iter = args.iter().skip(1);
    while let Some(arg) = iter.next() {
        if arg == "--" {
            break;
        }
        match arg.strip_prefix(name) {
            Some("") => value = iter.next().cloned(),
            Some(rest) if rest.starts_with('=') => value = Some(rest[1..].to_string()),
            _ => {}
        }
    }
    value
}

/// `--color always|never|auto` as given on the command line, so that clap's
/// own messages (`error:`, help) follow it too.
fn color_choice(args: &[String]) -> clap::ColorChoice {
    let choice = match option_value(args, "--color").as_deref() {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ => clap::ColorChoice::Auto,
    };
    if choice == clap::ColorChoice::Auto
        && std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    {
        return clap::ColorChoice::Never;
    }
    choice
}
