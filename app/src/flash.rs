//! Values a form leaves in the person's session for the next page to show once, never in the
//! query string (where a link could put them): a just-created API key, webhook secret or
//! invitation link, sealed
//! with the instance's key, and what was typed in a refused form.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
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

pub const NEW_INVITATION: SealedFlash = SealedFlash {
    key: "new_invitation",
    context: "invitation_flash",
};

pub const NEW_CONNECT_LINK: SealedFlash = SealedFlash {
    key: "new_connect_link",
    context: "connect_link_flash",
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

/// What a person typed in a form that came back refused, for the form to show again, once. It
/// travels in the session rather than the query string, so a link cannot fill a form in.
pub struct Retyped {
    key: &'static str,
}

/// The server typed on a platform's connect form.
pub const TYPED_SERVER: Retyped = Retyped {
    key: "connect_typed_server",
};

/// The URL typed on the webhooks page.
pub const TYPED_WEBHOOK_URL: Retyped = Retyped {
    key: "webhook_typed_url",
};

impl Retyped {
    /// Keeps `typed` for the form named `form` (a platform's connect form takes the platform's
    /// slug, so another platform's form never shows it).
    /// Nothing longer than a typed URL may be is kept: the form then starts empty.
    pub async fn keep(&self, session: &Session, form: &str, typed: &str) -> Result<(), Error> {
        if !engine::net::address_guard::within_bound(typed) {
            return Ok(());
        }
        session.insert(self.key, (form, typed.trim())).await
    }

    /// What was typed on `form` in the last refused attempt, if anything (taken: once).
    pub async fn take(&self, session: &Session, form: &str) -> Option<String> {
        let (kept_for, typed): (String, String) = session.remove(self.key).await.ok().flatten()?;
        (kept_for == form && !typed.is_empty()).then_some(typed)
    }
}
