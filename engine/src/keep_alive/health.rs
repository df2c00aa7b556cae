//! Health checks when a person opens the connections page: refresh what is due, otherwise ask
//! the platform's cheapest "who am I". They run in the background (the page renders from the
//! database at once), with bounded concurrency, each call bounded by the provider timeout, and an
//! account checked in the last few minutes is not checked again. Each account's check is isolated:
//! one that panics fails alone, and the page never waits on a check that died.

use crate::connections::accounts::{self, AccountRecord, Snapshot};
use crate::keep_alive::refresh::{self, Outcome};
use crate::lifecycle::isolated;
use crate::net::http::{send_capped, MAX_BODY};
use crate::platforms::catalog;
use crate::platforms::client::{text_at, ProviderClient};
use crate::platforms::failure::{classify_reply, FailureKind, ProviderError};
use crate::storage::db::{flag, to_millis};
use crate::AppState;
use chrono::{Duration, Utc};
use domain::{ExpiryDisplay, Platform, StoredTokenStatus};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use std::time::Instant;

/// Checks for one owner run this many calls at once (the process-wide limit also applies).
const PER_OWNER: usize = 4;
/// Creator info is fetched again after this long.
const CREATOR_INFO_MAX_AGE: Duration = Duration::hours(1);

/// What one account's health check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthOutcome {
    /// Checked within the TTL (by this or another process): not checked again.
    Recent,
    /// It was due, so the check refreshed it.
    Refresh(Outcome),
    /// The platform confirmed the token, for this very account.
    Healthy,
    /// The token is refused and cannot be refreshed: the account now asks for a reconnect.
    NeedsReconnect,
    /// The platform is down, slow or rate limiting: nothing is concluded.
    Unreachable,
    /// The platform answered something that does not prove the token works (an unknown error,
    /// a body of the wrong shape, another account): nothing is concluded.
    Unconfirmed,
    /// No token is stored.
    NoToken,
}

impl HealthOutcome {
    pub fn slug(&self) -> &'static str {
        match self {
            HealthOutcome::Recent => "recent",
            HealthOutcome::Refresh(outcome) => outcome.slug(),
            HealthOutcome::Healthy => "ok",
            HealthOutcome::NeedsReconnect => "terminal",
            HealthOutcome::Unreachable => "transient",
            HealthOutcome::Unconfirmed => "unconfirmed",
            HealthOutcome::NoToken => "no_token",
        }
    }
}

/// Starts checking the owner's accounts in the background, unless a check is already running
/// or the process is shutting down.
pub fn start(app: &AppState, owner_id: &str) {
    let Some(checking) = app.health.begin(owner_id) else {
        return;
    };
    let app = app.clone();
    // Tracked: a shutdown lets the check finish and store what it learns.
    app.lifecycle.clone().spawn("health_check", async move {
        let checking = checking;
        if let Err(err) = check_owner(&app, &checking.owner_id).await {
            tracing::warn!(owner_id = %checking.owner_id, error = %err, "health check failed");
        }
    });
}

/// Checks every account of the owner that was not checked recently.
pub async fn check_owner(app: &AppState, owner_id: &str) -> Result<(), sqlx::Error> {
    use futures::StreamExt;
    let records = accounts::list_owned(&app.db, owner_id).await?;
    let checkable = records
        .into_iter()
        .filter(|r| r.token_status != StoredTokenStatus::NeedsReconnect && !r.is_demo());
    futures::stream::iter(checkable)
        .for_each_concurrent(PER_OWNER, |record| async move {
            match isolated("health_check", check_account(app, &record)).await {
                Ok(Ok(_)) | Err(_) => {}
                Ok(Err(err)) => {
                    tracing::warn!(account_id = %record.id, error = %err, "health check of an account failed")
                }
            }
        })
        .await;
    Ok(())
}

/// Checks one account, unless it was checked within the TTL (by this or another process).
pub async fn check_account(
    app: &AppState,
    record: &AccountRecord,
) -> Result<HealthOutcome, sqlx::Error> {
    let now = Utc::now();
    let ttl = Duration::from_std(app.config.health_check_ttl).unwrap_or(Duration::zero());
    let claimed = sqlx::query(
        "UPDATE connected_accounts SET last_checked_at = $1
         WHERE id = $2 AND (last_checked_at IS NULL OR last_checked_at <= $3)",
    )
    .bind(to_millis(now))
    .bind(&record.id)
    .bind(to_millis(now - ttl))
    .execute(app.db.pool())
    .await?;
    if claimed.rows_affected() != 1 {
        return Ok(HealthOutcome::Recent);
    }
    let _permit = app
        .health
        .permits()
        .acquire_owned()
        .await
        .expect("semaphore never closes");
    let started = Instant::now();
    let outcome = if is_due(app, &record.id).await? {
        HealthOutcome::Refresh(refresh::refresh_account(app, &record.id, false).await?)
    } else {
        verify(app, &record.id).await?
    };
    metrics::histogram!("plugboard_health_check_seconds", "platform" => record.platform.slug())
        .record(started.elapsed().as_secs_f64());
    metrics::counter!("plugboard_health_checks_total", "platform" => record.platform.slug(), "outcome" => outcome.slug())
        .increment(1);
    tracing::debug!(account_id = %record.id, platform = record.platform.slug(), outcome = outcome.slug(), "health check");
    Ok(outcome)
}

