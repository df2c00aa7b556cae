//! Handing a publishing tool a token it can use now. A token about to expire is refreshed first,
//! through the same lease as the worker's refreshes, so a tool and the worker never both spend a
//! rotating refresh token. What the caller is told is read from the account's row afterwards,
//! whoever did the refresh: "reconnect" only when the account says so, "try again later" when
//! the platform is only slow or down.

use crate::connections::accounts::{self, AccountRecord};
use crate::keep_alive::refresh::{self, Outcome, Skip};
use crate::platforms::catalog;
use crate::AppState;
use chrono::{DateTime, Duration, Utc};
use domain::StoredTokenStatus;
use secrecy::SecretString;

/// A token that expires sooner than this is refreshed before it is handed out.
pub const FRESH_FOR: Duration = Duration::minutes(5);
/// How often to look whether another holder's refresh of the account has finished.
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
    /// The platform's own words are kept out of this: they are not the caller's business, and
    /// a server a person typed could say anything.
    #[error("The token has expired and {platform} did not renew it just now. Try again in {} second(s).", retry_after.num_seconds())]
    PlatformUnavailable {
        platform: domain::Platform,
        retry_after: Duration,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// Whether a token with this expiry should be refreshed before it is handed out at `now`.
pub fn needs_refresh(expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    expires_at.is_some_and(|at| at - now < FRESH_FOR)
}

/// What to tell a caller about an account whose token has expired, from the account's row.
fn expired_answer(record: &AccountRecord, now: DateTime<Utc>) -> AccessTokenError {
    match record.next_refresh_at {
        // Nothing will renew it: only its owner can.
        None => AccessTokenError::NeedsReconnect,
        Some(next) => AccessTokenError::PlatformUnavailable {
            platform: record.platform,
            retry_after: (next - now).clamp(Duration::seconds(1), Duration::hours(1)),
        },
    }
}

/// One of the owner's accounts' access token, refreshed first if it is about to expire.
pub async fn fresh(
    app: &AppState,
    workspace_id: &str,
    account_id: &str,
) -> Result<AccessToken, AccessTokenError> {
    let record = owned(app, workspace_id, account_id).await?;
    if needs_refresh(record.token_expires_at, Utc::now())
        && catalog::platform_refreshes(record.platform)
    {
        if let Outcome::Skipped(Skip::Leased) =
            refresh::refresh_account(app, account_id, true).await?
        {
            wait_for_lease(app, account_id).await?;
        }
    }
    // Whoever refreshed (this call, the worker, another process), the row now says how it went.
    let record = owned(app, workspace_id, account_id).await?;
    let now = Utc::now();
    if record.token_expires_at.is_some_and(|at| at <= now) {
        return Err(expired_answer(&record, now));
    }
    let mut conn = app.db.pool().acquire().await?;
    let access_token = accounts::open_secret(
        &mut conn,
        &app.secrets,
        account_id,
        accounts::Sealed::AccessToken,
    )
    .await?
    .ok_or(AccessTokenError::NeedsReconnect)?;
    let api_base_url = record.known().own_server().map(str::to_owned);
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
    workspace_id: &str,
    account_id: &str,
) -> Result<AccountRecord, AccessTokenError> {
    let mut conn = app.db.pool().acquire().await?;
    let record = accounts::find_owned(&mut conn, workspace_id, account_id)
        .await?
        .ok_or(AccessTokenError::NotFound)?;
    if record.token_status == StoredTokenStatus::NeedsReconnect {
        return Err(AccessTokenError::NeedsReconnect);
    }
    Ok(record)
}

/// Another holder is refreshing the account: wait for it to finish (at most as long as a refresh
/// can take: its calls, and the lease it renews while they run).
async fn wait_for_lease(app: &AppState, account_id: &str) -> Result<(), sqlx::Error> {
    let longest = app.config.provider_timeout * 2 + app.config.refresh_lease;
    let give_up = tokio::time::Instant::now() + longest;
    while tokio::time::Instant::now() < give_up {
        let held: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM connected_accounts WHERE id = $1 AND refresh_lease_until > $2",
        )
        .bind(account_id)
        .bind(crate::storage::db::to_millis(Utc::now()))
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
    use domain::Platform;

    #[test]
    fn refreshes_only_tokens_about_to_expire() {
        let now = Utc::now();
        assert!(!needs_refresh(None, now));
        assert!(!needs_refresh(Some(now + Duration::minutes(30)), now));
        assert!(needs_refresh(Some(now + Duration::minutes(4)), now));
        assert!(needs_refresh(Some(now - Duration::minutes(1)), now));
    }

    fn record(next_refresh_at: Option<DateTime<Utc>>) -> AccountRecord {
        AccountRecord {
            token_expires_at: Some(Utc::now() - Duration::minutes(1)),
            next_refresh_at,
            refresh_failures: 1,
            ..AccountRecord::example(Platform::X)
        }
    }

    #[test]
    fn an_expired_token_that_will_be_retried_means_try_again_later() {
        let now = Utc::now();
        match expired_answer(&record(Some(now + Duration::seconds(90))), now) {
            AccessTokenError::PlatformUnavailable { retry_after, .. } => {
                assert_eq!(retry_after, Duration::seconds(90))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            expired_answer(&record(None), now),
            AccessTokenError::NeedsReconnect
        ));
    }

    #[test]
    fn the_message_never_carries_the_platforms_words() {
        let error = AccessTokenError::PlatformUnavailable {
            platform: Platform::X,
            retry_after: Duration::seconds(30),
        };
        assert_eq!(
            error.to_string(),
            "The token has expired and X did not renew it just now. Try again in 30 second(s)."
        );
    }
}
