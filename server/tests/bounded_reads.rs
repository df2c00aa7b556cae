//! Every answer from a platform or a server a person typed is read as a stream and refused as
//! soon as it passes its cap: a server that never stops sending neither fills the memory nor
//! holds a call until the timeout.

mod common;

use common::stand_ins::{Canned, Scripted, EMAIL};
use common::{Backend, TestApp};
use domain::Platform;
use engine::connect::{self, ConnectError, CredentialInput};
use engine::refresh::{self, Outcome};
use secrecy::SecretString;
use std::time::{Duration, Instant};

/// Calls to platforms may take ten seconds; a capped read gives up long before.
const TIMEOUT_MS: &str = "10000";
const WELL_BEFORE_THE_TIMEOUT: Duration = Duration::from_secs(4);

fn too_large(error: &engine::failure::ProviderError) -> bool {
    error.message.as_deref() == Some("the answer is too large")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_endpoint_that_never_stops_answering() {
    let platform = Scripted::start().await;
    platform.answer("/token", Canned::endless("application/json"));
    let (app, owner, _) = TestApp::with_token_url(
        Backend::Sqlite,
        Platform::X,
        &platform.url("/token"),
        &[("PLUGBOARD_PROVIDER_TIMEOUT_MS", TIMEOUT_MS)],
    )
    .await;
    let id = app.seed_refreshable(&owner, Platform::X, "rt").await;
    let started = Instant::now();
    let outcome = refresh::refresh_account(&app.state, &id, false)
        .await
        .unwrap();
    assert!(
        started.elapsed() < WELL_BEFORE_THE_TIMEOUT,
        "{:?}",
        started.elapsed()
    );
    match outcome {
        Outcome::Transient(error) => assert!(too_large(&error), "{error}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_that_never_ends_is_not_a_healthy_account() {
    let platform = Scripted::start().await;
    platform.answer("/2/users/me", Canned::endless("application/json"));
    let (app, owner, _) = TestApp::with_token_url(
        Backend::Sqlite,
        Platform::X,
        &platform.url("/token"),
        &[
            ("PLUGBOARD_PROVIDER_TIMEOUT_MS", TIMEOUT_MS),
            ("X_API_URL", &platform.base),
        ],
    )
    .await;
    let id = app.seed_refreshable(&owner, Platform::X, "rt").await;
    sqlx::query("UPDATE connected_accounts SET next_refresh_at = NULL WHERE id = $1")
        .bind(&id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let mut conn = app.state.db.pool().acquire().await.unwrap();
    let record = engine::accounts::find_by_id(&mut conn, &id)
        .await
        .unwrap()
        .unwrap();
    drop(conn);
    let started = Instant::now();
    let outcome = engine::health::check_account(&app.state, &record)
        .await
        .unwrap();
    assert!(
        started.elapsed() < WELL_BEFORE_THE_TIMEOUT,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(outcome, engine::health::HealthOutcome::Unconfirmed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credentials_check_against_a_server_that_never_stops() {
    let server = Scripted::start().await;
    server.answer(
        "/xrpc/com.atproto.server.createSession",
        Canned::endless("application/json"),
    );
    let app = TestApp::with_settings(
        Backend::Sqlite,
        &[
            ("PLUGBOARD_PROVIDER_TIMEOUT_MS", TIMEOUT_MS),
            ("PLUGBOARD_ALLOW_PRIVATE_URLS", "true"),
        ],
    )
    .await;
    app.sign_up(EMAIL).await;
    let user = engine::users::find_by_email(&app.state.db, EMAIL)
        .await
        .unwrap()
        .unwrap();
    let input = CredentialInput::Bluesky {
        identifier: "ada.bsky.social".into(),
        app_password: SecretString::from("abcd-efgh-ijkl-mnop".to_owned()),
        pds_url: Some(server.base.clone()),
    };
    let started = Instant::now();
    let result = connect::connect_credentials(&app.state, &user, input, None).await;
    assert!(
        started.elapsed() < WELL_BEFORE_THE_TIMEOUT,
        "{:?}",
        started.elapsed()
    );
    match result {
        Err(ConnectError::Provider { error, .. }) => assert!(too_large(&error), "{error}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mastodon_instance_whose_registration_never_ends() {
    let server = Scripted::start().await;
    server.answer("/api/v1/apps", Canned::endless("application/json"));
    let app = TestApp::with_settings(
        Backend::Sqlite,
        &[
            ("PLUGBOARD_PROVIDER_TIMEOUT_MS", TIMEOUT_MS),
            ("PLUGBOARD_ALLOW_PRIVATE_URLS", "true"),
        ],
    )
    .await;
    app.sign_up(EMAIL).await;
    let user = engine::users::find_by_email(&app.state.db, EMAIL)
        .await
        .unwrap()
        .unwrap();
    let started = Instant::now();
    let result = connect::start(
        &app.state,
        &user,
        Platform::Mastodon,
        None,
        Some(&server.base),
    )
    .await;
    assert!(
        started.elapsed() < WELL_BEFORE_THE_TIMEOUT,
        "{:?}",
        started.elapsed()
    );
    match result {
        Err(ConnectError::Provider { error, .. }) => assert!(too_large(&error), "{error}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telegram_avatar_that_never_ends_is_not_served() {
    let server = Scripted::start().await;
    let token = engine::providers::SANDBOX_TELEGRAM_BOT_TOKEN;
    server.answer(
        &format!("/bot{token}/getUserProfilePhotos"),
        Canned::json(
            200,
            serde_json::json!({"ok": true, "result": {"total_count": 1, "photos": [[
                {"file_id": "f", "file_unique_id": "u", "width": 160, "height": 160}
            ]]}}),
        ),
    );
    server.answer(
        &format!("/bot{token}/getFile"),
        Canned::json(
            200,
            serde_json::json!({"ok": true, "result": {"file_id": "f", "file_path": "photos/a.jpg"}}),
        ),
    );
    server.answer(
        &format!("/file/bot{token}/photos/a.jpg"),
        Canned::endless("image/jpeg"),
    );
    let app = TestApp::with_settings(
        Backend::Sqlite,
        &[
            ("PLUGBOARD_PROVIDER_TIMEOUT_MS", TIMEOUT_MS),
            ("TELEGRAM_API_URL", &server.base),
        ],
    )
    .await;
    let cookie = app.sign_up(EMAIL).await;
    let owner = app.user_id(EMAIL).await;
    let id = {
        let mut conn = app.state.db.pool().acquire().await.unwrap();
        let account = engine::accounts::NewAccount {
            platform: Platform::Telegram,
            platform_account_id: "7000000001".into(),
            username: "@ada_bot".into(),
            display_name: None,
            profile_image_url: None,
            token_expires_at: None,
            token_status: domain::StoredTokenStatus::Active,
            is_twitter_premium: false,
            access_token: Some(SecretString::from(token.to_owned())),
            refresh_token: None,
            refresh_token_expires_at: None,
            extra_secret: None,
            granted_scopes: None,
            metadata: serde_json::json!({}),
            next_refresh_at: None,
        };
        engine::accounts::insert(&mut conn, &app.state.secrets, &owner, account)
            .await
            .unwrap()
    };
    let started = Instant::now();
    let avatar = app
        .get(&format!("/api/v1/accounts/{id}/avatar"), Some(&cookie))
        .await;
    assert!(
        started.elapsed() < WELL_BEFORE_THE_TIMEOUT,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(avatar.status, axum::http::StatusCode::BAD_GATEWAY);
}
