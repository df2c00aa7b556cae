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

/// The longest bearer secret looked up: anything longer is not one of ours.
const MAX_PRESENTED_CHARS: usize = 100;

/// The stored hash to look a presented secret up by, if it could be one of ours with `prefix`;
/// anything else is refused before it is hashed or reaches the database.
pub(crate) fn presented_hash(presented: &str, prefix: &str) -> Option<String> {
    (presented.starts_with(prefix) && presented.len() <= MAX_PRESENTED_CHARS)
        .then(|| token_hash(presented))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_secrets_with_our_prefix_and_length_are_looked_up() {
        let token = new_token("pbx_");
        assert_eq!(presented_hash(&token, "pbx_"), Some(token_hash(&token)));
        assert_eq!(token_hash(&token).len(), 64);
        assert_ne!(token_hash(&token), token);
        assert_eq!(presented_hash(&token, "pby_"), None);
        assert_eq!(
            presented_hash(&format!("{token}{}", "a".repeat(60)), "pbx_"),
            None
        );
        assert_eq!(presented_hash("", "pbx_"), None);
    }
}
