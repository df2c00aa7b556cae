//! Built-in stand-ins for the fourteen platforms: a consent screen with Approve and Deny, token
//! endpoints with PKCE checks, refresh with rotation, profiles, TikTok's creator_info, revocation,
//! Mastodon app registration, and Bluesky, Telegram and Listmonk's credential checks, each
//! answering in the platform's own shapes. `plugboard serve --sandbox` mounts it at `/sandbox`
//! and points every platform without credentials at it; the tests run it on a port of their own
//! and make it fail on purpose.

mod bounded;
mod pages;
pub mod seed;
pub mod shapes;
pub mod throwaway_postgres;
mod tokens;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use domain::Platform;
use engine::platforms::catalog::{self, RefreshStyle, SANDBOX_CLIENT_SECRET};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use bounded::Bounded;
use shapes::{person, Person};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokens::{new_grant, Claims, Signer, TokenKind};
use url::Url;

pub use engine::platforms::catalog::{
    SANDBOX_BLUESKY_APP_PASSWORD as BLUESKY_APP_PASSWORD,
    SANDBOX_LISTMONK_API_USER as LISTMONK_API_USER, SANDBOX_LISTMONK_TOKEN as LISTMONK_TOKEN,
    SANDBOX_TELEGRAM_BOT_TOKEN as TELEGRAM_BOT_TOKEN,
};

/// The calls a platform answers, for failure injection and counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Token,
    /// Meta's trade of a short-lived token for a long-lived one.
    Exchange,
    Refresh,
    Profile,
    Revoke,
    Credentials,
    CreatorInfo,
}

/// A failure to answer with, until cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    InvalidGrant,
    Outage,
    Slow(Duration),
    Unauthorized,
    RateLimited,
}

impl Failure {
    fn parse(text: &str) -> Option<Failure> {
        match text {
            "invalid_grant" => Some(Failure::InvalidGrant),
            "outage" => Some(Failure::Outage),
            "slow" => Some(Failure::Slow(Duration::from_secs(60))),
            "unauthorized" => Some(Failure::Unauthorized),
            "rate_limited" => Some(Failure::RateLimited),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct AuthRequest {
    platform: Platform,
    client_id: String,
    redirect_uri: String,
    state: String,
    challenge: Option<String>,
    scope: String,
}

#[derive(Debug, Clone)]
struct Grant {
    /// The consent's grant: every token issued from it (and refreshed from those) carries it.
    id: String,
    platform: Platform,
    client_id: String,
    redirect_uri: String,
    challenge: Option<String>,
    person: Person,
    scope: String,
    simulate: Option<Failure>,
    expires_at: i64,
}

/// A Mastodon app registered on the sandbox's instance.
#[derive(Debug, Clone)]
struct MastodonApp {
    secret: String,
    redirect_uri: String,
}

/// How long Bluesky's PDS keeps accepting a refresh token after its first use (its
/// `REFRESH_GRACE_MS`), answering every reuse with the same next refresh token.
const BLUESKY_REFRESH_GRACE: i64 = 2 * 60 * 60;
/// The most the sandbox remembers of each kind: its memory is bounded whatever it is sent.
const REMEMBERED: usize = 20_000;

#[derive(Debug)]
struct SandboxState {
    requests: Bounded<String, AuthRequest>,
    codes: Bounded<String, Grant>,
    /// Refresh tokens of strictly rotating platforms that were used (and may not be again).
    spent_refresh_tokens: Bounded<String, ()>,
    /// Bluesky refresh tokens used once: the next one handed out, and until when reuse works.
    bluesky_rotations: Bounded<String, (String, i64)>,
    /// Tokens of (platform, person) issued before this time are revoked.
    revoked: HashMap<(Platform, String), i64>,
    /// Tokens revoked one by one, and grants revoked as a whole.
    revoked_tokens: Bounded<String, ()>,
    revoked_grants: Bounded<String, ()>,
    /// The last access and refresh token each (platform, person) was given.
    last_issued: HashMap<(Platform, &'static str), Issued>,
    /// Access tokens a consent asked to be refused by the profile endpoint.
    poisoned: Bounded<String, ()>,
    failures: HashMap<(Platform, Endpoint), Failure>,
    calls: HashMap<(Platform, Endpoint), u64>,
    mastodon_apps: Bounded<String, MastodonApp>,
    access_ttl: HashMap<Platform, i64>,
    /// Every platform call waits this long before answering (to see Plugboard cope with slowness).
    latency: Option<Duration>,
}

impl SandboxState {
    fn new() -> SandboxState {
        SandboxState {
            requests: Bounded::new(REMEMBERED),
            codes: Bounded::new(REMEMBERED),
            spent_refresh_tokens: Bounded::new(REMEMBERED * 5),
            bluesky_rotations: Bounded::new(REMEMBERED),
            revoked: HashMap::new(),
            revoked_tokens: Bounded::new(REMEMBERED),
            revoked_grants: Bounded::new(REMEMBERED),
            last_issued: HashMap::new(),
            poisoned: Bounded::new(REMEMBERED),
            failures: HashMap::new(),
            calls: HashMap::new(),
            mastodon_apps: Bounded::new(1000),
            access_ttl: HashMap::new(),
            latency: None,
        }
    }
}

/// The tokens a (platform, person) was last given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Issued {
    pub access: Option<String>,
    pub refresh: Option<String>,
}

#[derive(Clone)]
pub struct Sandbox {
    signer: Signer,
    state: Arc<Mutex<SandboxState>>,
    /// The base URL of the Plugboard these platforms registered (the only redirect they allow).
    registered: Url,
    /// Where the sandbox's pages find Plugboard's stylesheet.
    stylesheet: Arc<str>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sandbox")
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn random_id() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 18]>())
}

impl Sandbox {
    /// `key` signs the sandbox's tokens: keep it across restarts and they stay valid.
    /// `registered` is the base URL of the Plugboard whose callbacks these platforms accept.
    pub fn new(key: [u8; 32], registered: Url) -> Sandbox {
        Sandbox {
            signer: Signer::new(key),
            state: Arc::new(Mutex::new(SandboxState::new())),
            registered,
            stylesheet: "/pkg/plugboard.css".into(),
        }
    }

