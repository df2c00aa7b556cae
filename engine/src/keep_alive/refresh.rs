//! Refreshing one account's token, safely. One refresh per account at a time across every
//! process: a lease on the row, renewed while the call runs, so it only lapses when its holder
//! is gone. What decides whether new tokens are stored is the row's own state, not the lease:
//! they land if the row still holds the tokens they were refreshed from (`token_version`), so a
//! rotated refresh token is never thrown away because a timer ran out. Failures are sorted into
//! terminal (the person must reconnect: the account says so, once, and an event goes out) and
//! transient (retried later with backoff, never sooner than the platform asked, status untouched).

use crate::connections::accounts::{self, AccountRecord, Sealed, Snapshot};
use crate::events::webhooks;
use crate::keep_alive::history;
use crate::platforms::adapters::adapter;
use crate::platforms::catalog::{self, RefreshStyle};
use crate::platforms::client::TokenSet;
use crate::platforms::failure::{FailureKind, ProviderError};
use crate::schedule::{after, refresh_retry_delay, MIN_SPACING};
use crate::storage::db::{flag, to_millis};
use crate::AppState;
use chrono::{DateTime, Utc};
use domain::columns::MaybeMillis;
use domain::StoredTokenStatus;
use domain::WebhookEvent;
use domain::{AuditAction, CheckKind, CheckOutcome};
use secrecy::SecretString;
use serde_json::json;
use std::sync::OnceLock;

/// Why a refresh did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// Another holder (this process or another) is refreshing it right now.
    Leased,
    /// Not due yet (or refreshed moments ago).
    NotDue,
    /// Waiting out a transient failure's backoff (or the platform's `Retry-After`).
    BackingOff,
    /// Disconnected, or waiting for its owner to reconnect it.
    Gone,
}

impl Skip {
    pub fn slug(self) -> &'static str {
        match self {
            Skip::Leased => "leased",
            Skip::NotDue => "not_due",
            Skip::BackingOff => "backing_off",
            Skip::Gone => "gone",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Refreshed {
        expires_at: Option<DateTime<Utc>>,
    },
    Skipped(Skip),
    /// The platform cannot refresh (or this account has no refresh token).
    NotRefreshable,
    /// Retried later; the status is untouched.
    Transient(ProviderError),
    /// The person must reconnect; the account now says so.
    Terminal(ProviderError),
    /// While this refresh ran, newer tokens were stored (a reconnect): those stay.
    Superseded,
}

impl Outcome {
    pub fn slug(&self) -> &'static str {
        match self {
            Outcome::Refreshed { .. } => "refreshed",
            Outcome::Skipped(_) => "skipped",
            Outcome::NotRefreshable => "not_refreshable",
            Outcome::Transient(_) => "transient",
            Outcome::Terminal(_) => "terminal",
            Outcome::Superseded => "superseded",
        }
    }
}

/// This process's name on the leases it takes.
pub fn process_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| format!("{}-{}", std::process::id(), crate::storage::db::new_id()))
}

/// The SET clause that gives the refresh lease up when `$owner` (a placeholder bound to
/// [`process_id`]) still holds it, and leaves another process's lease alone: storing an outcome
/// and releasing the lease are one statement.
macro_rules! give_up_lease_if_held_by {
    ($owner:literal) => {
        concat!(
            "refresh_lease_until = CASE WHEN refresh_lease_owner = ",
            $owner,
            " THEN NULL ELSE refresh_lease_until END, refresh_lease_owner = CASE WHEN refresh_lease_owner = ",
            $owner,
            " THEN NULL ELSE refresh_lease_owner END"
        )
    };
}

