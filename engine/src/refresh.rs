//! Refreshing one account's token, safely: one refresh per account at a time across every
//! process (a lease on the row, re-read after taking it), the rotated refresh token stored in
//! the same statement as the new access token, and failures sorted into terminal (the person
//! must reconnect: the account says so, once, and an event goes out) and transient (retried
//! later with backoff, the status untouched).

use crate::accounts::{self, AccountRecord};
use crate::credentials;
use crate::db::{flag, to_millis};
use crate::failure::{FailureKind, ProviderError};
use crate::provider_client::{ProviderClient, TokenSet};
use crate::providers::{self, RefreshStyle};
use crate::schedule::{refresh_due_at, refresh_retry_delay};
use crate::webhooks;
use crate::AppState;
use chrono::{DateTime, Duration, Utc};
use domain::{Platform, StoredTokenStatus};
use secrecy::SecretString;
use serde_json::{json, Value};
use sqlx::Row;
use std::sync::OnceLock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Refreshed {
        expires_at: Option<DateTime<Utc>>,
    },
    /// Another process holds the account, or it is not due any more (someone else refreshed it).
    Skipped,
    /// The platform cannot refresh (or this account has no refresh token).
    NotRefreshable,
    /// Retried later; the status is untouched.
    Transient(ProviderError),
    /// The person must reconnect; the account now says so.
    Terminal(ProviderError),
}

impl Outcome {
    pub fn slug(&self) -> &'static str {
        match self {
            Outcome::Refreshed { .. } => "refreshed",
            Outcome::Skipped => "skipped",
            Outcome::NotRefreshable => "not_refreshable",
            Outcome::Transient(_) => "transient",
            Outcome::Terminal(_) => "terminal",
        }
    }
}

/// This process's name on the leases it takes.
pub fn process_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| format!("{}-{}", std::process::id(), crate::db::new_id()))
}

/// Whether accounts of this platform can ever be refreshed.
pub fn platform_refreshes(platform: Platform) -> bool {
    providers::spec(platform).refresh != RefreshStyle::None
}

/// When an account with these tokens should next be refreshed: `None` when it cannot be.
pub fn next_refresh_for(
    platform: Platform,
    has_refresh_token: bool,
    issued_at: DateTime<Utc>,
    expires_at: Option<DateTime<Utc>>,
) -> Option<DateTime<Utc>> {
    let style = providers::spec(platform).refresh;
    let refreshable = match style {
        RefreshStyle::None => false,
        RefreshStyle::RefreshToken | RefreshStyle::BlueskySession => has_refresh_token,
        RefreshStyle::MetaRefresh => true,
    };
    match (refreshable, expires_at) {
        (true, Some(expires_at)) => Some(refresh_due_at(issued_at, expires_at)),
        _ => None,
    }
}