    /// Styles the sandbox's pages with the stylesheet at `href` (a build names it after its
    /// content).
    pub fn with_stylesheet(mut self, href: impl Into<Arc<str>>) -> Sandbox {
        self.stylesheet = href.into();
        self
    }

    /// The callback a platform registered for Plugboard (OAuth apps register exact URIs).
    fn registered_callback(&self, platform: Platform) -> String {
        format!(
            "{}/api/v1/auth/{}/callback",
            self.registered.as_str().trim_end_matches('/'),
            platform.slug()
        )
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(pages::home))
            .route("/_consent", post(consent))
            .route("/_avatar/{name}", get(avatar))
            .route("/{platform}/{*rest}", any(dispatch))
            .with_state(self.clone())
    }

    /// The sandbox page's controls (revoke, fail, slow down, shorten lives), at `/_control`. The
    /// caller guards it: only a signed-in person may work them.
    pub fn control_router(&self) -> Router {
        Router::new()
            .route("/_control", post(control))
            .with_state(self.clone())
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut SandboxState) -> T) -> T {
        f(&mut self.state.lock().expect("sandbox state lock"))
    }

    /// Makes every call to `endpoint` of `platform` fail this way until cleared.
    pub fn fail(&self, platform: Platform, endpoint: Endpoint, failure: Failure) {
        self.with_state(|s| s.failures.insert((platform, endpoint), failure));
    }

    pub fn clear_failures(&self) {
        self.with_state(|s| s.failures.clear());
    }

    /// How often `endpoint` of `platform` was called.
    pub fn calls(&self, platform: Platform, endpoint: Endpoint) -> u64 {
        self.with_state(|s| s.calls.get(&(platform, endpoint)).copied().unwrap_or(0))
    }

    /// Revokes every token of a sandbox person on a platform (as "remove app access" would).
    pub fn revoke(&self, platform: Platform, person_key: &str) {
        let at = now() + 1;
        self.with_state(|s| {
            s.revoked
                .insert((platform, person(person_key).key.to_owned()), at)
        });
    }

    /// Whether the platform would accept this access token now (it is genuine, unexpired, unrevoked).
    pub fn accepts(&self, platform: Platform, access_token: &str) -> bool {
        self.check(access_token, platform, TokenKind::Access)
            .is_some()
    }

    /// Whether the platform would accept this refresh token now (genuine, unexpired, unrevoked,
    /// not already spent on a rotating platform).
    pub fn accepts_refresh(&self, platform: Platform, refresh_token: &str) -> bool {
        let spent = self.with_state(|s| s.spent_refresh_tokens.contains(&refresh_token.to_owned()));
        !spent
            && self
                .check(refresh_token, platform, TokenKind::Refresh)
                .is_some()
    }

    /// The tokens a sandbox person was last given on a platform.
    pub fn last_issued(&self, platform: Platform, person_key: &str) -> Issued {
        let key = person(person_key).key;
        self.with_state(|s| s.last_issued.get(&(platform, key)).cloned())
            .unwrap_or_default()
    }

    /// Makes every platform answer only after `latency` (`None`: at once).
    pub fn set_latency(&self, latency: Option<Duration>) {
        self.with_state(|s| s.latency = latency);
    }

    /// Issues access tokens for `platform` that live `seconds` (to see refreshes happen), at
    /// least one second and at most a year.
    pub fn set_access_ttl(&self, platform: Platform, seconds: i64) {
        let seconds = seconds.clamp(1, 365 * 86_400);
        self.with_state(|s| s.access_ttl.insert(platform, seconds));
    }

    /// A genuine token of a sandbox person, as if they had connected (for seeding accounts).
    pub fn issue_token(
        &self,
        platform: Platform,
        person_key: &str,
        refresh: bool,
        ttl_seconds: Option<i64>,
    ) -> String {
        let kind = if refresh {
            TokenKind::Refresh
        } else {
            TokenKind::Access
        };
        self.issue(
            platform,
            kind,
            person(person_key),
            ttl_seconds,
            &new_grant(),
        )
    }

    fn count(&self, platform: Platform, endpoint: Endpoint) -> Option<Failure> {
        self.with_state(|s| {
            *s.calls.entry((platform, endpoint)).or_default() += 1;
            s.failures.get(&(platform, endpoint)).copied()
        })
    }

    fn access_ttl(&self, platform: Platform) -> Option<i64> {
        let configured = self.with_state(|s| s.access_ttl.get(&platform).copied());
        configured.or_else(|| match platform {
            // Page tokens, instance tokens: no expiry.
            Platform::Facebook | Platform::Mastodon => None,
            _ => catalog::spec(platform)
                .default_access_ttl_secs
                .map(|s| s as i64),
        })
    }

    /// A token of `grant`, remembered as the person's latest of its kind.
    fn issue(
        &self,
        platform: Platform,
        kind: TokenKind,
        person: Person,
        ttl: Option<i64>,
        grant: &str,
    ) -> String {
        self.issue_for(platform, kind, person, ttl, grant, "")
    }

    /// The same, for a `subject` that is not the person (a Facebook Page).
    fn issue_for(
        &self,
        platform: Platform,
        kind: TokenKind,
        person: Person,
        ttl: Option<i64>,
        grant: &str,
        subject: &str,
    ) -> String {
        let issued_at = now();
        let token = self.signer.issue(&Claims {
            platform,
            kind,
            identity: person.key.to_owned(),
            issued_at,
            expires_at: ttl.map_or(i64::MAX, |ttl| issued_at.saturating_add(ttl)),
            grant: grant.to_owned(),
            subject: subject.to_owned(),
        });
        self.with_state(|s| {
            let issued = s.last_issued.entry((platform, person.key)).or_default();
            match kind {
                TokenKind::Access => issued.access = Some(token.clone()),
                TokenKind::Refresh => issued.refresh = Some(token.clone()),
            }
        });
        token
    }

    /// A token's claims, if it is genuine, of this platform and kind, unexpired and unrevoked.
    fn check(&self, token: &str, platform: Platform, kind: TokenKind) -> Option<Claims> {
        let claims = self.signer.verify(token)?;
        let revoked = self.with_state(|s| {
            let person_revoked = s
                .revoked
                .get(&(platform, claims.identity.clone()))
                .is_some_and(|at| claims.issued_at < *at);
            person_revoked
                || s.revoked_tokens.contains(&token.to_owned())
                || s.revoked_grants.contains(&claims.grant)
        });
        let ok = claims.platform == platform
            && claims.kind == kind
            && claims.expires_at > now()
            && !revoked;
        ok.then_some(claims)
    }

    /// A fresh token set in the platform's shape, with a refresh token where it issues one.
    fn token_response(
        &self,
        platform: Platform,
        person: Person,
        scope: &str,
        grant: &str,
    ) -> Value {
        let spec = catalog::spec(platform);
        let ttl = self.access_ttl(platform);
        let access = self.issue(platform, TokenKind::Access, person, ttl, grant);
        let refresh = (spec.refresh == RefreshStyle::RefreshToken).then(|| {
            self.issue(
                platform,
                TokenKind::Refresh,
                person,
                Some(365 * 86_400),
                grant,
            )
        });
        shapes::token_success(
            platform,
            false,
            &access,
            refresh.as_deref(),
            ttl,
            refresh.as_ref().map(|_| 365 * 86_400),
            person,
            scope,
        )
    }
}

