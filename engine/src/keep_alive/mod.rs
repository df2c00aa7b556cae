//! Keeping connections alive: when each token is due, refreshing it, checking accounts' health,
//! and handing fresh access tokens to the integration API.

pub mod access_tokens;
pub mod health;
pub mod refresh;
pub mod schedule;