async fn is_due(app: &AppState, id: &str) -> Result<bool, sqlx::Error> {
    let due: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM connected_accounts WHERE id = $1 AND next_refresh_at IS NOT NULL AND next_refresh_at <= $2",
    )
    .bind(id)
    .bind(to_millis(Utc::now()))
    .fetch_one(app.db.pool())
    .await?;
    Ok(due > 0)
}

/// Asks the platform who the token belongs to. A refused token on a platform that can refresh
/// gets one refresh first: only if that is refused too must the person reconnect.
async fn verify(app: &AppState, account_id: &str) -> Result<HealthOutcome, sqlx::Error> {
    let mut conn = app.db.pool().acquire().await?;
    let snapshot = accounts::snapshot(&mut conn, &app.secrets, account_id).await?;
    drop(conn);
    let Some(Snapshot {
        record,
        access: Some(token),
        ..
    }) = snapshot
    else {
        return Ok(HealthOutcome::NoToken);
    };
    match who_am_i(app, &record, &token).await {
        Ok(body) => {
            apply_profile(app, &record, &body, &token).await?;
            mark_expired_if_lapsed(app, &record).await?;
            Ok(HealthOutcome::Healthy)
        }
        Err(error) if error.kind == FailureKind::Terminal => {
            if catalog::platform_refreshes(record.platform) {
                match refresh::refresh_account(app, &record.id, true).await? {
                    Outcome::NotRefreshable => {}
                    other => return Ok(HealthOutcome::Refresh(other)),
                }
            }
            refresh::mark_needs_reconnect(app, &record, &error).await?;
            Ok(HealthOutcome::NeedsReconnect)
        }
        Err(error) => {
            tracing::info!(account_id = %record.id, platform = record.platform.slug(), error = %error, "health check could not confirm the token");
            Ok(if error.kind.is_transient() {
                HealthOutcome::Unreachable
            } else {
                HealthOutcome::Unconfirmed
            })
        }
    }
}