/// The path of a platform's URL inside the sandbox (`https://api.x.com/2/oauth2/token` → `/2/oauth2/token`).
fn sandbox_path(url: &str) -> String {
    if url.starts_with('/') {
        return url.split('?').next().unwrap_or_default().to_owned();
    }
    Url::parse(url)
        .map(|u| u.path().to_owned())
        .unwrap_or_default()
}

fn api_path(platform: Platform, path: &str) -> String {
    let base = sandbox_path(&catalog::spec(platform).api_url);
    format!(
        "{}{}",
        base.trim_end_matches('/'),
        path.split('?').next().unwrap_or_default()
    )
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

async fn failure_response(
    platform: Platform,
    failure: Failure,
    refreshing: bool,
) -> Option<Response> {
    Some(match failure {
        Failure::InvalidGrant => {
            let (status, body) = shapes::invalid_grant(platform, refreshing);
            json_response(status, body)
        }
        Failure::Outage => shapes::outage().into_response(),
        Failure::Slow(delay) => {
            tokio::time::sleep(delay).await;
            return None;
        }
        Failure::Unauthorized => {
            let (status, body) = shapes::unauthorized(platform);
            json_response(status, body)
        }
        Failure::RateLimited => {
            let (status, headers, body) = shapes::rate_limited(platform);
            let mut response = json_response(status, body);
            for (name, value) in headers {
                if let Ok(value) = header::HeaderValue::from_str(&value) {
                    response.headers_mut().insert(name, value);
                }
            }
            response
        }
    })
}

/// The request's own origin, for URLs the sandbox hands out (avatars).
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn avatar_url(headers: &HeaderMap, person: Person) -> String {
    format!("{}/sandbox/_avatar/{}.svg", origin(headers), person.key)
}

struct Call {
    method: Method,
    path: String,
    headers: HeaderMap,
    query: HashMap<String, String>,
    form: HashMap<String, String>,
    body: Bytes,
}

impl Call {
    fn param(&self, name: &str) -> Option<&str> {
        self.form
            .get(name)
            .or_else(|| self.query.get(name))
            .map(String::as_str)
    }

    fn bearer(&self) -> Option<String> {
        self.headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::to_owned)
            .or_else(|| self.query.get("access_token").cloned())
    }

    /// The client's id and secret: HTTP Basic, or form fields.
    fn client(&self, id_param: &str) -> (Option<String>, Option<String>) {
        let basic = self
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|pair| {
                pair.split_once(':')
                    .map(|(a, b)| (a.to_owned(), b.to_owned()))
            });
        match basic {
            Some((id, secret)) => (Some(id), Some(secret)),
            None => (
                self.param(id_param).map(str::to_owned),
                self.param("client_secret").map(str::to_owned),
            ),
        }
    }
}

