//! Flag values, parsed once by clap: TARGETs and `FROM:TO` ranges, where an
//! offline script starts, `show`'s and `verify --from`'s targets, and
//! durations. Each parser's message names the problem and the fix; it is
//! printed as it is (see `help::report_usage_error`).

use ragchat_migrate::migrations::target::Target;
use std::fmt;
use std::time::Duration;

/// A value one of our parsers refused. Its message names the problem and
/// the fix, so it is printed alone, without clap's framing; clap's own
/// refusals (a number that is not one) keep theirs, which name the flag.
#[derive(Debug)]
pub struct ValueError(pub String);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

/// `parse` as a clap value parser whose refusals are [`ValueError`]s.
pub(super) fn ours<T>(
    parse: fn(&str) -> Result<T, String>,
) -> impl Fn(&str) -> Result<T, ValueError> + Clone + Send + Sync + 'static
where
    T: Clone + Send + Sync + 'static,
{
    move |text| parse(text).map_err(ValueError)
}

/// `--lock-timeout`: a number of seconds, 0 or more.
pub(super) fn lock_timeout(text: &str) -> Result<Duration, String> {
    seconds("--lock-timeout", text)
}

/// `--ddl-lock-timeout`: a number of seconds, 0 or more.
pub(super) fn ddl_lock_timeout(text: &str) -> Result<Duration, String> {
    seconds("--ddl-lock-timeout", text)
}

/// A number of seconds, 0 or more, possibly fractional (`0.5`). The message
/// names the flag: it is printed as it is, like every value error.
fn seconds(flag: &str, text: &str) -> Result<Duration, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(|value| Duration::try_from_secs_f64(value).ok())
        .ok_or_else(|| format!("{flag} must be a number of seconds, 0 or more"))
}

/// A command's TARGET as typed: one target, or a `FROM:TO` range (which
/// needs `--sql`, and no `--from`: the command checks those).
#[derive(Debug, Clone)]
pub enum TargetArg {
    /// One target.
    Single(Target),
    /// `FROM:TO`: where the script starts, and its target.
    Range {
        /// As typed, for messages.
        text: String,
        /// FROM.
        from: Start,
        /// TO.
        to: Target,
    },
}

/// TARGET: `head`, `base`, a version, a directory name, `+N`, `-N`, or a
/// `FROM:TO` range.
pub(super) fn target_arg(text: &str) -> Result<TargetArg, String> {
    let Some((from, to)) = text.split_once(':') else {
        return parse_target(text).map(TargetArg::Single);
    };
    if from.trim().is_empty() || to.trim().is_empty() {
        return Err(format!(
            "incomplete range `{text}`; fix: write FROM:TO, e.g. `base:head` or \
             `2025-10-21:head` (FROM is the state the script starts from)"
        ));
    }
    Ok(TargetArg::Range {
        text: text.to_string(),
        from: start(from)?,
        to: parse_target(to)?,
    })
}

/// Where an offline script starts (`--from`, or FROM of a range).
#[derive(Debug, Clone)]
pub enum Start {
    /// The database's applied state, read from it.
    Current,
    /// As if exactly the migrations up to `target` were applied.
    At {
        /// As typed (trimmed), for the script's title.
        text: String,
        /// base, head, a version or `+N`.
        target: Target,
    },
}

/// `--from`: `current`, or a target.
pub(super) fn start(text: &str) -> Result<Start, String> {
    let text = text.trim();
    if text == "current" {
        return Ok(Start::Current);
    }
    Ok(Start::At {
        text: text.to_string(),
        target: parse_target(text)?,
    })
}

/// One target, with the toolkit's message when it is malformed.
fn parse_target(text: &str) -> Result<Target, String> {
    text.parse()
        .map_err(|e: ragchat_migrate::Error| e.to_string())
}

/// `show`'s TARGET: one migration.
#[derive(Debug, Clone)]
pub enum ShowTarget {
    /// The newest migration.
    Head,
    /// The newest applied one (read from the database).
    Current,
    /// A version, a unique prefix of one, or a directory name.
    Revision(String),
}

