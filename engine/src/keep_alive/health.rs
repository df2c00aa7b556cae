//! Health checks when a person opens the connections page: refresh what is due, otherwise ask
//! the platform's cheapest "who am I". They run in the background (the page renders from the
//! database at once), with bounded concurrency, each call bounded by the provider timeout, and an
//! account checked in the last few minutes is not checked again. Each account's check is isolated:
//! one that panics fails alone, and the page never waits on a check that died.

use crate::connections::accounts::{self, AccountRecord, Snapshot};
use crate::events::changes;
use crate::keep_alive::history;
use crate::keep_alive::refresh::{self, Outcome};
use crate::lifecycle::isolated;
use crate::platforms::adapters::adapter;
use crate::platforms::catalog;
use crate::platforms::client::ProviderClient;
use crate::platforms::failure::{FailureKind, ProviderError};
use crate::storage::db::{flag, to_millis};
use crate::AppState;
use chrono::{Duration, Utc};
use domain::columns::MaybeMillis;
use domain::{CheckKind, CheckOutcome, ExpiryDisplay, StoredTokenStatus};
use secrecy::SecretString;
use serde_json::Value;
use std::time::Instant;

/// Checks for one owner run this many calls at once (the process-wide limit also applies).
const PER_OWNER: usize = 4;

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
pub fn start(app: &AppState, workspace_id: &str) {
    let Some(checking) = app.health.begin(workspace_id) else {
        return;
    };
    let app = app.clone();
    // Tracked: a shutdown lets the check finish and store what it learns.
    app.lifecycle.clone().spawn("health_check", async move {
        let checking = checking;
        if let Err(err) = check_owner(&app, &checking.workspace_id).await {
            tracing::warn!(workspace_id = %checking.workspace_id, error = %err, "health check failed");
        }
    });
}

/// Checks every account of the owner that was not checked recently.
pub async fn check_owner(app: &AppState, workspace_id: &str) -> Result<(), sqlx::Error> {
    use futures::StreamExt;
    let records = accounts::list_owned(&app.db, workspace_id).await?;
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
    changes::announce(app, workspace_id).await;
    Ok(())
}

/// Checks one account, unless it was checked within the TTL (by this or another process).
pub async fn check_account(
    app: &AppState,
    record: &AccountRecord,
) -> Result<HealthOutcome, sqlx::Error> {
    let ttl = Duration::from_std(app.config.health_check_ttl).unwrap_or(Duration::zero());
    if !claim(app, record, ttl, Utc::now()).await? {
        return Ok(HealthOutcome::Recent);
    }
    run(app, record).await
}

/// The shortest time between two checks a person asks for (the "Check now" button), per
/// account: the platforms' rate limits are shared by every tool that posts.
pub const CHECK_NOW_SPACING: Duration = Duration::seconds(60);

/// What a "Check now" came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckNow {
    Checked(HealthOutcome),
    /// Checked less than [`CHECK_NOW_SPACING`] ago; try again after this long.
    TooSoon(std::time::Duration),
    /// Demo data: there is no platform to ask.
    NotCheckable,
}

/// Checks one of the workspace's accounts now, at most once per [`CHECK_NOW_SPACING`] (by
/// anyone, in any process). `None` when the workspace has no such account.
pub async fn check_now(
    app: &AppState,
    workspace_id: &str,
    account_id: &str,
) -> Result<Option<CheckNow>, sqlx::Error> {
    let mut conn = app.db.pool().acquire().await?;
    let record = accounts::find_owned(&mut conn, workspace_id, account_id).await?;
    drop(conn);
    let Some(record) = record else {
        return Ok(None);
    };
    if record.is_demo() {
        return Ok(Some(CheckNow::NotCheckable));
    }
    let now = Utc::now();
    if !claim(app, &record, CHECK_NOW_SPACING, now).await? {
        let last: Option<MaybeMillis> =
            sqlx::query_scalar("SELECT last_checked_at FROM connected_accounts WHERE id = $1")
                .bind(&record.id)
                .fetch_optional(app.db.pool())
                .await?;
        let last = last
            .and_then(Option::<chrono::DateTime<Utc>>::from)
            .unwrap_or(now);
        let wait = (last + CHECK_NOW_SPACING - now).max(Duration::seconds(1));
        return Ok(Some(CheckNow::TooSoon(
            wait.to_std().unwrap_or(std::time::Duration::from_secs(1)),
        )));
    }
    let outcome = run(app, &record).await?;
    changes::announce(app, workspace_id).await;
    Ok(Some(CheckNow::Checked(outcome)))
}