async fn dispatch(
    State(sandbox): State<Sandbox>,
    Path((slug, rest)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let Some(platform) = Platform::from_slug(&slug) else {
        return (StatusCode::NOT_FOUND, "no such platform in the sandbox").into_response();
    };
    if let Some(latency) = sandbox.with_state(|s| s.latency) {
        tokio::time::sleep(latency).await;
    }
    let parse = |text: &str| -> HashMap<String, String> {
        url::form_urlencoded::parse(text.as_bytes())
            .into_owned()
            .collect()
    };
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let call = Call {
        path: format!("/{rest}"),
        query: parse(query.as_deref().unwrap_or_default()),
        form: if is_form {
            parse(&String::from_utf8_lossy(&body))
        } else {
            HashMap::new()
        },
        method,
        headers,
        body,
    };
    match platform {
        Platform::Bluesky => return bluesky(&sandbox, &call).await,
        Platform::Telegram => return telegram(&sandbox, &call).await,
        Platform::Listmonk => return listmonk(&sandbox, &call).await,
        _ => {}
    }
    let spec = catalog::spec(platform);
    let path = call.path.as_str();
    let get = call.method == Method::GET;
    let is = |url: &Option<String>| url.as_deref().map(sandbox_path).as_deref() == Some(path);
    if get && is(&spec.authorize_url) {
        return authorize(&sandbox, platform, &call);
    }
    if platform == Platform::Facebook && call.param("grant_type") == Some("fb_exchange_token") {
        return exchange(&sandbox, platform, &call).await;
    }
    if is(&spec.token_url) {
        return token(&sandbox, platform, &call).await;
    }
    let get_api =
        |api: Option<&str>| get && api.map(|p| api_path(platform, p)).as_deref() == Some(path);
    if get_api(spec.exchange_path.as_deref()) {
        return exchange(&sandbox, platform, &call).await;
    }
    if get_api(spec.refresh_path.as_deref()) {
        return meta_refresh(&sandbox, platform, &call).await;
    }
    if get_api(spec.profile.as_ref().map(|p| p.path.as_str()))
        || get_api(spec.verify_path.as_deref())
    {
        return profile(&sandbox, platform, &call).await;
    }
    if is(&spec.revoke_url) {
        return revoke(&sandbox, platform, &call).await;
    }
    if platform == Platform::TikTok && path == "/v2/post/publish/creator_info/query/" {
        return creator_info(&sandbox, &call).await;
    }
    if platform == Platform::Mastodon && path == "/api/v1/apps" {
        return register_app(&sandbox, &call);
    }
    (
        StatusCode::NOT_FOUND,
        format!("the {platform} sandbox has nothing at {path}"),
    )
        .into_response()
}

fn authorize(sandbox: &Sandbox, platform: Platform, call: &Call) -> Response {
    let spec = catalog::spec(platform);
    let client_id = call
        .param(&spec.client_id_param)
        .unwrap_or_default()
        .to_owned();
    let redirect_uri = call.param("redirect_uri").unwrap_or_default().to_owned();
    let state = call.param("state").unwrap_or_default().to_owned();
    // Platforms compare the redirect URI with the one the app registered, exactly.
    let registered = if platform == Platform::Mastodon {
        sandbox.with_state(|s| {
            s.mastodon_apps
                .get(&client_id)
                .map(|app| app.redirect_uri.clone())
        })
    } else {
        Some(sandbox.registered_callback(platform))
    };
    let problem = if call.param("response_type") != Some("code") {
        Some("response_type must be code")
    } else if client_id.is_empty() {
        Some("the client id is missing")
    } else if registered.as_deref() != Some(redirect_uri.as_str()) {
        Some("redirect_uri is not the registered callback")
    } else if state.is_empty() {
        Some("state is missing")
    } else if call.param(&spec.scope_param).unwrap_or_default().is_empty() {
        Some("no scope was requested")
    } else if platform == Platform::X && call.param("code_challenge_method") != Some("S256") {
        Some("X requires PKCE with S256")
    } else {
        None
    };
    if let Some(problem) = problem {
        return (
            StatusCode::BAD_REQUEST,
            Html(pages::error_page(&sandbox.stylesheet, platform, problem)),
        )
            .into_response();
    }
    let id = random_id();
    let request = AuthRequest {
        platform,
        client_id,
        redirect_uri,
        state,
        challenge: call.param("code_challenge").map(str::to_owned),
        scope: call.param(&spec.scope_param).unwrap_or_default().to_owned(),
    };
    let scopes = request.scope.clone();
    sandbox.with_state(|s| s.requests.insert(id.clone(), request));
    Html(pages::consent_page(
        &sandbox.stylesheet,
        platform,
        &id,
        &scopes,
    ))
    .into_response()
}

#[derive(Deserialize)]
struct ConsentForm {
    request: String,
    decision: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    simulate: String,
}

async fn consent(State(sandbox): State<Sandbox>, Form(form): Form<ConsentForm>) -> Response {
    let Some(request) = sandbox.with_state(|s| s.requests.remove(&form.request)) else {
        return (
            StatusCode::BAD_REQUEST,
            Html(pages::error_page(
                &sandbox.stylesheet,
                Platform::X,
                "this consent screen expired; start again from Plugboard",
            )),
        )
            .into_response();
    };
    let mut target = match Url::parse(&request.redirect_uri) {
        Ok(url) => url,
        Err(_) => return (StatusCode::BAD_REQUEST, "bad redirect_uri").into_response(),
    };
    {
        let mut query = target.query_pairs_mut();
        if form.decision == "approve" {
            let code = random_id();
            sandbox.with_state(|s| {
                s.codes.insert(
                    code.clone(),
                    Grant {
                        id: new_grant(),
                        platform: request.platform,
                        client_id: request.client_id.clone(),
                        redirect_uri: request.redirect_uri.clone(),
                        challenge: request.challenge.clone(),
                        person: person(&form.person),
                        scope: request.scope.clone(),
                        simulate: Failure::parse(&form.simulate),
                        expires_at: now() + 600,
                    },
                )
            });
            query.append_pair("code", &code);
        } else {
            for (key, value) in shapes::denial(request.platform) {
                query.append_pair(key, value);
            }
        }
        query.append_pair("state", &request.state);
    }
    Redirect::to(target.as_str()).into_response()
}

fn expected_secret(sandbox: &Sandbox, platform: Platform, client_id: &str) -> Option<String> {
    if platform == Platform::Mastodon {
        sandbox.with_state(|s| {
            s.mastodon_apps
                .get(&client_id.to_owned())
                .map(|app| app.secret.clone())
        })
    } else {
        (client_id == format!("sandbox-{}", platform.slug()))
            .then(|| SANDBOX_CLIENT_SECRET.to_owned())
    }
}

async fn token(sandbox: &Sandbox, platform: Platform, call: &Call) -> Response {
    let grant_type = call.param("grant_type").unwrap_or_default().to_owned();
    let endpoint = if grant_type == "refresh_token" {
        Endpoint::Refresh
    } else {
        Endpoint::Token
    };
    if let Some(failure) = sandbox.count(platform, endpoint) {
        if let Some(response) =
            failure_response(platform, failure, endpoint == Endpoint::Refresh).await
        {
            return response;
        }
    }
    let spec = catalog::spec(platform);
    let (client_id, secret) = call.client(&spec.client_id_param);
    let client_id = client_id.unwrap_or_default();
    let secret_ok = match expected_secret(sandbox, platform, &client_id) {
        Some(expected) => secret.as_deref() == Some(expected.as_str()),
        None => false,
    };
    if !secret_ok {
        let (status, body) = shapes::invalid_client(platform);
        return json_response(status, body);
    }
    match grant_type.as_str() {
        "authorization_code" => {
            let code = call.param("code").unwrap_or_default().to_owned();
            // Single use: the code is gone once presented, whatever happens next.
            let Some(grant) = sandbox.with_state(|s| s.codes.remove(&code)) else {
                let (status, body) = shapes::invalid_grant(platform, false);
                return json_response(status, body);
            };
            if let Some(failure) = grant.simulate.filter(|f| *f != Failure::Unauthorized) {
                if let Some(response) = failure_response(platform, failure, false).await {
                    return response;
                }
            }
            let verifier_ok = match (&grant.challenge, call.param("code_verifier")) {
                (None, _) => true,
                (Some(challenge), Some(verifier)) => {
                    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == *challenge
                }
                (Some(_), None) => false,
            };
            let valid = grant.platform == platform
                && grant.client_id == client_id
                && Some(grant.redirect_uri.as_str()) == call.param("redirect_uri")
                && grant.expires_at > now()
                && verifier_ok;
            if !valid {
                let (status, body) = shapes::invalid_grant(platform, false);
                return json_response(status, body);
            }
            let body = if matches!(platform, Platform::Threads | Platform::Instagram) {
                // A short-lived token, to be traded for a long-lived one.
                let short = sandbox.issue(
                    platform,
                    TokenKind::Access,
                    grant.person,
                    Some(3600),
                    &grant.id,
                );
                shapes::token_success(
                    platform,
                    false,
                    &short,
                    None,
                    None,
                    None,
                    grant.person,
                    &grant.scope,
                )
            } else {
                sandbox.token_response(platform, grant.person, &grant.scope, &grant.id)
            };
            if grant.simulate == Some(Failure::Unauthorized) {
                // The profile endpoint will refuse this token (and what it is traded for).
                let access = body
                    .pointer(&spec.token.access_token)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                sandbox.with_state(|s| s.poisoned.insert(access, ()));
            }
            Json(body).into_response()
        }
        "refresh_token" => {
            let presented = call.param("refresh_token").unwrap_or_default().to_owned();
            let Some(claims) = sandbox.check(&presented, platform, TokenKind::Refresh) else {
                let (status, body) = shapes::invalid_grant(platform, true);
                return json_response(status, body);
            };
            if spec.refresh_rotates {
                let reused = sandbox.with_state(|s| {
                    let spent = s.spent_refresh_tokens.contains(&presented);
                    s.spent_refresh_tokens.insert(presented.clone(), ());
                    spent
                });
                if reused {
                    let (status, body) = shapes::invalid_grant(platform, true);
                    return json_response(status, body);
                }
            }
            let person = person(&claims.identity);
            let ttl = sandbox.access_ttl(platform);
            let access = sandbox.issue(platform, TokenKind::Access, person, ttl, &claims.grant);
            // Rotating platforms hand out a new refresh token; the others keep the old one valid.
            let refresh = spec.refresh_rotates.then(|| {
                sandbox.issue(
                    platform,
                    TokenKind::Refresh,
                    person,
                    Some(365 * 86_400),
                    &claims.grant,
                )
            });
            let scope = spec.scopes.join(&spec.scope_separator);
            Json(shapes::token_success(
                platform,
                true,
                &access,
                refresh.as_deref(),
                ttl,
                refresh.as_ref().map(|_| 365 * 86_400),
                person,
                &scope,
            ))
            .into_response()
        }
        _ => json_response(
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type"}),
        ),
    }
}

async fn exchange(sandbox: &Sandbox, platform: Platform, call: &Call) -> Response {
    if let Some(failure) = sandbox.count(platform, Endpoint::Exchange) {
        if let Some(response) = failure_response(platform, failure, false).await {
            return response;
        }
    }
    let presented = call
        .param(if platform == Platform::Facebook {
            "fb_exchange_token"
        } else {
            "access_token"
        })
        .unwrap_or_default();
    let secret_ok = call.param("client_secret") == Some(SANDBOX_CLIENT_SECRET);
    match sandbox.check(presented, platform, TokenKind::Access) {
        Some(claims) if secret_ok => {
            let long = sandbox.issue(
                platform,
                TokenKind::Access,
                person(&claims.identity),
                sandbox.access_ttl(platform),
                &claims.grant,
            );
            sandbox.with_state(|s| {
                if s.poisoned.contains(&presented.to_owned()) {
                    s.poisoned.insert(long.clone(), ());
                }
            });
            let mut body = json!({"access_token": long, "token_type": "bearer"});
            if let Some(ttl) = sandbox.access_ttl(platform) {
                body["expires_in"] = json!(ttl);
            }
            Json(body).into_response()
        }
        _ => {
            let (status, body) = shapes::unauthorized(platform);
            json_response(status, body)
        }
    }
}

async fn meta_refresh(sandbox: &Sandbox, platform: Platform, call: &Call) -> Response {
    if let Some(failure) = sandbox.count(platform, Endpoint::Refresh) {
        // Meta refuses the refresh of a dead token with its OAuthException 190.
        let failure = if failure == Failure::InvalidGrant {
            Failure::Unauthorized
        } else {
            failure
        };
        if let Some(response) = failure_response(platform, failure, true).await {
            return response;
        }
    }
    match sandbox.check(
        call.param("access_token").unwrap_or_default(),
        platform,
        TokenKind::Access,
    ) {
        Some(claims) => {
            let ttl = sandbox.access_ttl(platform);
            let token = sandbox.issue(
                platform,
                TokenKind::Access,
                person(&claims.identity),
                ttl,
                &claims.grant,
            );
            Json(json!({"access_token": token, "token_type": "bearer", "expires_in": ttl}))
                .into_response()
        }
        None => {
            let (status, body) = shapes::unauthorized(platform);
            json_response(status, body)
        }
    }
}

async fn profile(sandbox: &Sandbox, platform: Platform, call: &Call) -> Response {
    if let Some(failure) = sandbox.count(platform, Endpoint::Profile) {
        if let Some(response) = failure_response(platform, failure, false).await {
            return response;
        }
    }
    let token = call.bearer().unwrap_or_default();
    let poisoned = sandbox.with_state(|s| s.poisoned.contains(&token));
    if let Some(page) = page_of(sandbox, platform, &token) {
        // A Page's own token asks about the Page (Facebook's verify call).
        return Json(page).into_response();
    }
    let Some(claims) = sandbox
        .check(&token, platform, TokenKind::Access)
        .filter(|_| !poisoned)
    else {
        let (status, body) = shapes::unauthorized(platform);
        return json_response(status, body);
    };
    let person = person(&claims.identity);
    let mut body = shapes::profile(platform, person, &avatar_url(&call.headers, person));
    if platform == Platform::Facebook {
        // Each Page has a token of its own, which does not expire.
        if let Some(pages) = body.get_mut("data").and_then(Value::as_array_mut) {
            for page in pages {
                let page_id = page["id"].as_str().unwrap_or_default().to_owned();
                page["access_token"] = json!(sandbox.issue_for(
                    platform,
                    TokenKind::Access,
                    person,
                    None,
                    &claims.grant,
                    &page_id,
                ));
            }
        }
    }
    Json(body).into_response()
}

/// Facebook's `/me` with a Page's own token: the Page.
fn page_of(sandbox: &Sandbox, platform: Platform, token: &str) -> Option<Value> {
    let claims = sandbox.check(token, platform, TokenKind::Access)?;
    if claims.subject.is_empty() {
        return None;
    }
    let (id, name, _) = shapes::facebook_pages(person(&claims.identity))
        .into_iter()
        .find(|(id, _, _)| *id == claims.subject)?;
    Some(json!({"id": id, "name": name}))
}

async fn revoke(sandbox: &Sandbox, platform: Platform, call: &Call) -> Response {
    if let Some(failure) = sandbox.count(platform, Endpoint::Revoke) {
        if let Some(response) = failure_response(platform, failure, false).await {
            return response;
        }
    }
    let presented = call
        .param("token")
        .map(str::to_owned)
        .or_else(|| call.bearer())
        .unwrap_or_default();
    if let Some(claims) = sandbox.signer.verify(&presented) {
        let refresh = claims.kind == TokenKind::Refresh;
        sandbox.with_state(|s| {
            if shapes::revocation_ends_grant(platform, refresh) {
                s.revoked_grants.insert(claims.grant.clone(), ());
            } else {
                s.revoked_tokens.insert(presented.clone(), ());
            }
        });
    }
    match platform {
        Platform::Reddit => StatusCode::NO_CONTENT.into_response(),
        Platform::Slack => Json(json!({"ok": true, "revoked": true})).into_response(),
        _ => Json(json!({})).into_response(),
    }
}

async fn creator_info(sandbox: &Sandbox, call: &Call) -> Response {
    if let Some(failure) = sandbox.count(Platform::TikTok, Endpoint::CreatorInfo) {
        if let Some(response) = failure_response(Platform::TikTok, failure, false).await {
            return response;
        }
    }
    match call
        .bearer()
        .and_then(|t| sandbox.check(&t, Platform::TikTok, TokenKind::Access))
    {
        Some(claims) => {
            let person = person(&claims.identity);
            Json(shapes::tiktok_creator_info(
                person,
                &avatar_url(&call.headers, person),
            ))
            .into_response()
        }
        None => {
            let (status, body) = shapes::unauthorized(Platform::TikTok);
            json_response(status, body)
        }
    }
}

fn register_app(sandbox: &Sandbox, call: &Call) -> Response {
    let (Some(_name), Some(redirect)) = (call.param("client_name"), call.param("redirect_uris"))
    else {
        return json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({"error": "Validation failed: Application name can't be blank"}),
        );
    };
    let client_id = format!("mastodon-app-{}", random_id());
    let secret = random_id();
    let app = MastodonApp {
        secret: secret.clone(),
        redirect_uri: redirect.to_owned(),
    };
    sandbox.with_state(|s| s.mastodon_apps.insert(client_id.clone(), app));
    Json(json!({
        "id": "1", "name": "Plugboard", "website": call.param("website"), "redirect_uri": redirect,
        "client_id": client_id, "client_secret": secret, "vapid_key": "sandbox",
    }))
    .into_response()
}

