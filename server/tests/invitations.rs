//! Invitations: made by admins (never above their role), shown once, accepted once by the
//! invited address (signing up or in first), refused when expired, revoked, used or opened by
//! someone else.

mod common;

use axum::http::StatusCode;
use common::{Backend, TestApp};

const PEOPLE: &str = "/dashboard/people";

/// Invites `email` as `role` from the people page; returns the link's path, read off the page.
async fn invite(app: &TestApp, cookie: &str, email: &str, role: &str) -> String {
    let sent = app
        .submit(
            PEOPLE,
            "invite_person",
            &[("email", email), ("role", role)],
            Some(cookie),
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(sent.location(), PEOPLE);
    app.shown_once(PEOPLE, "/invitations/pbi_", cookie).await
}

fn token_of(link: &str) -> &str {
    link.trim_start_matches("/invitations/")
}

async fn accept(app: &TestApp, cookie: &str, link: &str) -> common::TestResponse {
    app.submit(
        link,
        "accept_invitation",
        &[("token", token_of(link))],
        Some(cookie),
    )
    .await
}

/// The workspace a person acts in now, and their role there, as the people page names them.
async fn people_page(app: &TestApp, cookie: &str) -> String {
    app.get(PEOPLE, Some(cookie)).await.body
}

on_both_databases! {
    async fn a_new_person_signs_up_from_the_link_and_joins_once(app) {
        let owner = app.sign_up("owner@example.com").await;
        let link = invite(&app, &owner, "Colleague@Example.com", "member").await;
        assert!(people_page(&app, &owner).await.contains("colleague@example.com"), "listed as open");

        let page = app.get(&link, None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Join owner@example.com on Plugboard"), "{}", page.body);
        assert!(page.body.contains("Sign up to join"));
        assert!(page.body.contains("email=colleague%40example.com"), "the form is filled in");

        let colleague = app.sign_up("colleague@example.com").await;
        let page = app.get(&link, Some(&colleague)).await;
        assert!(page.body.contains("Join owner@example.com"), "{}", page.body);
        let joined = accept(&app, &colleague, &link).await;
        assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.body);
        assert_eq!(joined.location(), "/dashboard/connections");
        let theirs = people_page(&app, &colleague).await;
        assert!(theirs.contains("owner@example.com") && theirs.contains("Member"), "they act in the workspace now");

        let twice = app.call_with("accept_invitation", &format!("token={}", token_of(&link)), Some(&colleague)).await;
        assert_eq!(twice.status, StatusCode::NOT_FOUND, "{}", twice.body);
        assert!(twice.body.contains("invitation_used"), "{}", twice.body);
        let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workspace_members WHERE role = 'member'")
            .fetch_one(app.state.db.pool()).await.unwrap();
        assert_eq!(members, 1);
        let trail = app.call("settings_overview", Some(&owner)).await.json();
        let actions: Vec<&str> = trail["audit"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert_eq!(&actions[..2], ["invitation.accepted", "invitation.created"]);
    }

    async fn an_existing_person_signed_in_as_someone_else_cannot_take_it(app) {
        let owner = app.sign_up("owner@example.com").await;
        let _invited = app.sign_up("invited@example.com").await;
        let other = app.sign_up("other@example.com").await;
        let link = invite(&app, &owner, "invited@example.com", "viewer").await;
        let page = app.get(&link, Some(&other)).await;
        assert!(page.body.contains("You are signed in as other@example.com"), "{}", page.body);
        assert!(!page.body.contains("accept_invitation"), "no Join button for them");
        let refused = app.call_with("accept_invitation", &format!("token={}", token_of(&link)), Some(&other)).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        // Still open for the right person, who already has an account.
        let invited = app.post_form("/auth/sign-in", &[("email", "invited@example.com"), ("password", common::PASSWORD), ("next", &link)], None).await;
        assert_eq!(invited.location(), link, "signing in comes back to the invitation");
        let cookie = invited.session_cookie().unwrap();
        let joined = accept(&app, &cookie, &link).await;
        assert_eq!(joined.location(), "/dashboard/connections", "{}", joined.body);
        assert!(people_page(&app, &cookie).await.contains("Viewer"));
    }

    async fn expired_revoked_and_unknown_links_say_so(app) {
        let owner = app.sign_up("owner@example.com").await;
        let late = app.sign_up("late@example.com").await;
        let link = invite(&app, &owner, "late@example.com", "member").await;
        sqlx::query("UPDATE invitations SET expires_at = 0").execute(app.state.db.pool()).await.unwrap();
        let page = app.get(&link, Some(&late)).await;
        assert!(page.body.contains("This invitation has expired"), "{}", page.body);
        let refused = accept(&app, &late, &link).await;
        assert!(refused.location_query().contains_key("__err"), "the page says why: {}", refused.location());
        assert!(!people_page(&app, &late).await.contains("owner@example.com"), "not joined");

        let link = invite(&app, &owner, "late@example.com", "member").await;
        let open = people_page(&app, &owner).await;
        let id_start = open.find("name=\"id\" value=\"").unwrap() + 17;
        let id: String = open[id_start..].chars().take_while(|c| *c != '"').collect();
        let revoked = app.submit(PEOPLE, "revoke_invitation", &[("id", &id)], Some(&owner)).await;
        assert_eq!(revoked.location(), PEOPLE, "{}", revoked.body);
        let page = app.get(&link, Some(&late)).await;
        assert!(page.body.contains("does not exist or was revoked"), "{}", page.body);

        let page = app.get("/invitations/pbi_nothing", None).await;
        assert!(page.body.contains("does not exist or was revoked"));
        let page = app.get(&format!("/invitations/{}", "x".repeat(5000)), None).await;
        assert!(page.status.is_client_error() || page.body.contains("does not exist"));
    }

    async fn nobody_invites_above_their_role_or_twice(app) {
        let owner = app.sign_up("owner@example.com").await;
        let admin = app.sign_up("admin@example.com").await;
        invite(&app, &owner, "admin@example.com", "admin").await;
        let link = invite(&app, &owner, "admin@example.com", "admin").await;
        assert_eq!(accept(&app, &admin, &link).await.location(), "/dashboard/connections", "the newer link replaces the older");
        let as_owner = app.call_with("invite_person", "email=boss%40example.com&role=owner", Some(&admin)).await;
        assert_eq!(as_owner.status, StatusCode::FORBIDDEN, "{}", as_owner.body);
        let already = app.call_with("invite_person", "email=owner%40example.com&role=viewer", Some(&admin)).await;
        assert_eq!(already.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", already.body);
        assert!(already.body.contains("already_member"), "{}", already.body);
        let bad = app.call_with("invite_person", "email=not-an-address&role=viewer", Some(&admin)).await;
        assert!(bad.body.contains("invalid_email"), "{}", bad.body);
    }
}
