//! The path every platform takes unless its adapter says otherwise.

use super::Kept;
use super::{KnownAccount, PlatformAdapter};
use crate::net::http::{send_capped, MAX_BODY};
use crate::platforms::catalog::ProviderSettings;
use crate::platforms::client::text_at;
use crate::platforms::credentials::json_answer;
use crate::platforms::failure::{classify_reply, ProviderError};
use crate::platforms::servers::http_for_stored_url;
use crate::AppState;
use secrecy::SecretString;
use serde_json::Value;

pub(super) struct Generic;

#[async_trait::async_trait]
impl PlatformAdapter for Generic {}

/// The profile path (or `verify_path`) of the platform, at the account's own server if it has
/// one, read as the connect read it.
pub(super) async fn who_am_i(
    app: &AppState,
    account: KnownAccount<'_>,
    token: &SecretString,
) -> Result<(Value, Option<String>), ProviderError> {
    let settings = app.config.providers.get(account.platform);
    let mut client = app.provider_client(account.platform);
    if let Some(server) = account.kept(Kept::InstanceUrl) {
        let http = http_for_stored_url(app, settings, server).await?;
        client = client.with_api_url(server).with_http(http);
    }
    let spec = settings.spec();
    let path = spec
        .verify_path
        .clone()
        .or_else(|| spec.profile.as_ref().map(|p| p.path.clone()))
        .unwrap_or_default();
    let body = client.get_json(&path, token).await?;
    if let Some(refused) = client.refusal_in(&body) {
        return Err(refused);
    }
    let identity = client.profile_of(&body).map(|p| p.platform_account_id);
    Ok((body, identity))
}

/// A platform's "who am I" answer and the account id at `id_pointer` in it.
pub(super) async fn answer_naming(
    settings: &ProviderSettings,
    request: reqwest::RequestBuilder,
    id_pointer: &str,
) -> Result<(Value, Option<String>), ProviderError> {
    let body = json_answer_of(settings, request).await?;
    let identity = text_at(&body, id_pointer);
    Ok((body, identity))
}

/// A JSON answer from a platform call, or its failure class (including Slack- and
/// Telegram-style `ok: false` with HTTP 200).
pub(super) async fn json_answer_of(
    settings: &ProviderSettings,
    request: reqwest::RequestBuilder,
) -> Result<Value, ProviderError> {
    let reply = send_capped(request, MAX_BODY).await?;
    let body = json_answer(settings.platform, &reply)?;
    if body.get("ok") == Some(&Value::Bool(false)) {
        return Err(classify_reply(&reply, settings.spec()));
    }
    Ok(body)
}
