//! The platforms Plugboard connects to: what each is (the catalog, from `providers.toml`), how
//! Plugboard talks to them (the generic OAuth client, and an adapter for each platform that
//! really differs), and how their failures are classified.

pub mod adapters;
pub mod catalog;
pub mod client;
pub mod credentials;
pub mod failure;
pub mod servers;
