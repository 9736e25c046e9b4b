//! Migrations as Diesel reads them: the source (embedded or a folder, with
//! Diesel's naming rules), the SQL text rules, the TARGET grammar, the
//! planner, and `create`.

pub mod checksum;
pub mod create;
pub mod direction;
pub mod directory;
pub(crate) mod file_checks;
pub(crate) mod metadata;
pub mod names;
pub mod plan;
pub mod source;
pub(crate) mod sql_check;
pub(crate) mod sql_text;
pub mod status;
pub(crate) mod suggest;
pub mod target;
pub mod unknown;