/// The platform's cheapest call that proves the token works: a success that names this very
/// account. Any other answer (another account, a body of the wrong shape) proves nothing.
async fn who_am_i(
    app: &AppState,
    record: &AccountRecord,
    token: &SecretString,
) -> Result<Value, ProviderError> {
    let settings = app.config.providers.get(record.platform);
    let meta = |key: &str| {
        record
            .metadata
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let get = |request: reqwest::RequestBuilder| async move {
        let reply = send_capped(request, MAX_BODY).await?;
        let body: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        let refused_in_body = body.get("ok") == Some(&Value::Bool(false));
        if !reply.is_success() || refused_in_body {
            return Err(classify_reply(&reply, settings.spec()));
        }
        Ok(body)
    };
    let (body, identity) = match record.platform {
        Platform::Telegram => {
            let body = get(app.http.get(format!(
                "{}/bot{}/getMe",
                settings.api_url.trim_end_matches('/'),
                token.expose_secret()
            )))
            .await?;
            let identity = text_at(&body, "/result/id");
            (body, identity)
        }
        Platform::Listmonk => {
            let base = meta("base_url").unwrap_or_default();
            let user = meta("api_user").unwrap_or_default();
            let http = crate::platforms::servers::http_for_stored_url(app, settings, &base).await?;
            let body = get(http.get(format!("{base}/api/lists?per_page=1")).header(
                reqwest::header::AUTHORIZATION,
                format!("token {user}:{}", token.expose_secret()),
            ))
            .await?;
            // Listmonk's answer names no user: a page of lists is the proof.
            let identity = body
                .pointer("/data/results")
                .is_some_and(Value::is_array)
                .then(|| record.platform_account_id.clone());
            (body, identity)
        }
        Platform::Bluesky => {
            let pds = meta("pds_url").unwrap_or_else(|| settings.api_url.clone());
            let http = crate::platforms::servers::http_for_stored_url(app, settings, &pds).await?;
            let body = get(http
                .get(format!("{pds}/xrpc/app.bsky.actor.getProfile"))
                .query(&[("actor", record.platform_account_id.as_str())])
                .bearer_auth(token.expose_secret()))
            .await?;
            let identity = text_at(&body, "/did");
            (body, identity)
        }
        _ => {
            let mut client = app.provider_client(record.platform);
            if let Some(instance) = meta("instance_url") {
                let http = crate::platforms::servers::http_for_stored_url(app, settings, &instance)
                    .await?;
                client = client.with_api_url(&instance).with_http(http);
            }
            let path = settings
                .spec()
                .verify_path
                .clone()
                .or_else(|| settings.spec().profile.as_ref().map(|p| p.path.clone()))
                .unwrap_or_default();
            let body = client.get_json(&path, token).await?;
            // TikTok wraps every answer in `error.code`, `ok` on success.
            if let Some(code) = body.pointer("/error/code").and_then(Value::as_str) {
                if code != "ok" {
                    return Err(crate::platforms::failure::classify(
                        200,
                        &body.to_string(),
                        &settings.spec().revoked,
                    ));
                }
            }
            let identity = client.profile_of(&body).map(|p| p.platform_account_id);
            (body, identity)
        }
    };
    match identity {
        Some(id) if id == record.platform_account_id => Ok(body),
        Some(_) => Err(ProviderError::unexpected(
            "the platform answered for another account",
        )),
        None => Err(ProviderError::unexpected(
            "the answer does not say who the token belongs to",
        )),
    }
}

/// Keeps what the profile says up to date: X Premium, the name and picture, TikTok creator info.
async fn apply_profile(
    app: &AppState,
    record: &AccountRecord,
    body: &Value,
    token: &SecretString,
) -> Result<(), sqlx::Error> {
    let settings = app.config.providers.get(record.platform);
    let client = ProviderClient::new(settings, app.http.clone(), String::new());
    if record.platform == Platform::X {
        if let Some(profile) = client.profile_of(body) {
            if profile.is_premium != record.is_twitter_premium {
                sqlx::query("UPDATE connected_accounts SET is_twitter_premium = $1 WHERE id = $2")
                    .bind(flag(profile.is_premium))
                    .bind(&record.id)
                    .execute(app.db.pool())
                    .await?;
            }
        }
    }
    if record.platform == Platform::TikTok {
        refresh_creator_info(app, record, token).await?;
    }
    Ok(())
}

/// TikTok's creator nickname and username, cached an hour, within TikTok's rate limit.
async fn refresh_creator_info(
    app: &AppState,
    record: &AccountRecord,
    token: &SecretString,
) -> Result<(), sqlx::Error> {
    let fetched_at = record
        .metadata
        .pointer("/tiktok_creator/fetched_at")
        .and_then(Value::as_i64)
        .map(crate::storage::db::from_millis);
    if fetched_at.is_some_and(|at| Utc::now() - at < CREATOR_INFO_MAX_AGE)
        || !app.health.creator_info_allowed(&record.id)
    {
        return Ok(());
    }
    let settings = app.config.providers.get(Platform::TikTok);
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
    let Ok(reply) = send_capped(request, MAX_BODY).await else {
        return Ok(());
    };
    let Ok(body) = serde_json::from_slice::<Value>(&reply.body) else {
        return Ok(());
    };
    if body.pointer("/error/code").and_then(Value::as_str) != Some("ok") {
        tracing::info!(account_id = %record.id, code = ?body.pointer("/error/code"), "TikTok creator info unavailable");
        return Ok(());
    }
    let mut metadata = record.metadata.clone();
    metadata["tiktok_creator"] = json!({
        "creator_username": text_at(&body, "/data/creator_username"),
        "creator_nickname": text_at(&body, "/data/creator_nickname"),
        "fetched_at": to_millis(Utc::now()),
    });
    sqlx::query("UPDATE connected_accounts SET metadata = $1 WHERE id = $2")
        .bind(metadata.to_string())
        .bind(&record.id)
        .execute(app.db.pool())
        .await?;
    Ok(())
}

/// A token that cannot be refreshed and whose expiry passed is stored as expired.
async fn mark_expired_if_lapsed(app: &AppState, record: &AccountRecord) -> Result<(), sqlx::Error> {
    let lapsed = record.token_expires_at.is_some_and(|at| at <= Utc::now())
        && record.platform.expiry_display() == ExpiryDisplay::Shown
        && record.token_status == StoredTokenStatus::Active;
    if lapsed {
        sqlx::query("UPDATE connected_accounts SET token_status = $2 WHERE id = $1 AND token_status = $3 AND next_refresh_at IS NULL")
            .bind(&record.id)
            .bind(StoredTokenStatus::Expired.as_str())
            .bind(StoredTokenStatus::Active.as_str())
            .execute(app.db.pool())
            .await?;
    }
    Ok(())
}

/// Every account's status for the open page, as health checks update them.
pub async fn live_statuses(
    app: &AppState,
    owner_id: &str,
) -> Result<domain::LiveStatuses, sqlx::Error> {
    let now = Utc::now();
    let records = accounts::list_owned(&app.db, owner_id).await?;
    Ok(domain::LiveStatuses {
        checking: app.health.is_checking(owner_id),
        statuses: records
            .iter()
            .map(|r| (r.id.clone(), r.view(now).status))
            .collect(),
    })
}
