//! Connecting each OAuth platform end to end against stand-ins that answer like the platform:
//! success, denial, every kind of bad state, every kind of token and profile failure, the plan
//! limit, and reconnecting the same or a different upstream account.

mod common;

use axum::http::StatusCode;
use common::{assert_connected, assert_error, Backend, Consent, TestApp, ALLOW_LOOPBACK};
use domain::Platform;
use engine::connections::accounts::Sealed;
use sandbox::{Endpoint, Failure};

fn start(app: &TestApp, platform: Platform) -> String {
    app.connect_start(platform)
}

fn reconnect(platform: Platform, id: &str) -> String {
    format!("/api/v1/auth/{}/connect?account={id}", platform.slug())
}

/// Reconnects an account with the default consent, and expects it to work.
async fn reconnect_ok(app: &TestApp, cookie: &str, platform: Platform, id: &str) {
    let response = app
        .connect(cookie, &reconnect(platform, id), Consent::default())
        .await;
    assert_connected(&response, platform);
}

async fn signed_up(backend: Backend) -> (TestApp, common::Platforms, String) {
    let (app, platforms) = TestApp::with_platforms(backend).await;
    let cookie = app.sign_up("ada@example.com").await;
    (app, platforms, cookie)
}

/// Completes a connect, picking every offered account when the platform offers several.
async fn connect_ok(app: &TestApp, cookie: &str, platform: Platform, consent: Consent) {
    let response = app.connect(cookie, &start(app, platform), consent).await;
    if platform == Platform::Facebook {
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        let select = response.location().to_owned();
        assert!(
            select.starts_with("/dashboard/connections/select/"),
            "{select}"
        );
        let page = app.get(&select, Some(cookie)).await;
        let selection = select.rsplit('/').next().unwrap();
        let pages: Vec<&str> = page
            .body
            .split("name=\"account\" value=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(!pages.is_empty(), "the choice page lists the Pages");
        let mut fields = vec![("selection", selection)];
        fields.extend(pages.iter().map(|p| ("account", *p)));
        let chosen = app
            .post_form("/api/v1/auth/facebook/select", &fields, Some(cookie))
            .await;
        assert_connected(&chosen, platform);
    } else {
        assert_connected(&response, platform);
    }
}

mod scenarios {
    use super::*;

    pub async fn success(platform: Platform) {
        let (app, platforms, cookie) = signed_up(Backend::Sqlite).await;
        connect_ok(&app, &cookie, platform, Consent::default()).await;
        let accounts = app.accounts(&cookie).await;
        let expected = if platform == Platform::Facebook { 2 } else { 1 };
        assert_eq!(accounts.len(), expected, "{accounts:?}");
        for account in &accounts {
            assert_eq!(account["platform"], platform.slug());
            assert_eq!(account["status"]["status"], "ok");
            let text = account.to_string();
            assert!(text.contains("ada"), "the sandbox person's names: {text}");
        }
        if platform == Platform::X {
            assert_eq!(
                accounts[0]["is_x_premium"], true,
                "Premium read from subscription_type"
            );
        }
        assert_eq!(
            platforms.sandbox.calls(platform, Endpoint::Token),
            1,
            "the code is exchanged once"
        );
        // No token anywhere a browser can see.
        let page = app.get("/dashboard/connections", Some(&cookie)).await;
        assert!(!page.body.contains("sbx."), "no token in the page");
        assert!(!app
            .call("connected_accounts", Some(&cookie))
            .await
            .body
            .contains("sbx."));
    }

    pub async fn denied(platform: Platform) {
        let (app, _platforms, cookie) = signed_up(Backend::Sqlite).await;
        let response = app
            .connect(&cookie, &start(&app, platform), Consent::deny())
            .await;
        let expected = if platform == Platform::LinkedIn {
            "user_cancelled_authorize"
        } else {
            "access_denied"
        };
        assert_error(&response, expected, platform);
        assert!(app.accounts(&cookie).await.is_empty());
    }

    pub async fn missing_state(platform: Platform) {
        let (app, platforms, cookie) = signed_up(Backend::Sqlite).await;
        let callback = app
            .consent(&cookie, &start(&app, platform), Consent::default())
            .await;
        let without_state: String = {
            let (path, query) = callback.split_once('?').unwrap();
            let kept: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .filter(|(k, _)| k != "state")
                .collect();
            format!(
                "{path}?{}",
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(kept)
                    .finish()
            )
        };
        assert_error(
            &app.get(&without_state, Some(&cookie)).await,
            "invalid_state",
            platform,
        );
        assert_eq!(
            platforms.sandbox.calls(platform, Endpoint::Token),
            0,
            "nothing exchanged"
        );
    }

    pub async fn replayed_state(platform: Platform) {
        let (app, platforms, cookie) = signed_up(Backend::Sqlite).await;
        // A callback that failed at the platform cannot be replayed to try again.
        let failed = app
            .consent(
                &cookie,
                &start(&app, platform),
                Consent::simulating("outage"),
            )
            .await;
        assert_error(
            &app.get(&failed, Some(&cookie)).await,
            "temporarily_unavailable",
            platform,
        );
        assert_error(
            &app.get(&failed, Some(&cookie)).await,
            "state_used",
            platform,
        );
        assert_eq!(platforms.sandbox.calls(platform, Endpoint::Token), 1);
        // A callback that connected, clicked again, says connected and exchanges nothing more.
        if platform != Platform::Facebook {
            let callback = app
                .consent(&cookie, &start(&app, platform), Consent::default())
                .await;
            assert_connected(&app.get(&callback, Some(&cookie)).await, platform);
            assert_connected(&app.get(&callback, Some(&cookie)).await, platform);
            assert_eq!(platforms.sandbox.calls(platform, Endpoint::Token), 2);
            assert_eq!(app.accounts(&cookie).await.len(), 1);
        }
    }

    pub async fn expired_state(platform: Platform) {
        let (app, platforms, cookie) = signed_up(Backend::Sqlite).await;
        let callback = app
            .consent(&cookie, &start(&app, platform), Consent::default())
            .await;
        sqlx::query("UPDATE oauth_states SET expires_at = 0")
            .execute(app.state.db.pool())
            .await
            .unwrap();
        assert_error(
            &app.get(&callback, Some(&cookie)).await,
            "state_expired",
            platform,
        );
        assert_eq!(platforms.sandbox.calls(platform, Endpoint::Token), 0);
    }

    pub async fn foreign_state(platform: Platform) {
        let (app, platforms, ada) = signed_up(Backend::Sqlite).await;
        let eve = app.sign_up("eve@example.com").await;
        let callback = app
            .consent(&ada, &start(&app, platform), Consent::default())
            .await;
        assert_error(
            &app.get(&callback, Some(&eve)).await,
            "state_mismatch",
            platform,
        );
        assert!(app.accounts(&eve).await.is_empty());
        assert_eq!(platforms.sandbox.calls(platform, Endpoint::Token), 0);
        // The state is still Ada's to use.
        let own = app.get(&callback, Some(&ada)).await;
        assert_eq!(own.status, StatusCode::SEE_OTHER);
        assert!(!own.location().contains("error="), "{}", own.location());
    }

    pub async fn token_failure(platform: Platform, simulate: &'static str, code: &str) {
        let (app, _platforms, cookie) = signed_up(Backend::Sqlite).await;
        let response = app
            .connect(
                &cookie,
                &start(&app, platform),
                Consent::simulating(simulate),
            )
            .await;
        assert_error(&response, code, platform);
        assert!(app.accounts(&cookie).await.is_empty(), "nothing stored");
    }

    pub async fn limit_reached(platform: Platform) {
        let (app, platforms, cookie) = signed_up(Backend::Sqlite).await;
        app.seed_demo_accounts("ada@example.com", 3).await;
        let response = app
            .start_connect(&start(&app, platform), Some(&cookie))
            .await;
        assert_error(&response, "limit_reached", platform);
        assert_eq!(platforms.sandbox.calls(platform, Endpoint::Token), 0);
    }

    pub async fn limit_reached_during_consent(platform: Platform) {
        let (app, _platforms, cookie) = signed_up(Backend::Sqlite).await;
        app.seed_demo_accounts("ada@example.com", 2).await;
        let callback = app
            .consent(&cookie, &start(&app, platform), Consent::default())
            .await;
        app.seed_demo_accounts("ada@example.com", 1).await;
        let response = app.get(&callback, Some(&cookie)).await;
        if platform == Platform::Facebook {
            // The limit is checked again when the Pages are picked.
            let select = response.location().to_owned();
            let selection = select.rsplit('/').next().unwrap();
            let chosen = app
                .post_form(
                    "/api/v1/auth/facebook/select",
                    &[("selection", selection), ("account", "facebook-ada-page-1")],
                    Some(&cookie),
                )
                .await;
            assert_error(&chosen, "limit_reached", platform);
        } else {
            assert_error(&response, "limit_reached", platform);
        }
        assert_eq!(app.accounts(&cookie).await.len(), 3);
    }

    pub async fn reconnect_same_account(platform: Platform) {
        let (app, _platforms, cookie) = signed_up(Backend::Sqlite).await;
        connect_ok(&app, &cookie, platform, Consent::default()).await;
        let before = app.accounts(&cookie).await;
        let id = before[0]["id"].as_str().unwrap().to_owned();
        sqlx::query("UPDATE connected_accounts SET token_status = 'needs_reconnect' WHERE id = $1")
            .bind(&id)
            .execute(app.state.db.pool())
            .await
            .unwrap();
        assert_eq!(
            app.accounts(&cookie)
                .await
                .iter()
                .find(|a| a["id"] == id.as_str())
                .unwrap()["status"]["status"],
            "needs_reconnect"
        );
        reconnect_ok(&app, &cookie, platform, &id).await;
        let after = app.accounts(&cookie).await;
        assert_eq!(after.len(), before.len(), "same rows, no new one");
        let account = after
            .iter()
            .find(|a| a["id"] == id.as_str())
            .expect("same id");
        assert_eq!(
            account["status"]["status"], "ok",
            "reconnect clears needs_reconnect"
        );
    }

    pub async fn reconnect_other_account(platform: Platform) {
        let (app, platforms, cookie) = signed_up(Backend::Sqlite).await;
        connect_ok(&app, &cookie, platform, Consent::default()).await;
        let before = app.accounts(&cookie).await;
        let id = before[0]["id"].as_str().unwrap().to_owned();
        let response = app
            .connect(
                &cookie,
                &reconnect(platform, &id),
                Consent::as_person("grace"),
            )
            .await;
        assert_error(&response, "account_mismatch", platform);
        assert_eq!(app.accounts(&cookie).await, before, "nothing changed");
        // The grant Grace just gave is not kept, and where the platform can revoke it, it is
        // not left alive there either.
        let graces = platforms.sandbox.last_issued(platform, "grace");
        let access = graces.access.expect("Grace was given a token");
        let revocable = app
            .state
            .config
            .providers
            .get(platform)
            .revoke_url
            .is_some();
        assert_eq!(
            platforms.sandbox.accepts(platform, &access),
            !revocable,
            "Grace's fresh grant is revoked where {platform} allows it"
        );
    }
}

macro_rules! oauth_platform_tests {
    ($($module:ident => $platform:expr),* $(,)?) => {$(
        mod $module {
            use super::*;
            const PLATFORM: Platform = $platform;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn connects() { scenarios::success(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn denied_by_the_person() { scenarios::denied(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn refuses_a_missing_state() { scenarios::missing_state(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn refuses_a_replayed_state() { scenarios::replayed_state(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn refuses_an_expired_state() { scenarios::expired_state(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn refuses_another_users_state() { scenarios::foreign_state(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn token_endpoint_invalid_grant() { scenarios::token_failure(PLATFORM, "invalid_grant", "invalid_grant").await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn token_endpoint_down() { scenarios::token_failure(PLATFORM, "outage", "temporarily_unavailable").await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn token_endpoint_timeout() { scenarios::token_failure(PLATFORM, "slow", "provider_timeout").await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn profile_unauthorized() { scenarios::token_failure(PLATFORM, "unauthorized", "invalid_token").await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn limit_reached_at_start() { scenarios::limit_reached(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn limit_reached_at_the_callback() { scenarios::limit_reached_during_consent(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn reconnects_the_same_account_in_place() { scenarios::reconnect_same_account(PLATFORM).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn refuses_to_reconnect_another_account() { scenarios::reconnect_other_account(PLATFORM).await }
        }
    )*};
}

oauth_platform_tests! {
    x => Platform::X,
    linkedin => Platform::LinkedIn,
    youtube => Platform::YouTube,
    tiktok => Platform::TikTok,
    threads => Platform::Threads,
    instagram => Platform::Instagram,
    facebook => Platform::Facebook,
    pinterest => Platform::Pinterest,
    reddit => Platform::Reddit,
    slack => Platform::Slack,
    mastodon => Platform::Mastodon,
}

/// The flow's database-facing parts, on PostgreSQL too.
mod on_postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connect_reconnect_and_mismatch() {
        let (app, platforms, cookie) = signed_up(Backend::Postgres).await;
        connect_ok(&app, &cookie, Platform::Reddit, Consent::default()).await;
        let id = app.first_account_id(&cookie).await;
        reconnect_ok(&app, &cookie, Platform::Reddit, &id).await;
        assert_error(
            &app.connect(
                &cookie,
                &reconnect(Platform::Reddit, &id),
                Consent::as_person("grace"),
            )
            .await,
            "account_mismatch",
            Platform::Reddit,
        );
        assert_eq!(app.accounts(&cookie).await.len(), 1);
        assert_eq!(
            platforms.sandbox.calls(Platform::Reddit, Endpoint::Token),
            3
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn states_are_single_use_and_bound() {
        let (app, _platforms, ada) = signed_up(Backend::Postgres).await;
        let eve = app.sign_up("eve@example.com").await;
        let callback = app
            .consent(&ada, &start(&app, Platform::X), Consent::default())
            .await;
        assert_error(
            &app.get(&callback, Some(&eve)).await,
            "state_mismatch",
            Platform::X,
        );
        assert_connected(&app.get(&callback, Some(&ada)).await, Platform::X);
        assert_connected(&app.get(&callback, Some(&ada)).await, Platform::X);
        let expired = app
            .consent(&ada, &start(&app, Platform::X), Consent::default())
            .await;
        sqlx::query("UPDATE oauth_states SET expires_at = 0 WHERE consumed_at IS NULL")
            .execute(app.state.db.pool())
            .await
            .unwrap();
        assert_error(
            &app.get(&expired, Some(&ada)).await,
            "state_expired",
            Platform::X,
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn facebook_pages_are_chosen_once() {
        let (app, _platforms, cookie) = signed_up(Backend::Postgres).await;
        let response = app
            .connect(
                &cookie,
                &start(&app, Platform::Facebook),
                Consent::default(),
            )
            .await;
        let select = response.location().to_owned();
        let selection = select.rsplit('/').next().unwrap().to_owned();
        let none = app
            .post_form(
                "/api/v1/auth/facebook/select",
                &[("selection", &selection)],
                Some(&cookie),
            )
            .await;
        assert!(
            none.location().ends_with("?error=none_picked"),
            "{}",
            none.location()
        );
        let chosen = app
            .post_form(
                "/api/v1/auth/facebook/select",
                &[
                    ("selection", &selection),
                    ("account", "facebook-ada-page-2"),
                ],
                Some(&cookie),
            )
            .await;
        assert_connected(&chosen, Platform::Facebook);
        let again = app
            .post_form(
                "/api/v1/auth/facebook/select",
                &[
                    ("selection", &selection),
                    ("account", "facebook-ada-page-1"),
                ],
                Some(&cookie),
            )
            .await;
        assert_error(&again, "state_expired", Platform::Facebook);
        let accounts = app.accounts(&cookie).await;
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0]["display_name"], "Ada's Workshop");
    }
}

/// Two callbacks finishing at the same moment for the last free slot: exactly one wins.
async fn race_for_the_last_slot(backend: Backend) {
    let (app, _platforms, cookie) = signed_up(backend).await;
    app.seed_demo_accounts("ada@example.com", 2).await;
    let first = app
        .consent(&cookie, &start(&app, Platform::Reddit), Consent::default())
        .await;
    let second = app
        .consent(
            &cookie,
            &start(&app, Platform::Pinterest),
            Consent::default(),
        )
        .await;
    let (a, b) = tokio::join!(
        app.get(&first, Some(&cookie)),
        app.get(&second, Some(&cookie))
    );
    let outcomes = [a.location().to_owned(), b.location().to_owned()];
    assert_eq!(
        outcomes.iter().filter(|l| l.contains("connected=")).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes
            .iter()
            .filter(|l| l.contains("error=limit_reached"))
            .count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        app.accounts(&cookie).await.len(),
        3,
        "the plan's 3, never 4"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_callbacks_cannot_exceed_the_limit_on_sqlite() {
    race_for_the_last_slot(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_callbacks_cannot_exceed_the_limit_on_postgres() {
    race_for_the_last_slot(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_without_a_new_refresh_token_keeps_the_stored_one() {
    let (app, _platforms, cookie) = signed_up(Backend::Sqlite).await;
    connect_ok(&app, &cookie, Platform::YouTube, Consent::default()).await;
    let id = app.first_account_id(&cookie).await;
    let read_refresh = || async {
        let mut conn = app.state.db.pool().acquire().await.unwrap();
        engine::connections::accounts::open_secret(
            &mut conn,
            &app.state.secrets,
            &id,
            Sealed::RefreshToken,
        )
        .await
        .unwrap()
    };
    let before = read_refresh().await.expect("YouTube gave a refresh token");
    // A reconnect whose answer has no refresh token (Google does this when consent is remembered).
    let user = engine::identity::users::find_by_email(&app.state.db, "ada@example.com")
        .await
        .unwrap()
        .unwrap();
    let mut conn = app.state.db.pool().acquire().await.unwrap();
    let workspace = app.workspace_id("ada@example.com").await;
    let record = engine::connections::accounts::find_owned(&mut conn, &workspace, &id)
        .await
        .unwrap()
        .unwrap();
    drop(conn);
    let account = engine::connections::accounts::NewAccount {
        platform: Platform::YouTube,
        platform_account_id: record.platform_account_id.clone(),
        username: record.username.clone(),
        display_name: record.display_name.clone(),
        profile_image_url: None,
        token_expires_at: None,
        token_status: domain::StoredTokenStatus::Active,
        is_x_premium: false,
        access_token: Some(secrecy::SecretString::from("sbx.new-access".to_owned())),
        refresh_token: None,
        refresh_token_expires_at: None,
        extra_secret: None,
        granted_scopes: None,
        metadata: serde_json::json!({}),
        next_refresh_at: None,
    };
    let member = engine::identity::workspaces::member(&app.state.db, user, None)
        .await
        .unwrap();
    let who = engine::connections::connect::Connector::from(&member);
    engine::connections::connect::store(&app.state, &who, Some(&id), account)
        .await
        .unwrap();
    use secrecy::ExposeSecret;
    assert_eq!(
        read_refresh().await.unwrap().expose_secret(),
        before.expose_secret()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_registers_once_per_instance() {
    let (app, _platforms, cookie) = signed_up(Backend::Sqlite).await;
    connect_ok(&app, &cookie, Platform::Mastodon, Consent::default()).await;
    let id = app.first_account_id(&cookie).await;
    reconnect_ok(&app, &cookie, Platform::Mastodon, &id).await;
    let apps: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mastodon_apps")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(apps, 1);
    let username = app.accounts(&cookie).await[0]["username"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        username.starts_with("ada_sandbox@"),
        "acct gets the instance's host: {username}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_account_id_on_another_mastodon_instance_is_another_account() {
    let (app, platforms) = TestApp::with_platforms_and(Backend::Sqlite, ALLOW_LOOPBACK).await;
    let cookie = app.sign_up("ada@example.com").await;
    connect_ok(&app, &cookie, Platform::Mastodon, Consent::default()).await;
    let first = app.accounts(&cookie).await;
    // Another server, whose account has the very same id.
    let other = common::Platforms::start().await;
    let other_instance = format!("{}/sandbox/mastodon", other.base);
    let encoded: String = url::form_urlencoded::byte_serialize(other_instance.as_bytes()).collect();
    let response = app
        .connect(
            &cookie,
            &format!("/api/v1/auth/mastodon/connect?instance={encoded}"),
            Consent::default(),
        )
        .await;
    assert_connected(&response, Platform::Mastodon);
    let accounts = app.accounts(&cookie).await;
    assert_eq!(accounts.len(), 2, "a second account, not a replacement");
    assert!(
        accounts.contains(&first[0]),
        "the first instance's account is untouched"
    );
    let _ = platforms;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connect_cannot_be_started_by_another_site() {
    let (app, _platforms, cookie) = signed_up(Backend::Sqlite).await;
    // A link or an image on another site is a GET: there is nothing to start there.
    let linked = app.get("/api/v1/auth/x/connect", Some(&cookie)).await;
    assert_eq!(linked.status, StatusCode::METHOD_NOT_ALLOWED);
    // A form on another site posting here is refused before anything happens.
    let posted = app
        .post_form_from(
            "/api/v1/auth/x/connect",
            &[],
            Some(&cookie),
            "https://evil.example",
            "cross-site",
        )
        .await;
    assert_eq!(posted.status, StatusCode::FORBIDDEN);
    let states: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oauth_states")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(states, 0, "no connect was started");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_cannot_choose_the_server_a_form_sends_credentials_to() {
    let (app, _platforms, cookie) = signed_up(Backend::Sqlite).await;
    for (platform, field) in [
        ("listmonk", "base_url"),
        ("bluesky", "pds_url"),
        ("mastodon", "instance"),
    ] {
        let page = app
            .get(
                &format!("/dashboard/connections/new/{platform}?{field}=https%3A%2F%2Fevil.example&identifier=ada"),
                Some(&cookie),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            !page.body.contains("evil.example"),
            "{platform}: the link's server is not in the form"
        );
    }
    // What the person typed comes back after a refused attempt, through their session.
    let refused = app
        .post_form(
            "/api/v1/auth/listmonk/credentials",
            &[
                ("base_url", "https://lists.typed.example"),
                ("api_user", "api"),
                ("token", "wrong"),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert!(
        !refused.location().contains("typed.example"),
        "{}",
        refused.location()
    );
    let page = app.get(refused.location(), Some(&cookie)).await;
    assert!(page.body.contains("https://lists.typed.example"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_mastodon_instance_on_a_private_network_is_refused() {
    let (app, _platforms, cookie) = signed_up(Backend::Sqlite).await;
    let response = app
        .start_connect(
            "/api/v1/auth/mastodon/connect?instance=http%3A%2F%2F10.0.0.7",
            Some(&cookie),
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert!(
        response
            .location()
            .starts_with("/dashboard/connections/new/mastodon?"),
        "{}",
        response.location()
    );
    assert!(
        response.location().contains("error=private_url"),
        "{}",
        response.location()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_session_the_callback_asks_to_sign_in_and_comes_back() {
    let (app, _platforms, cookie) = signed_up(Backend::Sqlite).await;
    let callback = app
        .consent(&cookie, &start(&app, Platform::Reddit), Consent::default())
        .await;
    let anonymous = app.get(&callback, None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    let next = anonymous.location().to_owned();
    assert!(
        next.starts_with("/?next=%2Fapi%2Fv1%2Fauth%2Freddit%2Fcallback"),
        "{next}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unconfigured_platforms_say_so() {
    let app = TestApp::new(Backend::Sqlite).await;
    let cookie = app.sign_up("ada@example.com").await;
    assert_error(
        &app.start_connect("/api/v1/auth/x/connect", Some(&cookie))
            .await,
        "not_configured",
        Platform::X,
    );
    let availability = app
        .call("platform_availability", Some(&cookie))
        .await
        .json();
    let x = availability
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["platform"] == "x")
        .unwrap();
    assert!(x["unavailable_reason"]
        .as_str()
        .unwrap()
        .contains("X_CLIENT_ID"));
    let telegram = availability
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["platform"] == "telegram")
        .unwrap();
    assert!(
        telegram["unavailable_reason"].is_null(),
        "credentials platforms need no client"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_injected_for_every_call_also_reach_the_person() {
    let (app, platforms, cookie) = signed_up(Backend::Sqlite).await;
    platforms
        .sandbox
        .fail(Platform::Pinterest, Endpoint::Profile, Failure::RateLimited);
    let response = app
        .connect(
            &cookie,
            &start(&app, Platform::Pinterest),
            Consent::default(),
        )
        .await;
    assert_error(&response, "temporarily_unavailable", Platform::Pinterest);
}
