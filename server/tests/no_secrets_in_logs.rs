//! Every log line written while connecting platforms, handing out tokens through the API and
//! disconnecting (with revocation), at debug level for every crate: none may carry a token, an API
//! key, an app password or a bot token.

mod common;

use common::{assert_connected, Backend, Consent, TestApp};
use domain::Platform;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_vending_and_disconnecting_log_no_secret() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("debug")
        .with_writer(move || writer.clone())
        .init();

    let (app, _platforms) = TestApp::with_platforms(Backend::Sqlite).await;
    let cookie = app.sign_up("ada@example.com").await;
    engine::connections::plans::set_for_workspace(
        &app.state.db,
        &app.workspace_id("ada@example.com").await,
        "business",
    )
    .await
    .unwrap();
    for platform in [
        Platform::X,
        Platform::Threads,
        Platform::Slack,
        Platform::Reddit,
    ] {
        let response = app
            .connect(
                &cookie,
                &format!("/api/v1/auth/{}/connect", platform.slug()),
                Consent::default(),
            )
            .await;
        assert_connected(&response, platform);
    }
    // A failing exchange logs its classification, not the platform's raw answer.
    app.connect(
        &cookie,
        "/api/v1/auth/x/connect",
        Consent::simulating("invalid_grant"),
    )
    .await;
    let credentials: [(&str, Vec<(&str, String)>); 2] = [
        (
            "telegram",
            vec![(
                "bot_token",
                engine::platforms::catalog::SANDBOX_TELEGRAM_BOT_TOKEN.to_owned(),
            )],
        ),
        (
            "bluesky",
            vec![
                ("identifier", "ada.bsky.social".to_owned()),
                (
                    "app_password",
                    engine::platforms::catalog::SANDBOX_BLUESKY_APP_PASSWORD.to_owned(),
                ),
            ],
        ),
    ];
    for (slug, fields) in &credentials {
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = app
            .post_form(
                &format!("/api/v1/auth/{slug}/credentials"),
                &borrowed,
                Some(&cookie),
            )
            .await;
        assert_eq!(
            response.location(),
            format!("/dashboard/connections?connected={slug}")
        );
    }
    // The proxied Telegram avatar fetches with the token in the URL.
    let accounts = app.accounts(&cookie).await;
    let telegram = accounts
        .iter()
        .find(|a| a["platform"] == "telegram")
        .unwrap();
    app.get(
        telegram["profile_image_url"].as_str().unwrap(),
        Some(&cookie),
    )
    .await;

    // A tool takes tokens through the API (one refreshed first), then two accounts are disconnected
    // (and revoked at their platforms).
    let key = app.create_api_key(&cookie, "Logging check").await;
    let api = common::api::ApiClient::new(&app, &key).await;
    sqlx::query("UPDATE connected_accounts SET token_expires_at = 0 WHERE platform = 'x'")
        .execute(app.state.db.pool())
        .await
        .unwrap();
    for account in &accounts {
        let id = account["id"].as_str().unwrap();
        api.post(&format!("/api/v1/accounts/{id}/access-token"), None)
            .await;
    }
    for account in accounts
        .iter()
        .filter(|a| a["platform"] == "x" || a["platform"] == "slack")
    {
        let id = account["id"].as_str().unwrap();
        let response = app
            .submit(
                &format!("/dashboard/connections/{id}/disconnect"),
                "disconnect_account",
                &[("account", id)],
                Some(&cookie),
            )
            .await;
        assert!(response.location().contains("disconnected="));
    }

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("account connected"),
        "the capture works: {}",
        logs.len()
    );
    assert!(logs.contains("access token handed out") && logs.contains("account disconnected"));
    for secret in [
        "sbx.",
        "sandbox-token",
        "pb_",
        engine::platforms::catalog::SANDBOX_BLUESKY_APP_PASSWORD,
        "code=",
    ] {
        let line = logs.lines().find(|l| l.contains(secret));
        assert!(
            line.is_none(),
            "a log line carries `{secret}`: {}",
            line.unwrap_or_default()
        );
    }
}
