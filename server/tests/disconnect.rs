//! Disconnecting: the confirmation page, the rules for scheduled posts with one and with several
//! targets (SQLite and PostgreSQL), no token surviving, the `account.disconnected` event,
//! revocation at the platforms that have it (and its failure tolerated), and the audit trail.

mod common;

use axum::http::StatusCode;
use common::api::ApiClient;
use common::{assert_connected, Backend, Consent, TestApp, ALLOW_LOOPBACK};
use domain::Platform;
use engine::connections::accounts::Sealed;
use sandbox::{Endpoint, Failure};

/// A person with these platforms connected (as "ada"), an API key, and each account's id.
async fn connected(
    backend: Backend,
    platforms: &[Platform],
) -> (TestApp, common::Platforms, String, String, Vec<String>) {
    let (app, sandbox) = TestApp::with_platforms_and(backend, ALLOW_LOOPBACK).await;
    let cookie = app.sign_up("ada@example.com").await;
    let mut ids = Vec::new();
    for platform in platforms {
        let response = app
            .connect(&cookie, &app.connect_start(*platform), Consent::default())
            .await;
        assert_connected(&response, *platform);
        let accounts = app.accounts(&cookie).await;
        let id = accounts
            .iter()
            .find(|a| a["platform"] == platform.slug())
            .and_then(|a| a["id"].as_str())
            .unwrap()
            .to_owned();
        ids.push(id);
    }
    let key = app.create_api_key(&cookie, "Scheduler").await;
    (app, sandbox, cookie, key, ids)
}

async fn disconnect(app: &TestApp, cookie: &str, id: &str) -> common::TestResponse {
    app.submit(
        &format!("/dashboard/connections/{id}/disconnect"),
        "disconnect_account",
        &[("account", id)],
        Some(cookie),
    )
    .await
}