/// A Bluesky token is a JWT whose `jti` is the sandbox's own signed token.
fn bluesky_jwt(token: &str, expires_at: i64, person: Person) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"at+jwt","alg":"ES256K"}"#);
    let payload = json!({"scope": "com.atproto.appPass", "sub": shapes::bluesky_did(person), "iat": now(), "exp": expires_at, "jti": token});
    format!(
        "{header}.{}.sandbox",
        URL_SAFE_NO_PAD.encode(payload.to_string())
    )
}

fn bluesky_inner(jwt: &str) -> Option<String> {
    let payload = jwt.split('.').nth(1)?;
    let value: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    value.get("jti")?.as_str().map(str::to_owned)
}

async fn bluesky(sandbox: &Sandbox, call: &Call) -> Response {
    let platform = Platform::Bluesky;
    // A session: a new access JWT, with the given refresh token (or a new one) of `grant`.
    let session = |person: Person, grant: &str, refresh: Option<String>| {
        let access = sandbox.issue(
            platform,
            TokenKind::Access,
            person,
            sandbox.access_ttl(platform),
            grant,
        );
        let refresh = refresh.unwrap_or_else(|| {
            sandbox.issue(
                platform,
                TokenKind::Refresh,
                person,
                Some(90 * 86_400),
                grant,
            )
        });
        let exp = |token: &str| {
            sandbox
                .signer
                .verify(token)
                .map(|c| c.expires_at)
                .unwrap_or_default()
        };
        json!({
            "did": shapes::bluesky_did(person),
            "handle": format!("{}.bsky.social", person.handle.replace('_', "-")),
            "accessJwt": bluesky_jwt(&access, exp(&access), person),
            "refreshJwt": bluesky_jwt(&refresh, exp(&refresh), person),
            "active": true,
        })
    };
    match call.path.as_str() {
        "/xrpc/com.atproto.server.createSession" => {
            if let Some(failure) = sandbox.count(platform, Endpoint::Credentials) {
                if let Some(response) = failure_response(platform, failure, false).await {
                    return response;
                }
            }
            let body: Value = serde_json::from_slice(&call.body).unwrap_or(Value::Null);
            let identifier = body
                .get("identifier")
                .and_then(Value::as_str)
                .unwrap_or_default();
            if body.get("password").and_then(Value::as_str) != Some(BLUESKY_APP_PASSWORD) {
                return json_response(
                    StatusCode::UNAUTHORIZED,
                    json!({"error": "AuthenticationRequired", "message": "Invalid identifier or password"}),
                );
            }
            let who = if identifier.contains("grace") {
                person("grace")
            } else {
                person("ada")
            };
            // Revoking access in the sandbox revokes the app password too.
            if sandbox.with_state(|s| s.revoked.contains_key(&(platform, who.key.to_owned()))) {
                return json_response(
                    StatusCode::UNAUTHORIZED,
                    json!({"error": "AuthenticationRequired", "message": "Invalid identifier or password"}),
                );
            }
            Json(session(who, &new_grant(), None)).into_response()
        }
        "/xrpc/com.atproto.server.refreshSession" => {
            if let Some(failure) = sandbox.count(platform, Endpoint::Refresh) {
                if let Some(response) = failure_response(platform, failure, true).await {
                    return response;
                }
            }
            let inner = call.bearer().and_then(|jwt| bluesky_inner(&jwt));
            let Some((inner, claims)) = inner.and_then(|t| {
                let claims = sandbox.check(&t, platform, TokenKind::Refresh)?;
                Some((t, claims))
            }) else {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    json!({"error": "ExpiredToken", "message": "Token has been revoked"}),
                );
            };
            // As Bluesky's PDS does: the first use rotates the refresh token and starts a grace
            // period in which every reuse is answered with the same next token; after it, the
            // old token is revoked.
            let now = now();
            let earlier = sandbox.with_state(|s| s.bluesky_rotations.get(&inner).cloned());
            let next = match earlier {
                Some((next, grace_until)) if now < grace_until => next,
                Some(_) => {
                    return json_response(
                        StatusCode::BAD_REQUEST,
                        json!({"error": "ExpiredToken", "message": "Token has been revoked"}),
                    )
                }
                None => {
                    let next = sandbox.issue(
                        platform,
                        TokenKind::Refresh,
                        person(&claims.identity),
                        Some(90 * 86_400),
                        &claims.grant,
                    );
                    sandbox.with_state(|s| {
                        s.bluesky_rotations
                            .insert(inner, (next.clone(), now + BLUESKY_REFRESH_GRACE))
                    });
                    next
                }
            };
            Json(session(person(&claims.identity), &claims.grant, Some(next))).into_response()
        }
        "/xrpc/com.atproto.server.deleteSession" => {
            // Ends the session of the refresh token presented, idempotently.
            if let Some(inner) = call.bearer().and_then(|jwt| bluesky_inner(&jwt)) {
                if sandbox.signer.verify(&inner).is_some() {
                    sandbox.with_state(|s| s.revoked_tokens.insert(inner, ()));
                }
            }
            StatusCode::OK.into_response()
        }
        "/xrpc/app.bsky.actor.getProfile" => {
            if let Some(failure) = sandbox.count(platform, Endpoint::Profile) {
                if let Some(response) = failure_response(platform, failure, false).await {
                    return response;
                }
            }
            let inner = call.bearer().and_then(|jwt| bluesky_inner(&jwt));
            match inner.and_then(|t| sandbox.check(&t, platform, TokenKind::Access)) {
                Some(claims) => {
                    let person = person(&claims.identity);
                    Json(shapes::profile(
                        platform,
                        person,
                        &avatar_url(&call.headers, person),
                    ))
                    .into_response()
                }
                None => {
                    let (status, body) = shapes::unauthorized(platform);
                    json_response(status, body)
                }
            }
        }
        _ => (StatusCode::NOT_FOUND, "XRPCNotSupported").into_response(),
    }
}

