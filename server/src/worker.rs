//! The background work of a server process: refreshing tokens that are due, delivering webhooks,
//! and keeping the account gauges current. Every process may run it: leases keep two processes
//! from refreshing the same account or sending the same delivery at once. Each unit of work is
//! isolated (one that panics fails alone, logged and counted), and once the process is asked to
//! stop no new unit starts while the ones in flight finish and store.

use engine::events::webhooks;
use engine::keep_alive::history;
use engine::keep_alive::refresh::{self, Outcome};
use engine::lifecycle::isolated;
use engine::AppState;
use futures::StreamExt;
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

const BATCH: i64 = 500;
const DELIVERY_INTERVAL: Duration = Duration::from_secs(2);
const DELIVERY_CONCURRENCY: usize = 8;
const GAUGE_INTERVAL: Duration = Duration::from_secs(30);
/// How often the accounts' histories are pruned to `PLUGBOARD_CHECK_HISTORY_DAYS`.
const PRUNE_INTERVAL: Duration = Duration::from_secs(3600);
/// The shortest sleep between two refresh passes, however soon the next account is due.
const MIN_REFRESH_SLEEP: Duration = Duration::from_millis(500);

/// What one pass over the due accounts did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassStats {
    pub refreshed: usize,
    pub transient: usize,
    pub terminal: usize,
    pub panicked: usize,
    pub other: usize,
}

impl PassStats {
    fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Refreshed { .. } => self.refreshed += 1,
            Outcome::Transient(_) => self.transient += 1,
            Outcome::Terminal(_) => self.terminal += 1,
            Outcome::Skipped(_) | Outcome::NotRefreshable | Outcome::Superseded => self.other += 1,
        }
    }
}

/// Refreshes every account that is due now, `concurrency` at a time.
pub async fn refresh_pass(app: &AppState, concurrency: usize) -> Result<PassStats, sqlx::Error> {
    refresh_pass_with(app, concurrency, |app, id| async move {
        refresh::refresh_account(&app, &id, false).await
    })
    .await
}

/// [`refresh_pass`] with the unit of work given (tests give one that panics). Each account is
/// taken at most once per pass, and no new one is taken once the process is stopping.
pub async fn refresh_pass_with<F, Fut>(
    app: &AppState,
    concurrency: usize,
    refresh_one: F,
) -> Result<PassStats, sqlx::Error>
where
    F: Fn(AppState, String) -> Fut,
    Fut: Future<Output = Result<Outcome, sqlx::Error>>,
{
    let mut stats = PassStats::default();
    let mut taken = HashSet::new();
    loop {
        let due: Vec<String> = refresh::due_accounts(app, chrono::Utc::now(), BATCH)
            .await?
            .into_iter()
            .filter(|id| !taken.contains(id))
            .collect();
        if due.is_empty() || app.lifecycle.is_stopping() {
            return Ok(stats);
        }
        taken.extend(due.iter().cloned());
        let lifecycle = app.lifecycle.clone();
        let outcomes: Vec<(String, Result<Result<Outcome, sqlx::Error>, _>)> =
            futures::stream::iter(due)
                // Stop handing out accounts once asked to stop; those started run to the end.
                .take_while(|_| std::future::ready(!lifecycle.is_stopping()))
                .map(|id| {
                    let work = refresh_one(app.clone(), id.clone());
                    async move { (id, isolated("refresh", work).await) }
                })
                .buffer_unordered(concurrency.max(1))
                .collect()
                .await;
        let mut first_error = None;
        for (id, outcome) in outcomes {
            match outcome {
                Ok(Ok(outcome)) => stats.count(&outcome),
                Ok(Err(err)) => {
                    tracing::warn!(account_id = %id, error = %err, "refreshing an account failed");
                    first_error.get_or_insert(err);
                }
                Err(_panicked) => {
                    stats.panicked += 1;
                    refresh::record_panic(app, &id).await?;
                }
            }
        }
        if let Some(err) = first_error {
            return Err(err);
        }
    }
}

