//! Which database a command uses: the configured URL, or the local cluster
//! (the embedded default), and never a silent fallback from one to the other.
//!
//! - A URL that is set but empty or blank (`DATABASE_URL=""`, an empty line
//!   in `.env`, `--database-url " "`) is a mistake, most often a CI secret
//!   that is not there: exit 2, nothing created.
//! - No URL at all means the local cluster, except in CI (`CI` set to
//!   anything but `false`/`0`), where migrating a throwaway database and
//!   exiting 0 would hide the missing secret: there `--local` must ask for it.

use crate::error::{Error, Result};
use std::ffi::OsString;
use std::sync::OnceLock;

/// The database a command uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// A configured URL or conninfo string (not yet parsed).
    Url(String),
    /// The local cluster the tool manages.
    Local,
}

static ENV_BEFORE_DOTENV: OnceLock<Option<OsString>> = OnceLock::new();

/// Call before `.env` is loaded: remembers whether `DATABASE_URL` came from
/// the environment (so a message can say ".env" when it did not), and
/// registers the passwords the environment holds for masking.
pub fn remember_environment() {
    let url = std::env::var_os("DATABASE_URL");
    if let Some(raw) = url.as_ref().and_then(|u| u.to_str()) {
        crate::config::secrets::register_from(raw);
    }
    if let Some(pw) = std::env::var_os("PGPASSWORD") {
        crate::config::secrets::register(&pw.to_string_lossy());
    }
    let _ = ENV_BEFORE_DOTENV.set(url);
}

/// True in CI: `CI` is set to anything but empty, `false` or `0`.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| {
        let v = v.trim().to_ascii_lowercase();
        !v.is_empty() && v != "false" && v != "0"
    })
}

/// Decides from `value` (the `--database-url` flag, or `DATABASE_URL` from
/// the environment or `.env`, as clap merged them) and `--local`.
pub fn choose(value: Option<&str>, local: bool) -> Result<Choice> {
    let env_now = std::env::var("DATABASE_URL").ok();
    let value = value.map(str::to_string).or_else(|| env_now.clone());
    let origin = match (&value, &env_now) {
        (Some(v), Some(e)) if v == e => match ENV_BEFORE_DOTENV.get() {
            Some(None) => "from .env",
            _ => "from the environment",
        },
        (Some(_), _) => "from --database-url",
        (None, _) => "",
    };
    if let Some(v) = &value {
        crate::config::secrets::register_from(v);
    }
    if local {
        if origin == "from --database-url" {
            return Err(Error::Usage(
                "--local and --database-url name different databases; fix: drop one of them".into(),
            ));
        }
        return Ok(Choice::Local);
    }
    match value {
        Some(v) if v.trim().is_empty() => Err(Error::Usage(format!(
            "DATABASE_URL is set but empty ({origin}); nothing was done\n  fix: set it to \
             the database's URL (postgres://user@host:port/db), or unset it to use the local \
             database (in CI also pass --local)"
        ))),
        Some(v) => Ok(Choice::Url(v)),
        None if in_ci() => Err(Error::Usage(
            "no database configured, and this is CI (CI is set): refusing to migrate a \
             throwaway local database and report success\n  fix: set DATABASE_URL (e.g. from \
             the CI's secrets), or pass --local to use the local PostgreSQL cluster on purpose"
                .into(),
        )),
        None => Ok(Choice::Local),
    }
}
