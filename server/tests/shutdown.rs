//! SIGTERM and SIGINT: a process stops taking work and lets what is in flight (a refresh of the
//! worker, a health check a page view started) finish and store before it exits, within the
//! configured grace.

mod common;

use common::processes::{exit_within, free_port, signal, spawn_plugboard, wait_until, Killed};
use common::stand_ins::{RotatingTokens, EMAIL};
use common::{Backend, TestApp, PASSWORD};
use domain::Platform;
use engine::connections::accounts::Sealed;
use std::time::Duration;

/// An app whose X refreshes are answered by a slow, rotating stand-in, with one due account.
async fn slow_platform_and_a_due_account(delay: Duration) -> (TestApp, RotatingTokens, String) {
    let platform = RotatingTokens::start().await;
    platform.set_delay(delay);
    let (app, owner, _cookie) =
        TestApp::with_token_url(Backend::Sqlite, Platform::X, &platform.token_url(), &[]).await;
    let first = platform.grant("a");
    let id = app.seed_refreshable(&owner, Platform::X, &first).await;
    (app, platform, id)
}

async fn wait_for_the_refresh_to_reach_the_platform(platform: &RotatingTokens) {
    wait_until(
        "the refresh to reach the platform",
        Duration::from_secs(30),
        async || platform.family("a").issued.len() == 2,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_refresh_in_flight_finish_and_store() {
    let (app, platform, id) = slow_platform_and_a_due_account(Duration::from_secs(2)).await;
    let mut processes = Killed(vec![spawn_plugboard(
        &app,
        &[("PLUGBOARD_REFRESH_INTERVAL_SECS", "1")],
    )]);
    let process = &mut processes.0[0];
    wait_for_the_refresh_to_reach_the_platform(&platform).await;

    signal(process, "TERM");
    let status = exit_within(process, Duration::from_secs(20))
        .await
        .expect("the process exits once the refresh is stored");
    assert!(status.success(), "{status}");
    assert_eq!(
        app.stored_secret(&id, Sealed::RefreshToken).await,
        platform.family("a").current(),
        "the rotated token reached the database"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_lets_a_health_check_started_by_a_page_view_finish_and_store() {
    let (app, platform, id) = slow_platform_and_a_due_account(Duration::from_secs(2)).await;
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let origin = format!("http://localhost:{port}");
    let mut processes = Killed(vec![spawn_plugboard(
        &app,
        &[
            // No worker: only the page view's health check refreshes.
            ("PLUGBOARD_WORKERS", "false"),
            ("PLUGBOARD_LISTEN_ADDR", &address),
            ("PLUGBOARD_BASE_URL", &origin),
        ],
    )]);
    let process = &mut processes.0[0];
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    wait_until(
        "the process to listen",
        Duration::from_secs(20),
        async || {
            browser
                .get(format!("http://{address}/healthz"))
                .send()
                .await
                .is_ok()
        },
    )
    .await;
    let signed_in = browser
        .post(format!("http://{address}/auth/sign-in"))
        .header("origin", &origin)
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", EMAIL), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let cookie = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.contains(plugboard::web::SESSION_COOKIE))
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let page = browser
        .get(format!("http://{address}/dashboard/connections"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    wait_for_the_refresh_to_reach_the_platform(&platform).await;

    signal(process, "INT");
    let status = exit_within(process, Duration::from_secs(20))
        .await
        .expect("the process exits once the check is done");
    assert!(status.success(), "{status}");
    assert_eq!(
        app.stored_secret(&id, Sealed::RefreshToken).await,
        platform.family("a").current(),
        "the health check's refresh reached the database"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drain_is_bounded_by_the_shutdown_grace() {
    let (app, platform, _id) = slow_platform_and_a_due_account(Duration::from_secs(60)).await;
    let mut processes = Killed(vec![spawn_plugboard(
        &app,
        &[
            ("PLUGBOARD_REFRESH_INTERVAL_SECS", "1"),
            ("PLUGBOARD_SHUTDOWN_GRACE_SECS", "1"),
        ],
    )]);
    let process = &mut processes.0[0];
    wait_for_the_refresh_to_reach_the_platform(&platform).await;
    let asked = std::time::Instant::now();
    signal(process, "TERM");
    let status = exit_within(process, Duration::from_secs(10))
        .await
        .expect("the process gives up on work in flight after the grace");
    assert!(status.success(), "{status}");
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "{:?}",
        asked.elapsed()
    );
}