/// Telegram puts the token in the path: `/bot<token>/<method>` and `/file/bot<token>/<path>`.
async fn telegram(sandbox: &Sandbox, call: &Call) -> Response {
    let platform = Platform::Telegram;
    let (token, method) = if let Some(rest) = call.path.strip_prefix("/file/bot") {
        match rest.split_once('/') {
            Some((token, _)) => (token.to_owned(), "file"),
            None => return StatusCode::NOT_FOUND.into_response(),
        }
    } else if let Some(rest) = call.path.strip_prefix("/bot") {
        match rest.split_once('/') {
            Some((token, method)) => (token.to_owned(), method),
            None => return StatusCode::NOT_FOUND.into_response(),
        }
    } else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let endpoint = if method == "getMe" {
        Endpoint::Credentials
    } else {
        Endpoint::Profile
    };
    if let Some(failure) = sandbox.count(platform, endpoint) {
        if let Some(response) = failure_response(platform, failure, false).await {
            return response;
        }
    }
    // Any `<digits>:sandbox...` token is a bot; the bot id picks the person.
    let who = match token.split_once(':') {
        Some((id, secret))
            if secret.starts_with("sandbox") && id.chars().all(|c| c.is_ascii_digit()) =>
        {
            Some(if id.ends_with('2') {
                person("grace")
            } else {
                person("ada")
            })
        }
        _ => None,
    };
    let revoked = who.is_some_and(|p| {
        sandbox.with_state(|s| s.revoked.contains_key(&(platform, p.key.to_owned())))
    });
    let Some(who) = who.filter(|_| !revoked) else {
        let (status, body) = shapes::unauthorized(platform);
        return json_response(status, body);
    };
    match method {
        "getMe" => Json(shapes::profile(platform, who, "")).into_response(),
        "getUserProfilePhotos" => Json(json!({"ok": true, "result": {"total_count": 1, "photos": [[
            {"file_id": "sandbox-photo-small", "file_unique_id": "s", "width": 160, "height": 160}
        ]]}}))
        .into_response(),
        "getFile" => Json(json!({"ok": true, "result": {"file_id": "sandbox-photo-small", "file_path": format!("photos/{}.svg", who.key)}})).into_response(),
        "file" => ([(header::CONTENT_TYPE, "image/svg+xml")], pages::avatar_svg(who)).into_response(),
        _ => json_response(StatusCode::NOT_FOUND, json!({"ok": false, "error_code": 404, "description": "Not Found"})),
    }
}