/// Refreshes one account if this process can take it and it is due (or `force`).
pub async fn refresh_account(
    app: &AppState,
    account_id: &str,
    force: bool,
) -> Result<Outcome, sqlx::Error> {
    let now = Utc::now();
    let owner = process_id();
    let leased = sqlx::query(
        "UPDATE connected_accounts SET refresh_lease_until = $1, refresh_lease_owner = $2
         WHERE id = $3 AND is_active = 1 AND token_status <> 'needs_reconnect'
           AND (refresh_lease_until IS NULL OR refresh_lease_until <= $4)
           AND ($5 = 1 OR (next_refresh_at IS NOT NULL AND next_refresh_at <= $4))",
    )
    .bind(to_millis(
        now + crate::schedule::lease_for(app.config.provider_timeout),
    ))
    .bind(owner)
    .bind(account_id)
    .bind(to_millis(now))
    .bind(flag(force))
    .execute(app.db.pool())
    .await?;
    if leased.rows_affected() != 1 {
        return Ok(Outcome::Skipped);
    }
    // Re-read after taking the lease: the tokens may have changed since the account was picked.
    let mut conn = app.db.pool().acquire().await?;
    let Some(record) = accounts::find_by_id(&mut conn, account_id).await? else {
        return Ok(Outcome::Skipped);
    };
    let [access, refresh, extra] =
        accounts::open_all_secrets(&mut conn, &app.secrets, account_id).await?;
    drop(conn);

    let started = std::time::Instant::now();
    let result = match access {
        Some(access) => {
            call_platform(app, &record, &access, refresh.as_ref(), extra.as_ref()).await
        }
        None => None,
    };
    let outcome = match result {
        None => {
            release(app, account_id, None).await?;
            Outcome::NotRefreshable
        }
        Some(Ok(tokens)) => store_refreshed(app, &record, tokens).await?,
        Some(Err(error))
            if error.kind == FailureKind::Terminal
                || gave_up(&record, &error, record_failures(app, account_id).await?) =>
        {
            mark_needs_reconnect(app, &record, &error, Some(owner)).await?;
            Outcome::Terminal(error)
        }
        Some(Err(error)) => {
            let retry_at =
                Utc::now() + refresh_retry_delay(record_failures(app, account_id).await? + 1);
            sqlx::query(
                "UPDATE connected_accounts SET refresh_failures = refresh_failures + 1, next_refresh_at = $1,
                     last_refresh_error = $2, refresh_lease_until = NULL, refresh_lease_owner = NULL
                 WHERE id = $3 AND refresh_lease_owner = $4",
            )
            .bind(to_millis(retry_at))
            .bind(error.to_string())
            .bind(account_id)
            .bind(owner)
            .execute(app.db.pool())
            .await?;
            Outcome::Transient(error)
        }
    };
    tracing::info!(
        account_id,
        platform = record.platform.slug(),
        outcome = outcome.slug(),
        error = match &outcome {
            Outcome::Transient(e) | Outcome::Terminal(e) => Some(e.to_string()),
            _ => None,
        },
        elapsed_ms = started.elapsed().as_millis() as u64,
        "token refresh"
    );
    if outcome != Outcome::Skipped {
        metrics::counter!("plugboard_refreshes_total", "platform" => record.platform.slug(), "outcome" => outcome.slug())
            .increment(1);
    }
    Ok(outcome)
}

/// Answers that name no known cause (an unknown 4xx, nonsense, a refused client) are retried like
/// outages; only after `GIVE_UP_AFTER` of them in a row, with the access token already expired,
/// is the person asked to reconnect. Outages, rate limits and timeouts never get here.
const GIVE_UP_AFTER: u32 = 5;

fn gave_up(record: &AccountRecord, error: &ProviderError, failures_so_far: u32) -> bool {
    !error.kind.is_transient()
        && failures_so_far + 1 >= GIVE_UP_AFTER
        && record.token_expires_at.is_some_and(|at| at <= Utc::now())
}

async fn record_failures(app: &AppState, account_id: &str) -> Result<u32, sqlx::Error> {
    let failures: i64 =
        sqlx::query_scalar("SELECT refresh_failures FROM connected_accounts WHERE id = $1")
            .bind(account_id)
            .fetch_one(app.db.pool())
            .await?;
    Ok(u32::try_from(failures).unwrap_or(u32::MAX))
}

/// Asks the platform for new tokens. `None` when the account cannot be refreshed.
async fn call_platform(
    app: &AppState,
    record: &AccountRecord,
    access: &SecretString,
    refresh: Option<&SecretString>,
    extra: Option<&SecretString>,
) -> Option<Result<TokenSet, ProviderError>> {
    let settings = app.config.providers.get(record.platform);
    match settings.spec().refresh {
        RefreshStyle::None => None,
        RefreshStyle::BlueskySession => {
            let pds = record
                .metadata
                .get("pds_url")
                .and_then(Value::as_str)
                .unwrap_or(&settings.api_url)
                .to_owned();
            let refresh = refresh?;
            let refreshed = credentials::bluesky_refresh(&app.http, &pds, refresh).await;
            Some(match (refreshed, extra) {
                // The refresh JWT lapsed or was revoked: the stored app password starts a new session.
                (Err(e), Some(app_password)) if e.kind == FailureKind::Terminal => {
                    let pds_url = url::Url::parse(&pds).ok()?;
                    credentials::bluesky(&app.http, &pds_url, &record.username, app_password)
                        .await
                        .map(|checked| checked.tokens)
                        .map_err(|problem| match problem {
                            credentials::CredentialProblem::Provider(error) => error,
                            _ => e.clone(),
                        })
                }
                (result, _) => result,
            })
        }
        _ => {
            let client = ProviderClient::new(
                settings,
                app.http.clone(),
                app.config.providers.callback_url(record.platform),
            );
            client.refresh(access, refresh).await
        }
    }
}

