//! The background work of a server process: refreshing tokens that are due, delivering webhooks,
//! and keeping the account gauges current. Every process may run it: leases keep two processes
//! from refreshing the same account or sending the same delivery at once.

use engine::refresh::{self, Outcome};
use engine::webhooks;
use engine::AppState;
use futures::StreamExt;
use std::time::Duration;
use tokio::task::JoinHandle;

const BATCH: i64 = 500;
const DELIVERY_INTERVAL: Duration = Duration::from_secs(2);
const DELIVERY_CONCURRENCY: usize = 8;
const GAUGE_INTERVAL: Duration = Duration::from_secs(30);

/// What one pass over the due accounts did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassStats {
    pub refreshed: usize,
    pub transient: usize,
    pub terminal: usize,
    pub other: usize,
}

/// Refreshes every account that is due now, `concurrency` at a time.
pub async fn refresh_pass(app: &AppState, concurrency: usize) -> Result<PassStats, sqlx::Error> {
    let mut stats = PassStats::default();
    loop {
        let due = refresh::due_accounts(app, chrono::Utc::now(), BATCH).await?;
        if due.is_empty() {
            return Ok(stats);
        }
        let outcomes: Vec<Result<Outcome, sqlx::Error>> = futures::stream::iter(due)
            .map(|id| async move { refresh::refresh_account(app, &id, false).await })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        let mut progressed = false;
        for outcome in outcomes {
            match outcome? {
                Outcome::Refreshed { .. } => stats.refreshed += 1,
                Outcome::Transient(_) => stats.transient += 1,
                Outcome::Terminal(_) => stats.terminal += 1,
                Outcome::Skipped => {
                    stats.other += 1;
                    continue;
                }
                Outcome::NotRefreshable => stats.other += 1,
            }
            progressed = true;
        }
        // Everything left is another process's right now: it will finish them.
        if !progressed {
            return Ok(stats);
        }
    }
}

/// Makes one attempt at every due delivery.
pub async fn delivery_pass(app: &AppState) -> Result<usize, sqlx::Error> {
    let due = webhooks::due_deliveries(&app.db, chrono::Utc::now(), 200).await?;
    let count = due.len();
    let results: Vec<_> = futures::stream::iter(due)
        .map(|id| async move { webhooks::attempt(app, &id).await })
        .buffer_unordered(DELIVERY_CONCURRENCY)
        .collect()
        .await;
    for result in results {
        result?;
    }
    Ok(count)
}

async fn update_gauges(app: &AppState) -> Result<(), sqlx::Error> {
    let rows = engine::accounts::count_by_status(&app.db).await?;
    for status in ["active", "expired", "needs_reconnect"] {
        let count = rows
            .iter()
            .find(|(s, _)| s == status)
            .map_or(0, |(_, n)| *n);
        metrics::gauge!("plugboard_accounts", "status" => status).set(count as f64);
    }
    Ok(())
}

fn every<F, Fut>(period: Duration, name: &'static str, app: AppState, work: F) -> JoinHandle<()>
where
    F: Fn(AppState) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<(), sqlx::Error>> + Send,
{
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(err) = work(app.clone()).await {
                tracing::warn!(worker = name, error = %err, "background work failed; trying again next round");
            }
        }
    })
}

/// Starts the workers; they run until the returned handles are aborted.
pub fn spawn(app: &AppState) -> Vec<JoinHandle<()>> {
    let concurrency = app.config.refresh_concurrency;
    vec![
        every(
            app.config.refresh_interval,
            "refresh",
            app.clone(),
            move |app| async move {
                let stats = refresh_pass(&app, concurrency).await?;
                if stats != PassStats::default() {
                    tracing::info!(
                        refreshed = stats.refreshed,
                        transient = stats.transient,
                        terminal = stats.terminal,
                        "refresh pass"
                    );
                }
                Ok(())
            },
        ),
        every(
            DELIVERY_INTERVAL,
            "webhooks",
            app.clone(),
            |app| async move { delivery_pass(&app).await.map(|_| ()) },
        ),
        every(GAUGE_INTERVAL, "gauges", app.clone(), |app| async move {
            update_gauges(&app).await
        }),
    ]
}
