//! Who is asking: people, their passwords and sign-in throttling, sessions and API keys.

pub mod api_keys;
pub mod password;
pub mod sessions;
pub mod sign_in_throttle;
pub mod users;
