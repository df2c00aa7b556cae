//! The connections page and the server functions behind it, on both databases.

mod common;

use axum::http::StatusCode;
use common::{Backend, TestApp};
use engine::connections::accounts::Sealed;

/// Every server function, with arguments where it takes some.
const FUNCTIONS: [(&str, &str); 6] = [
    ("connected_accounts", ""),
    ("plan_summary", ""),
    ("platform_availability", ""),
    ("billing_overview", ""),
    ("credentials_form", "platform=bluesky"),
    ("account_choices", "selection=anything"),
];

on_both_databases! {
    async fn the_list_filters_by_platform_and_status(app) {
        let cookie = app.sign_up("ada@example.com").await;
        // X, Threads, LinkedIn, YouTube (reconnect needed), TikTok and Mastodon.
        app.seed_demo_accounts("ada@example.com", 6).await;
        let list = |query: &'static str| {
            let app = &app;
            let cookie = cookie.clone();
            async move { app.get(&format!("/dashboard/connections{query}"), Some(&cookie)).await.body }
        };
        let platforms = |body: &str| -> Vec<String> {
            body.split("<li data-account-id=\"").skip(1)
                .filter_map(|card| card.split("data-platform=\"").nth(1)?.split('"').next().map(str::to_owned))
                .collect()
        };
        let all = list("").await;
        assert_eq!(platforms(&all).len(), 6, "{all}");
        let broken = list("?show_status=needs_reconnect").await;
        assert_eq!(platforms(&broken), ["youtube"]);
        assert!(broken.contains("6 of 3"), "the plan's usage still counts every account");
        assert_eq!(platforms(&list("?show_platform=mastodon").await), ["mastodon"]);
        let nothing = list("?show_platform=x&show_status=needs_reconnect").await;
        assert!(platforms(&nothing).is_empty());
        assert!(nothing.contains("No account matches this filter"), "{nothing}");
        assert_eq!(platforms(&list("?show_platform=myspace&show_status=fine").await).len(), 6, "an unknown value filters nothing");
        // A connect's outcome names its platform too; that is not a filter.
        assert_eq!(platforms(&list("?error=access_denied&platform=youtube").await).len(), 6);
    }

    async fn server_functions_refuse_anonymous_callers(app) {
        for (function, args) in FUNCTIONS {
            let response = app.call_with(function, args, None).await;
            assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{function}: {}", response.body);
            assert_eq!(response.json()["code"], "unauthorized", "{function}");
        }
    }

    async fn server_functions_refuse_a_deleted_users_session(app) {
        let cookie = app.sign_up("gone@example.com").await;
        let id = app.user_id("gone@example.com").await;
        sqlx::query("DELETE FROM users WHERE id = $1").bind(&id).execute(app.state.db.pool()).await.unwrap();
        assert_eq!(app.call("connected_accounts", Some(&cookie)).await.status, StatusCode::UNAUTHORIZED);
    }

    async fn another_users_ids_are_not_found(app) {
        let ada = app.sign_up("ada@example.com").await;
        let bob = app.sign_up("bob@example.com").await;
        let ids = app.seed_demo_accounts("ada@example.com", 6).await;
        let mastodon = ids[5].clone();
        let own = app.call_with("credentials_form", &format!("platform=mastodon&account={mastodon}"), Some(&ada)).await;
        assert_eq!(own.status, StatusCode::OK, "{}", own.body);
        let foreign = app.call_with("credentials_form", &format!("platform=mastodon&account={mastodon}"), Some(&bob)).await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND, "404, not 403: {}", foreign.body);
        let reconnect = app.start_connect(&format!("/api/v1/auth/mastodon/connect?account={mastodon}"), Some(&bob)).await;
        assert!(reconnect.location().contains("error=account_not_found"), "{}", reconnect.location());
    }

    async fn each_user_sees_only_their_own_accounts(app) {
        let ada = app.sign_up("ada@example.com").await;
        let bob = app.sign_up("bob@example.com").await;
        let ada_ids = app.seed_demo_accounts("ada@example.com", 6).await;

        let ada_accounts = app.call("connected_accounts", Some(&ada)).await.json();
        let listed: Vec<&str> = ada_accounts.as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect();
        assert_eq!(listed.len(), 6);
        for id in &ada_ids {
            assert!(listed.contains(&id.as_str()));
        }

        let bob_accounts = app.call("connected_accounts", Some(&bob)).await.json();
        assert_eq!(bob_accounts, serde_json::json!([]));
        let bob_plan = app.call("plan_summary", Some(&bob)).await.json();
        assert_eq!(bob_plan["usage"]["total"], 0);
        let bob_page = app.get("/dashboard/connections", Some(&bob)).await;
        for id in &ada_ids {
            assert!(!bob_page.body.contains(id.as_str()), "Bob's page never shows Ada's account {id}");
        }
    }

    async fn accounts_carry_a_display_status_and_never_a_token(app) {
        let cookie = app.sign_up("ada@example.com").await;
        app.seed_demo_accounts("ada@example.com", 6).await;
        let response = app.call("connected_accounts", Some(&cookie)).await;
        assert!(!response.body.contains("demo-access"), "no token in the response");
        assert!(!response.body.contains("token\""), "no token field at all: {}", response.body);
        let accounts = response.json();
        let by_platform = |slug: &str| accounts.as_array().unwrap().iter().find(|a| a["platform"] == slug).unwrap().clone();
        assert_eq!(by_platform("x")["status"], serde_json::json!({"status": "ok"}));
        assert_eq!(by_platform("x")["is_x_premium"], true);
        assert_eq!(by_platform("threads")["status"], serde_json::json!({"status": "expiring_soon", "expires_in_days": 3}));
        assert_eq!(by_platform("linkedin")["status"], serde_json::json!({"status": "expired"}));
        assert_eq!(by_platform("youtube")["status"], serde_json::json!({"status": "needs_reconnect"}));
        assert_eq!(by_platform("tiktok")["username"], "ada.makes", "creator username wins on TikTok");
        assert_eq!(by_platform("tiktok")["display_name"], "Ada Makes Things");
    }

    async fn the_page_renders_every_status_and_the_premium_badge(app) {
        let cookie = app.sign_up("ada@example.com").await;
        app.seed_demo_accounts("ada@example.com", 6).await;
        let page = app.get("/dashboard/connections", Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        for pill in ["pill-ok", "pill-expiring_soon", "pill-expired", "pill-needs_reconnect"] {
            assert!(page.body.contains(pill), "{pill}");
        }
        assert_eq!(page.body.matches("Expires in").count(), 1, "only the expiring-soon account shows days");
        assert!(page.body.contains("Expires in 3 days"));
        assert_eq!(page.body.matches("badge-premium").count(), 1);
        assert!(page.body.contains("Ada Makes Things"));
        assert!(!page.body.contains("demo-access"), "no token in the HTML");
    }

    async fn at_the_plan_limit_the_page_says_so_and_links_to_billing(app) {
        let cookie = app.sign_up("ada@example.com").await;
        app.seed_demo_accounts("ada@example.com", 2).await;
        let page = app.get("/dashboard/connections", Some(&cookie)).await;
        assert!(!page.body.contains("notice-limit"), "2 of 3 is not at the limit");

        app.seed_demo_accounts("ada@example.com", 1).await;
        let page = app.get("/dashboard/connections", Some(&cookie)).await;
        assert!(page.body.contains("notice-limit"));
        assert!(page.body.contains("href=\"/dashboard/billing\""));
        assert!(page.body.contains("You are using 3 of 3 accounts on the Free plan."));
        // Said once: the Connect grid is disabled as a whole and points at the notice, instead of
        // repeating the sentence under each of the 14 buttons.
        assert_eq!(page.body.matches("allows 3 accounts").count(), 0, "{}", page.body);
        assert!(page.body.contains("id=\"plan-limit\""));
        assert!(page.body.contains("connect-grid connect-grid-held"));
        // Every button is held: by the limit, or by something true of its platform alone (most
        // platforms have no credentials in this test app), which its button still says.
        let held = page.body.matches("aria-describedby=\"plan-limit\"").count();
        let own_reasons = page.body.matches("class=\"connect-reason\"").count();
        assert!(held > 0);
        assert_eq!(held + own_reasons, domain::Platform::ALL.len());
        let plan = app.call("plan_summary", Some(&cookie)).await.json();
        assert_eq!(plan["at_limit"], true);
        assert_eq!(plan["limits"]["total"], 3);
    }

    async fn a_bigger_plan_lifts_the_limit(app) {
        let cookie = app.sign_up("ada@example.com").await;
        app.seed_demo_accounts("ada@example.com", 3).await;
        engine::connections::plans::set_for_workspace(&app.state.db, &app.workspace_id("ada@example.com").await, "pro").await.unwrap();
        let plan = app.call("plan_summary", Some(&cookie)).await.json();
        assert_eq!(plan["plan_name"], "Pro");
        assert_eq!(plan["at_limit"], false);
    }

    async fn billing_shows_plan_usage_and_offers(app) {
        let cookie = app.sign_up("ada@example.com").await;
        app.seed_demo_accounts("ada@example.com", 2).await;
        let page = app.get("/dashboard/billing", Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Your plan: Free"));
        assert!(page.body.contains("2 of 3 accounts"));
        for plan in ["data-plan=\"free\"", "data-plan=\"pro\"", "data-plan=\"business\""] {
            assert!(page.body.contains(plan), "{plan}");
        }
        let overview = app.call("billing_overview", Some(&cookie)).await.json();
        assert_eq!(overview["plans"].as_array().unwrap().len(), 3);
    }

    async fn the_oauth_outcome_is_rendered_on_the_server(app) {
        let cookie = app.sign_up("ada@example.com").await;
        let page = app
            .get("/dashboard/connections?error=access_denied&error_description=The+user+denied&platform=linkedin", Some(&cookie))
            .await;
        assert!(page.body.contains("You cancelled connecting LinkedIn. Nothing was changed."));
        assert!(page.body.contains("The user denied"), "+ decodes to a space");
        assert!(page.body.contains("role=\"alert\""));
        let page = app.get("/dashboard/connections?connected=youtube", Some(&cookie)).await;
        assert!(page.body.contains("YouTube is connected."));
        assert!(page.body.contains("role=\"status\""));
    }

    async fn tokens_are_encrypted_at_rest(app) {
        app.sign_up("ada@example.com").await;
        app.seed_demo_accounts("ada@example.com", 6).await;
        let rows: Vec<(String, Vec<u8>)> = sqlx::query_as("SELECT id, access_token_enc FROM connected_accounts")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
        assert_eq!(rows.len(), 6);
        for (id, sealed) in rows {
            assert!(!sealed.windows(11).any(|w| w == b"demo-access"), "ciphertext only");
            let opened = app.state.secrets.open(&sealed, &engine::connections::accounts::secret_context(&id, Sealed::AccessToken));
            assert!(opened.is_ok(), "and it opens with the instance key");
        }
    }

    async fn pages_carry_a_nonce_based_content_security_policy(app) {
        let cookie = app.sign_up("ada@example.com").await;
        let page = app.get("/dashboard/connections", Some(&cookie)).await;
        let csp = page.headers.get("content-security-policy").expect("CSP header").to_str().unwrap().to_owned();
        let nonce = csp.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).unwrap();
        assert!(page.body.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the nonce");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"));
        let other = app.get("/dashboard/connections", Some(&cookie)).await;
        assert_ne!(other.headers.get("content-security-policy").unwrap().to_str().unwrap(), csp, "a fresh nonce per response");
    }

    async fn unknown_pages_are_404(app) {
        let cookie = app.sign_up("ada@example.com").await;
        let page = app.get("/nowhere", Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.body.contains("Page not found"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_check_answers() {
    let app = TestApp::new(Backend::Sqlite).await;
    let response = app.get("/healthz", None).await;
    assert_eq!(response.status, StatusCode::OK);
}
