//! `create NAME`: a new migration directory with empty up.sql and down.sql.

use super::context::Context;
use crate::outcome::Outcome;
use crate::output::create::Created;
use ragchat_migrate::error::{Error, Result};

impl Context {
    /// `create NAME [--no-transaction]`: check the name, write the templates.
    pub(super) fn create(&self, name: &str, no_transaction: bool) -> Result<Outcome> {
        if name.is_empty()
            || name.len() > ragchat_migrate::migrations::names::MAX_CREATE_NAME_LEN
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(Error::Usage(format!(
                "invalid migration name {name:?}: use only lowercase letters, digits and `_`, \
                 at most {} characters (e.g. add_user_timezone_column)",
                ragchat_migrate::migrations::names::MAX_CREATE_NAME_LEN
            )));
        }
        let dir = self.migrations_dir_for_create()?;
        let ragchat_migrate::migrations::create::Created { dir_name, path } =
            ragchat_migrate::migrations::create::create_migration(
                &dir,
                name,
                no_transaction,
                chrono::Utc::now(),
            )?;
        let mut files = vec![path.join("up.sql"), path.join("down.sql")];
        if no_transaction {
            files.push(path.join("metadata.toml"));
        }
        self.printer.report(&Created {
            ok: true,
            created: vec![path.clone()],
            version: dir_name
                .split('_')
                .next()
                .unwrap_or_default()
                .replace('-', ""),
            name: dir_name,
            directory: path,
            files,
            run_in_transaction: !no_transaction,
        });
        Ok(Outcome::Success)
    }
}
