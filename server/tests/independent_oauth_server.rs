//! The generic OAuth client against an OAuth 2.0 server written by someone else:
//! oauth2-mock-server from the npm registry (installed by the test command in end2end/).
//! Consent URL, PKCE S256, code exchange with HTTP Basic client authentication, refresh, and a
//! bearer call, as any standard-following platform would see them.

use domain::Platform;
use engine::platforms::catalog::ProviderSettings;
use engine::platforms::client::ProviderClient;
use engine::platforms::failure::FailureKind;
use secrecy::{ExposeSecret, SecretString};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct MockServer {
    child: Child,
    base: String,
}

impl MockServer {
    fn start() -> MockServer {
        let end2end = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../end2end");
        assert!(
            end2end.join("node_modules/oauth2-mock-server").exists(),
            "oauth2-mock-server is not installed: run scripts/test (or `npm ci` in end2end/)"
        );
        let mut child = Command::new("node")
            .arg("oauth-mock-server.mjs")
            .current_dir(&end2end)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT=")
            .expect("the server prints its port");
        MockServer {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn client(server: &MockServer) -> ProviderClient {
    // X's description: PKCE required, Basic client authentication, refresh tokens.
    let settings = ProviderSettings {
        platform: Platform::X,
        client_id: Some("plugboard-test".into()),
        client_secret: Some(SecretString::from("a-client-secret")),
        authorize_url: format!("{}/authorize", server.base),
        token_url: format!("{}/token", server.base),
        api_url: server.base.clone(),
        revoke_url: Some(format!("{}/revoke", server.base)),
        sandboxed: false,
    };
    let http = engine::net::http::client(Duration::from_secs(5));
    ProviderClient::new(
        &settings,
        http,
        "http://localhost:3000/api/v1/auth/x/callback".into(),
    )
}

/// Follows the consent URL like a browser; the mock approves at once and redirects back.
async fn authorize(url: &str) -> (String, String) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = browser.get(url).send().await.unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.path(), "/api/v1/auth/x/callback");
    let get = |key: &str| {
        location
            .query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    (get("code"), get("state"))
}

#[tokio::test]
async fn the_generic_client_speaks_standard_oauth2() {
    let server = MockServer::start();
    let client = client(&server);
    let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();

    let consent = client
        .authorize_url("state-123", Some(challenge.as_str()))
        .unwrap();
    assert!(consent.contains("code_challenge_method=S256"));
    let (code, state) = authorize(&consent).await;
    assert_eq!(state, "state-123", "the state comes back untouched");

    let tokens = client
        .exchange_code(&code, Some(verifier.secret()))
        .await
        .expect("exchange");
    assert!(!tokens.access_token.expose_secret().is_empty());
    assert_eq!(tokens.expires_in, Some(chrono::Duration::hours(1)));
    let refresh = tokens.refresh_token.expect("a refresh token");

    let me = client
        .get_json("/userinfo", &tokens.access_token)
        .await
        .expect("bearer call");
    assert_eq!(me["sub"], "johndoe");

    let refreshed = client
        .refresh(&tokens.access_token, Some(&refresh))
        .await
        .expect("X refreshes with refresh_token")
        .expect("refresh");
    assert!(!refreshed.access_token.expose_secret().is_empty());
    assert_eq!(refreshed.expires_in, Some(chrono::Duration::hours(1)));
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_refused_and_classified() {
    let server = MockServer::start();
    let client = client(&server);
    let (challenge, _verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
    let (code, _) = authorize(&client.authorize_url("s", Some(challenge.as_str())).unwrap()).await;
    let (_, other_verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
    let error = client
        .exchange_code(&code, Some(other_verifier.secret()))
        .await
        .unwrap_err();
    assert_eq!(error.status, Some(400));
    assert_eq!(error.code.as_deref(), Some("invalid_request"));
    // X names a dead grant `invalid_request`, so under X's description this is terminal.
    assert_eq!(error.kind, FailureKind::Terminal);
    assert!(
        !error.kind.is_transient(),
        "a refused verifier is not worth retrying"
    );
}
