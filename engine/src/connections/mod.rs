//! Connected accounts: connecting them (OAuth and credentials), storing and reading them,
//! disconnecting them, and the plan limits and demo data that shape the list.

pub mod accounts;
pub mod avatars;
pub mod connect;
pub mod connect_links;
pub mod demo;
pub mod disconnect;
pub mod oauth_state;
pub mod plans;
