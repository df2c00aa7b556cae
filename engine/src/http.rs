//! The HTTP client Plugboard calls platforms with.

use std::time::Duration;

pub const USER_AGENT: &str = concat!(
    "Plugboard/",
    env!("CARGO_PKG_VERSION"),
    " (self-hosted social connections)"
);

/// Bounded in time, never following redirects (a redirect could lead a request, and the token
/// on it, somewhere else), identifying itself (Reddit refuses generic user agents).
pub fn client_builder(timeout: Duration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
}

pub fn client(timeout: Duration) -> reqwest::Client {
    client_builder(timeout)
        .build()
        .expect("a TLS backend is compiled in")
}
