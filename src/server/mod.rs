//! Running PostgreSQL: the throwaway cluster code shared by the local
//! default database, the tests and the benchmark.

pub mod cluster;
pub mod dev;
pub(crate) mod dev_cluster;
pub mod dev_home;
mod dev_server;
pub mod throwaway;
