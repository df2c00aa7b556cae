//! Connect links: a client with no account connects their own account into a workspace through a
//! link an admin made, on the sandbox's stand-ins; the link is used once (or as often as chosen),
//! refused when expired, revoked or used up, can renew one account, and shows nothing else.

mod common;

use axum::http::StatusCode;
use common::{consent_at, Backend, Consent, TestApp, TestResponse};

const PEOPLE: &str = "/dashboard/people";

/// Makes a link from the people page; returns its path, read off the page (shown once).
async fn make_link(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> String {
    let mut all = vec![("note", ""), ("uses", "1"), ("hours", "24")];
    for (name, value) in fields {
        all.retain(|(kept, _)| kept != name);
        all.push((name, value));
    }
    let made = app
        .submit(PEOPLE, "create_connect_link", &all, Some(cookie))
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    assert_eq!(made.location(), PEOPLE, "{}", made.location());
    app.shown_once(PEOPLE, "/connect/pbl_", cookie).await
}

/// The client presses Connect on the link's page and consents at the platform, with no session:
/// returns where the callback lands.
async fn connect_through(
    app: &TestApp,
    link: &str,
    platform: &str,
    consent: Consent,
) -> TestResponse {
    let start = app
        .post_form(&format!("{link}/start/{platform}"), &[], None)
        .await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
    if !start.location().starts_with("http") {
        return start;
    }
    let callback = consent_at(start.location(), consent).await;
    app.get(&callback, None).await
}

async fn link_uses(app: &TestApp) -> Vec<i64> {
    sqlx::query_scalar("SELECT uses FROM connect_links ORDER BY created_at")
        .fetch_all(app.state.db.pool())
        .await
        .unwrap()
}

mod scenarios {
    use super::*;

    pub async fn a_client_connects_once_and_sees_nothing_else(backend: Backend) {
        let (app, _platforms) = TestApp::with_platforms(backend).await;
        let owner = app.sign_up("owner@example.com").await;
        app.seed_demo_accounts("owner@example.com", 2).await;
        let link = make_link(
            &app,
            &owner,
            &[("platforms[]", "reddit"), ("note", "For Acme's Reddit")],
        )
        .await;

        let page = app.get(&link, None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains("Connect your account to owner@example.com"),
            "{}",
            page.body
        );
        assert!(page.body.contains("For Acme"), "the note");
        assert!(page.body.contains("Connect Reddit"));
        assert!(
            !page.body.contains("Connect X"),
            "only the link's platforms"
        );
        for theirs in app.accounts(&owner).await {
            let handle = theirs["username"].as_str().unwrap();
            assert!(
                !page.body.contains(handle),
                "the workspace's accounts stay hidden: {handle}"
            );
        }

        let done = connect_through(&app, &link, "reddit", Consent::default()).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER);
        assert_eq!(done.location(), "/connected?connected=reddit");
        let page = app.get(done.location(), None).await;
        assert!(page.body.contains("Reddit is connected"), "{}", page.body);

        let accounts = app.accounts(&owner).await;
        let reddit = accounts
            .iter()
            .find(|a| a["platform"] == "reddit")
            .expect("it landed in the workspace");
        assert_eq!(
            reddit["connected_by"],
            serde_json::json!({"kind": "link", "note": "For Acme's Reddit"}),
            "the card names the link, not a person"
        );
        let page = app.get("/dashboard/connections", Some(&owner)).await;
        assert!(
            page.body
                .contains("Connected through the link “For Acme's Reddit”"),
            "{}",
            page.body
        );
        let trail = app.call("settings_overview", Some(&owner)).await.json();
        let connected = trail["audit"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["action"] == "account.connected")
            .unwrap();
        assert_eq!(connected["actor"], "Connect link “For Acme's Reddit”");
        assert_eq!(link_uses(&app).await, [1]);

        // Used once: the page and a second connect both say so, and nothing more is stored.
        let again = app.get(&link, None).await;
        assert!(
            again.body.contains("This link cannot be used"),
            "{}",
            again.body
        );
        let second = app
            .post_form(&format!("{link}/start/reddit"), &[], None)
            .await;
        assert_eq!(
            second.location(),
            "/connected?error=link_unusable&platform=reddit"
        );
        assert_eq!(app.accounts(&owner).await.len(), 3);
        // A platform the link does not offer is refused the same way.
        let other = app.post_form(&format!("{link}/start/x"), &[], None).await;
        assert!(other.location().contains("error=link_unusable"));
    }

    pub async fn revoked_expired_and_used_up_links_refuse(backend: Backend) {
        let (app, _platforms) = TestApp::with_platforms(backend).await;
        let owner = app.sign_up("owner@example.com").await;
        let twice = make_link(&app, &owner, &[("platforms[]", "reddit"), ("uses", "2")]).await;
        for person in ["ada", "grace"] {
            let done = connect_through(&app, &twice, "reddit", Consent::as_person(person)).await;
            assert_eq!(done.location(), "/connected?connected=reddit", "{person}");
        }
        let third = app
            .post_form(&format!("{twice}/start/reddit"), &[], None)
            .await;
        assert!(third.location().contains("error=link_unusable"));

        let revoked = make_link(&app, &owner, &[("platforms[]", "reddit")]).await;
        // Started before the revoke, finished after: the consent is refused at the callback.
        let start = app
            .post_form(&format!("{revoked}/start/reddit"), &[], None)
            .await;
        let callback = consent_at(start.location(), Consent::as_person("ada")).await;
        let page = app.get(PEOPLE, Some(&owner)).await.body;
        let id_at = page.find("data-connect-link=\"").unwrap() + 19;
        let id: String = page[id_at..].chars().take_while(|c| *c != '"').collect();
        let done = app
            .submit(PEOPLE, "revoke_connect_link", &[("id", &id)], Some(&owner))
            .await;
        assert_eq!(done.location(), PEOPLE);
        let late = app.get(&callback, None).await;
        assert!(
            late.location().contains("error=link_unusable"),
            "{}",
            late.location()
        );
        assert_eq!(
            app.accounts(&owner).await.len(),
            2,
            "nothing stored after the revoke"
        );

        let expired = make_link(&app, &owner, &[("platforms[]", "reddit")]).await;
        sqlx::query(
            "UPDATE connect_links SET expires_at = 0 WHERE revoked_at IS NULL AND uses = 0",
        )
        .execute(app.state.db.pool())
        .await
        .unwrap();
        assert!(app
            .get(&expired, None)
            .await
            .body
            .contains("This link cannot be used"));
        assert!(app
            .get("/connect/pbl_unknown", None)
            .await
            .body
            .contains("This link cannot be used"));
    }

    pub async fn a_link_renews_one_account_and_only_that_one(backend: Backend) {
        let (app, _platforms) = TestApp::with_platforms(backend).await;
        let owner = app.sign_up("owner@example.com").await;
        let connected = app
            .connect(
                &owner,
                &app.connect_start(domain::Platform::Reddit),
                Consent::as_person("ada"),
            )
            .await;
        assert!(connected.location().contains("connected=reddit"));
        let id = app.first_account_id(&owner).await;
        let link = make_link(&app, &owner, &[("account", &id), ("uses", "3")]).await;
        let page = app.get(&link, None).await.body;
        assert!(page.contains("Renew ada_sandbox"), "{page}");

        let wrong = connect_through(&app, &link, "reddit", Consent::as_person("grace")).await;
        assert!(
            wrong.location().contains("error=account_mismatch"),
            "{}",
            wrong.location()
        );
        assert_eq!(app.accounts(&owner).await.len(), 1, "no second account");
        let right = connect_through(&app, &link, "reddit", Consent::as_person("ada")).await;
        assert_eq!(right.location(), "/connected?connected=reddit");
        assert_eq!(link_uses(&app).await, [1], "the refused try did not use it");
        let trail = app.call("settings_overview", Some(&owner)).await.json();
        assert_eq!(trail["audit"][0]["action"], "account.reconnected");
        assert_eq!(trail["audit"][0]["actor"], "Connect link");
    }

    pub async fn a_link_at_the_plans_limit_connects_nothing(backend: Backend) {
        let (app, _platforms) = TestApp::with_platforms(backend).await;
        let owner = app.sign_up("owner@example.com").await;
        // The free plan takes three accounts.
        app.seed_demo_accounts("owner@example.com", 3).await;
        let link = make_link(&app, &owner, &[("platforms[]", "reddit")]).await;
        let done = connect_through(&app, &link, "reddit", Consent::default()).await;
        assert!(
            done.location()
                .starts_with("/connected?error=limit_reached"),
            "{}",
            done.location()
        );
        assert_eq!(link_uses(&app).await, [0]);
        assert_eq!(app.accounts(&owner).await.len(), 3);
    }

    pub async fn only_admins_make_links_and_a_request_is_bounded(backend: Backend) {
        let app = TestApp::new(backend).await;
        let owner = app.sign_up("owner@example.com").await;
        let member = app.sign_up("member@example.com").await;
        let workspace = app.workspace_id("owner@example.com").await;
        engine::identity::workspaces::add(
            &app.state.db,
            &workspace,
            "member@example.com",
            domain::Role::Member,
            "test",
        )
        .await
        .unwrap();
        app.switch_workspace(&member, &workspace).await;
        let refused = app
            .call_with(
                "create_connect_link",
                "platforms[]=reddit&note=&uses=1&hours=24",
                Some(&member),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        for (args, code) in [
            ("note=&uses=1&hours=24", "no_platform"),
            ("platforms[]=reddit&note=&uses=0&hours=24", "invalid_uses"),
            (
                "platforms[]=reddit&note=&uses=1&hours=169",
                "invalid_expiry",
            ),
            ("platforms[]=myspace&note=&uses=1&hours=24", "no_platform"),
            ("account=nope&note=&uses=1&hours=24", "account_not_found"),
        ] {
            let answer = app
                .call_with("create_connect_link", args, Some(&owner))
                .await;
            assert!(answer.body.contains(code), "{args}: {}", answer.body);
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM connect_links")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        assert_eq!(count, 0);
    }
}

scenarios_on_both_databases!(
    a_client_connects_once_and_sees_nothing_else,
    revoked_expired_and_used_up_links_refuse,
    a_link_renews_one_account_and_only_that_one,
    a_link_at_the_plans_limit_connects_nothing,
    only_admins_make_links_and_a_request_is_bounded,
);