/// Refreshes one account if this process can take it and it is due. `force` refreshes before
/// it is due (a tool needs a token now), but never during a failure's backoff and never twice
/// within [`MIN_SPACING`].
pub async fn refresh_account(
    app: &AppState,
    account_id: &str,
    force: bool,
) -> Result<Outcome, sqlx::Error> {
    let now = Utc::now();
    let leased = sqlx::query(
        "UPDATE connected_accounts SET refresh_lease_until = $1, refresh_lease_owner = $2
         WHERE id = $3 AND token_status <> $7
           AND (refresh_lease_until IS NULL OR refresh_lease_until <= $4)
           AND ((next_refresh_at IS NOT NULL AND next_refresh_at <= $4)
                OR ($5 = 1 AND refresh_failures = 0
                    AND (last_refreshed_at IS NULL OR last_refreshed_at <= $6)))",
    )
    .bind(to_millis(lease_until(app, now)))
    .bind(process_id())
    .bind(account_id)
    .bind(to_millis(now))
    .bind(flag(force))
    .bind(to_millis(now - MIN_SPACING))
    .bind(StoredTokenStatus::NeedsReconnect.as_str())
    .execute(app.db.pool())
    .await?;
    if leased.rows_affected() != 1 {
        return Ok(Outcome::Skipped(why_skipped(app, account_id, now).await?));
    }
    let lease = LeaseKeeper::start(app, account_id);
    // Read after taking the lease: the tokens may have changed since the account was picked.
    let mut conn = app.db.pool().acquire().await?;
    let snapshot = accounts::snapshot(&mut conn, &app.secrets, account_id).await?;
    drop(conn);
    let Some(snapshot) = snapshot else {
        return Ok(Outcome::Skipped(Skip::Gone));
    };
    let record = &snapshot.record;
    let started = std::time::Instant::now();
    let result = match &snapshot.access {
        Some(access) => {
            call_platform(
                app,
                record,
                access,
                snapshot.refresh.as_ref(),
                snapshot.extra.as_ref(),
            )
            .await
        }
        None => None,
    };
    let latency = started.elapsed();
    let outcome = match result {
        None => {
            release(app, account_id, None).await?;
            Outcome::NotRefreshable
        }
        Some(Ok(tokens)) => store_refreshed(app, &snapshot, tokens).await?,
        Some(Err(error)) if error.kind == FailureKind::Terminal || gave_up(record, &error) => {
            mark_needs_reconnect(app, record, &error).await?;
            Outcome::Terminal(error)
        }
        Some(Err(error)) => {
            let retry_at = after(
                Utc::now(),
                refresh_retry_delay(record.refresh_failures + 1, error.retry_after),
            );
            let recorded = sqlx::query(concat!(
                "UPDATE connected_accounts SET refresh_failures = refresh_failures + 1,
                     next_refresh_at = $1, last_refresh_error = $2, ",
                give_up_lease_if_held_by!("$5"),
                " WHERE id = $3 AND token_version = $4"
            ))
            .bind(to_millis(retry_at))
            .bind(error.to_string())
            .bind(account_id)
            .bind(record.token_version)
            .bind(process_id())
            .execute(app.db.pool())
            .await?;
            if recorded.rows_affected() == 1 {
                Outcome::Transient(error)
            } else {
                Outcome::Superseded
            }
        }
    };
    let check = match &outcome {
        Outcome::Refreshed { .. } => Some((CheckOutcome::Ok, None)),
        Outcome::Transient(error) => Some((CheckOutcome::Transient, Some(error))),
        Outcome::Terminal(error) => Some((CheckOutcome::Terminal, Some(error))),
        _ => None,
    };
    if let Some((result, error)) = check {
        let check = history::Check {
            at: now,
            kind: CheckKind::Refresh,
            outcome: result,
            error,
            latency,
        };
        history::record(&app.db, account_id, check).await;
        crate::events::changes::announce(app, &record.workspace_id).await;
    }
    match outcome {
        // Storing the tokens, or the failure, gave the lease up in the same statement.
        Outcome::Refreshed { .. } | Outcome::Transient(_) => lease.stop(),
        _ => lease.release().await?,
    }
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
    metrics::counter!("plugboard_refreshes_total", "platform" => record.platform.slug(), "outcome" => outcome.slug())
        .increment(1);
    Ok(outcome)
}

fn lease_until(app: &AppState, now: DateTime<Utc>) -> DateTime<Utc> {
    after(
        now,
        chrono::Duration::from_std(app.config.refresh_lease).unwrap_or(MIN_SPACING),
    )
}

/// What decides whether an account can be leased for a refresh.
#[derive(sqlx::FromRow)]
struct LeaseState {
    #[sqlx(try_from = "String")]
    token_status: StoredTokenStatus,
    #[sqlx(try_from = "MaybeMillis")]
    refresh_lease_until: Option<DateTime<Utc>>,
    refresh_failures: i64,
    #[sqlx(try_from = "MaybeMillis")]
    next_refresh_at: Option<DateTime<Utc>>,
}