/// Makes one attempt at every due delivery.
pub async fn delivery_pass(app: &AppState) -> Result<usize, sqlx::Error> {
    let due = webhooks::due_deliveries(&app.db, chrono::Utc::now(), 200).await?;
    let count = due.len();
    let lifecycle = app.lifecycle.clone();
    let results: Vec<_> = futures::stream::iter(due)
        .take_while(|_| std::future::ready(!lifecycle.is_stopping()))
        .map(|id| async move { isolated("webhook_delivery", webhooks::attempt(app, &id)).await })
        .buffer_unordered(DELIVERY_CONCURRENCY)
        .collect()
        .await;
    // A delivery that panicked keeps its lease until it lapses, then is tried again.
    for result in results.into_iter().flatten() {
        result?;
    }
    Ok(count)
}

async fn update_gauges(app: &AppState) -> Result<(), sqlx::Error> {
    let rows = engine::connections::accounts::count_by_status(&app.db).await?;
    for status in domain::StoredTokenStatus::ALL {
        let count = rows
            .iter()
            .find(|(s, _)| s == status.as_str())
            .map_or(0, |(_, n)| *n);
        metrics::gauge!("plugboard_accounts", "status" => status.as_str()).set(count as f64);
    }
    Ok(())
}

/// Runs `work` again and again, waiting what it returns in between, until the process stops.
/// A round that fails or panics is logged and the loop goes on.
fn repeat<F, Fut>(app: &AppState, name: &'static str, work: F)
where
    F: Fn(AppState) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Duration, sqlx::Error>> + Send,
{
    let looping = app.clone();
    app.lifecycle.spawn(name, async move {
        let app = looping;
        loop {
            let wait = match isolated(name, work(app.clone())).await {
                Ok(Ok(wait)) => wait,
                Ok(Err(err)) => {
                    tracing::warn!(worker = name, error = %err, "background work failed; trying again next round");
                    Duration::from_secs(5)
                }
                Err(_panicked) => Duration::from_secs(5),
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = app.lifecycle.stopping() => return,
            }
        }
    });
}

/// How long the refresh worker sleeps: until the next account is due, at most the interval.
async fn until_next_due(app: &AppState) -> Result<Duration, sqlx::Error> {
    let interval = app.config.refresh_interval;
    let next = refresh::next_due_at(app).await?;
    let wait = next
        .map(|at| (at - chrono::Utc::now()).to_std().unwrap_or_default())
        .unwrap_or(interval);
    Ok(wait.clamp(MIN_REFRESH_SLEEP, interval.max(MIN_REFRESH_SLEEP)))
}

/// Starts the workers; they run until [`engine::lifecycle::Lifecycle::stop`], and a shutdown
/// waits for what they have in flight.
pub fn spawn(app: &AppState) {
    let concurrency = app.config.refresh_concurrency;
    repeat(app, "refresh", move |app| async move {
        let stats = refresh_pass(&app, concurrency).await?;
        if stats != PassStats::default() {
            tracing::info!(
                refreshed = stats.refreshed,
                transient = stats.transient,
                terminal = stats.terminal,
                panicked = stats.panicked,
                "refresh pass"
            );
        }
        until_next_due(&app).await
    });
    repeat(app, "webhooks", |app| async move {
        delivery_pass(&app).await?;
        Ok(DELIVERY_INTERVAL)
    });
    repeat(app, "gauges", |app| async move {
        update_gauges(&app).await?;
        Ok(GAUGE_INTERVAL)
    });
    repeat(app, "prune_history", |app| async move {
        let days = app.config.check_history_days;
        let pruned = history::prune(&app.db, days, chrono::Utc::now()).await?;
        if pruned > 0 {
            tracing::info!(pruned, days, "pruned the accounts' check history");
        }
        Ok(PRUNE_INTERVAL)
    });
}
