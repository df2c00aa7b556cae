//! Real `plugboard` processes sharing one database: two of them refreshing the same due accounts
//! (each account refreshed exactly once), and one killed with SIGKILL in the middle of webhook
//! deliveries (a restarted process delivers every event).

mod common;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use common::processes::{spawn_plugboard, wait_until, Killed};
use common::{Backend, TestApp};
use domain::Platform;
use sandbox::Endpoint;
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_refresh_a_thousand_due_accounts_exactly_once() {
    const ACCOUNTS: usize = 1000;
    let (app, platforms) = TestApp::with_platforms(Backend::Postgres).await;
    app.sign_up("ada@example.com").await;
    let owner = app.workspace_id("ada@example.com").await;
    // X rotates refresh tokens: a second refresh with the same one would be refused.
    sandbox::seed::seed_accounts(
        &app.state,
        &platforms.sandbox,
        &owner,
        Platform::X,
        ACCOUNTS,
        chrono::Utc::now() - chrono::Duration::seconds(1),
    )
    .await
    .unwrap();

    let settings = [
        ("PLUGBOARD_REFRESH_INTERVAL_SECS", "1"),
        ("PLUGBOARD_REFRESH_CONCURRENCY", "8"),
    ];
    let _processes = Killed(vec![
        spawn_plugboard(&app, &settings),
        spawn_plugboard(&app, &settings),
    ]);

    let db = app.state.db.clone();
    wait_until(
        "every account to be refreshed",
        Duration::from_secs(120),
        async || {
            let refreshed: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM connected_accounts WHERE last_refreshed_at IS NOT NULL",
            )
            .fetch_one(db.pool())
            .await
            .unwrap();
            refreshed == ACCOUNTS as i64
        },
    )
    .await;
    // Give a late duplicate every chance to show up.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        platforms.sandbox.calls(Platform::X, Endpoint::Refresh),
        ACCOUNTS as u64,
        "one refresh per account"
    );
    let broken: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM connected_accounts WHERE token_status <> 'active'",
    )
    .fetch_one(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(broken, 0, "no account lost its rotated refresh token");
}

/// A receiver that can be told to hang (holding requests open) and counts acknowledged events.
#[derive(Clone, Default)]
struct Receiver {
    hang: Arc<AtomicBool>,
    seen: Arc<Mutex<HashSet<String>>>,
    acknowledged: Arc<Mutex<HashSet<String>>>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap) -> axum::http::StatusCode {
    let id = headers
        .get("plugboard-webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    receiver.seen.lock().unwrap().insert(id.clone());
    if receiver.hang.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    receiver.acknowledged.lock().unwrap().insert(id);
    axum::http::StatusCode::NO_CONTENT
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_process_killed_while_delivering_loses_no_event() {
    const EVENTS: usize = 5;
    let platforms = common::Platforms::start().await;
    let mut settings = platforms.settings();
    settings.push(("PLUGBOARD_ALLOW_PRIVATE_URLS".into(), "true".into()));
    settings.push(("PLUGBOARD_PROVIDER_TIMEOUT_MS".into(), "3000".into()));
    let borrowed: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let app = TestApp::with_settings(Backend::Sqlite, &borrowed).await;
    app.sign_up("ada@example.com").await;
    let owner = app.workspace_id("ada@example.com").await;

    let receiver = Receiver {
        hang: Arc::new(AtomicBool::new(true)),
        ..Receiver::default()
    };
    let router = axum::Router::new()
        .route("/hook", post(receive))
        .with_state(receiver.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let (endpoint, _) =
        engine::events::webhooks::create_endpoint(&app.state, &owner, "tests", &url)
            .await
            .unwrap();
    let mut events = HashSet::new();
    for _ in 0..EVENTS {
        let mut tx = app.state.db.begin_write().await.unwrap();
        let id = engine::events::webhooks::record_event(
            &mut tx,
            &owner,
            domain::WebhookEvent::WebhookTest,
            serde_json::json!({}),
            Some(&endpoint),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        events.insert(id);
    }

    // The first process takes the deliveries and is killed while the receiver holds them open.
    let mut first = spawn_plugboard(&app, &[]);
    let seen = receiver.seen.clone();
    wait_until(
        "the first process to be mid-delivery",
        Duration::from_secs(20),
        async || seen.lock().unwrap().len() == EVENTS,
    )
    .await;
    first.kill().expect("SIGKILL");
    first.wait().unwrap();
    assert!(
        receiver.acknowledged.lock().unwrap().is_empty(),
        "nothing was acknowledged before the kill"
    );

    // A new process picks them up once the dead one's leases lapse.
    receiver.hang.store(false, Ordering::SeqCst);
    let _second = Killed(vec![spawn_plugboard(&app, &[])]);
    let acknowledged = receiver.acknowledged.clone();
    wait_until(
        "every event to be delivered after the restart",
        Duration::from_secs(60),
        async || acknowledged.lock().unwrap().len() == EVENTS,
    )
    .await;
    assert_eq!(*receiver.acknowledged.lock().unwrap(), events);
    let delivered: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'delivered'")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(delivered, EVENTS as i64);
}
