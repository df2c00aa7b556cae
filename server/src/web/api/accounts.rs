//! `/api/v1/accounts`: the caller's connected accounts (never a secret) and fresh access tokens.

use super::auth::ApiCaller;
use super::enum_of;
use super::error::{ApiError, ApiErrorCode, ErrorBody};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::Permission;
use domain::{Platform, TokenStatus};
use engine::connections::accounts::AccountRecord;
use engine::keep_alive::access_tokens::{self, AccessTokenError};
use engine::platforms::adapters::adapter;
use engine::AppState;
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;

pub(super) fn platform_schema() -> utoipa::openapi::Object {
    enum_of(Platform::ALL.map(Platform::slug))
}

fn status_schema() -> utoipa::openapi::Object {
    enum_of(
        [
            TokenStatus::Ok,
            TokenStatus::ExpiringSoon { expires_in_days: 0 },
            TokenStatus::Expired,
            TokenStatus::NeedsReconnect,
        ]
        .map(TokenStatus::slug),
    )
}

/// A connected account as a publishing tool sees it: who, where, and whether its token works.
#[derive(Debug, Serialize, ToSchema)]
pub struct Account {
    pub id: String,
    #[schema(schema_with = platform_schema)]
    pub platform: &'static str,
    pub username: String,
    pub display_name: Option<String>,
    pub profile_image_url: Option<String>,
    /// `needs_reconnect`: its owner must reconnect it on the connections page before it can post.
    #[schema(schema_with = status_schema)]
    pub status: &'static str,
    pub token_expires_at: Option<DateTime<Utc>>,
    pub connected_at: DateTime<Utc>,
    pub refreshed_at: Option<DateTime<Utc>>,
}

impl Account {
    fn of(record: &AccountRecord, now: DateTime<Utc>) -> Account {
        let view = record.view(now);
        Account {
            platform: record.platform.slug(),
            username: view.username,
            display_name: view.display_name,
            // A picture Plugboard proxies (its URL would hold a secret) is for the signed-in
            // page only.
            profile_image_url: view
                .profile_image_url
                .filter(|_| !adapter(record.platform).proxies_avatar()),
            status: view.status.slug(),
            token_expires_at: record.token_expires_at,
            connected_at: record.created_at,
            refreshed_at: record.last_refreshed_at,
            id: view.id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    pub accounts: Vec<Account>,
}

/// A token to call the platform with, good for at least a few minutes.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccessTokenResponse {
    pub account_id: String,
    #[schema(schema_with = platform_schema)]
    pub platform: &'static str,
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// `null` when the token does not expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// The server to call with the token where it is the account's own (a Mastodon instance,
    /// a Bluesky PDS, a Listmonk server); `null` for the platform's usual API.
    pub api_base_url: Option<String>,
}

/// The caller's connected accounts, grouped by platform.
#[utoipa::path(
    get,
    path = "/api/v1/accounts",
    tag = "accounts",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The caller's accounts", body = AccountList),
        (status = 401, description = "No valid API key", body = ErrorBody),
    )
)]
pub async fn list_accounts(
    State(app): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<AccountList>, ApiError> {
    let records = engine::connections::accounts::list_owned(&app.db, &caller.workspace_id).await?;
    let now = Utc::now();
    Ok(Json(AccountList {
        accounts: records.iter().map(|r| Account::of(r, now)).collect(),
    }))
}

/// One of the caller's accounts.
#[utoipa::path(
    get,
    path = "/api/v1/accounts/{id}",
    tag = "accounts",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account", body = Account),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such account of the caller's", body = ErrorBody),
    )
)]
pub async fn get_account(
    State(app): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Account>, ApiError> {
    let mut conn = app.db.pool().acquire().await?;
    let record = engine::connections::accounts::find_owned(&mut conn, &caller.workspace_id, &id)
        .await?
        .ok_or_else(ApiError::account_not_found)?;
    Ok(Json(Account::of(&record, Utc::now())))
}

/// A fresh access token for one of the caller's accounts: refreshed first when it expires
/// within five minutes (one refresh at a time per account, shared with Plugboard's own worker).
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{id}/access-token",
    tag = "accounts",
    security(("api_key" = [])),
    params(("id" = String, Path, description = "The account's id")),
    responses(
        (status = 200, description = "A token good for at least five minutes (or one that never expires)", body = AccessTokenResponse),
        (status = 401, description = "No valid API key", body = ErrorBody),
        (status = 404, description = "No such account of the caller's (or it was disconnected)", body = ErrorBody),
        (status = 403, description = "`forbidden`: the key's role (a viewer's) cannot read tokens", body = ErrorBody),
        (status = 409, description = "`needs_reconnect`: the account must be reconnected", body = ErrorBody),
        (status = 503, description = "`platform_unavailable`: the token expired and the platform did not renew it just now; retry after `Retry-After` seconds", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until Plugboard tries the platform again"))),
    )
)]
pub async fn access_token(
    State(app): State<AppState>,
    caller: ApiCaller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    caller.require(Permission::UseAccessTokens)?;
    let token = access_tokens::fresh(&app, &caller.workspace_id, &id)
        .await
        .map_err(|error| match error {
            AccessTokenError::NotFound => ApiError::account_not_found(),
            AccessTokenError::NeedsReconnect => ApiError::new(
                axum::http::StatusCode::CONFLICT,
                ApiErrorCode::NeedsReconnect,
                error.to_string(),
            ),
            AccessTokenError::PlatformUnavailable { retry_after, .. } => ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                ApiErrorCode::PlatformUnavailable,
                error.to_string(),
            )
            .retry_after(u64::try_from(retry_after.num_seconds()).unwrap_or(1)),
            AccessTokenError::Database(err) => ApiError::internal(err),
        })?;
    tracing::info!(account_id = %id, platform = token.account.platform.slug(), key = %caller.key_name, "access token handed out");
    let body = AccessTokenResponse {
        account_id: token.account.id.clone(),
        platform: token.account.platform.slug(),
        access_token: token.access_token.expose_secret().to_owned(),
        token_type: "Bearer",
        expires_at: token.expires_at,
        api_base_url: token.api_base_url,
    };
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
