//! Migrations as Diesel reads them: the source (embedded or a folder, with
//! Diesel's naming rules), the SQL text rules, the TARGET grammar, the
//! planner, and `create`.

pub mod blame;
pub mod create;
pub mod direction;
pub mod directory;
pub mod file_checks;
pub mod metadata;
pub mod names;
pub mod plan;
pub mod source;
pub mod sql_check;
pub mod sql_text;
pub mod status;
pub mod suggest;
pub mod target;
pub mod unknown;
