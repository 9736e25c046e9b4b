//! One function per command, each reading top to bottom like the user's
//! story of that command. Validation (targets, names, migration files) comes
//! before any connection, so bad input never changes the database.

use crate::cli::{Cli, Commands};
use crate::outcome::Outcome;
use crate::output::Printer;
use ragchat_migrate::error::Result;

mod accept;
mod adopt;
mod autogenerate;
mod check;
mod confirm;
mod context;
mod create;
mod current;
mod dev;
mod history;
mod history_filter;
mod lint;
pub(crate) mod lint_gate;
mod migrate;
mod offline;
mod pending;
mod redo_accept;
pub(crate) mod run_observer;
mod show;
mod stamp;
mod verify;

use context::Context;

/// Runs the parsed command line.
pub fn run(cli: Cli, printer: Printer) -> Result<Outcome> {
    let ctx = Context::new(cli.global, printer);
    match cli.command {
        Commands::Upgrade(args) => ctx.upgrade(args),
        Commands::Downgrade(args) => ctx.downgrade(args),
        Commands::Reset(args) => ctx.reset(args),
        Commands::Redo(args) => ctx.redo(args),
        Commands::Current => ctx.current(),
        Commands::History(args) => ctx.history(args),
        Commands::Show(args) => ctx.show(&args.target, args.down),
        Commands::Pending => ctx.pending(),
        Commands::Create(args) if args.autogen.autogenerate => {
            ctx.autogenerate(&args.name, &args.autogen)
        }
        Commands::Create(args) => ctx.create(&args.name, args.no_transaction),
        Commands::Stamp(args) => ctx.stamp(args),
        Commands::Accept(args) => ctx.accept(&args.target),
        Commands::Lint(args) => ctx.lint(&args),
        Commands::Check => ctx.check(),
        Commands::Verify(args) => ctx.verify(args.keep, args.from.as_ref(), args.jobs),
        Commands::Adopt => ctx.adopt(),
        Commands::Dev { action } => ctx.dev(action),
        Commands::Completions { shell } => completions(shell),
    }
}

/// `completions SHELL`: the script, written at once, so that a closed pipe
/// ends it quietly.
fn completions(shell: clap_complete::Shell) -> Result<Outcome> {
    use clap::CommandFactory;
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "ragchat-migrate", &mut script);
    crate::output::pipe::stdout(&script);
    Ok(Outcome::Success)
}
