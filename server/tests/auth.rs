//! Sign-up, sign-in, sign-out, sessions and cross-site protection, over HTTP, on both databases.

mod common;

use axum::http::StatusCode;
use common::{Backend, TestApp, ORIGIN, PASSWORD};

on_both_databases! {
    async fn dashboard_without_a_session_redirects_to_sign_in(app) {
        for path in ["/dashboard/connections", "/dashboard/billing", "/dashboard"] {
            let response = app.get(path, None).await;
            assert_eq!(response.status, StatusCode::SEE_OTHER, "{path}");
            assert!(response.location().starts_with("/?next=") || response.location() == "/dashboard/connections", "{path}: {}", response.location());
        }
        let response = app.get("/dashboard/billing?tab=plans", None).await;
        assert_eq!(response.location(), "/?next=%2Fdashboard%2Fbilling%3Ftab%3Dplans");
    }

    async fn a_forged_session_cookie_is_anonymous(app) {
        let response = app.get("/dashboard/connections", Some("plugboard_session=AAAAAAAAAAAAAAAAAAAAAA")).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
    }

    async fn sign_up_signs_in_and_shows_the_empty_dashboard(app) {
        let cookie = app.sign_up("Ada@Example.com").await;
        let page = app.get("/dashboard/connections", Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("ada@example.com"), "email shown lower-cased");
        assert!(page.body.contains("No accounts connected yet"));
        assert!(page.body.contains("data-testid=\"connections-skeleton\""));
        assert_eq!(page.body.matches("class=\"connect-button\"").count(), 14);
    }

    async fn the_session_cookie_is_http_only_and_same_site_lax(app) {
        let response = app
            .post_form("/auth/sign-up", &[("email", "c@example.com"), ("password", PASSWORD)], None)
            .await;
        let cookie = response.set_cookies().into_iter().find(|c| c.starts_with("plugboard_session=")).unwrap();
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain http base URL: {cookie}");
    }

    async fn signed_in_visitors_skip_the_sign_in_page(app) {
        let cookie = app.sign_up("d@example.com").await;
        let response = app.get("/", Some(&cookie)).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        assert_eq!(response.location(), "/dashboard/connections");
    }

    async fn sign_up_errors_keep_the_email_and_say_what_is_wrong(app) {
        app.sign_up("taken@example.com").await;
        let cases = [
            ("taken@example.com", PASSWORD, "email_taken"),
            ("not-an-email", PASSWORD, "invalid_email"),
            ("new@example.com", "Xq9!mz", "password_too_short"),
            ("new@example.com", "password1234", "password_guessable"),
        ];
        for (email, password, code) in cases {
            let response = app
                .post_form("/auth/sign-up", &[("email", email), ("password", password)], None)
                .await;
            assert_eq!(response.status, StatusCode::SEE_OTHER);
            let location = response.location();
            assert!(location.contains(&format!("error={code}")), "{email}: {location}");
            assert!(location.contains("form=sign_up"), "{location}");
            assert!(!location.contains(password), "the password never travels back: {location}");
            assert!(response.session_cookie().is_none());
            let page = app.get(location, None).await;
            assert!(page.body.contains("role=\"alert\""), "{code}: the form shows the error");
            let kept = url::form_urlencoded::byte_serialize(email.as_bytes()).collect::<String>();
            assert!(location.contains(&format!("email={kept}")), "{location}");
        }
    }

    async fn wrong_password_is_refused_with_a_clear_error(app) {
        app.sign_up("e@example.com").await;
        let response = app
            .post_form("/auth/sign-in", &[("email", "e@example.com"), ("password", "wrong password here")], None)
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        assert!(response.location().contains("error=wrong_credentials"));
        let page = app.get(response.location(), None).await;
        assert!(page.body.contains("Email or password is incorrect."));
        assert!(page.body.contains("value=\"e@example.com\""), "email kept in the form");
    }

    async fn sign_in_rotates_the_session_id_and_goes_to_next(app) {
        let first = app.sign_up("f@example.com").await;
        let response = app
            .post_form(
                "/auth/sign-in",
                &[("email", "F@example.com"), ("password", PASSWORD), ("next", "/dashboard/billing")],
                Some(&first),
            )
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        assert_eq!(response.location(), "/dashboard/billing");
        let second = response.session_cookie().expect("a new session cookie");
        assert_ne!(first, second, "the session id changes at sign-in");
        assert_eq!(app.get("/dashboard/billing", Some(&second)).await.status, StatusCode::OK);
        assert_eq!(app.get("/dashboard/billing", Some(&first)).await.status, StatusCode::SEE_OTHER, "the old id is dead");
    }

    async fn next_never_leaves_the_site(app) {
        app.sign_up("g@example.com").await;
        let response = app
            .post_form(
                "/auth/sign-in",
                &[("email", "g@example.com"), ("password", PASSWORD), ("next", "//evil.example/")],
                None,
            )
            .await;
        assert_eq!(response.location(), "/dashboard/connections");
    }

    async fn sign_in_is_throttled_after_repeated_failures(app) {
        app.sign_up("h@example.com").await;
        for _ in 0..engine::identity::sign_in_throttle::MAX_FAILURES_PER_EMAIL {
            let response = app
                .post_form("/auth/sign-in", &[("email", "h@example.com"), ("password", "nope nope nope")], None)
                .await;
            assert!(response.location().contains("error=wrong_credentials"));
        }
        // Even the right password waits now.
        let response = app
            .post_form("/auth/sign-in", &[("email", "h@example.com"), ("password", PASSWORD)], None)
            .await;
        assert!(response.location().contains("error=throttled"), "{}", response.location());
        assert!(response.location().contains("retry=15"), "{}", response.location());
        assert!(response.session_cookie().is_none());
        let page = app.get(response.location(), None).await;
        assert!(page.body.contains("Too many failed sign-ins"));
    }

    async fn sign_out_ends_the_session_on_the_server(app) {
        let cookie = app.sign_up("i@example.com").await;
        let response = app.post_form("/auth/sign-out", &[], Some(&cookie)).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        assert_eq!(response.location(), "/?signed_out=1");
        // Replaying the old cookie does not work: the session row is gone.
        assert_eq!(app.get("/dashboard/connections", Some(&cookie)).await.status, StatusCode::SEE_OTHER);
        let page = app.get("/?signed_out=1", None).await;
        assert!(page.body.contains("You are signed out."));
    }

    async fn session_ids_are_stored_only_as_hashes(app) {
        let cookie = app.sign_up("j@example.com").await;
        let id = cookie.split_once('=').unwrap().1;
        let rows: Vec<(String,)> = sqlx::query_as("SELECT id_hash FROM sessions")
            .fetch_all(app.state.db.pool())
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_ne!(rows[0].0, id);
        assert_eq!(rows[0].0.len(), 64);
    }

    async fn cross_site_posts_are_refused(app) {
        let cookie = app.sign_up("k@example.com").await;
        for path in ["/auth/sign-out", "/auth/sign-in", "/auth/sign-up", "/api/fn/connected_accounts"] {
            let by_fetch_metadata = app
                .post_form_from(path, &[], Some(&cookie), "https://evil.example", "cross-site")
                .await;
            assert_eq!(by_fetch_metadata.status, StatusCode::FORBIDDEN, "{path}");
            let by_origin = app
                .post_form_from(path, &[], Some(&cookie), "https://evil.example", "")
                .await;
            assert_eq!(by_origin.status, StatusCode::FORBIDDEN, "{path}");
        }
        // The session survived: the forged sign-out did nothing.
        assert_eq!(app.get("/dashboard/connections", Some(&cookie)).await.status, StatusCode::OK);
    }

    async fn same_site_sibling_origins_are_refused_too(app) {
        let cookie = app.sign_up("l@example.com").await;
        let response = app
            .post_form_from("/auth/sign-out", &[], Some(&cookie), "http://other.localhost:3000", "same-site")
            .await;
        assert_eq!(response.status, StatusCode::FORBIDDEN);
        let ours = app.post_form_from("/auth/sign-out", &[], Some(&cookie), ORIGIN, "same-origin").await;
        assert_eq!(ours.status, StatusCode::SEE_OTHER);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_are_secure_behind_https() {
    let app = TestApp::with_settings(
        Backend::Sqlite,
        &[("PLUGBOARD_BASE_URL", "https://plugboard.example")],
    )
    .await;
    let response = app
        .post_form_from(
            "/auth/sign-up",
            &[("email", "s@example.com"), ("password", PASSWORD)],
            None,
            "https://plugboard.example",
            "same-origin",
        )
        .await;
    // The `__Host-` prefix: this exact host, Secure, every path, no Domain.
    let cookie = response
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-plugboard_session="))
        .unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Domain"), "{cookie}");
}
