//! Talking to the outside world safely: the bounded HTTP client and the guard that keeps typed
//! URLs away from private addresses.

pub mod address_guard;
pub mod http;
