//! What an attacker without an account can do, and the headers and small things around it: no
//! open redirect after sign-in, sign-ups and parallel guesses throttled, open sign-up that can be
//! closed, a sandbox that only a signed-in person can drive and that matches redirect URIs
//! exactly, HSTS and no-store, and `/metrics` closed to requests that came through a proxy.

mod common;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use common::{Backend, TestApp, PASSWORD};
use std::net::SocketAddr;

const HOME: &str = "/dashboard/connections";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_never_sends_anyone_to_another_site() {
    let app = TestApp::new(Backend::Sqlite).await;
    app.sign_up("ada@example.com").await;
    for bypass in [
        "//evil.example",
        "/\\evil.example",
        "/\t/evil.example",
        "/%09/evil.example",
        "/\r\n/evil.example",
        "/%2F%2Fevil.example",
        "/%5C%5Cevil.example",
        "https://evil.example",
        "/dashboard//evil.example",
        "/dashboard/%2F%2Fevil.example",
        "/ /evil.example",
        "javascript:alert(1)",
    ] {
        let signed_in = app
            .post_form(
                "/auth/sign-in",
                &[
                    ("email", "ada@example.com"),
                    ("password", PASSWORD),
                    ("next", bypass),
                ],
                None,
            )
            .await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
        assert_eq!(signed_in.location(), HOME, "next={bypass:?}");
        let encoded: String = url::form_urlencoded::byte_serialize(bypass.as_bytes()).collect();
        let welcome = app.get(&format!("/?next={encoded}"), None).await;
        assert!(
            !welcome.body.contains("evil.example"),
            "next={bypass:?} is not carried by the form"
        );
    }
    let ours = app
        .post_form(
            "/auth/sign-in",
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("next", "/dashboard/billing"),
            ],
            None,
        )
        .await;
    assert_eq!(ours.location(), "/dashboard/billing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_parallel_guesses_is_throttled_like_a_sequence() {
    let app = TestApp::new(Backend::Sqlite).await;
    app.sign_up("ada@example.com").await;
    let guesses = (0..20).map(|n| {
        let app = &app;
        async move {
            let guess = format!("wrong password number {n}");
            app.post_form(
                "/auth/sign-in",
                &[("email", "ada@example.com"), ("password", &guess)],
                None,
            )
            .await
        }
    });
    let answers = futures::future::join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|a| {
            a.location_query().get("error").map(String::as_str) == Some("wrong_credentials")
        })
        .count();
    let throttled = answers
        .iter()
        .filter(|a| a.location_query().get("error").map(String::as_str) == Some("throttled"))
        .count();
    assert_eq!(
        checked,
        engine::identity::sign_in_throttle::MAX_FAILURES_PER_EMAIL as usize,
        "only as many guesses as the limit reach the password check"
    );
    assert_eq!(throttled, 20 - checked);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_from_one_address_are_throttled() {
    let app = TestApp::new(Backend::Sqlite).await;
    let limit = engine::identity::sign_in_throttle::MAX_SIGN_UPS_PER_CLIENT as usize;
    for n in 0..limit {
        app.sign_up(&format!("person{n}@example.com")).await;
    }
    let one_more = app
        .post_form(
            "/auth/sign-up",
            &[("email", "one.more@example.com"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(
        one_more.location_query().get("error").map(String::as_str),
        Some("sign_up_throttled")
    );
    assert!(
        engine::identity::users::find_by_email(&app.state.db, "one.more@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_sign_up_leaves_only_the_cli() {
    let app = TestApp::with_settings(Backend::Sqlite, &[("PLUGBOARD_OPEN_SIGN_UP", "false")]).await;
    let welcome = app.get("/", None).await;
    assert!(
        !welcome.body.contains("action=\"/auth/sign-up\""),
        "no sign-up form"
    );
    assert!(welcome.body.contains("not open for sign-up"));
    let refused = app
        .post_form(
            "/auth/sign-up",
            &[("email", "ada@example.com"), ("password", PASSWORD)],
            None,
        )
        .await;
    assert_eq!(
        refused.location_query().get("error").map(String::as_str),
        Some("sign_up_closed")
    );
    assert!(
        engine::identity::users::find_by_email(&app.state.db, "ada@example.com")
            .await
            .unwrap()
            .is_none()
    );
    // The operator still makes accounts.
    engine::identity::users::sign_up(&app.state.db, "ada@example.com", PASSWORD)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_controls_need_a_signed_in_person_and_sane_input() {
    let app = TestApp::with_settings(Backend::Sqlite, &[("PLUGBOARD_SANDBOX", "true")]).await;
    let control = |fields: &'static [(&'static str, &'static str)], cookie: Option<String>| {
        let app = &app;
        async move {
            app.post_form("/sandbox/_control", fields, cookie.as_deref())
                .await
        }
    };
    let revoke: &[(&str, &str)] = &[("action", "revoke"), ("platform", "x"), ("person", "ada")];
    let anonymous = control(revoke, None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert!(
        anonymous.location().starts_with("/?next="),
        "{}",
        anonymous.location()
    );
    let cookie = app.sign_up("ada@example.com").await;
    let page = app.get("/sandbox", Some(&cookie)).await;
    assert_eq!(
        page.status,
        StatusCode::OK,
        "the sandbox's page, not the dashboard"
    );
    assert!(page.body.contains("Plugboard sandbox"));
    assert_eq!(
        control(revoke, Some(cookie.clone())).await.location(),
        "/sandbox"
    );
    for bad in [
        &[
            ("action", "revoke"),
            ("platform", "x"),
            ("person", "mallory"),
        ][..],
        &[
            ("action", "ttl"),
            ("platform", "x"),
            ("seconds", "99999999999"),
        ][..],
        &[("action", "ttl"), ("platform", "x"), ("seconds", "-1")][..],
        &[("action", "latency"), ("platform", "x"), ("seconds", "1e9")][..],
        &[
            ("action", "fail"),
            ("platform", "x"),
            ("endpoint", "everything"),
            ("failure", "outage"),
        ][..],
        &[
            ("action", "fail"),
            ("platform", "x"),
            ("endpoint", "token"),
            ("failure", "meltdown"),
        ][..],
        &[("action", "explode"), ("platform", "x")][..],
    ] {
        let answer = control(bad, Some(cookie.clone())).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_consent_screen_takes_only_the_registered_callback() {
    let app = TestApp::with_settings(Backend::Sqlite, &[("PLUGBOARD_SANDBOX", "true")]).await;
    let authorize = |redirect: &str| {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", "sandbox-reddit")
            .append_pair("redirect_uri", redirect)
            .append_pair("state", "s")
            .append_pair("scope", "identity")
            .finish();
        format!("/sandbox/reddit/api/v1/authorize?{query}")
    };
    let registered = app
        .get(
            &authorize("http://localhost:3000/api/v1/auth/reddit/callback"),
            None,
        )
        .await;
    assert_eq!(registered.status, StatusCode::OK, "{}", registered.body);
    for elsewhere in [
        "https://evil.example/api/v1/auth/reddit/callback",
        "http://localhost:3000/api/v1/auth/reddit/callback/../../../evil",
        "http://localhost:3000/api/v1/auth/reddit/callback?x=1",
        "http://localhost:3000.evil.example/api/v1/auth/reddit/callback",
    ] {
        let refused = app.get(&authorize(elsewhere), None).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{elsewhere}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_instances_send_hsts_and_personal_pages_are_never_cached() {
    let secure = TestApp::with_settings(
        Backend::Sqlite,
        &[("PLUGBOARD_BASE_URL", "https://plugboard.example")],
    )
    .await;
    let page = secure.get("/", None).await;
    assert_eq!(
        page.headers[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
    let plain = TestApp::new(Backend::Sqlite).await;
    let page = plain.get("/", None).await;
    assert!(!page.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));

    let cookie = plain.sign_up("ada@example.com").await;
    for path in [
        "/dashboard/settings",
        "/dashboard/webhooks",
        "/dashboard/connections",
    ] {
        let page = plain.get(path, Some(&cookie)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(page.headers[header::CACHE_CONTROL], "no-store", "{path}");
    }
    // The server function that hands the page a new API key, once.
    let created = plain
        .submit(
            "/dashboard/settings",
            "create_api_key",
            &[("name", "tool")],
            Some(&cookie),
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let overview = plain.call("settings_overview", Some(&cookie)).await;
    assert!(overview.json()["new_key"].is_string());
    assert_eq!(overview.headers[header::CACHE_CONTROL], "no-store");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_without_a_token_refuse_what_came_through_a_proxy() {
    plugboard::web::metrics::install();
    let app = TestApp::new(Backend::Sqlite).await;
    let from_loopback = |forwarded: Option<(&str, &str)>| {
        let mut request = Request::get("/metrics");
        if let Some((name, value)) = forwarded {
            request = request.header(name, value);
        }
        let mut request = request.body(Body::empty()).unwrap();
        request.extensions_mut().insert(ConnectInfo(
            "127.0.0.1:50000".parse::<SocketAddr>().unwrap(),
        ));
        request
    };
    assert_eq!(app.send(from_loopback(None)).await.status, StatusCode::OK);
    for header in [
        ("x-forwarded-for", "203.0.113.9"),
        ("forwarded", "for=203.0.113.9"),
        ("x-real-ip", "203.0.113.9"),
    ] {
        assert_eq!(
            app.send(from_loopback(Some(header))).await.status,
            StatusCode::FORBIDDEN,
            "{header:?}"
        );
    }
}
