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
use engine::connections::accounts::NewAccount;
use engine::connections::accounts::Sealed;
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

/// Every refresh token one account was ever issued, in order, and every time one was presented.
#[derive(Debug, Default, Clone)]
pub struct Family {
    pub issued: Vec<String>,
    /// Each presentation of a refresh token: which, when, and whether it had been spent before.
    pub presented: Vec<Presentation>,
}

#[derive(Debug, Clone)]
pub struct Presentation {
    pub token: String,
    pub at: Instant,
    /// The token had been presented before (a retry, or a double spend).
    pub again: bool,
}

impl Family {
    /// The token the platform issued last: the one it expects next.
    pub fn current(&self) -> &str {
        self.issued.last().map(String::as_str).unwrap_or_default()
    }

    /// Presentations of a token that had already been presented.
    pub fn reuses(&self) -> impl Iterator<Item = &Presentation> {
        self.presented.iter().filter(|p| p.again)
    }

    /// When a token was first presented.
    pub fn first_presented(&self, token: &str) -> Option<Instant> {
        self.presented
            .iter()
            .find(|p| p.token == token)
            .map(|p| p.at)
    }
}

/// What the platform knows of one refresh token.
#[derive(Debug, Clone)]
struct Issued {
    account: String,
    /// When it was first used, and the token that replaced it.
    spent: Option<(Instant, String)>,
}

#[derive(Default)]
struct Ledger {
    families: HashMap<String, Family>,
    tokens: HashMap<String, Issued>,
    refreshes: u64,
}

/// How the rotating stand-in treats a refresh token presented a second time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// Refused at once (X, TikTok): the old token is dead the moment a new one is issued.
    Refused,
    /// Accepted for a while, answered with the same next token (Bluesky's PDS keeps a used
    /// refresh token valid for two hours, `REFRESH_GRACE_MS`, and re-grants the same successor).
    Grace(Duration),
}

/// An OAuth 2.0 token endpoint at `/2/oauth2/token` that rotates refresh tokens: a refresh with
/// the current token rotates it at once (the platform commits before it answers), then answers
/// after `delay`. A spent or unknown token gets X's `400 {"error":"invalid_request"}`, unless
/// the reuse rule says otherwise.
#[derive(Clone)]
pub struct RotatingTokens {
    pub base: String,
    ledger: Arc<Mutex<Ledger>>,
    settings: Arc<Mutex<(Duration, i64, Reuse)>>,
}

pub const ROTATING_TOKEN_PATH: &str = "/2/oauth2/token";