async fn store_refreshed(
    app: &AppState,
    record: &AccountRecord,
    tokens: TokenSet,
) -> Result<Outcome, sqlx::Error> {
    let now = Utc::now();
    let expires_at = tokens.expires_in.map(|s| now + Duration::seconds(s));
    let has_refresh = tokens.refresh_token.is_some() || record_has_refresh(app, &record.id).await?;
    let next = next_refresh_for(record.platform, has_refresh, now, expires_at);
    let seal = |secret: &SecretString, column: &str| {
        app.secrets
            .seal(secret, &accounts::secret_context(&record.id, column))
    };
    let new_refresh = tokens
        .refresh_token
        .as_ref()
        .map(|r| seal(r, "refresh_token"));
    let done = sqlx::query(
        "UPDATE connected_accounts SET
             access_token_enc = $1,
             refresh_token_enc = COALESCE($2, refresh_token_enc),
             refresh_token_expires_at = CASE WHEN $3 = 1 THEN $4 ELSE refresh_token_expires_at END,
             token_expires_at = $5, token_status = 'active', next_refresh_at = $6,
             refresh_failures = 0, last_refresh_error = NULL, last_refreshed_at = $7, updated_at = $7,
             refresh_lease_until = NULL, refresh_lease_owner = NULL
         WHERE id = $8 AND refresh_lease_owner = $9",
    )
    .bind(seal(&tokens.access_token, "access_token"))
    .bind(new_refresh.clone())
    .bind(flag(new_refresh.is_some()))
    .bind(tokens.refresh_expires_in.map(|s| to_millis(now + Duration::seconds(s))))
    .bind(expires_at.map(to_millis))
    .bind(next.map(to_millis))
    .bind(to_millis(now))
    .bind(&record.id)
    .bind(process_id())
    .execute(app.db.pool())
    .await?;
    if done.rows_affected() != 1 {
        // The lease lapsed (a refresh that took minutes): the row may be someone else's now.
        tracing::error!(account_id = %record.id, "refresh finished after its lease lapsed; its tokens were not stored");
        return Ok(Outcome::Skipped);
    }
    Ok(Outcome::Refreshed { expires_at })
}

async fn record_has_refresh(app: &AppState, id: &str) -> Result<bool, sqlx::Error> {
    // A count, not a boolean expression: PostgreSQL and SQLite type those differently.
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM connected_accounts WHERE id = $1 AND refresh_token_enc IS NOT NULL",
    )
    .bind(id)
    .fetch_one(app.db.pool())
    .await?;
    Ok(count > 0)
}

async fn release(
    app: &AppState,
    account_id: &str,
    next: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE connected_accounts SET next_refresh_at = $1, refresh_lease_until = NULL, refresh_lease_owner = NULL
         WHERE id = $2 AND refresh_lease_owner = $3",
    )
    .bind(next.map(to_millis))
    .bind(account_id)
    .bind(process_id())
    .execute(app.db.pool())
    .await?;
    Ok(())
}