impl LeaseState {
    fn skip(&self, now: DateTime<Utc>) -> Skip {
        if self.token_status == StoredTokenStatus::NeedsReconnect {
            Skip::Gone
        } else if self.refresh_lease_until.is_some_and(|until| until > now) {
            Skip::Leased
        } else if self.refresh_failures > 0 && self.next_refresh_at.is_some_and(|at| at > now) {
            Skip::BackingOff
        } else {
            Skip::NotDue
        }
    }
}

/// Why an account could not be leased for a refresh, read from its row.
async fn why_skipped(
    app: &AppState,
    account_id: &str,
    now: DateTime<Utc>,
) -> Result<Skip, sqlx::Error> {
    let state: Option<LeaseState> = sqlx::query_as(
        "SELECT token_status, refresh_lease_until, refresh_failures, next_refresh_at
         FROM connected_accounts WHERE id = $1",
    )
    .bind(account_id)
    .fetch_optional(app.db.pool())
    .await?;
    Ok(state.map_or(Skip::Gone, |state| state.skip(now)))
}

/// Holds an account's refresh lease for as long as its refresh runs, renewing it in the
/// background; dropped (or released), it stops. A holder that dies stops renewing, and the
/// lease lapses after `PLUGBOARD_REFRESH_LEASE_SECS`.
struct LeaseKeeper {
    app: AppState,
    account_id: String,
    renewing: tokio::task::JoinHandle<()>,
}

impl LeaseKeeper {
    fn start(app: &AppState, account_id: &str) -> LeaseKeeper {
        let every = (app.config.refresh_lease / 3).max(std::time::Duration::from_millis(100));
        let renewing = tokio::spawn({
            let app = app.clone();
            let account_id = account_id.to_owned();
            async move {
                loop {
                    tokio::time::sleep(every).await;
                    let renewed = sqlx::query(
                        "UPDATE connected_accounts SET refresh_lease_until = $1
                         WHERE id = $2 AND refresh_lease_owner = $3",
                    )
                    .bind(to_millis(lease_until(&app, Utc::now())))
                    .bind(&account_id)
                    .bind(process_id())
                    .execute(app.db.pool())
                    .await;
                    if matches!(renewed, Ok(done) if done.rows_affected() == 0) {
                        return;
                    }
                }
            }
        });
        LeaseKeeper {
            app: app.clone(),
            account_id: account_id.to_owned(),
            renewing,
        }
    }

    /// Stops renewing: the statement that stored the outcome gave the lease up.
    fn stop(self) {
        self.renewing.abort();
    }

    /// Stops renewing and gives the lease up, if this process still holds it.
    async fn release(self) -> Result<(), sqlx::Error> {
        self.renewing.abort();
        sqlx::query(
            "UPDATE connected_accounts SET refresh_lease_until = NULL, refresh_lease_owner = NULL
             WHERE id = $1 AND refresh_lease_owner = $2",
        )
        .bind(&self.account_id)
        .bind(process_id())
        .execute(self.app.db.pool())
        .await?;
        Ok(())
    }
}

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        self.renewing.abort();
    }
}

/// Answers that name no known cause (an unknown 4xx, nonsense, a refused client) are retried like
/// outages; only after `GIVE_UP_AFTER` of them in a row, with the access token already expired,
/// is the person asked to reconnect. Outages, rate limits and timeouts never get here.
const GIVE_UP_AFTER: u32 = 5;

fn gave_up(record: &AccountRecord, error: &ProviderError) -> bool {
    !error.kind.is_transient()
        && record.refresh_failures + 1 >= GIVE_UP_AFTER
        && record.token_expires_at.is_some_and(|at| at <= Utc::now())
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
        RefreshStyle::Session => Some(
            adapter(record.platform)
                .renew_session(app, record.known(), refresh?, extra)
                .await,
        ),
        _ => {
            let client = app.provider_client(record.platform);
            client.refresh(access, refresh).await
        }
    }
}

