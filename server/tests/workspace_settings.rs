//! The owner's workspace settings: renaming it, and deleting it with everything it owns, its
//! accounts' grants revoked at their platforms, while everything else stays.

mod common;

use axum::http::StatusCode;
use common::api::ApiClient;
use common::{assert_connected, Backend, Consent, TestApp, ALLOW_LOOPBACK};
use domain::{Platform, Role};
use engine::identity::workspaces;
use sandbox::Endpoint;

/// Every table that holds rows of a workspace.
const OWNED_TABLES: [&str; 12] = [
    "workspace_members",
    "connected_accounts",
    "oauth_states",
    "connect_selections",
    "api_keys",
    "webhook_endpoints",
    "outbox_events",
    "webhook_deliveries",
    "posts",
    "audit_events",
    "invitations",
    "connect_links",
];

async fn rows_of(app: &TestApp, workspace: &str) -> usize {
    let mut total = 0;
    for table in OWNED_TABLES {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE workspace_id = $1");
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(workspace)
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
        total += usize::try_from(count).unwrap();
    }
    total
}

async fn delete(app: &TestApp, cookie: &str, name: &str) -> common::TestResponse {
    app.submit(
        "/dashboard/people",
        "delete_workspace",
        &[("name", name)],
        Some(cookie),
    )
    .await
}

async fn workspace_name(app: &TestApp, cookie: &str) -> String {
    let overview = app.call("people_overview", Some(cookie)).await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    overview.json()["workspace_name"]
        .as_str()
        .unwrap()
        .to_owned()
}

scenarios_on_both_databases!(
    an_owner_deletes_a_workspace_and_everything_it_owns,
    only_an_owner_renames_a_workspace,
);

mod scenarios {
    use super::*;

    pub async fn an_owner_deletes_a_workspace_and_everything_it_owns(backend: Backend) {
        let (app, sandbox) = TestApp::with_platforms_and(backend, ALLOW_LOOPBACK).await;
        let owner = app.sign_up("owner@example.com").await;
        let colleague = app.sign_up("colleague@example.com").await;
        let personal = app.workspace_id("owner@example.com").await;
        let kept = app
            .connect(&owner, &app.connect_start(Platform::X), Consent::default())
            .await;
        assert_connected(&kept, Platform::X);

        let created = app
            .submit(
                "/dashboard/people",
                "create_workspace",
                &[("name", "Acme")],
                Some(&owner),
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        let acme = app.member("owner@example.com").await.workspaces[1]
            .id
            .clone();
        let connected = app
            .connect(
                &owner,
                &app.connect_start(Platform::Reddit),
                Consent::default(),
            )
            .await;
        assert_connected(&connected, Platform::Reddit);
        let reddit = app.first_account_id(&owner).await;
        let key = app.create_api_key(&owner, "Scheduler").await;
        ApiClient::new(&app, &key)
            .await
            .schedule("For Acme", &[&reddit])
            .await;
        workspaces::add(
            &app.state.db,
            &acme,
            "colleague@example.com",
            Role::Admin,
            "test",
        )
        .await
        .unwrap();
        app.switch_workspace(&colleague, &acme).await;
        let invited = app
            .submit(
                "/dashboard/people",
                "invite_person",
                &[("email", "new@example.com"), ("role", "member")],
                Some(&owner),
            )
            .await;
        assert_eq!(invited.status, StatusCode::SEE_OTHER, "{}", invited.body);
        let before = rows_of(&app, &acme).await;

        // An admin may not; a name that is not the workspace's deletes nothing.
        let refused = app
            .call_with("delete_workspace", "name=Acme", Some(&colleague))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        for typo in ["acme", "Acm", ""] {
            let mistyped = app
                .call_with("delete_workspace", &format!("name={typo}"), Some(&owner))
                .await;
            assert_eq!(
                mistyped.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{typo:?}: {}",
                mistyped.body
            );
            assert!(mistyped.body.contains("name_mismatch"), "{}", mistyped.body);
        }
        assert_eq!(rows_of(&app, &acme).await, before);
        let revocations_before = sandbox.sandbox.calls(Platform::Reddit, Endpoint::Revoke);

        let deleted = delete(&app, &owner, " Acme ").await;
        assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);
        assert_eq!(
            deleted.location(),
            "/dashboard/connections?deleted=workspace"
        );
        assert_eq!(rows_of(&app, &acme).await, 0);
        let workspace_left: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM workspaces WHERE id = $1")
                .bind(&acme)
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        assert_eq!(workspace_left, 0);

        // The grant is revoked at the platform, behind the response.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while sandbox.sandbox.calls(Platform::Reddit, Endpoint::Revoke) == revocations_before {
            assert!(
                std::time::Instant::now() < deadline,
                "the deleted workspace's Reddit grant is revoked"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }

        // The owner lands in their personal workspace, told what went; its account stayed.
        let page = app.get(deleted.location(), Some(&owner)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("The workspace Acme is deleted"),
            "the page says what went"
        );
        assert!(page.body.contains("Its account was disconnected"));
        let accounts = app.accounts(&owner).await;
        assert_eq!(accounts.len(), 1);
        assert_eq!(accounts[0]["platform"], "x");
        assert!(rows_of(&app, &personal).await > 0);
        assert_eq!(app.member("owner@example.com").await.workspaces.len(), 1);
        // So does everyone else who was acting in it.
        assert_eq!(
            workspace_name(&app, &colleague).await,
            "colleague@example.com"
        );
        // A second click finds nothing to delete in the workspace it now acts in.
        let again = app
            .call_with("delete_workspace", "name=Acme", Some(&owner))
            .await;
        assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(app.accounts(&owner).await.len(), 1);
    }

    pub async fn only_an_owner_renames_a_workspace(backend: Backend) {
        let app = TestApp::new(backend).await;
        let owner = app.sign_up("owner@example.com").await;
        let admin = app.sign_up("admin@example.com").await;
        let workspace = app.workspace_id("owner@example.com").await;
        workspaces::add(
            &app.state.db,
            &workspace,
            "admin@example.com",
            Role::Admin,
            "test",
        )
        .await
        .unwrap();
        app.switch_workspace(&admin, &workspace).await;

        let refused = app
            .call_with("rename_workspace", "name=Mine", Some(&admin))
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        for bad in ["", "%20%20", "a%0Ab", &"x".repeat(81)] {
            let invalid = app
                .call_with("rename_workspace", &format!("name={bad}"), Some(&owner))
                .await;
            assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        }
        assert_eq!(workspace_name(&app, &owner).await, "owner@example.com");

        let renamed = app
            .submit(
                "/dashboard/people",
                "rename_workspace",
                &[("name", "  Acme Studio ")],
                Some(&owner),
            )
            .await;
        assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
        assert_eq!(renamed.location(), "/dashboard/people");
        assert_eq!(workspace_name(&app, &owner).await, "Acme Studio");
        assert_eq!(workspace_name(&app, &admin).await, "Acme Studio");
        let audit = app.call("settings_overview", Some(&admin)).await.json();
        let entry = audit["audit"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["action"] == "workspace.renamed")
            .expect("the trail records the rename");
        assert_eq!(entry["detail"], "owner@example.com to Acme Studio");
        assert_eq!(entry["actor"], "owner@example.com");
    }
}
