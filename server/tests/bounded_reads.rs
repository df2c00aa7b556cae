//! Every answer from a platform or a server a person typed is read as a stream and refused as
//! soon as it passes its cap: a server that never stops sending neither fills the memory nor
//! holds a call until the timeout.

mod common;

use common::stand_ins::{new_account, Canned, Scripted, ScriptedAccount, EMAIL};
use common::{Backend, TestApp};
use domain::{CredentialField, Platform};
use engine::connections::accounts::NewAccount;
use engine::connections::connect::{self, ConnectError, CredentialInput};
use engine::keep_alive::refresh::{self, Outcome};
use secrecy::SecretString;
use std::time::{Duration, Instant};

/// Calls to platforms may take ten seconds; a capped read gives up long before.
const TIMEOUT_MS: &str = "10000";
const WELL_BEFORE_THE_TIMEOUT: Duration = Duration::from_secs(4);
const SLOW: &[(&str, &str)] = &[("PLUGBOARD_PROVIDER_TIMEOUT_MS", TIMEOUT_MS)];

/// An app whose calls to platforms may take ten seconds and may go to this machine, and a
/// signed-up person.
async fn app_and_person(
    extra: &[(&str, &str)],
) -> (TestApp, engine::connections::connect::Connector, String) {
    let mut settings = vec![
        ("PLUGBOARD_PROVIDER_TIMEOUT_MS", TIMEOUT_MS),
        ("PLUGBOARD_ALLOW_PRIVATE_URLS", "true"),
    ];
    settings.extend_from_slice(extra);
    let app = TestApp::with_settings(Backend::Sqlite, &settings).await;
    let cookie = app.sign_up(EMAIL).await;
    let user = app.connector(EMAIL).await;
    (app, user, cookie)
}

fn too_large(error: &engine::platforms::failure::ProviderError) -> bool {
    error.message.as_deref() == Some("the answer is too large")
}

/// The call gave up long before its timeout.
fn assert_quick(started: Instant) {
    assert!(
        started.elapsed() < WELL_BEFORE_THE_TIMEOUT,
        "{:?}",
        started.elapsed()
    );
}

/// A connect that read a server's endless answer was refused for its size, not its time.
fn assert_refused_as_too_large<T: std::fmt::Debug>(
    started: Instant,
    result: Result<T, ConnectError>,
) {
    assert_quick(started);
    match result {
        Err(ConnectError::Provider { error, .. }) => assert!(too_large(&error), "{error}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_endpoint_that_never_stops_answering() {
    let ScriptedAccount {
        platform, app, id, ..
    } = ScriptedAccount::start(Platform::X, "/token", SLOW).await;
    platform.answer("/token", Canned::endless("application/json"));
    let started = Instant::now();
    let outcome = refresh::refresh_account(&app.state, &id, false)
        .await
        .unwrap();
    assert_quick(started);
    match outcome {
        Outcome::Transient(error) => assert!(too_large(&error), "{error}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_profile_that_never_ends_is_not_a_healthy_account() {
    let ScriptedAccount {
        platform, app, id, ..
    } = ScriptedAccount::start(Platform::X, "/token", SLOW).await;
    platform.answer("/2/users/me", Canned::endless("application/json"));
    sqlx::query("UPDATE connected_accounts SET next_refresh_at = NULL WHERE id = $1")
        .bind(&id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    let record = app.record(&id).await;
    let started = Instant::now();
    let outcome = engine::keep_alive::health::check_account(&app.state, &record)
        .await
        .unwrap();
    assert_quick(started);
    assert_eq!(
        outcome,
        engine::keep_alive::health::HealthOutcome::Unconfirmed
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credentials_check_against_a_server_that_never_stops() {
    let server = Scripted::start().await;
    server.answer(
        "/xrpc/com.atproto.server.createSession",
        Canned::endless("application/json"),
    );
    let (app, user, _) = app_and_person(&[]).await;
    let input = CredentialInput::new(Platform::Bluesky)
        .with(CredentialField::Identifier, "ada.bsky.social")
        .with(CredentialField::AppPassword, "abcd-efgh-ijkl-mnop")
        .with(CredentialField::PdsUrl, server.base.clone());
    let started = Instant::now();
    let result = connect::connect_credentials(&app.state, &user, input, None).await;
    assert_refused_as_too_large(started, result);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mastodon_instance_whose_registration_never_ends() {
    let server = Scripted::start().await;
    server.answer("/api/v1/apps", Canned::endless("application/json"));
    let (app, user, _) = app_and_person(&[]).await;
    let started = Instant::now();
    let result = connect::start(
        &app.state,
        &user,
        Platform::Mastodon,
        None,
        Some(&server.base),
    )
    .await;
    assert_refused_as_too_large(started, result);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telegram_avatar_that_never_ends_is_not_served() {
    let server = Scripted::start().await;
    let token = engine::platforms::catalog::SANDBOX_TELEGRAM_BOT_TOKEN;
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
    let (app, user, cookie) = app_and_person(&[("TELEGRAM_API_URL", &server.base)]).await;
    let account = NewAccount {
        platform_account_id: "7000000001".into(),
        access_token: Some(SecretString::from(token.to_owned())),
        refresh_token: None,
        token_expires_at: None,
        next_refresh_at: None,
        ..new_account(Platform::Telegram)
    };
    let id = app.insert_account(&user.workspace_id, account).await;
    let started = Instant::now();
    let avatar = app
        .get(&format!("/api/v1/accounts/{id}/avatar"), Some(&cookie))
        .await;
    assert_quick(started);
    assert_eq!(avatar.status, axum::http::StatusCode::BAD_GATEWAY);
}
