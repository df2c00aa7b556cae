//! `/metrics`: Prometheus text with refreshes, health-check latency, webhook deliveries and
//! accounts by status; readable only with the configured token (or from loopback).

mod common;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::{assert_connected, Backend, Consent, TestApp};
use domain::Platform;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_refreshes_checks_and_deliveries() {
    plugboard::web::metrics::install();
    let platforms = common::Platforms::start().await;
    let mut settings = platforms.settings();
    settings.push(("PLUGBOARD_METRICS_TOKEN".into(), "scrape-me".into()));
    let borrowed: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let app = TestApp::with_settings(Backend::Sqlite, &borrowed).await;
    let cookie = app.sign_up("ada@example.com").await;
    assert_connected(
        &app.connect(&cookie, "/api/v1/auth/reddit/connect", Consent::default())
            .await,
        Platform::Reddit,
    );
    let id = app.first_account_id(&cookie).await;
    engine::keep_alive::refresh::refresh_account(&app.state, &id, true)
        .await
        .unwrap();
    engine::keep_alive::health::check_owner(&app.state, &app.workspace_id("ada@example.com").await)
        .await
        .unwrap();

    let scrape = |token: Option<&str>| {
        let mut request = Request::get("/metrics");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        request.body(Body::empty()).unwrap()
    };
    assert_eq!(app.send(scrape(None)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.send(scrape(Some("wrong"))).await.status,
        StatusCode::FORBIDDEN
    );
    let metrics = app.send(scrape(Some("scrape-me"))).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(
        metrics
            .body
            .contains(r#"plugboard_refreshes_total{platform="reddit",outcome="refreshed"} 1"#),
        "{}",
        metrics.body
    );
    assert!(
        metrics.body.contains("plugboard_health_check_seconds"),
        "{}",
        metrics.body
    );
    assert!(!metrics.body.contains("sbx."), "no token in the metrics");
}
