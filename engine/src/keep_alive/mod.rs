//! Keeping connections alive: refreshing tokens when they are due, checking accounts' health,
//! and handing fresh access tokens to the integration API.

pub mod access_tokens;
pub mod health;
pub mod health_checks;
pub mod history;
pub mod refresh;
