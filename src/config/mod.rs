//! Where the database and the migrations come from: flags, the
//! environment, `.env`, project detection, URL normalisation and password
//! masking.

pub mod database_choice;
pub mod database_url;
pub mod project;
pub mod secrets;
