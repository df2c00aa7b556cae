//! The platforms Plugboard connects to: what each is (the catalog, from `providers.toml`), how
//! Plugboard talks to them (the OAuth client and the credential checks), and how their failures
//! are classified.

pub mod catalog;
pub mod client;
pub mod credentials;
pub mod failure;
pub mod servers;
