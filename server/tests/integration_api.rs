//! The integration API for publishing tools: API keys, accounts, fresh tokens (refreshed first,
//! one refresh at a time), scheduled posts, the isolation between owners on every endpoint, and
//! the OpenAPI description kept in step with the routes.

mod common;

use axum::http::{Method, StatusCode};
use common::api::{served_spec, ApiClient};
use common::{assert_connected, Backend, Consent, TestApp};
use domain::Platform;
use sandbox::{Endpoint, Failure};
use serde_json::json;

/// A signed-up person with the given platforms connected and an API key.
async fn tool_with(
    backend: Backend,
    platforms: &[Platform],
) -> (TestApp, common::Platforms, String, String) {
    let (app, sandbox) = TestApp::with_platforms(backend).await;
    let cookie = app.sign_up("ada@example.com").await;
    for platform in platforms {
        let response = app
            .connect(&cookie, &app.connect_start(*platform), Consent::default())
            .await;
        assert_connected(&response, *platform);
    }
    app.settle(&cookie).await;
    let key = app.create_api_key(&cookie, "Scheduler").await;
    (app, sandbox, cookie, key)
}

fn in_hours(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours)).to_rfc3339()
}

async fn set_expiry(app: &TestApp, id: &str, in_seconds: i64) {
    let at = chrono::Utc::now() + chrono::Duration::seconds(in_seconds);
    sqlx::query("UPDATE connected_accounts SET token_expires_at = $1 WHERE id = $2")
        .bind(at.timestamp_millis())
        .bind(id)
        .execute(app.state.db.pool())
        .await
        .unwrap();
}

scenarios_on_both_databases!(
    accounts_are_listed_with_status_and_no_secrets,
    posts_are_scheduled_listed_paged_and_cancelled,
    one_owners_key_never_reaches_another_owners_rows,
);

mod scenarios {
    use super::*;

