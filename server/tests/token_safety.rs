//! Stored tokens stay right whatever a platform or a lease does: a refresh that outlived its
//! lease still stores the rotated token; numbers a platform sends cannot panic, loop or make a
//! token immortal; short tokens do not start a storm; a 429 is waited out; a caller that waited
//! on another refresh hears the truth; Slack's refresh answer is read in its own shape.

mod common;

use axum::http::StatusCode;
use chrono::{Duration, Utc};
use common::api::ApiClient;
use common::stand_ins::{Canned, RotatingTokens, ScriptedAccount, ROTATING_TOKEN_PATH};
use common::{Backend, TestApp};
use domain::Platform;
use engine::connections::accounts::Sealed;
use engine::keep_alive::health::HealthOutcome;
use engine::keep_alive::refresh::{self, Outcome};
use serde_json::json;

async fn millis(app: &TestApp, id: &str, column: &str) -> Option<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT {column} FROM connected_accounts WHERE id = $1"
    )))
    .bind(id)
    .fetch_one(app.state.db.pool())
    .await
    .unwrap()
}

async fn set_millis(app: &TestApp, id: &str, column: &str, at: chrono::DateTime<Utc>) {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE connected_accounts SET {column} = $1 WHERE id = $2"
    )))
    .bind(at.timestamp_millis())
    .bind(id)
    .execute(app.state.db.pool())
    .await
    .unwrap();
}

fn seconds_from_now(millis: Option<i64>) -> i64 {
    (millis.expect("a time") - Utc::now().timestamp_millis()) / 1000
}

