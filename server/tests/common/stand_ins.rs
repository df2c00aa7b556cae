//! Platform stand-ins that the sandbox is not: a scripted one that answers whatever a test says
//! (hostile numbers, huge bodies, 429s, another platform's shapes), and a rotating token
//! endpoint modelled on X's OAuth 2.0 refresh (each refresh returns a new refresh token and the
//! old one is refused at once with `400 invalid_request`), which keeps a ledger of every token it
//! issued and every one presented to it, to tell afterwards what was lost or spent twice.

use super::{Backend, TestApp};
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use chrono::Utc;
use domain::{Platform, StoredTokenStatus};
use engine::accounts::NewAccount;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A canned answer.
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Waited before answering.
    pub delay: Duration,
    /// After `body`, keep sending 64 KiB every 10 ms, forever (a hostile or broken server).
    pub endless: bool,
}

impl Canned {
    pub fn json(status: u16, body: serde_json::Value) -> Canned {
        Canned {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
            delay: Duration::ZERO,
            endless: false,
        }
    }

    /// A 200 whose body never ends.
    pub fn endless(content_type: &str) -> Canned {
        Canned {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body: String::new(),
            delay: Duration::ZERO,
            endless: true,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Canned {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// One request a stand-in received: its path and its form and query fields.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub fields: HashMap<String, String>,
}

type Script = Arc<dyn Fn(&Received) -> Canned + Send + Sync>;

#[derive(Default)]
struct ScriptedState {
    scripts: HashMap<String, Script>,
    received: Vec<Received>,
}

/// Answers each path as the test scripted it; anything else is a 404.
#[derive(Clone)]
pub struct Scripted {
    pub base: String,
    state: Arc<Mutex<ScriptedState>>,
}

impl Scripted {
    pub async fn start() -> Scripted {
        let state = Arc::new(Mutex::new(ScriptedState::default()));
        let router = Router::new()
            .fallback(any(scripted_answer))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Scripted { base, state }
    }

    /// Answers `path` with `canned`, every time.
    pub fn answer(&self, path: &str, canned: Canned) {
        self.answer_with(path, move |_| canned.clone());
    }

    /// Answers `path` with whatever `script` makes of the request.
    pub fn answer_with(
        &self,
        path: &str,
        script: impl Fn(&Received) -> Canned + Send + Sync + 'static,
    ) {
        self.state
            .lock()
            .unwrap()
            .scripts
            .insert(path.to_owned(), Arc::new(script));
    }

    /// What was received at `path`, in order.
    pub fn received(&self, path: &str) -> Vec<Received> {
        self.state
            .lock()
            .unwrap()
            .received
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn fields(query: Option<&str>, body: &[u8]) -> HashMap<String, String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .chain(url::form_urlencoded::parse(body).into_owned())
        .collect()
}

async fn scripted_answer(
    State(state): State<Arc<Mutex<ScriptedState>>>,
    uri: axum::http::Uri,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let received = Received {
        path: uri.path().to_owned(),
        fields: fields(query.as_deref(), &body),
    };
    let script = {
        let mut state = state.lock().unwrap();
        state.received.push(received.clone());
        state.scripts.get(&received.path).cloned()
    };
    let Some(script) = script else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let canned = script(&received);
    tokio::time::sleep(canned.delay).await;
    let mut response = Response::builder().status(canned.status);
    for (name, value) in &canned.headers {
        response = response.header(name, value);
    }
    let body = if canned.endless {
        Body::from_stream(futures::stream::unfold((), |()| async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Some((
                Ok::<_, std::io::Error>(Bytes::from(vec![b' '; 64 * 1024])),
                (),
            ))
        }))
    } else {
        Body::from(canned.body)
    };
    response.body(body).unwrap()
}

/// Every refresh token one account was ever issued, in order, and what became of them.
#[derive(Debug, Default, Clone)]
pub struct Family {
    pub issued: Vec<String>,
    /// When each token in `issued` was issued.
    pub issued_at: Vec<Instant>,
    /// Presentations of an already spent token (each one a double spend).
    pub spent_again: Vec<(String, Instant)>,
}

impl Family {
    /// The token the platform issued last: the only one it still accepts.
    pub fn current(&self) -> &str {
        self.issued.last().map(String::as_str).unwrap_or_default()
    }
}

#[derive(Default)]
struct Ledger {
    families: HashMap<String, Family>,
    /// Which family a refresh token belongs to, and whether it was spent.
    tokens: HashMap<String, (String, bool)>,
    refreshes: u64,
}

/// An X-like OAuth 2.0 token endpoint at `/2/oauth2/token`: a refresh with the current token
/// rotates it at once (the platform commits before it answers), then answers after `delay`; a
/// spent or unknown token gets X's `400 {"error":"invalid_request"}`.
#[derive(Clone)]
pub struct RotatingTokens {
    pub base: String,
    ledger: Arc<Mutex<Ledger>>,
    delay: Arc<Mutex<Duration>>,
}

pub const ROTATING_TOKEN_PATH: &str = "/2/oauth2/token";

impl RotatingTokens {
    pub async fn start() -> RotatingTokens {
        let tokens = RotatingTokens {
            base: String::new(),
            ledger: Arc::new(Mutex::new(Ledger::default())),
            delay: Arc::new(Mutex::new(Duration::ZERO)),
        };
        let router = Router::new()
            .route(ROTATING_TOKEN_PATH, any(rotate))
            .with_state(tokens.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        RotatingTokens { base, ..tokens }
    }

    /// Answers every refresh this long after rotating (a slow platform).
    pub fn set_delay(&self, delay: Duration) {
        *self.delay.lock().unwrap() = delay;
    }

    /// Opens a family for an account and returns its first refresh token.
    pub fn grant(&self, account: &str) -> String {
        let token = format!("rt-{account}-0");
        let mut ledger = self.ledger.lock().unwrap();
        let family = ledger.families.entry(account.to_owned()).or_default();
        family.issued.push(token.clone());
        family.issued_at.push(Instant::now());
        ledger
            .tokens
            .insert(token.clone(), (account.to_owned(), false));
        token
    }

    pub fn family(&self, account: &str) -> Family {
        self.ledger.lock().unwrap().families[account].clone()
    }

    pub fn families(&self) -> HashMap<String, Family> {
        self.ledger.lock().unwrap().families.clone()
    }

    /// How many refreshes succeeded.
    pub fn refreshes(&self) -> u64 {
        self.ledger.lock().unwrap().refreshes
    }

    pub fn token_url(&self) -> String {
        format!("{}{ROTATING_TOKEN_PATH}", self.base)
    }
}

async fn rotate(State(tokens): State<RotatingTokens>, body: Bytes) -> Response {
    let form = fields(None, &body);
    let presented = form.get("refresh_token").cloned().unwrap_or_default();
    let refused = || {
        (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({
                "error": "invalid_request",
                "error_description": "Value passed for the token was invalid."
            })),
        )
            .into_response()
    };
    let issued = {
        let mut ledger = tokens.ledger.lock().unwrap();
        let Some((account, spent)) = ledger.tokens.get(&presented).cloned() else {
            return refused();
        };
        if spent {
            let family = ledger.families.get_mut(&account).unwrap();
            family.spent_again.push((presented, Instant::now()));
            return refused();
        }
        ledger.tokens.insert(presented, (account.clone(), true));
        ledger.refreshes += 1;
        let family = ledger.families.get_mut(&account).unwrap();
        let next = format!("rt-{account}-{}", family.issued.len());
        family.issued.push(next.clone());
        family.issued_at.push(Instant::now());
        ledger.tokens.insert(next.clone(), (account, false));
        next
    };
    let delay = *tokens.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    axum::Json(serde_json::json!({
        "token_type": "bearer",
        "expires_in": 7200,
        "access_token": format!("at-{issued}"),
        "refresh_token": issued,
        "scope": "tweet.read tweet.write users.read offline.access",
    }))
    .into_response()
}

/// The person the stand-in tests sign up.
pub const EMAIL: &str = "ada@example.com";

impl TestApp {
    /// An app on `backend` whose `platform` gets its tokens at `token_url` (a stand-in), and a
    /// signed-up owner: (app, owner id, the owner's session cookie).
    pub async fn with_token_url(
        backend: Backend,
        platform: Platform,
        token_url: &str,
        extra: &[(&str, &str)],
    ) -> (TestApp, String, String) {
        let env = engine::providers::env_prefix(platform);
        let settings: Vec<(String, String)> = vec![
            (format!("{env}_CLIENT_ID"), "client".into()),
            (format!("{env}_CLIENT_SECRET"), "secret".into()),
            (format!("{env}_TOKEN_URL"), token_url.into()),
            ("PLUGBOARD_PROVIDER_TIMEOUT_MS".into(), "5000".into()),
        ];
        let mut borrowed: Vec<(&str, &str)> = settings
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        borrowed.extend_from_slice(extra);
        let app = TestApp::with_settings(backend, &borrowed).await;
        let cookie = app.sign_up(EMAIL).await;
        let owner = app.user_id(EMAIL).await;
        (app, owner, cookie)
    }

    /// Stores an account of `platform` holding `refresh_token`, due for a refresh now.
    pub async fn seed_refreshable(
        &self,
        owner: &str,
        platform: Platform,
        refresh_token: &str,
    ) -> String {
        let now = Utc::now();
        let account = NewAccount {
            platform,
            platform_account_id: format!("{}-{}", platform.slug(), engine::db::new_id()),
            username: "ada".into(),
            display_name: None,
            profile_image_url: None,
            token_expires_at: Some(now + chrono::Duration::hours(1)),
            token_status: StoredTokenStatus::Active,
            is_twitter_premium: false,
            access_token: Some(SecretString::from("at-first".to_owned())),
            refresh_token: Some(SecretString::from(refresh_token.to_owned())),
            refresh_token_expires_at: None,
            extra_secret: None,
            granted_scopes: None,
            metadata: serde_json::json!({}),
            next_refresh_at: Some(now - chrono::Duration::seconds(1)),
        };
        let mut conn = self.state.db.pool().acquire().await.unwrap();
        engine::accounts::insert(&mut conn, &self.state.secrets, owner, account)
            .await
            .unwrap()
    }

    /// One of an account's stored secrets (`access_token`, `refresh_token`), opened.
    pub async fn stored_secret(&self, id: &str, column: &str) -> String {
        let mut conn = self.state.db.pool().acquire().await.unwrap();
        engine::accounts::open_secret(&mut conn, &self.state.secrets, id, column)
            .await
            .unwrap()
            .map(|s| s.expose_secret().to_owned())
            .unwrap_or_default()
    }
}
