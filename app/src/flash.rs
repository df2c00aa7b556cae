//! Values a form route leaves in the person's session for the next page to show once, never in
//! the query string (where a link could put them): a just-created API key or webhook secret,
//! sealed with the instance's key, and the server typed in a refused connect attempt.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use domain::Platform;
use engine::storage::crypto::SecretBox;
use secrecy::SecretString;
use tower_sessions::session::Error;
use tower_sessions::Session;

/// A secret shown once: sealed in the session under `key`, and bound to the id of what it
/// belongs to, so a sealed value cannot be replayed as another's.
pub struct SealedFlash {
    key: &'static str,
    context: &'static str,
}

pub const NEW_API_KEY: SealedFlash = SealedFlash {
    key: "new_api_key",
    context: "api_key_flash",
};

pub const NEW_WEBHOOK_SECRET: SealedFlash = SealedFlash {
    key: "new_webhook_secret",
    context: "webhook_secret_flash",
};

impl SealedFlash {
    fn context(&self, id: &str) -> String {
        format!("{}:{id}", self.context)
    }

    pub async fn keep(
        &self,
        secrets: &SecretBox,
        session: &Session,
        id: &str,
        secret: &SecretString,
    ) -> Result<(), Error> {
        let sealed = STANDARD.encode(secrets.seal(secret, &self.context(id)));
        session.insert(self.key, (id.to_owned(), sealed)).await
    }

    /// Takes the secret out of the session (so it shows once) and opens it, with its id.
    pub async fn take(
        &self,
        secrets: &SecretBox,
        session: &Session,
    ) -> Option<(String, SecretString)> {
        let (id, sealed): (String, String) = session.remove(self.key).await.ok().flatten()?;
        let bytes = STANDARD.decode(sealed).ok()?;
        let secret = secrets.open(&bytes, &self.context(&id)).ok()?;
        Some((id, secret))
    }
}

const TYPED_SERVER: &str = "connect_typed_server";

/// Keeps the server typed in a refused attempt for the platform's form to show again.
pub async fn keep_typed_server(
    session: &Session,
    platform: Platform,
    server: &str,
) -> Result<(), Error> {
    session
        .insert(TYPED_SERVER, (platform.slug(), server.trim()))
        .await
}

/// The server typed in the last refused attempt on this platform's form, if any (taken: once).
pub async fn take_typed_server(session: &Session, platform: Platform) -> Option<String> {
    let (slug, server): (String, String) = session.remove(TYPED_SERVER).await.ok().flatten()?;
    (slug == platform.slug() && !server.is_empty()).then_some(server)
}
