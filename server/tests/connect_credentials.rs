//! Connecting Bluesky, Telegram and Listmonk with typed credentials, checked against stand-ins
//! that answer like the platforms. Nothing is stored unless the platform accepted them.

mod common;

use axum::http::StatusCode;
use common::{assert_connected, Backend, TestApp};
use domain::Platform;
use engine::platforms::catalog::{
    SANDBOX_BLUESKY_APP_PASSWORD, SANDBOX_LISTMONK_API_USER, SANDBOX_LISTMONK_TOKEN,
    SANDBOX_TELEGRAM_BOT_TOKEN,
};
use sandbox::{Endpoint, Failure};

fn good_fields(app: &TestApp, platform: Platform, person: &str) -> Vec<(String, String)> {
    let own = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    match platform {
        Platform::Bluesky => own(&[
            ("identifier", &format!("{person}.bsky.social")),
            ("app_password", SANDBOX_BLUESKY_APP_PASSWORD),
        ]),
        Platform::Telegram => {
            let token = if person == "grace" {
                SANDBOX_TELEGRAM_BOT_TOKEN.replacen("7000000001", "7000000002", 1)
            } else {
                SANDBOX_TELEGRAM_BOT_TOKEN.to_owned()
            };
            own(&[("bot_token", &token)])
        }
        _ => {
            let base = app
                .state
                .config
                .providers
                .get(Platform::Listmonk)
                .api_url
                .clone();
            let user = if person == "grace" {
                "grace"
            } else {
                SANDBOX_LISTMONK_API_USER
            };
            own(&[
                ("base_url", &base),
                ("api_user", user),
                ("token", SANDBOX_LISTMONK_TOKEN),
            ])
        }
    }
}

/// The field the platform's secret goes in, and a wrong but well-formed value for it.
fn wrong_secret(platform: Platform) -> (&'static str, &'static str) {
    match platform {
        Platform::Bluesky => ("app_password", "abcd-efgh-ijkl-mnop"),
        Platform::Telegram => (
            "bot_token",
            "7000000001:wrong-token-AAAAAAAAAAAAAAAAAAAAAAAA",
        ),
        _ => ("token", "not-the-token"),
    }
}

fn malformed(platform: Platform) -> (&'static str, &'static str, &'static str) {
    match platform {
        Platform::Bluesky => ("app_password", "my real password", "not_app_password"),
        Platform::Telegram => ("bot_token", "hello", "invalid_bot_token"),
        _ => ("base_url", "lists.example.com", "invalid_url"),
    }
}

async fn post(
    app: &TestApp,
    cookie: &str,
    platform: Platform,
    fields: &[(String, String)],
) -> common::TestResponse {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    app.post_form(
        &format!("/api/v1/auth/{}/credentials", platform.slug()),
        &borrowed,
        Some(cookie),
    )
    .await
}

fn replace_field(fields: &mut Vec<(String, String)>, field: &str, value: &str) {
    fields.retain(|(k, _)| k != field);
    fields.push((field.to_owned(), value.to_owned()));
}

/// Back on the form with `error` (and `field`), typed values kept, secrets not.
fn assert_form_error(response: &common::TestResponse, platform: Platform, field: &str, code: &str) {
    let query = common::assert_redirect(
        response,
        &format!("/dashboard/connections/new/{}", platform.slug()),
        &[("error", code), ("field", field)],
    );
    for secret in ["app_password", "bot_token", "token"] {
        assert!(
            !query.contains_key(secret),
            "secrets never travel back: {}",
            response.location()
        );
    }
}

mod scenarios {
    use super::*;

    async fn ready() -> (TestApp, common::Platforms, String) {
        let (app, platforms) = TestApp::with_platforms(Backend::Sqlite).await;
        let cookie = app.sign_up("ada@example.com").await;
        (app, platforms, cookie)
    }

