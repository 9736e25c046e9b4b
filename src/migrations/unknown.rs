//! Applied versions the migrations at hand do not contain: reported once,
//! as one list naming where the migrations were read from, and a database
//! whose newest applied version is one of them is "ahead", never "at head".

use crate::migrations::source::{MigrationSet, Source};
use crate::migrations::status::Status;

/// `2 applied versions are not in <source>: v1, v2`, or `None` when every
/// applied version is known.
pub fn summary(status: &Status, source: &Source) -> Option<String> {
    if status.unknown.is_empty() {
        return None;
    }
    let versions: Vec<&str> = status.unknown.iter().map(|a| a.version.as_str()).collect();
    let n = versions.len();
    Some(format!(
        "{n} applied version{} {} not in {}: {}",
        if n == 1 { "" } else { "s" },
        if n == 1 { "is" } else { "are" },
        source_name(source),
        versions.join(", ")
    ))
}

/// The source as a message names it.
pub fn source_name(source: &Source) -> String {
    match source {
        Source::Embedded => "the migrations embedded in this binary".to_string(),
        Source::Directory(dir) => dir.display().to_string(),
    }
}

/// The newest applied version when it is not one of `set`'s and is newer
/// than every applied known one: the database is ahead of these migrations.
pub fn ahead_of<'a>(set: &MigrationSet, status: &'a Status) -> Option<&'a str> {
    let newest_unknown = status.unknown.iter().map(|a| a.version.as_str()).max()?;
    let newest_known = status.current().map(|i| set.all()[i].version.as_str());
    match newest_known {
        Some(known) if known >= newest_unknown => None,
        _ => Some(newest_unknown),
    }
}

/// Where the database is, said for people: the newest applied known
/// migration, `(head)` when none is pending, or that it is ahead.
pub fn describe_current(set: &MigrationSet, status: &Status, source: &Source) -> String {
    let known = status.current().map(|i| {
        let m = &set.all()[i];
        format!("{} {}", m.version, m.label())
    });
    if let Some(newest) = ahead_of(set, status) {
        return format!(
            "ahead of {}: its newest applied version {newest} is not there (newest applied \
             known migration: {})",
            source_name(source),
            known.as_deref().unwrap_or("none")
        );
    }
    match known {
        None => "base".to_string(),
        Some(text) if status.at_head() => format!("{text} (head)"),
        Some(text) => text,
    }
}