async fn listmonk(sandbox: &Sandbox, call: &Call) -> Response {
    let platform = Platform::Listmonk;
    if let Some(failure) = sandbox.count(platform, Endpoint::Credentials) {
        if let Some(response) = failure_response(platform, failure, false).await {
            return response;
        }
    }
    let authorized = call
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("token "))
        .and_then(|pair| pair.split_once(':'))
        .filter(|(_, token)| *token == LISTMONK_TOKEN)
        .map(|(user, _)| {
            if user.contains("grace") {
                person("grace")
            } else {
                person("ada")
            }
        });
    let revoked = authorized.is_some_and(|p| {
        sandbox.with_state(|s| s.revoked.contains_key(&(platform, p.key.to_owned())))
    });
    match (call.path.as_str(), authorized.filter(|_| !revoked)) {
        (_, None) => {
            let (status, body) = shapes::unauthorized(platform);
            json_response(status, body)
        }
        ("/api/lists", Some(who)) => Json(shapes::profile(platform, who, "")).into_response(),
        ("/api/settings", Some(_)) => Json(json!({"data": {"app.site_name": "Sandbox Listmonk", "app.root_url": origin(&call.headers)}})).into_response(),
        _ => json_response(StatusCode::NOT_FOUND, json!({"message": "Route not found"})),
    }
}