    pub async fn connects(platform: Platform) {
        let (app, _platforms, cookie) = ready().await;
        assert_connected(
            &post(&app, &cookie, platform, &good_fields(&app, platform, "ada")).await,
            platform,
        );
        let accounts = app.accounts(&cookie).await;
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0]["platform"], platform.slug());
        assert_eq!(accounts[0]["status"]["status"], "ok");
        if platform == Platform::Telegram {
            let avatar = accounts[0]["profile_image_url"].as_str().unwrap();
            assert_eq!(
                avatar,
                format!(
                    "/api/v1/accounts/{}/avatar",
                    accounts[0]["id"].as_str().unwrap()
                )
            );
            let image = app.get(avatar, Some(&cookie)).await;
            assert_eq!(image.status, StatusCode::OK, "the proxied avatar");
            assert!(image.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("image/"));
            assert!(
                !image.body.contains("sandbox-token"),
                "the token stays on the server"
            );
            let bob = app.sign_up("bob@example.com").await;
            assert_eq!(
                app.get(avatar, Some(&bob)).await.status,
                StatusCode::NOT_FOUND,
                "only the owner's"
            );
        }
        let page = app.get("/dashboard/connections", Some(&cookie)).await;
        assert!(
            !page.body.contains("sandbox-token") && !page.body.contains("sbx."),
            "no secret in the page"
        );
    }

    pub async fn refused_by_the_platform(platform: Platform) {
        let (app, _platforms, cookie) = ready().await;
        let mut fields = good_fields(&app, platform, "ada");
        let (field, value) = wrong_secret(platform);
        replace_field(&mut fields, field, value);
        assert_form_error(
            &post(&app, &cookie, platform, &fields).await,
            platform,
            field,
            "rejected",
        );
        assert!(app.accounts(&cookie).await.is_empty(), "nothing stored");
    }

    pub async fn malformed_input_never_reaches_the_platform(platform: Platform) {
        let (app, platforms, cookie) = ready().await;
        let mut fields = good_fields(&app, platform, "ada");
        let (field, value, code) = malformed(platform);
        replace_field(&mut fields, field, value);
        assert_form_error(
            &post(&app, &cookie, platform, &fields).await,
            platform,
            field,
            code,
        );
        assert_eq!(platforms.sandbox.calls(platform, Endpoint::Credentials), 0);
    }

    pub async fn platform_trouble(platform: Platform, failure: Failure, code: &str) {
        let (app, platforms, cookie) = ready().await;
        platforms
            .sandbox
            .fail(platform, Endpoint::Credentials, failure);
        assert_form_error(
            &post(&app, &cookie, platform, &good_fields(&app, platform, "ada")).await,
            platform,
            "",
            code,
        );
        assert!(app.accounts(&cookie).await.is_empty());
    }

    pub async fn limit_reached(platform: Platform) {
        let (app, platforms, cookie) = ready().await;
        app.seed_demo_accounts("ada@example.com", 3).await;
        assert_form_error(
            &post(&app, &cookie, platform, &good_fields(&app, platform, "ada")).await,
            platform,
            "",
            "limit_reached",
        );
        assert_eq!(platforms.sandbox.calls(platform, Endpoint::Credentials), 0);
        let form = app
            .get(
                &format!("/dashboard/connections/new/{}", platform.slug()),
                Some(&cookie),
            )
            .await;
        assert!(
            form.body.contains("allows 3 accounts"),
            "the form says so before anyone types"
        );
    }

    pub async fn reconnects_in_place(platform: Platform) {
        let (app, _platforms, cookie) = ready().await;
        post(&app, &cookie, platform, &good_fields(&app, platform, "ada")).await;
        let id = app.first_account_id(&cookie).await;
        sqlx::query("UPDATE connected_accounts SET token_status = 'needs_reconnect'")
            .execute(app.state.db.pool())
            .await
            .unwrap();
        let form = app
            .get(
                &format!(
                    "/dashboard/connections/new/{}?account={id}",
                    platform.slug()
                ),
                Some(&cookie),
            )
            .await;
        assert!(
            form.body.contains(&format!("value=\"{id}\"")),
            "the form reconnects that account"
        );
        let mut fields = good_fields(&app, platform, "ada");
        fields.push(("account".into(), id.clone()));
        assert_connected(&post(&app, &cookie, platform, &fields).await, platform);
        let accounts = app.accounts(&cookie).await;
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0]["id"], id.as_str());
        assert_eq!(accounts[0]["status"]["status"], "ok");
    }

    pub async fn refuses_another_account_on_reconnect(platform: Platform) {
        let (app, _platforms, cookie) = ready().await;
        post(&app, &cookie, platform, &good_fields(&app, platform, "ada")).await;
        let before = app.accounts(&cookie).await;
        let id = before[0]["id"].as_str().unwrap().to_owned();
        let mut fields = good_fields(&app, platform, "grace");
        fields.push(("account".into(), id));
        assert_form_error(
            &post(&app, &cookie, platform, &fields).await,
            platform,
            "",
            "account_mismatch",
        );
        assert_eq!(app.accounts(&cookie).await, before);
    }
}

