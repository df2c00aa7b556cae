//! Each account's history of refreshes and health checks: one row for every call that reached
//! (or tried to reach) the platform, kept for `PLUGBOARD_CHECK_HISTORY_DAYS`.

use crate::connections::accounts;
use crate::platforms::catalog::spec;
use crate::platforms::failure::ProviderError;
use crate::storage::db::{new_id, to_millis, Db};
use crate::AppState;
use chrono::{DateTime, Utc};
use domain::columns::MaybeMillis;
use domain::{AccountStory, CheckEntry, CheckKind, CheckOutcome, ScopeReport};
use std::time::Duration;

/// The most entries an account's page lists.
pub const SHOWN: i64 = 200;
/// The longest platform error code kept (platforms send short identifiers; anything longer is
/// not one).
const CODE_CHARS: usize = 100;

/// What one call found, as the history keeps it.
pub struct Check<'a> {
    /// When the call started.
    pub at: DateTime<Utc>,
    pub kind: CheckKind,
    pub outcome: CheckOutcome,
    pub error: Option<&'a ProviderError>,
    pub latency: Duration,
}

/// Adds `check` to the account's history. A failure to write is logged, never raised: the call
/// it describes has already been stored.
pub async fn record(db: &Db, account_id: &str, check: Check<'_>) {
    let code = check
        .error
        .and_then(|error| error.code.as_deref())
        .map(|code| code.chars().take(CODE_CHARS).collect::<String>());
    let written = sqlx::query(
        "INSERT INTO account_checks
             (id, account_id, at, kind, outcome, failure_class, platform_code, http_status, latency_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(new_id())
    .bind(account_id)
    .bind(to_millis(check.at))
    .bind(check.kind.as_str())
    .bind(check.outcome.as_str())
    .bind(check.error.map(|error| error.kind.as_str()))
    .bind(code)
    .bind(check.error.and_then(|error| error.status).map(i32::from))
    .bind(i64::try_from(check.latency.as_millis()).unwrap_or(i64::MAX))
    .execute(db.pool())
    .await;
    if let Err(err) = written {
        tracing::warn!(account_id, error = %err, "could not record a check in the account's history");
    }
}

/// The account's history, newest first.
pub async fn for_account(db: &Db, account_id: &str) -> Result<Vec<CheckEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, kind, outcome, failure_class, platform_code, http_status, latency_ms
         FROM account_checks WHERE account_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(account_id)
    .bind(SHOWN)
    .fetch_all(db.pool())
    .await
}

/// Forgets entries older than `kept_days` before `now`; returns how many went.
pub async fn prune(db: &Db, kept_days: u32, now: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let cutoff = now - chrono::Duration::days(i64::from(kept_days));
    Ok(sqlx::query("DELETE FROM account_checks WHERE at < $1")
        .bind(to_millis(cutoff))
        .execute(db.pool())
        .await?
        .rows_affected())
}

/// One of the workspace's accounts, told for its detail page: who connected it and when, the
/// scopes granted beside those asked for, the token's lifetime and the history of calls. `None`
/// when the workspace has no such account. `may_disconnect` decides, from who connected it,
/// whether the viewer may disconnect it.
pub async fn story(
    app: &AppState,
    workspace_id: &str,
    account_id: &str,
    may_disconnect: impl Fn(Option<&str>) -> bool,
) -> Result<Option<AccountStory>, sqlx::Error> {
    let Some((record, connected_by)) =
        accounts::find_with_connector(&app.db, workspace_id, account_id).await?
    else {
        return Ok(None);
    };
    let (granted, last_checked): (Option<String>, MaybeMillis) = sqlx::query_as(
        "SELECT granted_scopes, last_checked_at FROM connected_accounts WHERE id = $1",
    )
    .bind(&record.id)
    .fetch_one(app.db.pool())
    .await?;
    let checks = for_account(&app.db, &record.id).await?;
    let account = domain::ConnectedAccount {
        connected_by,
        may_disconnect: may_disconnect(record.connected_by.as_deref()),
        ..record.view(Utc::now())
    };
    Ok(Some(AccountStory {
        account,
        scopes: ScopeReport::compare(&spec(record.platform).scopes, granted.as_deref()),
        token_expires_at: record.token_expires_at,
        next_refresh_at: record.next_refresh_at,
        last_checked_at: last_checked.into(),
        checks,
        kept_days: app.config.check_history_days,
        may_check: false,
    }))
}