/// Stores a refresh's tokens if the row still holds the tokens they were refreshed from. The
/// lease plays no part: a refresh that outlived it still stores what the platform issued.
async fn store_refreshed(
    app: &AppState,
    snapshot: &Snapshot,
    tokens: TokenSet,
) -> Result<Outcome, sqlx::Error> {
    let record = &snapshot.record;
    let now = Utc::now();
    let expires_at = tokens.expires_in.map(|life| after(now, life));
    let has_refresh = tokens.refresh_token.is_some() || snapshot.refresh.is_some();
    let next = catalog::next_refresh_for(record.platform, has_refresh, now, expires_at);
    let seal = |secret: &SecretString, which: Sealed| {
        accounts::seal_secret(&app.secrets, &record.id, secret, which)
    };
    let access = seal(&tokens.access_token, Sealed::AccessToken);
    let new_refresh = tokens
        .refresh_token
        .as_ref()
        .map(|r| seal(r, Sealed::RefreshToken));
    let refresh_expires_at = tokens
        .refresh_expires_in
        .map(|life| to_millis(after(now, life)));
    // The platform may already have spent the old refresh token: this write is retried through
    // a database hiccup rather than lost.
    let stored = crate::storage::db::execute_persistently(app.db.pool(), || {
        sqlx::query(concat!(
            "UPDATE connected_accounts SET
                 access_token_enc = $1,
                 refresh_token_enc = COALESCE($2, refresh_token_enc),
                 refresh_token_expires_at = CASE WHEN $3 = 1 THEN $4 ELSE refresh_token_expires_at END,
                 token_expires_at = $5, token_status = $11, next_refresh_at = $6,
                 refresh_failures = 0, last_refresh_error = NULL, last_refreshed_at = $7, updated_at = $7,
                 token_version = token_version + 1, ",
            give_up_lease_if_held_by!("$10"),
            " WHERE id = $8 AND token_version = $9"
        ))
        .bind(access.clone())
        .bind(new_refresh.clone())
        .bind(flag(new_refresh.is_some()))
        .bind(refresh_expires_at)
        .bind(expires_at.map(to_millis))
        .bind(next.map(to_millis))
        .bind(to_millis(now))
        .bind(record.id.clone())
        .bind(record.token_version)
        .bind(process_id())
        .bind(StoredTokenStatus::Active.as_str())
    })
    .await?;
    if stored.rows_affected() != 1 {
        tracing::warn!(account_id = %record.id, "newer tokens were stored while this refresh ran (a reconnect); those stay");
        return Ok(Outcome::Superseded);
    }
    Ok(Outcome::Refreshed { expires_at })
}

async fn release(
    app: &AppState,
    account_id: &str,
    next: Option<DateTime<Utc>>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE connected_accounts SET next_refresh_at = $1
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
/// `account.refresh_failed` event in the same transaction. Only if the row still holds the tokens
/// that failed (`record.token_version`): a failure of tokens that were replaced meanwhile says
/// nothing about the new ones.
pub async fn mark_needs_reconnect(
    app: &AppState,
    record: &AccountRecord,
    error: &ProviderError,
) -> Result<bool, sqlx::Error> {
    let mut tx = app.db.begin_write().await?;
    let changed = sqlx::query(
        "UPDATE connected_accounts SET token_status = $1, last_refresh_error = $2, next_refresh_at = NULL,
             updated_at = $3
         WHERE id = $4 AND token_status <> $1 AND token_version = $5",
    )
    .bind(StoredTokenStatus::NeedsReconnect.as_str())
    .bind(error.to_string())
    .bind(to_millis(Utc::now()))
    .bind(&record.id)
    .bind(record.token_version)
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
                "class": error.kind.as_str(),
                "code": error.code,
                "message": error.message.clone().unwrap_or_else(|| error.to_string()),
            },
            "occurred_at": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        });
        webhooks::record_event(
            &mut tx,
            &record.workspace_id,
            WebhookEvent::AccountRefreshFailed,
            data,
            None,
        )
        .await?;
        let subject = crate::events::audit::Subject {
            account_id: Some(&record.id),
            platform: Some(record.platform),
            detail: Some(&record.username),
        };
        crate::events::audit::record(
            &mut tx,
            &record.workspace_id,
            crate::events::audit::SYSTEM,
            AuditAction::AccountRefreshFailed,
            subject,
        )
        .await?;
        tracing::warn!(account_id = %record.id, platform = record.platform.slug(), error = %error, "account needs a reconnect");
    }
    tx.commit().await?;
    Ok(changed)
}

