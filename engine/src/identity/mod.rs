//! Who is asking: people, their passwords and sign-in throttling, the workspaces they act in
//! with a role, and API keys.

pub mod api_keys;
pub mod invitations;
pub mod password;
pub mod sign_in_throttle;
pub mod users;
pub mod workspaces;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// A new bearer secret (an API key, an invitation's or a connect link's token): `prefix` and 256 random bits.
pub(crate) fn new_token(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    )
}

/// What is stored of a bearer secret: its SHA-256, so reading the table never lets anyone act.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}
