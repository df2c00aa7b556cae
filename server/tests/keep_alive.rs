//! Keeping tokens alive: refreshes and their failure classes on every refreshable platform, the
//! worker's pass, health checks on page load, TikTok creator info and X Premium.

mod common;

use axum::http::StatusCode;
use common::{assert_connected, Backend, Consent, TestApp};
use domain::Platform;
use engine::keep_alive::refresh::{self, Outcome, Skip};
use sandbox::{Endpoint, Failure};
use std::time::Duration;

/// Connects `platform` for a new user and returns (app, platforms, cookie, account id).
async fn connected(
    platform: Platform,
    backend: Backend,
) -> (TestApp, common::Platforms, String, String) {
    let (app, platforms) = TestApp::with_platforms(backend).await;
    let cookie = app.sign_up("ada@example.com").await;
    let response = if platform == Platform::Bluesky {
        app.post_form(
            "/api/v1/auth/bluesky/credentials",
            &[
                ("identifier", "ada.bsky.social"),
                (
                    "app_password",
                    engine::platforms::catalog::SANDBOX_BLUESKY_APP_PASSWORD,
                ),
            ],
            Some(&cookie),
        )
        .await
    } else {
        app.connect(
            &cookie,
            &format!("/api/v1/auth/{}/connect", platform.slug()),
            Consent::default(),
        )
        .await
    };
    assert_connected(&response, platform);
    let id = app.first_account_id(&cookie).await;
    // Listing the accounts started a health check: let it finish before the test takes over.
    wait_for(&app, &cookie, |l| l["checking"] == false).await;
    (app, platforms, cookie, id)
}

