//! TikTok: the names a person recognises are the creator's (`creator_info`), fetched at most
//! once an hour per account, within TikTok's rate limit, after a health check.

use super::{KnownAccount, PlatformAdapter};
use crate::net::http::{send_capped, MAX_BODY};
use crate::platforms::client::text_at;
use crate::storage::db::{from_millis, to_millis};
use crate::AppState;
use async_trait::async_trait;
use chrono::{Duration, Utc};
use domain::ConnectedAccount;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

/// Creator info is fetched again after this long.
const CREATOR_INFO_MAX_AGE: Duration = Duration::hours(1);

pub(super) struct TikTok;

#[async_trait]
impl PlatformAdapter for TikTok {
    fn shown(&self, account: KnownAccount<'_>, shown: &mut ConnectedAccount) {
        let creator = |key: &str| {
            account
                .metadata
                .pointer(&format!("/tiktok_creator/{key}"))
                .and_then(Value::as_str)
                .filter(|text| !text.trim().is_empty())
                .map(str::to_owned)
        };
        if let Some(username) = creator("creator_username") {
            shown.username = username;
        }
        if let Some(nickname) = creator("creator_nickname") {
            shown.display_name = Some(nickname);
        }
    }

    async fn after_check(
        &self,
        app: &AppState,
        account: KnownAccount<'_>,
        token: &SecretString,
    ) -> Option<Value> {
        let fetched_at = account
            .metadata
            .pointer("/tiktok_creator/fetched_at")
            .and_then(Value::as_i64)
            .map(from_millis);
        if fetched_at.is_some_and(|at| Utc::now() - at < CREATOR_INFO_MAX_AGE)
            || !app.health.creator_info_allowed(account.id)
        {
            return None;
        }
        let settings = app.config.providers.get(account.platform);
        let request = app
            .http
            .post(format!(
                "{}/v2/post/publish/creator_info/query/",
                settings.api_url.trim_end_matches('/')
            ))
            .bearer_auth(token.expose_secret())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=UTF-8",
            );
        let reply = send_capped(request, MAX_BODY).await.ok()?;
        let body = serde_json::from_slice::<Value>(&reply.body).ok()?;
        if body.pointer("/error/code").and_then(Value::as_str) != Some("ok") {
            tracing::info!(account_id = %account.id, code = ?body.pointer("/error/code"), "TikTok creator info unavailable");
            return None;
        }
        let mut metadata = account.metadata.clone();
        metadata["tiktok_creator"] = json!({
            "creator_username": text_at(&body, "/data/creator_username"),
            "creator_nickname": text_at(&body, "/data/creator_nickname"),
            "fetched_at": to_millis(Utc::now()),
        });
        Some(metadata)
    }
}
