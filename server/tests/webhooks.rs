//! Webhooks: the page's forms, the outbox written with each change, signed deliveries checked by
//! a receiver written independently (Python's hmac module), retries, and SSRF refusal.

mod common;

use axum::http::StatusCode;
use common::{Backend, Consent, TestApp, ALLOW_LOOPBACK};
use domain::Platform;
use sandbox::{Endpoint, Failure};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PAGE: &str = "/dashboard/webhooks";

/// The Python receiver, with its output collected line by line.
struct Receiver {
    child: std::process::Child,
    url: String,
    lines: Arc<Mutex<Vec<String>>>,
    secret_file: tempfile::NamedTempFile,
}

impl Receiver {
    fn start() -> Receiver {
        let secret_file = tempfile::NamedTempFile::new().unwrap();
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/webhook_receiver.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(secret_file.path())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        let port = first
            .trim()
            .strip_prefix("PORT=")
            .expect("the receiver prints its port")
            .to_owned();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Receiver {
            child,
            url: format!("http://127.0.0.1:{port}/plugboard"),
            lines,
            secret_file,
        }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn deliver_everything(app: &TestApp) {
    for _ in 0..20 {
        plugboard::worker::delivery_pass(&app.state).await.unwrap();
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'")
                .fetch_one(app.state.db.pool())
                .await
                .unwrap();
        if pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("deliveries still pending");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_independent_receiver_verifies_every_event() {
    let (app, platforms) = TestApp::with_platforms(Backend::Sqlite).await;
    let cookie = app.sign_up("ada@example.com").await;
    let receiver = Receiver::start();
    let owner = app.workspace_id("ada@example.com").await;
    // Loopback endpoints need PLUGBOARD_ALLOW_PRIVATE_URLS (or the sandbox); this app has neither.
    let refused =
        engine::events::webhooks::create_endpoint(&app.state, &owner, "tests", &receiver.url).await;
    assert!(matches!(
        refused,
        Err(engine::events::webhooks::EndpointError::Refused(
            engine::net::address_guard::UrlRefused::Private
        ))
    ));

    let (app, platforms, cookie) = {
        drop((app, platforms, cookie));
        let (app, platforms) = TestApp::with_platforms_and(Backend::Sqlite, ALLOW_LOOPBACK).await;
        let cookie = app.sign_up("ada@example.com").await;
        (app, platforms, cookie)
    };
    let owner = app.workspace_id("ada@example.com").await;
    let (endpoint_id, secret) =
        engine::events::webhooks::create_endpoint(&app.state, &owner, "tests", &receiver.url)
            .await
            .unwrap();
    use secrecy::ExposeSecret;
    std::fs::write(receiver.secret_file.path(), secret.expose_secret()).unwrap();

    // account.connected, then account.refresh_failed, then a test event.
    app.connect(&cookie, "/api/v1/auth/reddit/connect", Consent::default())
        .await;
    let account_id = app.first_account_id(&cookie).await;
    platforms
        .sandbox
        .fail(Platform::Reddit, Endpoint::Refresh, Failure::InvalidGrant);
    engine::keep_alive::refresh::refresh_account(&app.state, &account_id, true)
        .await
        .unwrap();
    engine::events::webhooks::send_test(&app.state.db, &owner, &endpoint_id)
        .await
        .unwrap();
    deliver_everything(&app).await;

    let lines = receiver.lines();
    let ok: Vec<&String> = lines.iter().filter(|l| l.starts_with("ok ")).collect();
    assert_eq!(ok.len(), 3, "{lines:?}");
    for kind in [
        "account.connected",
        "account.refresh_failed",
        "webhook.test",
    ] {
        assert!(
            ok.iter().any(|l| l.split(' ').nth(2) == Some(kind)),
            "{kind} in {lines:?}"
        );
    }
    let failed = ok
        .iter()
        .find(|l| l.contains(" account.refresh_failed "))
        .unwrap();
    let body: serde_json::Value =
        serde_json::from_str(failed.splitn(4, ' ').nth(3).unwrap()).unwrap();
    assert_eq!(body["data"]["account_id"], account_id.as_str());
    assert_eq!(body["data"]["platform"], "reddit");
    assert_eq!(body["data"]["username"], "ada_sandbox");
    assert_eq!(body["data"]["error"]["class"], "terminal");
    assert_eq!(body["data"]["error"]["code"], "invalid_grant");
    assert!(body["data"]["occurred_at"].as_str().unwrap().ends_with('Z'));
    assert!(!failed.contains("sbx."), "no token in any payload");

    // The receiver really checks: a forged delivery is refused.
    let forged = reqwest::Client::new()
        .post(&receiver.url)
        .header("Plugboard-Webhook-Id", "evt_forged")
        .header(
            "Plugboard-Webhook-Timestamp",
            chrono::Utc::now().timestamp().to_string(),
        )
        .header("Plugboard-Webhook-Signature", "v1=00")
        .body(r#"{"id":"evt_forged","type":"account.connected"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(receiver.lines().iter().any(|l| l == "bad signature"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_are_retried_later_then_given_up() {
    let (app, _platforms) = TestApp::with_platforms_and(Backend::Postgres, ALLOW_LOOPBACK).await;
    app.sign_up("ada@example.com").await;
    let owner = app.workspace_id("ada@example.com").await;
    // Nothing listens on this port.
    let (endpoint, _) = engine::events::webhooks::create_endpoint(
        &app.state,
        &owner,
        "tests",
        "http://127.0.0.1:9/nowhere",
    )
    .await
    .unwrap();
    engine::events::webhooks::send_test(&app.state.db, &owner, &endpoint)
        .await
        .unwrap();
    plugboard::worker::delivery_pass(&app.state).await.unwrap();
    let row: (String, i64, Option<String>) =
        sqlx::query_as("SELECT status, attempts, last_error FROM webhook_deliveries")
            .fetch_one(app.state.db.pool())
            .await
            .unwrap();
    assert_eq!((row.0.as_str(), row.1), ("pending", 1));
    assert_eq!(row.2.as_deref(), Some("could not reach the endpoint"));
    // Not due again yet: another pass sends nothing.
    assert_eq!(
        plugboard::worker::delivery_pass(&app.state).await.unwrap(),
        0
    );
    // After the last attempt it is given up.
    sqlx::query("UPDATE webhook_deliveries SET attempts = $1, next_attempt_at = 0")
        .bind(engine::events::webhooks::MAX_ATTEMPTS - 1)
        .execute(app.state.db.pool())
        .await
        .unwrap();
    plugboard::worker::delivery_pass(&app.state).await.unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM webhook_deliveries")
        .fetch_one(app.state.db.pool())
        .await
        .unwrap();
    assert_eq!(status, "failed");
}

on_both_databases! {
    async fn the_webhooks_page_adds_shows_the_secret_once_and_removes(app) {
        let cookie = app.sign_up("ada@example.com").await;
        let private = app.submit(PAGE, "add_webhook_endpoint", &[("url", "http://127.0.0.1:9000/hook")], Some(&cookie)).await;
        assert!(private.location().starts_with("/dashboard/webhooks?__path="), "{}", private.location());
        assert!(!private.location().contains("127.0.0.1"), "what was typed stays out of the link");
        let page = app.get(private.location(), Some(&cookie)).await;
        assert!(page.body.contains("private or local network"), "the form says why");
        assert!(page.body.contains("value=\"http://127.0.0.1:9000/hook\""), "and keeps the URL");
        let again = app.get(private.location(), Some(&cookie)).await;
        assert!(!again.body.contains("value=\"http://127.0.0.1:9000/hook\""), "once");

        let bad = app.submit(PAGE, "add_webhook_endpoint", &[("url", "not a url")], Some(&cookie)).await;
        assert!(app.get(bad.location(), Some(&cookie)).await.body.contains("Enter a full address"));
        let not_http = app.submit(PAGE, "add_webhook_endpoint", &[("url", "ftp://1.1.1.1/hook")], Some(&cookie)).await;
        assert!(app.get(not_http.location(), Some(&cookie)).await.body.contains("Enter a full address"));
        let pasted = format!("https://1.1.1.1/{}", "a".repeat(domain::MAX_TYPED_URL_CHARS));
        let too_long = app.submit(PAGE, "add_webhook_endpoint", &[("url", &pasted)], Some(&cookie)).await;
        let page = app.get(too_long.location(), Some(&cookie)).await;
        assert!(page.body.contains("longer than any real one"), "the form says why");
        assert!(!page.body.contains(&pasted), "and does not keep what no real address is");

        // A public address (resolving is all that is checked when adding).
        let added = app.submit(PAGE, "add_webhook_endpoint", &[("url", "https://1.1.1.1/hook")], Some(&cookie)).await;
        assert_eq!(added.location(), "/dashboard/webhooks");
        let first = app.get("/dashboard/webhooks", Some(&cookie)).await;
        assert!(first.body.contains("whsec_"), "the secret shows once");
        let second = app.get("/dashboard/webhooks", Some(&cookie)).await;
        assert!(!second.body.contains("whsec_"), "and never again");
        assert!(second.body.contains("https://1.1.1.1/hook"));
        let sealed: Vec<u8> = sqlx::query_scalar("SELECT secret_enc FROM webhook_endpoints").fetch_one(app.state.db.pool()).await.unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("whsec_"), "sealed at rest");

        let id = engine::events::webhooks::list_endpoints(&app.state.db, &app.workspace_id("ada@example.com").await).await.unwrap()[0].id.clone();
        let bob = app.sign_up("bob@example.com").await;
        let foreign = app.submit(PAGE, "remove_webhook_endpoint", &[("id", &id)], Some(&bob)).await;
        let page = app.get(foreign.location(), Some(&bob)).await;
        assert!(page.body.contains("That endpoint no longer exists."), "another user's endpoint is not found");
        let foreign = app.submit(PAGE, "test_webhook_endpoint", &[("id", &id)], Some(&bob)).await;
        assert!(app.get(foreign.location(), Some(&bob)).await.body.contains("That endpoint no longer exists."));
        let tested = app.submit(PAGE, "test_webhook_endpoint", &[("id", &id)], Some(&cookie)).await;
        assert_eq!(tested.location(), "/dashboard/webhooks?tested=1");
        let page = app.get("/dashboard/webhooks", Some(&cookie)).await;
        assert!(page.body.contains("webhook.test"), "the delivery is listed");
        let removed = app.submit(PAGE, "remove_webhook_endpoint", &[("id", &id)], Some(&cookie)).await;
        assert_eq!(removed.location(), "/dashboard/webhooks?removed=1");
        assert!(!app.get("/dashboard/webhooks", Some(&cookie)).await.body.contains("https://1.1.1.1/hook"));
    }

    async fn connect_events_are_written_with_the_change(app) {
        app.sign_up("ada@example.com").await;
        let owner = app.workspace_id("ada@example.com").await;
        let (_, _) = engine::events::webhooks::create_endpoint(&app.state, &owner, "tests", "https://1.1.1.1/hook").await.unwrap();
        app.seed_demo_accounts("ada@example.com", 1).await;
        // Demo accounts are not connects; a real connect writes its event in its transaction.
        let events: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox_events").fetch_one(app.state.db.pool()).await.unwrap();
        assert_eq!(events, 0);
        let anonymous = app.submit(PAGE, "add_webhook_endpoint", &[("url", "https://1.1.1.1/x")], None).await;
        assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
        assert!(app.get(anonymous.location(), None).await.location().starts_with("/?next="));
        assert_eq!(app.call_with("add_webhook_endpoint", "url=https%3A%2F%2F1.1.1.1%2Fx", None).await.status, StatusCode::UNAUTHORIZED);
        assert_eq!(engine::events::webhooks::list_endpoints(&app.state.db, &owner).await.unwrap().len(), 1, "nothing was added");
    }
}