async fn stored_status(app: &TestApp, id: &str) -> String {
    sqlx::query_scalar("SELECT token_status FROM connected_accounts WHERE id = $1")
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn events(app: &TestApp, kind: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM outbox_events WHERE kind = $1")
        .bind(kind)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

async fn next_refresh_in(app: &TestApp, id: &str) -> chrono::Duration {
    let at: Option<i64> =
        sqlx::query_scalar("SELECT next_refresh_at FROM connected_accounts WHERE id = $1")
            .bind(id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    engine::storage::db::from_millis(at.expect("scheduled")) - chrono::Utc::now()
}

mod scenarios {
    use super::*;

    pub async fn refreshes_and_rotates(platform: Platform) {
        refreshes_and_rotates_on(platform, Backend::Sqlite).await
    }

    pub async fn refreshes_and_rotates_on(platform: Platform, backend: Backend) {
        let (app, platforms, _cookie, id) = connected(platform, backend).await;
        assert!(
            next_refresh_in(&app, &id).await > chrono::Duration::zero(),
            "scheduled ahead of expiry"
        );
        for round in 1..=2 {
            app.make_due(&id).await;
            let outcome = refresh::refresh_account(&app.state, &id, false)
                .await
                .unwrap();
            assert!(
                matches!(outcome, Outcome::Refreshed { .. }),
                "round {round}: {outcome:?}"
            );
        }
        // The second refresh used what the first stored: a rotated refresh token was kept.
        assert_eq!(platforms.sandbox.calls(platform, Endpoint::Refresh), 2);
        assert_eq!(stored_status(&app, &id).await, "active");
        assert!(next_refresh_in(&app, &id).await > chrono::Duration::zero());
        // Not due: nothing happens.
        assert_eq!(
            refresh::refresh_account(&app.state, &id, false)
                .await
                .unwrap(),
            Outcome::Skipped(Skip::NotDue)
        );
    }

    pub async fn transient_failures_keep_the_status(platform: Platform) {
        let (app, platforms, _cookie, id) = connected(platform, Backend::Sqlite).await;
        for failure in [
            Failure::Outage,
            Failure::RateLimited,
            Failure::Slow(Duration::from_secs(20)),
        ] {
            platforms.sandbox.fail(platform, Endpoint::Refresh, failure);
            app.make_due(&id).await;
            let outcome = refresh::refresh_account(&app.state, &id, false)
                .await
                .unwrap();
            assert!(
                matches!(outcome, Outcome::Transient(_)),
                "{failure:?}: {outcome:?}"
            );
            assert_eq!(
                stored_status(&app, &id).await,
                "active",
                "{failure:?} never flips the status"
            );
            assert!(
                next_refresh_in(&app, &id).await >= chrono::Duration::seconds(40),
                "{failure:?}: backed off"
            );
        }
        assert_eq!(events(&app, "account.refresh_failed").await, 0);
    }

    pub async fn a_revoked_grant_asks_for_a_reconnect_once(platform: Platform) {
        let (app, platforms, _cookie, id) = connected(platform, Backend::Sqlite).await;
        platforms
            .sandbox
            .fail(platform, Endpoint::Refresh, Failure::InvalidGrant);
        // Bluesky starts a new session with the stored app password first: revoke that too.
        platforms.sandbox.revoke(platform, "ada");
        app.make_due(&id).await;
        let outcome = refresh::refresh_account(&app.state, &id, false)
            .await
            .unwrap();
        assert!(matches!(outcome, Outcome::Terminal(_)), "{outcome:?}");
        assert_eq!(stored_status(&app, &id).await, "needs_reconnect");
        assert_eq!(events(&app, "account.refresh_failed").await, 1);
        // Again, forced: it is not retried, and no second event goes out.
        assert_eq!(
            refresh::refresh_account(&app.state, &id, true)
                .await
                .unwrap(),
            Outcome::Skipped(Skip::Gone)
        );
        assert_eq!(events(&app, "account.refresh_failed").await, 1);
    }
}

macro_rules! refreshable_platform_tests {
    ($($module:ident => $platform:expr),* $(,)?) => {$(
        mod $module {
            use super::*;
            const PLATFORM: Platform = $platform;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn refreshes_and_keeps_rotated_tokens() { scenarios::refreshes_and_rotates(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn outages_rate_limits_and_timeouts_keep_the_status() { scenarios::transient_failures_keep_the_status(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_revoked_grant_asks_for_a_reconnect_once() { scenarios::a_revoked_grant_asks_for_a_reconnect_once(PLATFORM).await }
        }
    )*};
}

refreshable_platform_tests! {
    x => Platform::X,
    linkedin => Platform::LinkedIn,
    youtube => Platform::YouTube,
    tiktok => Platform::TikTok,
    threads => Platform::Threads,
    instagram => Platform::Instagram,
    pinterest => Platform::Pinterest,
    reddit => Platform::Reddit,
    slack => Platform::Slack,
    bluesky => Platform::Bluesky,
}

/// Each refresh style on PostgreSQL: rotating, non-rotating, Meta's, and Bluesky's sessions.
mod on_postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rotating_refresh_tokens() {
        scenarios::refreshes_and_rotates_on(Platform::X, Backend::Postgres).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn refresh_tokens_that_stay_the_same() {
        scenarios::refreshes_and_rotates_on(Platform::Reddit, Backend::Postgres).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn meta_long_lived_tokens() {
        scenarios::refreshes_and_rotates_on(Platform::Threads, Backend::Postgres).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bluesky_sessions() {
        scenarios::refreshes_and_rotates_on(Platform::Bluesky, Backend::Postgres).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bluesky_refresh_that_lapsed_heals_with_the_app_password() {
    let (app, platforms, _cookie, id) = connected(Platform::Bluesky, Backend::Sqlite).await;
    platforms
        .sandbox
        .fail(Platform::Bluesky, Endpoint::Refresh, Failure::InvalidGrant);
    app.make_due(&id).await;
    let outcome = refresh::refresh_account(&app.state, &id, false)
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Refreshed { .. }), "{outcome:?}");
    assert_eq!(stored_status(&app, &id).await, "active");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_502_never_marks_an_account_for_reconnect_even_after_its_token_expired() {
    let (app, platforms, _cookie, id) = connected(Platform::Reddit, Backend::Sqlite).await;
    platforms
        .sandbox
        .fail(Platform::Reddit, Endpoint::Refresh, Failure::Outage);
    sqlx::query("UPDATE connected_accounts SET token_expires_at = 0 WHERE id = $1")
        .bind(&id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    for _ in 0..8 {
        app.make_due(&id).await;
        assert!(matches!(
            refresh::refresh_account(&app.state, &id, false)
                .await
                .unwrap(),
            Outcome::Transient(_)
        ));
    }
    assert_eq!(stored_status(&app, &id).await, "active");
    assert_eq!(events(&app, "account.refresh_failed").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_account_is_not_retried_on_every_pass() {
    let (app, platforms, _cookie, id) = connected(Platform::YouTube, Backend::Sqlite).await;
    platforms
        .sandbox
        .fail(Platform::YouTube, Endpoint::Refresh, Failure::Outage);
    app.make_due(&id).await;
    for _ in 0..5 {
        plugboard::worker::refresh_pass(&app.state, 4)
            .await
            .unwrap();
    }
    assert_eq!(
        platforms
            .sandbox
            .calls(Platform::YouTube, Endpoint::Refresh),
        1,
        "backoff, not a storm"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_refreshes_what_is_due_on_postgres() {
    let (app, platforms, _cookie, id) = connected(Platform::X, Backend::Postgres).await;
    app.make_due(&id).await;
    let stats = plugboard::worker::refresh_pass(&app.state, 4)
        .await
        .unwrap();
    assert_eq!(stats.refreshed, 1);
    assert_eq!(platforms.sandbox.calls(Platform::X, Endpoint::Refresh), 1);
    platforms
        .sandbox
        .fail(Platform::X, Endpoint::Refresh, Failure::InvalidGrant);
    app.make_due(&id).await;
    let stats = plugboard::worker::refresh_pass(&app.state, 4)
        .await
        .unwrap();
    assert_eq!(stats.terminal, 1);
    assert_eq!(stored_status(&app, &id).await, "needs_reconnect");
    assert_eq!(events(&app, "account.refresh_failed").await, 1);
}

/// Reads the live statuses the open page polls.
async fn live(app: &TestApp, cookie: &str) -> serde_json::Value {
    let response = app.get("/api/v1/live-statuses", Some(cookie)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    response.json()
}

async fn wait_for(
    app: &TestApp,
    cookie: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    for _ in 0..100 {
        let now = live(app, cookie).await;
        if done(&now) {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never saw it: {}", live(app, cookie).await);
}

fn status_of(live: &serde_json::Value, id: &str) -> String {
    live["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_the_page_checks_in_the_background_and_the_page_sees_the_result() {
    let (app, platforms, cookie, id) = connected(Platform::Pinterest, Backend::Sqlite).await;
    // Revoked at the platform, and slow to say so.
    platforms.sandbox.revoke(Platform::Pinterest, "ada");
    platforms.sandbox.fail(
        Platform::Pinterest,
        Endpoint::Profile,
        Failure::Slow(Duration::from_millis(600)),
    );
    sqlx::query("UPDATE connected_accounts SET last_checked_at = NULL")
        .execute(app.state.db.pool())
        .await
        .unwrap();

    let page = app.get("/dashboard/connections", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("pill-ok"),
        "the page renders what is stored, at once"
    );
    let during = live(&app, &cookie).await;
    assert_eq!(
        during["checking"], true,
        "the page did not wait for the platform"
    );

    platforms.sandbox.clear_failures();
    let after = wait_for(&app, &cookie, |l| l["checking"] == false).await;
    assert_eq!(status_of(&after, &id), "needs_reconnect");
    assert_eq!(events(&app, "account.refresh_failed").await, 1);
    // Checked a moment ago: the next page view does not ask the platform again.
    let profile_calls = platforms
        .sandbox
        .calls(Platform::Pinterest, Endpoint::Profile);
    app.get("/dashboard/connections", Some(&cookie)).await;
    wait_for(&app, &cookie, |l| l["checking"] == false).await;
    assert_eq!(
        platforms
            .sandbox
            .calls(Platform::Pinterest, Endpoint::Profile),
        profile_calls
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_health_check_refreshes_what_is_due_and_an_outage_changes_nothing() {
    let (app, platforms, cookie, id) = connected(Platform::Reddit, Backend::Sqlite).await;
    app.make_due(&id).await;
    sqlx::query("UPDATE connected_accounts SET last_checked_at = NULL")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    app.get("/dashboard/connections", Some(&cookie)).await;
    wait_for(&app, &cookie, |l| l["checking"] == false).await;
    assert_eq!(
        platforms.sandbox.calls(Platform::Reddit, Endpoint::Refresh),
        1,
        "due: refreshed"
    );

    platforms
        .sandbox
        .fail(Platform::Reddit, Endpoint::Profile, Failure::Outage);
    sqlx::query("UPDATE connected_accounts SET last_checked_at = NULL")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    app.get("/dashboard/connections", Some(&cookie)).await;
    let after = wait_for(&app, &cookie, |l| l["checking"] == false).await;
    assert_eq!(
        status_of(&after, &id),
        "ok",
        "a 502 during a health check never flips the status"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiktok_shows_creator_info_fetched_once_an_hour() {
    let (app, platforms, cookie, id) = connected(Platform::TikTok, Backend::Sqlite).await;
    for _ in 0..3 {
        sqlx::query("UPDATE connected_accounts SET last_checked_at = NULL")
            .execute(app.state.db.pool())
            .await
            .unwrap();
        app.get("/dashboard/connections", Some(&cookie)).await;
        wait_for(&app, &cookie, |l| l["checking"] == false).await;
    }
    assert_eq!(
        platforms
            .sandbox
            .calls(Platform::TikTok, Endpoint::CreatorInfo),
        1,
        "cached"
    );
    let account = app
        .accounts(&cookie)
        .await
        .into_iter()
        .find(|a| a["id"] == id.as_str())
        .unwrap();
    assert_eq!(account["username"], "ada.creates");
    assert_eq!(account["display_name"], "Ada Creates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_premium_is_kept_up_to_date() {
    let (app, _platforms, cookie, id) = connected(Platform::X, Backend::Sqlite).await;
    sqlx::query("UPDATE connected_accounts SET is_x_premium = 0, last_checked_at = NULL")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let listed = app.call("connected_accounts", Some(&cookie)).await.json();
    assert_eq!(
        listed[0]["is_x_premium"], false,
        "the page shows what is stored"
    );
    app.settle(&cookie).await;
    let account = app
        .accounts(&cookie)
        .await
        .into_iter()
        .find(|a| a["id"] == id.as_str())
        .unwrap();
    assert_eq!(account["is_x_premium"], true, "read again from the profile");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_statuses_are_only_the_owners() {
    let (app, _platforms, cookie, id) = connected(Platform::Reddit, Backend::Sqlite).await;
    let bob = app.sign_up("bob@example.com").await;
    let mine = live(&app, &cookie).await;
    assert_eq!(status_of(&mine, &id), "ok");
    assert_eq!(live(&app, &bob).await["statuses"], serde_json::json!([]));
    let anonymous = app.get("/api/v1/live-statuses", None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_accounts_are_never_checked() {
    let (app, platforms) = TestApp::with_platforms(Backend::Sqlite).await;
    let cookie = app.sign_up("ada@example.com").await;
    app.seed_demo_accounts("ada@example.com", 6).await;
    app.get("/dashboard/connections", Some(&cookie)).await;
    wait_for(&app, &cookie, |l| l["checking"] == false).await;
    for platform in Platform::ALL {
        assert_eq!(
            platforms.sandbox.calls(platform, Endpoint::Profile),
            0,
            "{platform}"
        );
    }
    let accounts = app.accounts(&cookie).await;
    assert!(
        accounts.iter().any(|a| a["status"]["status"] == "ok"),
        "placeholders keep their statuses"
    );
}
