//! The Plugboard server: command implementations and the web application's wiring.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod sandbox;
pub mod web;
pub mod worker;