/// A token answer in the shape every OAuth 2.0 platform uses, with this `expires_in`.
fn token_answer(expires_in: serde_json::Value, n: usize) -> Canned {
    Canned::json(
        200,
        json!({"token_type": "bearer", "access_token": format!("at-{n}"), "refresh_token": format!("rt-{n}"), "expires_in": expires_in}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_that_outlived_its_lease_still_stores_the_rotated_token() {
    let platform = RotatingTokens::start().await;
    platform.set_delay(std::time::Duration::from_millis(1500));
    let (app, owner, _cookie) =
        TestApp::with_token_url(Backend::Sqlite, Platform::X, &platform.token_url(), &[]).await;
    let first = platform.grant("a");
    let id = app.seed_refreshable(&owner, Platform::X, &first).await;

    let state = app.state.clone();
    let account = id.clone();
    let refreshing =
        tokio::spawn(async move { refresh::refresh_account(&state, &account, false).await });
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    // Meanwhile the lease lapsed, another process took it and let it go.
    sqlx::query(
        "UPDATE connected_accounts SET refresh_lease_owner = 'another-process', refresh_lease_until = 0
         WHERE id = $1",
    )
    .bind(&id)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    let outcome = refreshing.await.unwrap().unwrap();

    assert!(matches!(outcome, Outcome::Refreshed { .. }), "{outcome:?}");
    assert_eq!(
        app.stored_secret(&id, Sealed::RefreshToken).await,
        platform.family("a").current(),
        "the token the platform issued last is the one stored"
    );
    assert_eq!(
        lease_owner(&app, &id).await.as_deref(),
        Some("another-process"),
        "storing leaves a lease this process no longer holds alone"
    );
}

async fn lease_owner(app: &TestApp, id: &str) -> Option<String> {
    sqlx::query_scalar("SELECT refresh_lease_owner FROM connected_accounts WHERE id = $1")
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storing_a_refresh_or_a_transient_failure_gives_the_lease_up() {
    let ScriptedAccount {
        platform,
        app,
        owner,
        ..
    } = ScriptedAccount::start(Platform::X, ROTATING_TOKEN_PATH, &[]).await;
    for (answer, stored) in [
        (token_answer(json!(7200), 1), "a refresh"),
        (Canned::json(503, json!({})), "a transient failure"),
    ] {
        platform.answer(ROTATING_TOKEN_PATH, answer);
        let id = app.seed_refreshable(&owner, Platform::X, "rt").await;
        let outcome = refresh::refresh_account(&app.state, &id, false)
            .await
            .unwrap();
        assert!(
            matches!(outcome, Outcome::Refreshed { .. } | Outcome::Transient(_)),
            "{stored}: {outcome:?}"
        );
        assert_eq!(lease_owner(&app, &id).await, None, "{stored}");
        assert_eq!(
            millis(&app, &id, "refresh_lease_until").await,
            None,
            "{stored}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_lifetimes_fall_back_to_the_platforms_usual_one() {
    let ScriptedAccount {
        platform,
        app,
        owner,
        ..
    } = ScriptedAccount::start(Platform::X, ROTATING_TOKEN_PATH, &[]).await;
    for (n, absurd) in [
        json!(i64::MAX),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(0),
        json!(-5),
        json!(1e300),
        json!("soon"),
        json!({"seconds": 60}),
    ]
    .into_iter()
    .enumerate()
    {
        platform.answer(ROTATING_TOKEN_PATH, token_answer(absurd.clone(), n));
        let id = app.seed_refreshable(&owner, Platform::X, "rt").await;
        let outcome = refresh::refresh_account(&app.state, &id, false)
            .await
            .unwrap();
        assert!(
            matches!(outcome, Outcome::Refreshed { .. }),
            "{absurd}: {outcome:?}"
        );
        // X's tokens live two hours: that is what an absurd answer is taken to mean.
        let expires_in = seconds_from_now(millis(&app, &id, "token_expires_at").await);
        assert!(
            (7190..=7200).contains(&expires_in),
            "{absurd}: {expires_in}"
        );
        let next = seconds_from_now(millis(&app, &id, "next_refresh_at").await);
        assert!(next > 5000, "{absurd}: not due again at once ({next} s)");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_answer_in_one_account_does_not_stop_the_others() {
    let ScriptedAccount {
        platform,
        app,
        owner,
        ..
    } = ScriptedAccount::start(Platform::X, ROTATING_TOKEN_PATH, &[]).await;
    platform.answer_with(ROTATING_TOKEN_PATH, |received| {
        let expires_in = if received.fields["refresh_token"] == "poison" {
            json!(i64::MAX)
        } else {
            json!(3600)
        };
        token_answer(expires_in, 1)
    });
    let poisoned = app.seed_refreshable(&owner, Platform::X, "poison").await;
    let fine = app.seed_refreshable(&owner, Platform::X, "fine").await;

    plugboard::worker::refresh_pass(&app.state, 4)
        .await
        .unwrap();
    for id in [&poisoned, &fine] {
        assert!(
            millis(&app, id, "last_refreshed_at").await.is_some(),
            "{id} was refreshed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_health_check_that_meets_a_hostile_answer_does_not_check_forever() {
    let ScriptedAccount {
        platform,
        app,
        owner,
        cookie,
        ..
    } = ScriptedAccount::start(Platform::X, ROTATING_TOKEN_PATH, &[]).await;
    platform.answer(ROTATING_TOKEN_PATH, token_answer(json!(i64::MAX), 1));
    app.seed_refreshable(&owner, Platform::X, "poison").await;
    // Opening the page starts a health check, which refreshes the due account.
    let page = app.get("/dashboard/connections", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    app.settle(&cookie).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_second_tokens_are_refreshed_once_per_lifetime() {
    let ScriptedAccount {
        platform, app, id, ..
    } = ScriptedAccount::start(Platform::X, ROTATING_TOKEN_PATH, &[]).await;
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = calls.clone();
    platform.answer_with(ROTATING_TOKEN_PATH, move |_| {
        let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        token_answer(json!(60), n)
    });

    // The worker running flat out for five seconds.
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < until {
        plugboard::worker::refresh_pass(&app.state, 4)
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        platform.received(ROTATING_TOKEN_PATH).len(),
        1,
        "one refresh, not a storm"
    );
    let refreshed = millis(&app, &id, "last_refreshed_at").await.unwrap();
    let next = millis(&app, &id, "next_refresh_at").await.unwrap();
    assert_eq!(
        (next - refreshed) / 1000,
        45,
        "due when a quarter of its minute is left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_refresh_waits_as_long_as_the_platform_asks() {
    let ScriptedAccount {
        platform, app, id, ..
    } = ScriptedAccount::start(Platform::X, ROTATING_TOKEN_PATH, &[]).await;
    platform.answer(
        ROTATING_TOKEN_PATH,
        Canned::json(
            429,
            json!({"errors": [{"code": 88, "message": "Rate limit exceeded"}]}),
        )
        .with_header("retry-after", "600"),
    );
    let outcome = refresh::refresh_account(&app.state, &id, false)
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Transient(_)), "{outcome:?}");
    let next = seconds_from_now(millis(&app, &id, "next_refresh_at").await);
    assert!(next >= 595, "retried after {next} s, asked for 600");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_refresh_through_the_api_waits_out_the_backoff() {
    let ScriptedAccount {
        platform,
        app,
        cookie,
        id,
        ..
    } = ScriptedAccount::start(Platform::X, ROTATING_TOKEN_PATH, &[]).await;
    platform.answer(ROTATING_TOKEN_PATH, Canned::json(503, json!({})));
    let first = refresh::refresh_account(&app.state, &id, false)
        .await
        .unwrap();
    assert!(matches!(first, Outcome::Transient(_)), "{first:?}");
    // The token still works for two minutes: a tool asks for it.
    set_millis(
        &app,
        &id,
        "token_expires_at",
        Utc::now() + Duration::minutes(2),
    )
    .await;
    let key = app.create_api_key(&cookie, "tool").await;
    let client = ApiClient::new(&app, &key).await;
    let answer = client
        .post(&format!("/api/v1/accounts/{id}/access-token"), None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        platform.received(ROTATING_TOKEN_PATH).len(),
        1,
        "the platform is not asked again during the backoff"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_caller_that_waited_on_another_refresh_hears_the_platform_is_unavailable() {
    let ScriptedAccount {
        platform,
        app,
        cookie,
        id,
        ..
    } = ScriptedAccount::start(Platform::X, ROTATING_TOKEN_PATH, &[]).await;
    platform.answer(
        ROTATING_TOKEN_PATH,
        Canned {
            delay: std::time::Duration::from_millis(800),
            ..Canned::json(502, json!({}))
        },
    );
    set_millis(
        &app,
        &id,
        "token_expires_at",
        Utc::now() - Duration::minutes(1),
    )
    .await;
    let key = app.create_api_key(&cookie, "tool").await;
    let client = ApiClient::new(&app, &key).await;
    let path = format!("/api/v1/accounts/{id}/access-token");
    let (one, two) = tokio::join!(client.post(&path, None), client.post(&path, None));
    for answer in [one, two] {
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            answer.body
        );
        assert_eq!(answer.json()["error"]["code"], "platform_unavailable");
        let retry_after: u64 = answer.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=3600).contains(&retry_after), "{retry_after}");
    }
    assert_eq!(platform.received(ROTATING_TOKEN_PATH).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slacks_flat_refresh_answer_is_read() {
    let ScriptedAccount {
        platform, app, id, ..
    } = ScriptedAccount::start(Platform::Slack, "/api/oauth.v2.access", &[]).await;
    // Slack's OAuthV2TokenRefreshResponse for a user token: flat, unlike the code exchange,
    // which nests the user token in `authed_user`.
    platform.answer(
        "/api/oauth.v2.access",
        Canned::json(
            200,
            json!({
                "ok": true,
                "app_id": "A0KRD7HC3",
                "scope": "chat:write,users:read",
                "token_type": "user",
                "access_token": "xoxe.xoxp-1-refreshed",
                "refresh_token": "xoxe-1-rotated",
                "expires_in": 43200,
                "team": {"id": "T9TK3CUKW", "name": "Slack Softball Team"},
                "enterprise": null,
                "is_enterprise_install": false
            }),
        ),
    );
    let outcome = refresh::refresh_account(&app.state, &id, false)
        .await
        .unwrap();
    assert!(matches!(outcome, Outcome::Refreshed { .. }), "{outcome:?}");
    assert_eq!(
        app.stored_secret(&id, Sealed::AccessToken).await,
        "xoxe.xoxp-1-refreshed"
    );
    assert_eq!(
        app.stored_secret(&id, Sealed::RefreshToken).await,
        "xoxe-1-rotated"
    );
    let expires_in = seconds_from_now(millis(&app, &id, "token_expires_at").await);
    assert!((43190..=43200).contains(&expires_in), "{expires_in}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_who_am_i_that_does_not_name_this_account_is_not_a_healthy_one() {
    let ScriptedAccount {
        platform, app, id, ..
    } = ScriptedAccount::start(
        Platform::X,
        ROTATING_TOKEN_PATH,
        &[("PLUGBOARD_HEALTH_CHECK_TTL_SECS", "0")],
    )
    .await;
    sqlx::query(
        "UPDATE connected_accounts SET next_refresh_at = NULL, platform_account_id = '42' WHERE id = $1",
    )
    .bind(&id)
    .execute(app.state.db.pool())
    .await
    .unwrap();
    let record = app.record(&id).await;
    for (body, expected) in [
        (json!({}), HealthOutcome::Unconfirmed),
        (
            json!({"data": {"id": "7", "username": "someone_else"}}),
            HealthOutcome::Unconfirmed,
        ),
        (
            json!({"data": {"id": "42", "username": "ada"}}),
            HealthOutcome::Healthy,
        ),
    ] {
        platform.answer("/2/users/me", Canned::json(200, body.clone()));
        let outcome = engine::keep_alive::health::check_account(&app.state, &record)
            .await
            .unwrap();
        assert_eq!(outcome, expected, "{body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_that_panics_fails_only_its_account_and_is_retried_later() {
    let ScriptedAccount {
        platform,
        app,
        owner,
        id,
        ..
    } = ScriptedAccount::start(Platform::X, ROTATING_TOKEN_PATH, &[]).await;
    platform.answer(ROTATING_TOKEN_PATH, token_answer(json!(3600), 1));
    let other = app.seed_refreshable(&owner, Platform::X, "rt-other").await;
    let doomed = id.clone();
    let stats = plugboard::worker::refresh_pass_with(&app.state, 4, move |state, account| {
        let doomed = doomed.clone();
        async move {
            if account == doomed {
                panic!("a refresh that dies");
            }
            refresh::refresh_account(&state, &account, false).await
        }
    })
    .await
    .unwrap();
    assert_eq!(stats.panicked, 1);
    assert_eq!(stats.refreshed, 1);
    assert!(millis(&app, &other, "last_refreshed_at").await.is_some());
    // The account that panicked waits out a backoff instead of panicking again at once.
    let next = seconds_from_now(millis(&app, &id, "next_refresh_at").await);
    assert!(next >= 40, "retried in {next} s");
    let failures: i64 =
        sqlx::query_scalar("SELECT refresh_failures FROM connected_accounts WHERE id = $1")
            .bind(&id)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!(failures, 1);
}