/// Marks the account as checked now, unless it was checked within `spacing` (by this or another
/// process): whether this caller may check it.
async fn claim(
    app: &AppState,
    record: &AccountRecord,
    spacing: Duration,
    now: chrono::DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let claimed = sqlx::query(
        "UPDATE connected_accounts SET last_checked_at = $1
         WHERE id = $2 AND (last_checked_at IS NULL OR last_checked_at <= $3)",
    )
    .bind(to_millis(now))
    .bind(&record.id)
    .bind(to_millis(now - spacing))
    .execute(app.db.pool())
    .await?;
    Ok(claimed.rows_affected() == 1)
}

/// Refreshes the account if it is due, or else asks the platform whether its token still works.
async fn run(app: &AppState, record: &AccountRecord) -> Result<HealthOutcome, sqlx::Error> {
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
    let (at, started) = (Utc::now(), Instant::now());
    let answer = who_am_i(app, &record, &token).await;
    let latency = started.elapsed();
    let check = |outcome, error| history::Check {
        at,
        kind: CheckKind::HealthCheck,
        outcome,
        error,
        latency,
    };
    match answer {
        Ok(body) => {
            history::record(&app.db, &record.id, check(CheckOutcome::Ok, None)).await;
            apply_profile(app, &record, &body, &token).await?;
            mark_expired_if_lapsed(app, &record).await?;
            Ok(HealthOutcome::Healthy)
        }
        Err(error) if error.kind == FailureKind::Terminal => {
            if catalog::platform_refreshes(record.platform) {
                match refresh::refresh_account(app, &record.id, true).await? {
                    Outcome::NotRefreshable => {}
                    // Refused, then a refresh decided: its own entry says how that went.
                    other => {
                        let refused = check(CheckOutcome::Unconfirmed, Some(&error));
                        history::record(&app.db, &record.id, refused).await;
                        return Ok(HealthOutcome::Refresh(other));
                    }
                }
            }
            let gone = check(CheckOutcome::Terminal, Some(&error));
            history::record(&app.db, &record.id, gone).await;
            refresh::mark_needs_reconnect(app, &record, &error).await?;
            Ok(HealthOutcome::NeedsReconnect)
        }
        Err(error) => {
            tracing::info!(account_id = %record.id, platform = record.platform.slug(), error = %error, "health check could not confirm the token");
            let (outcome, shown) = if error.kind.is_transient() {
                (HealthOutcome::Unreachable, CheckOutcome::Transient)
            } else {
                (HealthOutcome::Unconfirmed, CheckOutcome::Unconfirmed)
            };
            history::record(&app.db, &record.id, check(shown, Some(&error))).await;
            Ok(outcome)
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
    let (body, identity) = adapter(record.platform)
        .who_am_i(app, record.known(), token)
        .await?;
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

/// Keeps what the profile says up to date (a subscription the profile states, X Premium), and
/// whatever the platform's adapter keeps after a check (TikTok's creator names).
async fn apply_profile(
    app: &AppState,
    record: &AccountRecord,
    body: &Value,
    token: &SecretString,
) -> Result<(), sqlx::Error> {
    let settings = app.config.providers.get(record.platform);
    let states_subscription = settings
        .spec()
        .profile
        .as_ref()
        .is_some_and(|profile| profile.premium.is_some());
    if states_subscription {
        let client = ProviderClient::new(settings, app.http.clone(), String::new());
        if let Some(profile) = client.profile_of(body) {
            if profile.is_premium != record.is_x_premium {
                sqlx::query("UPDATE connected_accounts SET is_x_premium = $1 WHERE id = $2")
                    .bind(flag(profile.is_premium))
                    .bind(&record.id)
                    .execute(app.db.pool())
                    .await?;
            }
        }
    }
    if let Some(metadata) = adapter(record.platform)
        .after_check(app, record.known(), token)
        .await
    {
        sqlx::query("UPDATE connected_accounts SET metadata = $1 WHERE id = $2")
            .bind(metadata.to_string())
            .bind(&record.id)
            .execute(app.db.pool())
            .await?;
    }
    Ok(())
}

/// A token that cannot be refreshed and whose expiry passed is stored as expired.
async fn mark_expired_if_lapsed(app: &AppState, record: &AccountRecord) -> Result<(), sqlx::Error> {
    let lapsed = record.token_expires_at.is_some_and(|at| at <= Utc::now())
        && catalog::spec(record.platform).expiry_display() == ExpiryDisplay::Shown
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
    workspace_id: &str,
) -> Result<domain::LiveStatuses, sqlx::Error> {
    let now = Utc::now();
    let records = accounts::list_owned(&app.db, workspace_id).await?;
    Ok(domain::LiveStatuses {
        checking: app.health.is_checking(workspace_id),
        statuses: records
            .iter()
            .map(|r| (r.id.clone(), r.view(now).status))
            .collect(),
    })
}