/// `show`'s TARGET: head, current or a revision.
pub(super) fn show_target(text: &str) -> Result<ShowTarget, String> {
    if text.trim() == "current" {
        return Ok(ShowTarget::Current);
    }
    match text
        .parse()
        .map_err(|e: ragchat_migrate::Error| e.to_string())?
    {
        Target::Head => Ok(ShowTarget::Head),
        Target::Revision(r) => Ok(ShowTarget::Revision(r)),
        other => Err(format!(
            "show takes one migration, not `{other}`; fix: give head, current, a version (or \
             unique prefix) or a directory name"
        )),
    }
}

/// `verify --from TARGET`: as typed (for the report), and parsed.
#[derive(Debug, Clone)]
pub struct VerifyFrom {
    /// As typed.
    pub text: String,
    /// base, head or a revision.
    pub target: Target,
}

/// `verify --from`: any target but a relative one.
pub(super) fn verify_from(text: &str) -> Result<VerifyFrom, String> {
    let target: Target = text
        .parse()
        .map_err(|e: ragchat_migrate::Error| e.to_string())?;
    if let Target::Relative(_) = target {
        return Err(
            "a relative target has no meaning here; fix: give a version, a directory \
                    name, base or head"
                .to_string(),
        );
    }
    Ok(VerifyFrom {
        text: text.to_string(),
        target,
    })
}

/// `history -r FROM:TO`: either side may be empty.
#[derive(Debug, Clone)]
pub struct HistoryRange {
    /// FROM, as typed (trimmed), for messages.
    pub from_text: String,
    /// TO, as typed (trimmed).
    pub to_text: String,
    /// FROM.
    pub from: RangeEnd,
    /// TO.
    pub to: RangeEnd,
}

/// One side of `history -r`.
#[derive(Debug, Clone)]
pub enum RangeEnd {
    /// Empty: from the first, or to the last.
    Open,
    /// The newest applied migration (read from the database).
    Current,
    /// base, head or a revision.
    At(Target),
}

/// `history -r`: `FROM:TO`, `FROM:` or `:TO`.
pub(super) fn history_range(text: &str) -> Result<HistoryRange, String> {
    let Some((from, to)) = text.split_once(':') else {
        return Err(format!(
            "-r {text}: a range is FROM:TO, FROM: or :TO (e.g. `-r 2025-10-21:head`)"
        ));
    };
    let (from_text, to_text) = (from.trim().to_string(), to.trim().to_string());
    Ok(HistoryRange {
        from: range_end(&from_text)?,
        to: range_end(&to_text)?,
        from_text,
        to_text,
    })
}

fn range_end(text: &str) -> Result<RangeEnd, String> {
    match text {
        "" => Ok(RangeEnd::Open),
        "current" => Ok(RangeEnd::Current),
        _ => match parse_target(text)? {
            Target::Relative(_) => Err(format!(
                "-r takes versions, base, current or head, not `{text}`; fix: use --limit N \
                 for the newest N"
            )),
            target => Ok(RangeEnd::At(target)),
        },
    }
}

/// `history --limit N`: 1 or more.
pub(super) fn history_limit(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("--limit 0 lists nothing; fix: give 1 or more".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("--limit {text}: not a number; fix: give 1 or more")),
    }
}

/// `verify --jobs N`: how many scratch databases check the history at
/// once, 1 or more.
pub(super) fn verify_jobs(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err(
            "--jobs 0 checks nothing; fix: give 1 or more (1: one scratch \
                       database, one migration after another)"
                .into(),
        ),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("--jobs {text}: not a number; fix: give 1 or more")),
    }
}

/// `lint FROM:TO`: the sides as typed (an empty side is base or head);
/// the command resolves them against the migrations.
#[derive(Debug, Clone)]
pub struct LintRange {
    /// FROM.
    pub from: String,
    /// TO.
    pub to: String,
}

/// `lint FROM:TO`.
pub(super) fn lint_range(text: &str) -> Result<LintRange, String> {
    let (from, to) = text.split_once(':').ok_or_else(|| {
        format!("bad range `{text}`; fix: write FROM:TO, e.g. 2025-10:head or :20251021000000")
    })?;
    Ok(LintRange {
        from: from.to_string(),
        to: to.to_string(),
    })
}

/// `lint --pg-version`: `15` or `11.2`.
pub(super) fn pg_version(text: &str) -> Result<ragchat_migrate::lint::PgVersion, String> {
    ragchat_migrate::lint::PgVersion::parse(text).map_err(|e| e.to_string())
}
