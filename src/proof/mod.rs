//! Evidence that the schema is what the migrations say: catalog snapshots
//! and their diffs, drift, verify's reversibility proof, scratch databases,
//! and adopting a database that was migrated by other means.

pub mod adopt;
pub mod catalog;
pub mod catalog_tracker;
pub mod connection_room;
pub mod drift;
pub mod irreversible;
pub mod scratch;
pub(crate) mod scratch_cleanup;
pub(crate) mod scratch_shape;
pub mod verify;
pub mod verify_report;
pub(crate) mod verify_round;
pub(crate) mod verify_segments;
pub(crate) mod verify_step;