    pub async fn accounts_are_listed_with_status_and_no_secrets(backend: Backend) {
        let (app, _sandbox, _cookie, key) =
            tool_with(backend, &[Platform::X, Platform::Pinterest]).await;
        let api = ApiClient::new(&app, &key).await;
        let response = api.get("/api/v1/accounts").await;
        assert_eq!(response.status, StatusCode::OK);
        let accounts = response.json()["accounts"].as_array().unwrap().clone();
        let mut platforms: Vec<&str> = accounts
            .iter()
            .map(|a| a["platform"].as_str().unwrap())
            .collect();
        platforms.sort();
        assert_eq!(platforms, ["pinterest", "x"]);
        assert!(accounts.iter().all(|a| a["status"] == "ok"));
        assert!(
            !response.body.contains("token\""),
            "no token fields: {}",
            response.body
        );
        let id = accounts[0]["id"].as_str().unwrap();
        let one = api.get(&format!("/api/v1/accounts/{id}")).await;
        assert_eq!(one.json(), accounts[0]);
        let missing = api.get("/api/v1/accounts/nope").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.json()["error"]["code"], "account_not_found");
    }

    pub async fn posts_are_scheduled_listed_paged_and_cancelled(backend: Backend) {
        let (app, _sandbox, _cookie, key) =
            tool_with(backend, &[Platform::X, Platform::Pinterest]).await;
        let api = ApiClient::new(&app, &key).await;
        let ids = api.account_ids().await;
        let later = api
            .post(
                "/api/v1/posts",
                Some(json!({"text": "Later", "scheduled_at": in_hours(5), "account_ids": [ids[0], ids[1], ids[0]]})),
            )
            .await;
        assert_eq!(later.status, StatusCode::CREATED, "{}", later.body);
        let later = later.json();
        assert_eq!(later["status"], "scheduled");
        assert_eq!(
            later["targets"].as_array().unwrap().len(),
            2,
            "a repeated id counts once"
        );
        let sooner = api.schedule("Sooner", &[&ids[1]]).await;
        let third = api.schedule("Third", &[&ids[0]]).await;

        let page = api.get("/api/v1/posts?limit=2").await.json();
        let texts: Vec<&str> = page["posts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["text"].as_str().unwrap())
            .collect();
        assert_eq!(texts.len(), 2);
        let cursor = page["next_cursor"]
            .as_str()
            .expect("a second page")
            .to_owned();
        let rest = api
            .get(&format!("/api/v1/posts?limit=2&cursor={cursor}"))
            .await
            .json();
        assert_eq!(rest["posts"][0]["text"], "Later", "time order across pages");
        assert_eq!(rest["next_cursor"], serde_json::Value::Null);

        let cancelled = api
            .post(&format!("/api/v1/posts/{sooner}/cancel"), None)
            .await;
        assert_eq!(cancelled.status, StatusCode::OK);
        assert_eq!(cancelled.json()["status"], "cancelled");
        assert_eq!(cancelled.json()["cancel_reason"], "cancelled_by_owner");
        let again = api
            .post(&format!("/api/v1/posts/{sooner}/cancel"), None)
            .await;
        assert_eq!(
            again.status,
            StatusCode::OK,
            "a repeated cancel is harmless"
        );
        assert_eq!(again.json()["updated_at"], cancelled.json()["updated_at"]);

        let scheduled = api.get("/api/v1/posts?status=scheduled").await.json();
        let ids_listed: Vec<&str> = scheduled["posts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap())
            .collect();
        assert!(ids_listed.contains(&third.as_str()) && !ids_listed.contains(&sooner.as_str()));
    }

    pub async fn one_owners_key_never_reaches_another_owners_rows(backend: Backend) {
        let (app, _sandbox, _ada, ada_key) = tool_with(backend, &[Platform::X]).await;
        let ada = ApiClient::new(&app, &ada_key).await;
        let ada_account = ada.account_ids().await.remove(0);
        let ada_post = ada.schedule("Ada's", &[&ada_account]).await;

        let mallory_cookie = app.sign_up("mallory@example.com").await;
        let response = app
            .connect(
                &mallory_cookie,
                &app.connect_start(Platform::X),
                Consent::as_person("mallory"),
            )
            .await;
        assert_connected(&response, Platform::X);
        let mallory_key = app.create_api_key(&mallory_cookie, "Mallory's tool").await;
        let mallory = ApiClient::new(&app, &mallory_key).await;
        let mallory_account = mallory.account_ids().await.remove(0);
        assert_ne!(mallory_account, ada_account);

        // Every endpoint, with Ada's ids and Mallory's key: exactly what an unknown id gets.
        let requests: [(Method, String, Option<serde_json::Value>, &str); 5] = [
            (
                Method::GET,
                format!("/api/v1/accounts/{ada_account}"),
                None,
                "account_not_found",
            ),
            (
                Method::POST,
                format!("/api/v1/accounts/{ada_account}/access-token"),
                None,
                "account_not_found",
            ),
            (
                Method::GET,
                format!("/api/v1/posts/{ada_post}"),
                None,
                "post_not_found",
            ),
            (
                Method::POST,
                format!("/api/v1/posts/{ada_post}/cancel"),
                None,
                "post_not_found",
            ),
            (
                Method::POST,
                "/api/v1/posts".to_owned(),
                Some(
                    json!({"text": "Hijack", "scheduled_at": in_hours(1), "account_ids": [mallory_account, ada_account]}),
                ),
                "account_not_found",
            ),
        ];
        for (method, path, body, code) in requests {
            let response = mallory.request(method.clone(), &path, body, &[]).await;
            assert_eq!(
                response.status,
                StatusCode::NOT_FOUND,
                "{method} {path}: {}",
                response.body
            );
            assert_eq!(response.json()["error"]["code"], code, "{method} {path}");
        }
        // The lists are each owner's own.
        assert_eq!(mallory.account_ids().await, [mallory_account]);
        let mallory_posts = mallory.get("/api/v1/posts").await.json();
        assert_eq!(
            mallory_posts["posts"],
            json!([]),
            "the refused post was not created"
        );
        // And nothing of Ada's changed.
        assert_eq!(ada.post_of(&ada_post).await["status"], "scheduled");
        let token = ada
            .post(
                &format!("/api/v1/accounts/{ada_account}/access-token"),
                None,
            )
            .await;
        assert_eq!(token.status, StatusCode::OK);
    }
}

mod keys {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_key_a_wrong_key_and_a_revoked_key_are_refused_with_401() {
        let (app, _sandbox, cookie, key) = tool_with(Backend::Sqlite, &[]).await;
        for presented in ["", "pb_not-a-key", "Basic abc", &key[..key.len() - 1]] {
            let api = ApiClient::new(&app, presented).await;
            let response = api.get("/api/v1/accounts").await;
            assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{presented}");
            assert_eq!(response.json()["error"]["code"], "invalid_api_key");
            assert!(response.headers.contains_key("www-authenticate"));
        }
        let api = ApiClient::new(&app, &key).await;
        assert_eq!(api.get("/api/v1/accounts").await.status, StatusCode::OK);

        let settings = app.call("settings_overview", Some(&cookie)).await.json();
        assert_eq!(
            settings["new_key"],
            serde_json::Value::Null,
            "shown once only"
        );
        let listed = &settings["api_keys"][0];
        assert_eq!(listed["name"], "Scheduler");
        assert!(key.starts_with(listed["prefix"].as_str().unwrap()));
        assert!(
            listed["last_used_at"].is_string(),
            "using a key marks it used"
        );
        let id = listed["id"].as_str().unwrap();
        let revoked = app
            .submit(
                "/dashboard/settings",
                "revoke_api_key",
                &[("id", id)],
                Some(&cookie),
            )
            .await;
        assert_eq!(revoked.location(), "/dashboard/settings?revoked=1");
        assert_eq!(
            api.get("/api/v1/accounts").await.status,
            StatusCode::UNAUTHORIZED
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keys_are_stored_only_as_hashes() {
        let (app, _sandbox, _cookie, key) = tool_with(Backend::Sqlite, &[]).await;
        let stored: String = sqlx::query_scalar("SELECT key_hash FROM api_keys")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        assert_ne!(stored, key);
        assert!(!stored.contains(&key[3..]));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_key_needs_a_name_and_another_owner_cannot_revoke_it() {
        let (app, _sandbox, cookie, _key) = tool_with(Backend::Sqlite, &[]).await;
        let unnamed = app
            .submit(
                "/dashboard/settings",
                "create_api_key",
                &[("name", "  ")],
                Some(&cookie),
            )
            .await;
        assert!(unnamed
            .location()
            .starts_with("/dashboard/settings?__path=%2Fapi%2Ffn%2Fcreate_api_key&__err="));
        let page = app.get(unnamed.location(), Some(&cookie)).await;
        assert!(
            page.body
                .contains("Give the key a name (1 to 80 characters)"),
            "the form says why"
        );
        let settings = app.call("settings_overview", Some(&cookie)).await.json();
        let id = settings["api_keys"][0]["id"].as_str().unwrap().to_owned();
        let mallory = app.sign_up("mallory@example.com").await;
        let attempt = app
            .submit(
                "/dashboard/settings",
                "revoke_api_key",
                &[("id", &id)],
                Some(&mallory),
            )
            .await;
        let page = app.get(attempt.location(), Some(&mallory)).await;
        assert!(page.body.contains("That key was already revoked."));
        let settings = app.call("settings_overview", Some(&cookie)).await.json();
        assert_eq!(settings["api_keys"].as_array().unwrap().len(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn key_forms_refuse_other_sites_and_anonymous_callers() {
        let (app, _sandbox, cookie, _key) = tool_with(Backend::Sqlite, &[]).await;
        let forged = app
            .post_form_from(
                "/api/fn/create_api_key",
                &[("name", "evil")],
                Some(&cookie),
                "https://evil.example",
                "cross-site",
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let anonymous = app
            .submit(
                "/dashboard/settings",
                "create_api_key",
                &[("name", "x")],
                None,
            )
            .await;
        assert_eq!(anonymous.location(), "/dashboard/settings");
        let page = app.get(anonymous.location(), None).await;
        assert!(
            page.location().starts_with("/?next="),
            "the page asks to sign in"
        );
        let anonymous = app.call_with("create_api_key", "name=x", None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        let anonymous = app.call("settings_overview", None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    }
}

mod tokens {
    use super::*;

    async fn token(api: &ApiClient<'_>, id: &str) -> common::TestResponse {
        api.post(&format!("/api/v1/accounts/{id}/access-token"), None)
            .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_fresh_token_is_handed_out_as_it_is() {
        let (app, sandbox, _cookie, key) = tool_with(Backend::Sqlite, &[Platform::X]).await;
        let api = ApiClient::new(&app, &key).await;
        let id = api.account_ids().await.remove(0);
        let response = token(&api, &id).await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.headers["cache-control"], "no-store");
        let body = response.json();
        assert_eq!(body["platform"], "x");
        assert_eq!(body["token_type"], "Bearer");
        assert!(sandbox
            .sandbox
            .accepts(Platform::X, body["access_token"].as_str().unwrap()));
        assert_eq!(sandbox.sandbox.calls(Platform::X, Endpoint::Refresh), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_token_about_to_expire_is_refreshed_once_for_concurrent_callers() {
        let (app, sandbox, _cookie, key) = tool_with(Backend::Sqlite, &[Platform::X]).await;
        let api = ApiClient::new(&app, &key).await;
        let id = api.account_ids().await.remove(0);
        let before = token(&api, &id).await.json()["access_token"].clone();
        set_expiry(&app, &id, 60).await;
        sandbox.sandbox.fail(
            Platform::X,
            Endpoint::Refresh,
            Failure::Slow(std::time::Duration::from_millis(300)),
        );
        let (first, second) = tokio::join!(token(&api, &id), token(&api, &id));
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(second.status, StatusCode::OK, "{}", second.body);
        assert_eq!(
            sandbox.sandbox.calls(Platform::X, Endpoint::Refresh),
            1,
            "one refresh at a time"
        );
        let (first, second) = (first.json(), second.json());
        assert_ne!(first["access_token"], before);
        assert_eq!(
            first["access_token"], second["access_token"],
            "the second caller waited for the first's refresh"
        );
        let expires_at: chrono::DateTime<chrono::Utc> =
            first["expires_at"].as_str().unwrap().parse().unwrap();
        assert!(expires_at - chrono::Utc::now() > chrono::Duration::minutes(60));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_outage_hands_out_the_still_valid_token_and_503s_an_expired_one() {
        let (app, sandbox, _cookie, key) = tool_with(Backend::Sqlite, &[Platform::X]).await;
        let api = ApiClient::new(&app, &key).await;
        let id = api.account_ids().await.remove(0);
        let current = token(&api, &id).await.json()["access_token"].clone();
        sandbox
            .sandbox
            .fail(Platform::X, Endpoint::Refresh, Failure::Outage);
        set_expiry(&app, &id, 120).await;
        let still_valid = token(&api, &id).await;
        assert_eq!(still_valid.status, StatusCode::OK);
        assert_eq!(still_valid.json()["access_token"], current);
        // The failed refresh set a retry time; let it be due again.
        sqlx::query("UPDATE connected_accounts SET next_refresh_at = 0 WHERE id = $1")
            .bind(&id)
            .execute(app.state.db.pool())
            .await
            .unwrap();
        set_expiry(&app, &id, -10).await;
        let expired = token(&api, &id).await;
        assert_eq!(
            expired.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{}",
            expired.body
        );
        assert_eq!(expired.json()["error"]["code"], "platform_unavailable");
        assert!(!expired.body.contains(current.as_str().unwrap()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_revoked_grant_is_409_needs_reconnect() {
        let (app, sandbox, _cookie, key) = tool_with(Backend::Sqlite, &[Platform::X]).await;
        let api = ApiClient::new(&app, &key).await;
        let id = api.account_ids().await.remove(0);
        sandbox.sandbox.revoke(Platform::X, "ada");
        set_expiry(&app, &id, 60).await;
        let response = token(&api, &id).await;
        assert_eq!(response.status, StatusCode::CONFLICT, "{}", response.body);
        assert_eq!(response.json()["error"]["code"], "needs_reconnect");
        let account = api.get(&format!("/api/v1/accounts/{id}")).await.json();
        assert_eq!(account["status"], "needs_reconnect");
        let again = token(&api, &id).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert_eq!(
            sandbox.sandbox.calls(Platform::X, Endpoint::Refresh),
            1,
            "no refresh after the grant is gone"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn server_accounts_say_where_to_call() {
        let (app, _sandbox, _cookie, key) = tool_with(Backend::Sqlite, &[Platform::Mastodon]).await;
        let api = ApiClient::new(&app, &key).await;
        let id = api.account_ids().await.remove(0);
        let body = token(&api, &id).await.json();
        let instance = &app.state.config.providers.get(Platform::Mastodon).api_url;
        assert_eq!(
            body["api_base_url"].as_str(),
            Some(instance.trim_end_matches('/'))
        );
        assert_eq!(
            body["expires_at"],
            serde_json::Value::Null,
            "Mastodon tokens do not expire"
        );
    }
}

mod posts {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bad_posts_get_a_clear_422_and_nothing_is_stored() {
        let (app, _sandbox, _cookie, key) = tool_with(Backend::Sqlite, &[Platform::X]).await;
        let api = ApiClient::new(&app, &key).await;
        let id = api.account_ids().await.remove(0);
        let bad = [
            (
                json!({"text": "", "scheduled_at": in_hours(1), "account_ids": [id]}),
                "text",
            ),
            (
                json!({"text": "x".repeat(10_001), "scheduled_at": in_hours(1), "account_ids": [id]}),
                "text",
            ),
            (
                json!({"text": "Past", "scheduled_at": in_hours(-1), "account_ids": [id]}),
                "scheduled_at",
            ),
            (
                json!({"text": "Far", "scheduled_at": in_hours(24 * 400), "account_ids": [id]}),
                "scheduled_at",
            ),
            (
                json!({"text": "Nowhere", "scheduled_at": in_hours(1), "account_ids": []}),
                "account_ids",
            ),
            (
                json!({"text": "No time", "account_ids": [id]}),
                "scheduled_at",
            ),
            (
                json!({"text": "Bad time", "scheduled_at": "tomorrow", "account_ids": [id]}),
                "scheduled_at",
            ),
            (
                json!({"text": "Extra", "scheduled_at": in_hours(1), "account_ids": [id], "media": []}),
                "media",
            ),
        ];
        for (body, field) in bad {
            let response = api.post("/api/v1/posts", Some(body.clone())).await;
            assert_eq!(
                response.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body}: {}",
                response.body
            );
            assert_eq!(response.json()["error"]["code"], "invalid_request");
            assert!(
                response.json()["error"]["message"]
                    .as_str()
                    .unwrap()
                    .contains(field),
                "{field}: {}",
                response.body
            );
        }
        let not_json = api
            .request(
                Method::POST,
                "/api/v1/posts",
                None,
                &[("content-type", "application/json")],
            )
            .await;
        assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
        assert_eq!(not_json.json()["error"]["code"], "invalid_request");
        let bad_cursor = api.get("/api/v1/posts?cursor=abc").await;
        assert_eq!(bad_cursor.status, StatusCode::UNPROCESSABLE_ENTITY);
        let bad_status = api.get("/api/v1/posts?status=sent").await;
        assert_eq!(bad_status.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(api.get("/api/v1/posts").await.json()["posts"], json!([]));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_retried_create_with_an_idempotency_key_makes_one_post() {
        let (app, _sandbox, _cookie, key) = tool_with(Backend::Sqlite, &[Platform::X]).await;
        let api = ApiClient::new(&app, &key).await;
        let id = api.account_ids().await.remove(0);
        let body = json!({"text": "Once", "scheduled_at": in_hours(2), "account_ids": [id]});
        let send = |body: serde_json::Value| {
            let api = &api;
            async move {
                api.request(
                    Method::POST,
                    "/api/v1/posts",
                    Some(body),
                    &[("idempotency-key", "post-42")],
                )
                .await
            }
        };
        let (first, second) = tokio::join!(send(body.clone()), send(body.clone()));
        let mut statuses = [first.status, second.status];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::CREATED]);
        assert_eq!(first.json()["id"], second.json()["id"]);
        let other =
            send(json!({"text": "Different", "scheduled_at": in_hours(2), "account_ids": [id]}))
                .await;
        assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(other.json()["error"]["code"], "idempotency_key_reused");
        assert_eq!(
            api.get("/api/v1/posts").await.json()["posts"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
}

mod openapi {
    use super::*;

    const COMMITTED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api/openapi.json");

    /// The description in the repository is the one the app serves. To update it after changing
    /// the API: `PLUGBOARD_BLESS_OPENAPI=1 cargo nextest run -p plugboard -E 'test(the_committed_description)'`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_committed_description_is_the_served_one() {
        let app = TestApp::new(Backend::Sqlite).await;
        let served = serde_json::to_string_pretty(&served_spec(&app).await).unwrap() + "\n";
        if std::env::var_os("PLUGBOARD_BLESS_OPENAPI").is_some() {
            std::fs::write(COMMITTED, &served).unwrap();
        }
        let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
        assert!(
            committed == served,
            "docs/api/openapi.json is out of date; regenerate it with PLUGBOARD_BLESS_OPENAPI=1 (see this test)"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_operation_is_routed_and_secured_and_every_schema_compiles() {
        let app = TestApp::new(Backend::Sqlite).await;
        let spec = served_spec(&app).await;
        assert_eq!(spec["openapi"].as_str().map(|v| &v[..2]), Some("3."));
        let scheme = spec["components"]["securitySchemes"].as_object().unwrap();
        for (path, item) in spec["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let concrete = path.replace("{id}", "unknown");
                let method: Method = method.to_uppercase().parse().unwrap();
                let response = ApiClient::new(&app, "pb_wrong")
                    .await
                    .request(method.clone(), &concrete, None, &[])
                    .await;
                assert_eq!(
                    response.status,
                    StatusCode::UNAUTHORIZED,
                    "{method} {path} is routed and needs a key"
                );
                for requirement in operation["security"]
                    .as_array()
                    .expect("every operation names its security")
                {
                    for name in requirement.as_object().unwrap().keys() {
                        assert!(
                            scheme.contains_key(name),
                            "{method} {path}: unknown scheme {name}"
                        );
                    }
                }
            }
        }
        let unknown = app.get("/api/v1/nothing-here", None).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert_eq!(unknown.json()["error"]["code"], "not_found");
    }
}
