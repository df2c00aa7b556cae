//! The Plugboard server: command implementations and the web application's wiring.

#[cfg(feature = "sandbox")]
pub mod bench;
pub mod cli;
pub mod commands;
pub mod web;
pub mod worker;