macro_rules! credential_platform_tests {
    ($($module:ident => $platform:expr),* $(,)?) => {$(
        mod $module {
            use super::*;
            const PLATFORM: Platform = $platform;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn connects() { scenarios::connects(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn refused_by_the_platform() { scenarios::refused_by_the_platform(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn malformed_input_never_reaches_the_platform() { scenarios::malformed_input_never_reaches_the_platform(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn platform_down() { scenarios::platform_trouble(PLATFORM, Failure::Outage, "temporarily_unavailable").await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn platform_timeout() { scenarios::platform_trouble(PLATFORM, Failure::Slow(std::time::Duration::from_secs(30)), "provider_timeout").await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn limit_reached() { scenarios::limit_reached(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn reconnects_in_place() { scenarios::reconnects_in_place(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn refuses_another_account_on_reconnect() { scenarios::refuses_another_account_on_reconnect(PLATFORM).await }
        }
    )*};
}

credential_platform_tests! {
    bluesky => Platform::Bluesky,
    telegram => Platform::Telegram,
    listmonk => Platform::Listmonk,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_server_on_a_private_network_is_refused() {
    let (app, platforms) = TestApp::with_platforms(Backend::Sqlite).await;
    let cookie = app.sign_up("ada@example.com").await;
    let fields = [
        ("base_url", "http://192.168.1.20:9000"),
        ("api_user", "x"),
        ("token", "y"),
    ];
    let response = app
        .post_form("/api/v1/auth/listmonk/credentials", &fields, Some(&cookie))
        .await;
    assert_form_error(&response, Platform::Listmonk, "base_url", "private_url");
    assert!(
        !response.location().contains("192.168"),
        "the address does not travel in the link"
    );
    let form = app.get(response.location(), Some(&cookie)).await;
    assert!(
        form.body.contains("http://192.168.1.20:9000"),
        "the address is kept for the form, in the session"
    );
    assert_eq!(
        platforms
            .sandbox
            .calls(Platform::Listmonk, Endpoint::Credentials),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_stored_encrypted_on_postgres() {
    let (app, _platforms) = TestApp::with_platforms(Backend::Postgres).await;
    let cookie = app.sign_up("ada@example.com").await;
    for platform in [Platform::Bluesky, Platform::Telegram, Platform::Listmonk] {
        assert_connected(
            &post(&app, &cookie, platform, &good_fields(&app, platform, "ada")).await,
            platform,
        );
    }
    type Sealed = Option<Vec<u8>>;
    let rows: Vec<(Sealed, Sealed, Sealed)> = sqlx::query_as(
        "SELECT access_token_enc, refresh_token_enc, secrets_enc FROM connected_accounts",
    )
    .fetch_all(app.state.db.pool())
    .await
    .unwrap();
    assert_eq!(rows.len(), 3);
    for (access, refresh, secrets) in rows {
        for sealed in [access, refresh, secrets].into_iter().flatten() {
            let text = String::from_utf8_lossy(&sealed);
            for plain in [
                "sbx.",
                "sandbox-token",
                SANDBOX_LISTMONK_TOKEN,
                SANDBOX_BLUESKY_APP_PASSWORD,
            ] {
                assert!(!text.contains(plain), "no plaintext secret at rest");
            }
        }
    }
}
