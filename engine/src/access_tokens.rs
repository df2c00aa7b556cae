//! Handing a publishing tool a token it can use now. A token about to expire is refreshed first,
//! through the same lease as the worker's refreshes, so a tool and the worker never both spend a
//! rotating refresh token.

use crate::accounts::{self, AccountRecord};
use crate::failure::ProviderError;
use crate::refresh::{self, Outcome};
use crate::AppState;
use chrono::{DateTime, Duration, Utc};
use domain::StoredTokenStatus;
use secrecy::SecretString;
use serde_json::Value;

/// A token that expires sooner than this is refreshed before it is handed out.
pub const FRESH_FOR: Duration = Duration::minutes(5);
/// How often to look whether another process's refresh of the account has finished.
const LEASE_POLL: std::time::Duration = std::time::Duration::from_millis(100);

#[derive(Debug)]
pub struct AccessToken {
    pub account: AccountRecord,
    pub access_token: SecretString,
    pub expires_at: Option<DateTime<Utc>>,
    /// The server to call with it where it is the account's own (Mastodon, Bluesky, Listmonk).
    pub api_base_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccessTokenError {
    /// Unknown, or another owner's.
    #[error("There is no such account.")]
    NotFound,
    #[error("The account needs to be reconnected by its owner before it can be used.")]
    NeedsReconnect,
    #[error("The token has expired and {platform} did not renew it just now: {error}")]
    PlatformUnavailable {
        platform: domain::Platform,
        error: ProviderError,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Whether a token with this expiry should be refreshed before it is handed out at `now`.
pub fn needs_refresh(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    expires_at.is_some_and(|at| at - now < FRESH_FOR)
}

/// One of the owner's accounts' access token, refreshed first if it is about to expire.
pub async fn fresh(
    app: &AppState,
    owner_id: &str,
    account_id: &str,
) -> Result<AccessToken, AccessTokenError> {
    let record = owned(app, owner_id, account_id).await?;
    let mut failed_refresh = None;
    let record = if needs_refresh(record.token_expires_at, Utc::now())
        && refresh::platform_refreshes(record.platform)
    {
        match refresh::refresh_account(app, account_id, true).await? {
            Outcome::Terminal(_) => return Err(AccessTokenError::NeedsReconnect),
            Outcome::Transient(error) => failed_refresh = Some(error),
            Outcome::Skipped => wait_for_lease(app, account_id).await?,
            Outcome::Refreshed { .. } | Outcome::NotRefreshable => {}
        }
        owned(app, owner_id, account_id).await?
    } else {
        record
    };
    if record.token_expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(match failed_refresh {
            Some(error) => AccessTokenError::PlatformUnavailable {
                platform: record.platform,
                error,
            },
            None => AccessTokenError::NeedsReconnect,
        });
    }
    let mut conn = app.db.pool().acquire().await?;
    let access_token = accounts::open_secret(&mut conn, &app.secrets, account_id, "access_token")
        .await?
        .ok_or(AccessTokenError::NeedsReconnect)?;
    let api_base_url = ["instance_url", "pds_url", "base_url"]
        .iter()
        .find_map(|key| record.metadata.get(*key).and_then(Value::as_str))
        .map(str::to_owned);
    Ok(AccessToken {
        expires_at: record.token_expires_at,
        account: record,
        access_token,
        api_base_url,
    })
}

/// The owner's account, if it can hand out a token at all.
async fn owned(
    app: &AppState,
    owner_id: &str,
    account_id: &str,
) -> Result<AccountRecord, AccessTokenError> {
    let mut conn = app.db.pool().acquire().await?;
    let record = accounts::find_owned(&mut conn, owner_id, account_id)
        .await?
        .filter(|r| r.is_active)
        .ok_or(AccessTokenError::NotFound)?;
    if record.token_status == StoredTokenStatus::NeedsReconnect {
        return Err(AccessTokenError::NeedsReconnect);
    }
    Ok(record)
}

/// Another process is refreshing the account: wait (at most a lease's length) for it to finish.
async fn wait_for_lease(app: &AppState, account_id: &str) -> Result<(), sqlx::Error> {
    let lease = crate::schedule::lease_for(app.config.provider_timeout)
        .to_std()
        .unwrap_or_default();
    let give_up = tokio::time::Instant::now() + lease;
    while tokio::time::Instant::now() < give_up {
        let held: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM connected_accounts WHERE id = $1 AND refresh_lease_until > $2",
        )
        .bind(account_id)
        .bind(crate::db::to_millis(Utc::now()))
        .fetch_one(app.db.pool())
        .await?;
        if held == 0 {
            break;
        }
        tokio::time::sleep(LEASE_POLL).await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_only_tokens_about_to_expire() {
        let now = Utc::now();
        assert!(!needs_refresh(None, now));
        assert!(!needs_refresh(Some(now + Duration::minutes(30)), now));
        assert!(needs_refresh(Some(now + Duration::minutes(4)), now));
        assert!(needs_refresh(Some(now - Duration::minutes(1)), now));
    }
}
