//! The reports of `create` and `create --autogenerate`.

use super::{Printer, Report};
use ragchat_migrate::autogen::{Plan, Proof};
use serde::Serialize;
use std::path::PathBuf;

/// `create NAME`.
#[derive(Debug, Serialize)]
pub struct Created {
    /// Always true.
    pub ok: bool,
    /// The directory written, as a list (`--autogenerate` may write two).
    pub created: Vec<PathBuf>,
    /// Its version.
    pub version: String,
    /// Its directory name.
    pub name: String,
    /// The directory written.
    pub directory: PathBuf,
    /// The files written.
    pub files: Vec<PathBuf>,
    /// False with `--no-transaction`.
    pub run_in_transaction: bool,
}

impl Report for Created {
    fn text(&self, _: &Printer) -> Vec<String> {
        vec![format!("created {}", self.directory.display())]
    }
}

/// `create NAME --autogenerate` as a JSON document (its text goes out as
/// the work proceeds).
#[derive(Debug, Serialize)]
pub struct Generated<'a> {
    /// The migration directories written.
    pub created: &'a [PathBuf],
    /// Where the desired schema came from. Not `source`: that names the
    /// migrations read (docs/json.md).
    pub desired_from: &'a str,
    /// The plan: changes, migrations, warnings, renames, unsupported,
    /// notes and acknowledged lint findings.
    #[serde(flatten)]
    pub plan: &'a Plan,
    /// The proof on the scratch database (`null` when nothing was generated).
    pub proof: Option<&'a Proof>,
    /// The migrations already give the desired schema.
    pub nothing_to_generate: bool,
}