/// Records a refresh that panicked as a transient failure of that account (with backoff), so it
/// is retried later instead of at once, and gives up its lease.
pub async fn record_panic(app: &AppState, account_id: &str) -> Result<(), sqlx::Error> {
    let failures: Option<i64> =
        sqlx::query_scalar("SELECT refresh_failures FROM connected_accounts WHERE id = $1")
            .bind(account_id)
            .fetch_optional(app.db.pool())
            .await?;
    let failures = u32::try_from(failures.unwrap_or(0)).unwrap_or(u32::MAX);
    sqlx::query(
        "UPDATE connected_accounts SET refresh_failures = refresh_failures + 1, next_refresh_at = $1,
             last_refresh_error = 'internal error (see the server log)',
             refresh_lease_until = NULL, refresh_lease_owner = NULL
         WHERE id = $2 AND (refresh_lease_owner IS NULL OR refresh_lease_owner = $3)",
    )
    .bind(to_millis(after(
        Utc::now(),
        refresh_retry_delay(failures.saturating_add(1), None),
    )))
    .bind(account_id)
    .bind(process_id())
    .execute(app.db.pool())
    .await?;
    Ok(())
}

/// Accounts whose refresh is due, oldest first (the worker's list; each is still leased one by one).
pub async fn due_accounts(
    app: &AppState,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM connected_accounts
         WHERE token_status <> $3 AND next_refresh_at IS NOT NULL
           AND next_refresh_at <= $1 AND (refresh_lease_until IS NULL OR refresh_lease_until <= $1)
         ORDER BY next_refresh_at, id LIMIT $2",
    )
    .bind(to_millis(now))
    .bind(limit)
    .bind(StoredTokenStatus::NeedsReconnect.as_str())
    .fetch_all(app.db.pool())
    .await
}

/// When the next account becomes due for a refresh (the worker sleeps until then).
pub async fn next_due_at(app: &AppState) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let at: Option<i64> = sqlx::query_scalar(
        "SELECT MIN(next_refresh_at) FROM connected_accounts
         WHERE token_status <> $1 AND next_refresh_at IS NOT NULL",
    )
    .bind(StoredTokenStatus::NeedsReconnect.as_str())
    .fetch_one(app.db.pool())
    .await?;
    Ok(at.map(crate::storage::db::from_millis))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use domain::Platform;

    #[test]
    fn a_lease_is_refused_for_the_first_reason_that_holds() {
        let now = Utc::now();
        let state = |status, lease: Option<i64>, failures, next: Option<i64>| LeaseState {
            token_status: status,
            refresh_lease_until: lease.map(|s| now + Duration::seconds(s)),
            refresh_failures: failures,
            next_refresh_at: next.map(|s| now + Duration::seconds(s)),
        };
        let reconnect = StoredTokenStatus::NeedsReconnect;
        let ok = StoredTokenStatus::Active;
        assert_eq!(
            state(reconnect, Some(60), 1, Some(60)).skip(now),
            Skip::Gone
        );
        assert_eq!(state(ok, Some(60), 1, Some(60)).skip(now), Skip::Leased);
        assert_eq!(state(ok, Some(-1), 1, Some(60)).skip(now), Skip::BackingOff);
        assert_eq!(state(ok, None, 0, Some(60)).skip(now), Skip::NotDue);
        assert_eq!(state(ok, None, 2, Some(-1)).skip(now), Skip::NotDue);
    }

    fn record(expired: bool, refresh_failures: u32) -> AccountRecord {
        let hour = Duration::hours(1);
        AccountRecord {
            token_expires_at: Some(Utc::now() + if expired { -hour } else { hour }),
            refresh_failures,
            ..AccountRecord::example(Platform::X)
        }
    }

    #[test]
    fn unexplained_failures_give_up_only_when_repeated_and_the_token_is_gone() {
        let rejected = ProviderError::new(FailureKind::Rejected);
        assert!(!gave_up(&record(true, 0), &rejected));
        assert!(
            !gave_up(&record(false, 10), &rejected),
            "the token still works"
        );
        assert!(gave_up(&record(true, GIVE_UP_AFTER - 1), &rejected));
        let outage = ProviderError::new(FailureKind::Unavailable);
        assert!(!gave_up(&record(true, 100), &outage), "outages never do");
    }
}