impl RotatingTokens {
    pub async fn start() -> RotatingTokens {
        let tokens = RotatingTokens {
            base: String::new(),
            ledger: Arc::new(Mutex::new(Ledger::default())),
            settings: Arc::new(Mutex::new((Duration::ZERO, 7200, Reuse::Refused))),
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
        self.settings.lock().unwrap().0 = delay;
    }

    /// The `expires_in` of the access tokens it issues.
    pub fn set_expires_in(&self, seconds: i64) {
        self.settings.lock().unwrap().1 = seconds;
    }

    pub fn set_reuse(&self, reuse: Reuse) {
        self.settings.lock().unwrap().2 = reuse;
    }

    /// Opens a family for an account and returns its first refresh token.
    pub fn grant(&self, account: &str) -> String {
        let token = format!("rt-{account}-0");
        let mut ledger = self.ledger.lock().unwrap();
        let family = ledger.families.entry(account.to_owned()).or_default();
        family.issued.push(token.clone());
        ledger.tokens.insert(
            token.clone(),
            Issued {
                account: account.to_owned(),
                spent: None,
            },
        );
        token
    }

    pub fn family(&self, account: &str) -> Family {
        self.ledger.lock().unwrap().families[account].clone()
    }

    pub fn families(&self) -> HashMap<String, Family> {
        self.ledger.lock().unwrap().families.clone()
    }

    /// How many refreshes were answered with tokens.
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
    let (delay, expires_in, reuse) = *tokens.settings.lock().unwrap();
    let next = {
        let mut ledger = tokens.ledger.lock().unwrap();
        let Some(issued) = ledger.tokens.get(&presented).cloned() else {
            return refused();
        };
        let now = Instant::now();
        let family = ledger.families.get_mut(&issued.account).unwrap();
        family.presented.push(Presentation {
            token: presented.clone(),
            at: now,
            again: issued.spent.is_some(),
        });
        match (&issued.spent, reuse) {
            (Some((spent_at, next)), Reuse::Grace(grace)) if now - *spent_at < grace => {
                next.clone()
            }
            (Some(_), _) => return refused(),
            (None, _) => {
                let next = format!("rt-{}-{}", issued.account, family.issued.len());
                family.issued.push(next.clone());
                ledger.tokens.insert(
                    presented,
                    Issued {
                        spent: Some((now, next.clone())),
                        ..issued.clone()
                    },
                );
                ledger.tokens.insert(
                    next.clone(),
                    Issued {
                        account: issued.account,
                        spent: None,
                    },
                );
                next
            }
        }
    };
    tokens.ledger.lock().unwrap().refreshes += 1;
    tokio::time::sleep(delay).await;
    axum::Json(serde_json::json!({
        "token_type": "bearer",
        "expires_in": expires_in,
        "access_token": format!("at-{next}"),
        "refresh_token": next,
        "scope": "tweet.read tweet.write users.read offline.access",
    }))
    .into_response()
}

/// An account of `platform` to store in a test: access token `at-first`, refresh token `rt`, an
/// hour left, due for a refresh now. Change what the test needs.
pub fn new_account(platform: Platform) -> NewAccount {
    let now = Utc::now();
    NewAccount {
        platform,
        platform_account_id: format!("{}-{}", platform.slug(), engine::storage::db::new_id()),
        username: "ada".into(),
        display_name: None,
        profile_image_url: None,
        token_expires_at: Some(now + chrono::Duration::hours(1)),
        token_status: StoredTokenStatus::Active,
        is_x_premium: false,
        access_token: Some(SecretString::from("at-first".to_owned())),
        refresh_token: Some(SecretString::from("rt".to_owned())),
        refresh_token_expires_at: None,
        extra_secret: None,
        granted_scopes: None,
        metadata: serde_json::json!({}),
        next_refresh_at: Some(now - chrono::Duration::seconds(1)),
    }
}

/// An app on SQLite whose `platform` gets its tokens at a scripted stand-in's `path` (and calls
/// its API there too), and one account of it, due for a refresh (refresh token `rt`). Script the
/// answers before calling.
pub struct ScriptedAccount {
    pub platform: Scripted,
    pub app: TestApp,
    pub owner: String,
    pub cookie: String,
    pub id: String,
}

impl ScriptedAccount {
    pub async fn start(platform: Platform, path: &str, extra: &[(&str, &str)]) -> ScriptedAccount {
        let stand_in = Scripted::start().await;
        let api = (
            format!(
                "{}_API_URL",
                engine::platforms::catalog::env_prefix(platform)
            ),
            stand_in.base.clone(),
        );
        let mut settings = vec![(api.0.as_str(), api.1.as_str())];
        settings.extend_from_slice(extra);
        let (app, owner, cookie) =
            TestApp::with_token_url(Backend::Sqlite, platform, &stand_in.url(path), &settings)
                .await;
        let id = app.seed_refreshable(&owner, platform, "rt").await;
        ScriptedAccount {
            platform: stand_in,
            app,
            owner,
            cookie,
            id,
        }
    }
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
        let env = engine::platforms::catalog::env_prefix(platform);
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
        let owner = app.workspace_id(EMAIL).await;
        (app, owner, cookie)
    }

    /// Stores an account of `platform` holding `refresh_token`, due for a refresh now.
    pub async fn seed_refreshable(
        &self,
        owner: &str,
        platform: Platform,
        refresh_token: &str,
    ) -> String {
        let account = NewAccount {
            refresh_token: Some(SecretString::from(refresh_token.to_owned())),
            ..new_account(platform)
        };
        self.insert_account(owner, account).await
    }

    pub async fn insert_account(&self, owner: &str, account: NewAccount) -> String {
        let mut conn = self.state.db.pool().acquire().await.unwrap();
        engine::connections::accounts::insert(&mut conn, &self.state.secrets, owner, None, account)
            .await
            .unwrap()
    }

    /// An account's row, without its secrets.
    pub async fn record(&self, id: &str) -> engine::connections::accounts::AccountRecord {
        let mut conn = self.state.db.pool().acquire().await.unwrap();
        engine::connections::accounts::find_by_id(&mut conn, id)
            .await
            .unwrap()
            .expect("the account exists")
    }

    /// One of an account's stored secrets, opened.
    pub async fn stored_secret(&self, id: &str, which: Sealed) -> String {
        let mut conn = self.state.db.pool().acquire().await.unwrap();
        engine::connections::accounts::open_secret(&mut conn, &self.state.secrets, id, which)
            .await
            .unwrap()
            .map(|s| s.expose_secret().to_owned())
            .unwrap_or_default()
    }
}
