//! The open page's stream of changes: an event when the workspace's accounts change, in this
//! process (SQLite) or in another one sharing the database (PostgreSQL's NOTIFY), and none for
//! another workspace's changes.

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::processes::{spawn_plugboard, Killed};
use common::{assert_connected, Backend, Consent, TestApp};
use domain::Platform;
use http_body_util::BodyExt;
use std::time::Duration;
use tower::ServiceExt;

/// The workspace's open stream of changes.
async fn open_stream(app: &TestApp, cookie: &str) -> Body {
    let response = app
        .router
        .clone()
        .oneshot(
            Request::get("/api/v1/live-events")
                .header(header::HOST, "localhost:3000")
                .header(header::COOKIE, cookie)
                .header(header::ACCEPT, "text/event-stream")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    response.into_body()
}

/// Whether an `accounts` event arrives within `limit` (keep-alive comments do not count).
async fn hears_a_change(stream: &mut Body, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let Ok(frame) = tokio::time::timeout_at(deadline, stream.frame()).await else {
            return false;
        };
        let data = frame
            .expect("the stream stays open")
            .unwrap()
            .into_data()
            .unwrap();
        if String::from_utf8_lossy(&data).contains("data: accounts") {
            return true;
        }
    }
}

async fn connect_reddit(app: &TestApp, cookie: &str) -> String {
    let connected = app
        .connect(
            cookie,
            &app.connect_start(Platform::Reddit),
            Consent::default(),
        )
        .await;
    assert_connected(&connected, Platform::Reddit);
    app.first_account_id(cookie).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_or_connect_is_heard_by_the_workspaces_open_page_only() {
    let (app, _platforms) = TestApp::with_platforms(Backend::Sqlite).await;
    let ada = app.sign_up("ada@example.com").await;
    let grace = app.sign_up("grace@example.com").await;
    let id = connect_reddit(&app, &ada).await;
    app.settle(&ada).await;
    let mut adas = open_stream(&app, &ada).await;
    let mut graces = open_stream(&app, &grace).await;

    app.make_due(&id).await;
    engine::keep_alive::refresh::refresh_account(&app.state, &id, false)
        .await
        .unwrap();
    assert!(hears_a_change(&mut adas, Duration::from_secs(5)).await);
    assert!(!hears_a_change(&mut graces, Duration::from_millis(800)).await);

    connect_reddit(&app, &grace).await;
    assert!(hears_a_change(&mut graces, Duration::from_secs(5)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_is_only_for_a_signed_in_person() {
    let app = TestApp::new(Backend::Sqlite).await;
    let response = app.get("/api/v1/live-events", None).await;
    assert!(
        response.status == StatusCode::UNAUTHORIZED || response.status.is_redirection(),
        "{}",
        response.status
    );
}

/// A page served by this process hears a refresh made by another process's worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_by_another_process_reaches_the_open_page_on_postgres() {
    let (app, _platforms) = TestApp::with_platforms(Backend::Postgres).await;
    let cookie = app.sign_up("ada@example.com").await;
    let id = connect_reddit(&app, &cookie).await;
    app.settle(&cookie).await;
    let mut stream = open_stream(&app, &cookie).await;
    // Nothing happens here: this test's process runs no worker.
    assert!(!hears_a_change(&mut stream, Duration::from_millis(500)).await);

    let _worker = Killed(vec![spawn_plugboard(
        &app,
        &[("PLUGBOARD_REFRESH_INTERVAL_SECS", "1")],
    )]);
    app.make_due(&id).await;
    assert!(
        hears_a_change(&mut stream, Duration::from_secs(20)).await,
        "the other process's refresh was never heard"
    );
    let refreshed: Option<i64> =
        sqlx::query_scalar("SELECT last_refreshed_at FROM connected_accounts WHERE id = $1")
            .bind(&id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert!(refreshed.is_some(), "the other process refreshed it");
}