/// The toast the connections page shows after a disconnect (once).
async fn toast(app: &TestApp, cookie: &str, location: &str) -> String {
    let page = app.get(location, Some(cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    let start = page
        .body
        .find("data-testid=\"toast\"")
        .expect("the page shows a toast");
    page.body[start..start + 900.min(page.body.len() - start)].to_owned()
}

async fn outbox(app: &TestApp, kind: &str) -> Vec<serde_json::Value> {
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM outbox_events WHERE kind = $1 ORDER BY created_at")
            .bind(kind)
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
    payloads
        .iter()
        .map(|p| serde_json::from_str(p).unwrap())
        .collect()
}

scenarios_on_both_databases!(
    single_target_posts_are_cancelled_and_shared_posts_keep_their_other_targets,
    no_token_survives_and_the_api_can_neither_vend_nor_target_it,
);

mod scenarios {
    use super::*;

    pub async fn single_target_posts_are_cancelled_and_shared_posts_keep_their_other_targets(
        backend: Backend,
    ) {
        let (app, _sandbox, cookie, key, ids) =
            connected(backend, &[Platform::X, Platform::Pinterest]).await;
        let (x, pinterest) = (&ids[0], &ids[1]);
        let api = ApiClient::new(&app, &key).await;
        let only_x = api.schedule("Only on X", &[x]).await;
        let both = api.schedule("On X and Pinterest", &[x, pinterest]).await;
        let only_pinterest = api.schedule("Only on Pinterest", &[pinterest]).await;
        let already_cancelled = api.schedule("Cancelled before", &[x]).await;
        api.post(&format!("/api/v1/posts/{already_cancelled}/cancel"), None)
            .await;

        let preview = app
            .call_with("disconnect_preview", &format!("account={x}"), Some(&cookie))
            .await
            .json();
        assert_eq!(preview["posts_cancelled"], 1);
        assert_eq!(preview["posts_continuing"], 1);
        assert_eq!(preview["revocable"], true);

        let response = disconnect(&app, &cookie, x).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        assert_eq!(response.location(), "/dashboard/connections?disconnected=x");

        let cancelled = api.post_of(&only_x).await;
        assert_eq!(cancelled["status"], "cancelled");
        assert_eq!(cancelled["cancel_reason"], "account_disconnected");
        assert_eq!(cancelled["targets"], serde_json::json!([]));
        let shared = api.post_of(&both).await;
        assert_eq!(shared["status"], "scheduled");
        let targets: Vec<&str> = shared["targets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["account_id"].as_str().unwrap())
            .collect();
        assert_eq!(targets, [pinterest.as_str()]);
        assert_eq!(api.post_of(&only_pinterest).await["status"], "scheduled");
        let earlier = api.post_of(&already_cancelled).await;
        assert_eq!(
            earlier["cancel_reason"], "cancelled_by_owner",
            "an earlier cancel keeps its reason"
        );

        let events = outbox(&app, "account.disconnected").await;
        assert_eq!(events.len(), 1);
        let data = &events[0]["data"];
        assert_eq!(data["account_id"], x.as_str());
        assert_eq!(data["platform"], "x");
        assert_eq!(data["cancelled_post_ids"], serde_json::json!([only_x]));
        assert_eq!(data["continuing_post_ids"], serde_json::json!([both]));

        let toast = toast(&app, &cookie, response.location()).await;
        assert!(toast.contains("revoked at X"), "{toast}");
        assert!(
            toast.contains("1 scheduled post that went only to it was cancelled; 1 scheduled post with other accounts keeps going to them."),
            "{toast}"
        );
        // The toast was kept for one showing.
        let again = app.get(response.location(), Some(&cookie)).await;
        assert!(!again.body.contains("data-testid=\"toast\""));
    }

    pub async fn no_token_survives_and_the_api_can_neither_vend_nor_target_it(backend: Backend) {
        let (app, _sandbox, cookie, key, ids) = connected(backend, &[Platform::Reddit]).await;
        let id = &ids[0];
        let api = ApiClient::new(&app, &key).await;
        let token = api
            .post(&format!("/api/v1/accounts/{id}/access-token"), None)
            .await;
        assert_eq!(token.status, StatusCode::OK);

        disconnect(&app, &cookie, id).await;

        let rows: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM connected_accounts WHERE id = $1 OR workspace_id = (SELECT id FROM users WHERE email = 'ada@example.com')",
        )
        .bind(id)
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
        assert_eq!(rows, 0, "the record and every sealed token are gone");
        for (method, path) in [
            ("POST", format!("/api/v1/accounts/{id}/access-token")),
            ("GET", format!("/api/v1/accounts/{id}")),
        ] {
            let response = api.request(method.parse().unwrap(), &path, None, &[]).await;
            assert_eq!(response.status, StatusCode::NOT_FOUND, "{method} {path}");
        }
        let target = api
            .post(
                "/api/v1/posts",
                Some(serde_json::json!({
                    "text": "To a gone account",
                    "scheduled_at": chrono::Utc::now() + chrono::Duration::hours(1),
                    "account_ids": [id],
                })),
            )
            .await;
        assert_eq!(target.status, StatusCode::NOT_FOUND);
        assert_eq!(api.account_ids().await, Vec::<String>::new());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_confirmation_page_says_what_will_happen_and_posts_a_plain_form() {
    let (app, _sandbox, cookie, key, ids) =
        connected(Backend::Sqlite, &[Platform::Pinterest, Platform::X]).await;
    let api = ApiClient::new(&app, &key).await;
    api.schedule("One", &[&ids[0]]).await;
    api.schedule("Two", &[&ids[0]]).await;
    api.schedule("Shared", &[&ids[0], &ids[1]]).await;
    let list = app.get("/dashboard/connections", Some(&cookie)).await;
    let link = format!("/dashboard/connections/{}/disconnect", ids[0]);
    assert!(
        list.body.contains(&format!("href=\"{link}\"")),
        "every card links to its confirmation"
    );
    let page = app.get(&link, Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "2 scheduled posts that go only to this account will be cancelled.",
        "1 scheduled post that goes to other accounts too will keep going to them.",
        "Pinterest does not let Plugboard revoke its own access",
        "https://www.pinterest.com/settings/security",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    assert!(page
        .body
        .contains("action=\"/api/fn/disconnect_account\" method=\"post\""));
    assert!(page
        .body
        .contains(&format!("name=\"account\" value=\"{}\"", ids[0])));

    let someone_else = app.sign_up("mallory@example.com").await;
    let theirs = app.get(&link, Some(&someone_else)).await;
    assert!(theirs.body.contains("This account is not connected"));
    let attempt = disconnect(&app, &someone_else, &ids[0]).await;
    assert_eq!(
        attempt.location(),
        "/dashboard/connections?error=already_disconnected"
    );
    assert_eq!(
        app.accounts(&cookie).await.len(),
        2,
        "another person cannot disconnect it"
    );

    let forged = app
        .post_form_from(
            "/api/fn/disconnect_account",
            &[("account", &ids[0])],
            Some(&cookie),
            "https://evil.example",
            "cross-site",
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.accounts(&cookie).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_click_finds_it_already_disconnected() {
    let (app, _sandbox, cookie, _key, ids) = connected(Backend::Sqlite, &[Platform::X]).await;
    let (first, second) = tokio::join!(
        disconnect(&app, &cookie, &ids[0]),
        disconnect(&app, &cookie, &ids[0])
    );
    let mut locations = [first.location().to_owned(), second.location().to_owned()];
    locations.sort();
    assert_eq!(
        locations,
        [
            "/dashboard/connections?disconnected=x",
            "/dashboard/connections?error=already_disconnected"
        ]
    );
    assert_eq!(outbox(&app, "account.disconnected").await.len(), 1);
    let page = app
        .get(
            "/dashboard/connections?error=already_disconnected",
            Some(&cookie),
        )
        .await;
    assert!(page.body.contains("That account was already disconnected."));
}

mod revocation {
    use super::*;

    /// Disconnects an account of `platform` and checks the platform was asked to revoke the
    /// grant, and that its token no longer works there.
    async fn revokes(platform: Platform) {
        let (app, sandbox, cookie, key, ids) = connected(Backend::Sqlite, &[platform]).await;
        let api = ApiClient::new(&app, &key).await;
        let token = api
            .post(&format!("/api/v1/accounts/{}/access-token", ids[0]), None)
            .await
            .json()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(sandbox.sandbox.accepts(platform, &token));
        let refresh = app.stored_secret(&ids[0], Sealed::RefreshToken).await;
        let response = disconnect(&app, &cookie, &ids[0]).await;
        // Every token the platform's description names, that the account held.
        let named = engine::platforms::catalog::spec(platform)
            .revoke_tokens
            .iter()
            .filter(|kind| {
                **kind == engine::platforms::catalog::RevokeToken::AccessToken
                    || !refresh.is_empty()
            })
            .count() as u64;
        assert_eq!(sandbox.sandbox.calls(platform, Endpoint::Revoke), named);
        // The grant is gone as a whole: neither the access token nor the refresh token works.
        assert!(
            !sandbox.sandbox.accepts(platform, &token),
            "the access token is revoked at {platform}"
        );
        // Where the platform lets a revocation end the grant (Google, Reddit, TikTok) or take a
        // refresh token (X), the refresh token is gone too.
        let whole_grant = engine::platforms::catalog::spec(platform)
            .revoke_tokens
            .contains(&engine::platforms::catalog::RevokeToken::RefreshToken)
            || sandbox::shapes::revocation_ends_grant(platform, false);
        if whole_grant && !refresh.is_empty() {
            assert!(
                !sandbox.sandbox.accepts_refresh(platform, &refresh),
                "the refresh token is revoked at {platform}"
            );
        }
        let toast = toast(&app, &cookie, response.location()).await;
        assert!(
            toast.contains(&format!("revoked at {}", platform.display_name())),
            "{toast}"
        );
    }

    macro_rules! revokes_on {
        ($($name:ident => $platform:expr),* $(,)?) => {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { revokes($platform).await } )*
        };
    }

    revokes_on!(
        x => Platform::X,
        linkedin => Platform::LinkedIn,
        youtube => Platform::YouTube,
        tiktok => Platform::TikTok,
        reddit => Platform::Reddit,
        slack => Platform::Slack,
        mastodon => Platform::Mastodon,
    );

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn platforms_without_an_endpoint_get_a_link_to_their_page_instead() {
        let (app, sandbox, cookie, _key, ids) =
            connected(Backend::Sqlite, &[Platform::Pinterest]).await;
        let response = disconnect(&app, &cookie, &ids[0]).await;
        assert_eq!(
            sandbox.sandbox.calls(Platform::Pinterest, Endpoint::Revoke),
            0
        );
        let toast = toast(&app, &cookie, response.location()).await;
        assert!(toast.contains("remove Plugboard there yourself"), "{toast}");
        assert!(
            toast.contains("href=\"https://www.pinterest.com/settings/security\""),
            "{toast}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_platform_that_is_down_or_slow_never_keeps_the_account() {
        for failure in [
            Failure::Outage,
            Failure::Slow(std::time::Duration::from_secs(3)),
        ] {
            let (app, sandbox, cookie, _key, ids) =
                connected(Backend::Sqlite, &[Platform::X]).await;
            sandbox.sandbox.fail(Platform::X, Endpoint::Revoke, failure);
            let response = disconnect(&app, &cookie, &ids[0]).await;
            assert_eq!(response.location(), "/dashboard/connections?disconnected=x");
            assert_eq!(app.accounts(&cookie).await.len(), 0, "{failure:?}");
            let toast = toast(&app, &cookie, response.location()).await;
            assert!(
                toast.contains("did not confirm revoking"),
                "{failure:?}: {toast}"
            );
            assert!(
                toast.contains("href=\"https://x.com/settings/connected_apps\""),
                "{toast}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_trail_records_who_did_what() {
    let (app, sandbox, cookie, _key, ids) =
        connected(Backend::Sqlite, &[Platform::X, Platform::Reddit]).await;
    let reconnect = app
        .connect(
            &cookie,
            &format!("/api/v1/auth/x/connect?account={}", ids[0]),
            Consent::default(),
        )
        .await;
    assert_connected(&reconnect, Platform::X);
    sandbox.sandbox.revoke(Platform::Reddit, "ada");
    sqlx::query("UPDATE connected_accounts SET next_refresh_at = 0 WHERE id = $1")
        .bind(&ids[1])
        .execute(app.state.db.pool())
        .await
        .unwrap();
    engine::keep_alive::refresh::refresh_account(&app.state, &ids[1], false)
        .await
        .unwrap();
    app.submit(
        "/dashboard/webhooks",
        "add_webhook_endpoint",
        &[("url", "http://127.0.0.1:9/hook")],
        Some(&cookie),
    )
    .await;
    disconnect(&app, &cookie, &ids[0]).await;

    let cards = app.accounts(&cookie).await;
    let history: Vec<&str> = cards[0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        history,
        ["account.refresh_failed", "account.connected"],
        "newest first, per account"
    );
    assert_eq!(cards[0]["history"][0]["actor"], "Plugboard");

    let settings = app.call("settings_overview", Some(&cookie)).await.json();
    let trail: Vec<(String, String)> = settings["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let ada = "ada@example.com".to_owned();
    assert_eq!(
        trail,
        [
            ("account.disconnected".into(), ada.clone()),
            ("webhook.added".into(), ada.clone()),
            ("account.refresh_failed".into(), "Plugboard".into()),
            ("account.reconnected".into(), ada.clone()),
            ("api_key.created".into(), ada.clone()),
            ("account.connected".into(), ada.clone()),
            ("account.connected".into(), ada.clone()),
            ("workspace.created".into(), ada.clone()),
        ]
    );
    let page = app.get("/dashboard/settings", Some(&cookie)).await;
    assert!(page.body.contains("Token refresh failed: reconnect needed"));
    let list = app.get("/dashboard/connections", Some(&cookie)).await;
    assert!(list.body.contains("Recent activity"));
}
