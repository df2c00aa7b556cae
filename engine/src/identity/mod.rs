//! Who is asking: people, their passwords and sign-in throttling, the workspaces they act in
//! with a role, and API keys.

pub mod api_keys;
pub mod password;
pub mod sign_in_throttle;
pub mod users;
pub mod workspaces;
