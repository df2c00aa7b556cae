//! Mastodon: every instance is its own server. Plugboard registers itself on an instance the
//! first time someone connects an account there (`POST /api/v1/apps`).

use super::{AccountServer, PlatformAdapter};
use crate::net::http::{send_capped, MAX_BODY};
use crate::platforms::catalog;
use crate::platforms::failure::{classify_reply, ProviderError};
use crate::AppState;
use async_trait::async_trait;
use domain::Platform;
use secrecy::SecretString;
use serde_json::Value;

pub(super) struct Mastodon;

#[async_trait]
impl PlatformAdapter for Mastodon {
    fn sandbox_hint(&self) -> Option<String> {
        Some("Sandbox: the instance already filled in answers like Mastodon.".to_owned())
    }

    async fn register_client(
        &self,
        app: &AppState,
        server: &AccountServer,
        redirect_uri: &str,
    ) -> Result<(String, SecretString), ProviderError> {
        let spec = catalog::spec(Platform::Mastodon);
        let reply = send_capped(
            server
                .http
                .post(format!("{}/api/v1/apps", server.base()))
                .form(&[
                    ("client_name", "Plugboard"),
                    ("redirect_uris", redirect_uri),
                    ("scopes", &spec.scopes.join(" ")),
                    ("website", app.config.base_url.as_str()),
                ]),
            MAX_BODY,
        )
        .await?;
        if !reply.is_success() {
            return Err(classify_reply(&reply, spec));
        }
        let body: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        match (
            body.get("client_id").and_then(Value::as_str),
            body.get("client_secret").and_then(Value::as_str),
        ) {
            (Some(client_id), Some(client_secret)) => Ok((
                client_id.to_owned(),
                SecretString::from(client_secret.to_owned()),
            )),
            _ => Err(ProviderError::unexpected(
                "the instance did not register an app (is this a Mastodon server?)",
            )),
        }
    }
}