/// Marks an account as needing a reconnect and, the first time only, writes the
/// `account.refresh_failed` event in the same transaction. `lease_owner` restricts the change to
/// the holder of the account's lease (refreshes); health checks pass `None`.
pub async fn mark_needs_reconnect(
    app: &AppState,
    record: &AccountRecord,
    error: &ProviderError,
    lease_owner: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let mut tx = app.db.begin_write().await?;
    let changed = sqlx::query(
        "UPDATE connected_accounts SET token_status = $1, last_refresh_error = $2, next_refresh_at = NULL,
             refresh_lease_until = NULL, refresh_lease_owner = NULL, updated_at = $3
         WHERE id = $4 AND token_status <> $1 AND ($5 IS NULL OR refresh_lease_owner = $5)",
    )
    .bind(StoredTokenStatus::NeedsReconnect.as_str())
    .bind(error.to_string())
    .bind(to_millis(Utc::now()))
    .bind(&record.id)
    .bind(lease_owner)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if changed {
        let data = json!({
            "account_id": record.id,
            "platform": record.platform.slug(),
            "username": record.username,
            "error": {
                "class": error.kind.slug(),
                "code": error.code,
                "message": error.message.clone().unwrap_or_else(|| error.to_string()),
            },
            "occurred_at": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        webhooks::record_event(
            &mut tx,
            &record.owner_id,
            webhooks::ACCOUNT_REFRESH_FAILED,
            data,
            None,
        )
        .await?;
        let subject = crate::audit::Subject {
            account_id: Some(&record.id),
            platform: Some(record.platform),
            detail: Some(&record.username),
        };
        crate::audit::record(
            &mut tx,
            &record.owner_id,
            crate::audit::SYSTEM,
            crate::audit::ACCOUNT_REFRESH_FAILED,
            subject,
        )
        .await?;
        tracing::warn!(account_id = %record.id, platform = record.platform.slug(), error = %error, "account needs a reconnect");
    }
    tx.commit().await?;
    Ok(changed)
}

/// Accounts whose refresh is due, oldest first (the worker's list; each is still leased one by one).
pub async fn due_accounts(
    app: &AppState,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id FROM connected_accounts
         WHERE is_active = 1 AND token_status <> 'needs_reconnect' AND next_refresh_at IS NOT NULL
           AND next_refresh_at <= $1 AND (refresh_lease_until IS NULL OR refresh_lease_until <= $1)
         ORDER BY next_refresh_at, id LIMIT $2",
    )
    .bind(to_millis(now))
    .bind(limit)
    .fetch_all(app.db.pool())
    .await?;
    rows.iter().map(|row| row.try_get("id")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_refreshable_tokens_get_a_next_refresh() {
        let now = Utc::now();
        let in_an_hour = Some(now + Duration::hours(1));
        assert!(next_refresh_for(Platform::YouTube, true, now, in_an_hour).is_some());
        assert_eq!(
            next_refresh_for(Platform::YouTube, false, now, in_an_hour),
            None,
            "no refresh token"
        );
        assert_eq!(
            next_refresh_for(Platform::Telegram, true, now, in_an_hour),
            None,
            "never refreshes"
        );
        assert_eq!(
            next_refresh_for(Platform::YouTube, true, now, None),
            None,
            "never expires"
        );
        assert!(
            next_refresh_for(
                Platform::Threads,
                false,
                now,
                Some(now + Duration::days(60))
            )
            .is_some(),
            "Meta refreshes the token itself"
        );
    }

    fn record(expired: bool) -> AccountRecord {
        AccountRecord {
            id: "a".into(),
            owner_id: "o".into(),
            platform: Platform::X,
            platform_account_id: "p".into(),
            username: "u".into(),
            display_name: None,
            profile_image_url: None,
            is_active: true,
            token_expires_at: Some(
                Utc::now()
                    + if expired {
                        -Duration::hours(1)
                    } else {
                        Duration::hours(1)
                    },
            ),
            token_status: StoredTokenStatus::Active,
            is_twitter_premium: false,
            metadata: json!({}),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            last_refreshed_at: None,
        }
    }

    #[test]
    fn unexplained_failures_give_up_only_when_repeated_and_the_token_is_gone() {
        let rejected = ProviderError::new(FailureKind::Rejected);
        assert!(!gave_up(&record(true), &rejected, 0));
        assert!(
            !gave_up(&record(false), &rejected, 10),
            "the token still works"
        );
        assert!(gave_up(&record(true), &rejected, GIVE_UP_AFTER - 1));
        let outage = ProviderError::new(FailureKind::Unavailable);
        assert!(!gave_up(&record(true), &outage, 100), "outages never do");
    }

    #[test]
    fn refreshable_platforms_are_the_ones_with_a_refresh_style() {
        for platform in [
            Platform::X,
            Platform::YouTube,
            Platform::TikTok,
            Platform::Threads,
            Platform::Instagram,
            Platform::Pinterest,
            Platform::Reddit,
            Platform::Slack,
            Platform::Bluesky,
            Platform::LinkedIn,
        ] {
            assert!(platform_refreshes(platform), "{platform}");
        }
        for platform in [
            Platform::Facebook,
            Platform::Mastodon,
            Platform::Telegram,
            Platform::Listmonk,
        ] {
            assert!(!platform_refreshes(platform), "{platform}");
        }
    }
}