async fn avatar(Path(name): Path<String>) -> Response {
    let key = name.trim_end_matches(".svg");
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        pages::avatar_svg(person(key)),
    )
        .into_response()
}

#[derive(Deserialize)]
struct ControlForm {
    action: String,
    platform: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    failure: String,
    #[serde(default)]
    seconds: String,
}

/// The sandbox page's buttons: revoke a person's tokens, make calls fail, shorten token lives.
/// Only a signed-in person may use them (see [`Sandbox::control_router`]), and every field must
/// name something that exists.
async fn control(State(sandbox): State<Sandbox>, Form(form): Form<ControlForm>) -> Response {
    let refused = |what: &str| (StatusCode::BAD_REQUEST, format!("unknown {what}")).into_response();
    let Some(platform) = Platform::from_slug(&form.platform) else {
        return refused("platform");
    };
    match form.action.as_str() {
        "revoke" => match shapes::PEOPLE.iter().find(|p| p.key == form.person) {
            Some(who) => sandbox.revoke(platform, who.key),
            None => return refused("person"),
        },
        "fail" => {
            let endpoint = match form.endpoint.as_str() {
                "token" => Endpoint::Token,
                "refresh" => Endpoint::Refresh,
                "profile" => Endpoint::Profile,
                "credentials" => Endpoint::Credentials,
                "revoke" => Endpoint::Revoke,
                _ => return refused("call"),
            };
            match (form.failure.as_str(), Failure::parse(&form.failure)) {
                ("", _) => sandbox.with_state(|s| {
                    s.failures
                        .retain(|(p, e), _| !(*p == platform && *e == endpoint))
                }),
                (_, Some(failure)) => sandbox.fail(platform, endpoint, failure),
                (_, None) => return refused("failure"),
            }
        }
        "latency" => match form.seconds.trim().parse::<f64>() {
            Ok(seconds) if (0.0..=60.0).contains(&seconds) => {
                sandbox.set_latency((seconds > 0.0).then(|| Duration::from_secs_f64(seconds)))
            }
            _ => return refused("number of seconds (0 to 60)"),
        },
        "ttl" => match form.seconds.trim().parse::<i64>() {
            Ok(seconds) if (1..=365 * 86_400).contains(&seconds) => {
                sandbox.set_access_ttl(platform, seconds)
            }
            _ => return refused("number of seconds (1 to a year)"),
        },
        _ => return refused("action"),
    }
    Redirect::to("/sandbox").into_response()
}
