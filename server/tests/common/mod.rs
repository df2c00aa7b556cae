//! A test application builder: a fresh database (an SQLite file, or a new PostgreSQL database),
//! the real router, and helpers that speak HTTP to it the way a browser would.
#![allow(dead_code)]

pub mod api;
pub mod processes;
pub mod stand_ins;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use engine::storage::crypto::SecretKey;
use engine::{AppState, Config};
use http_body_util::BodyExt;
use sandbox::throwaway_postgres::ThrowawayPostgres;
use std::collections::HashMap;
use tower::ServiceExt;

pub const PASSWORD: &str = "violet tractor humming seaside";
pub const ORIGIN: &str = "http://localhost:3000";
/// Lets webhook endpoints be on this machine (the tests' receivers are).
pub const ALLOW_LOOPBACK: &[(&str, &str)] = &[("PLUGBOARD_ALLOW_PRIVATE_URLS", "true")];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each test body once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_databases {
    ($( $(#[$meta:meta])* async fn $name:ident($app:ident) $body:block )*) => {
        mod sqlite {
            use super::*;
            $( $(#[$meta])* #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { let $app = TestApp::new(Backend::Sqlite).await; $body } )*
        }
        mod postgres {
            use super::*;
            $( $(#[$meta])* #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { let $app = TestApp::new(Backend::Postgres).await; $body } )*
        }
    };
}

/// Runs each `scenarios::<name>(backend)` once on SQLite and once on PostgreSQL (for scenarios
/// that build their own app).
#[macro_export]
macro_rules! scenarios_on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::scenarios::$name($crate::common::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
               async fn $name() { super::scenarios::$name($crate::common::Backend::Postgres).await } )*
        }
    };
}

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    /// Every setting the app was built with (to start `plugboard` processes on the same data).
    pub settings: HashMap<String, String>,
    _data_dir: tempfile::TempDir,
    postgres: Option<ThrowawayPostgres>,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl TestResponse {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The query parameters of the redirect's location.
    pub fn location_query(&self) -> std::collections::HashMap<String, String> {
        let query = self.location().split_once('?').map_or("", |(_, q)| q);
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `name=value` part of the session cookie this response sets, if any.
    pub fn session_cookie(&self) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(plugboard::web::SESSION_COOKIE))
            .map(|c| c.split(';').next().unwrap_or_default().to_owned())
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }
}

impl TestApp {
    pub async fn new(backend: Backend) -> TestApp {
        TestApp::with_settings(backend, &[]).await
    }

    pub async fn with_settings(backend: Backend, settings: &[(&str, &str)]) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let postgres = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(ThrowawayPostgres::for_test().await),
        };
        let database_url = match &postgres {
            Some(pg) => pg.url.clone(),
            None => format!("sqlite://{}/test.db", data_dir.path().display()),
        };
        let mut vars: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), database_url),
            (
                "PLUGBOARD_DATA_DIR".into(),
                data_dir.path().display().to_string(),
            ),
            (
                "PLUGBOARD_SECRET_KEY".into(),
                SecretKey::generate().to_base64(),
            ),
            ("PLUGBOARD_BASE_URL".into(), ORIGIN.into()),
        ]);
        for (key, value) in settings {
            vars.insert((*key).into(), (*value).into());
        }
        let config = Config::from_lookup(|name| vars.get(name).cloned()).expect("test config");
        let listen = config.listen_addr;
        let state = AppState::open(config).await.expect("open test app state");
        engine::events::changes::listen(&state);
        let router = plugboard::web::router(state.clone(), plugboard::web::leptos_options(listen));
        TestApp {
            router,
            state,
            settings: vars,
            _data_dir: data_dir,
            postgres,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("the router never fails");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("read body")
            .to_bytes();
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> TestResponse {
        let mut request = Request::get(path).header(header::HOST, "localhost:3000");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// A form post as a browser sends it from one of our pages.
    pub async fn post_form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> TestResponse {
        self.post_form_from(path, fields, cookie, ORIGIN, "same-origin")
            .await
    }

    pub async fn post_form_from(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        cookie: Option<&str>,
        origin: &str,
        sec_fetch_site: &str,
    ) -> TestResponse {
        let request = form_request(path, cookie)
            .header(header::ORIGIN, origin)
            .header("sec-fetch-site", sec_fetch_site);
        self.send(finish_form(request, fields)).await
    }

    /// Submits a dashboard form on `page` the way a browser does without JavaScript: a plain
    /// form post to the server function behind it, asking for a page back.
    pub async fn submit(
        &self,
        page: &str,
        function: &str,
        fields: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> TestResponse {
        let request = form_request(&format!("/api/fn/{function}"), cookie)
            .header(header::ORIGIN, ORIGIN)
            .header("sec-fetch-site", "same-origin")
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, format!("{ORIGIN}{page}"));
        self.send(finish_form(request, fields)).await
    }

    /// Calls a server function over HTTP the way the browser bundle would.
    pub async fn call(&self, function: &str, cookie: Option<&str>) -> TestResponse {
        self.call_with(function, "", cookie).await
    }

    /// The same, with arguments (form-encoded, as server functions take them).
    pub async fn call_with(
        &self,
        function: &str,
        args: &str,
        cookie: Option<&str>,
    ) -> TestResponse {
        let request = form_request(&format!("/api/fn/{function}"), cookie)
            .header(header::ORIGIN, ORIGIN)
            .header("sec-fetch-site", "same-origin")
            .header(header::ACCEPT, "application/json");
        self.send(request.body(Body::from(args.to_owned())).unwrap())
            .await
    }

    /// Acts in `workspace` from now on, through the header's switcher.
    pub async fn switch_workspace(&self, cookie: &str, workspace: &str) {
        let switched = self
            .submit(
                "/dashboard/connections",
                "switch_workspace",
                &[("workspace", workspace), ("back", "/dashboard/connections")],
                Some(cookie),
            )
            .await;
        assert_eq!(switched.status, StatusCode::SEE_OTHER, "{}", switched.body);
        assert_eq!(switched.location(), "/dashboard/connections");
    }

    /// The one-time link starting with `path_start` that `page` shows after a form made it, and
    /// checks the page shows it only once.
    pub async fn shown_once(&self, page: &str, path_start: &str, cookie: &str) -> String {
        let shown = self.get(page, Some(cookie)).await.body;
        let start = shown
            .find(path_start)
            .unwrap_or_else(|| panic!("the link is shown: {shown}"));
        let link: String = shown[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-'))
            .collect();
        assert!(
            !self.get(page, Some(cookie)).await.body.contains(&link),
            "the link is shown once"
        );
        link
    }

    /// Signs up and returns the session cookie.
    pub async fn sign_up(&self, email: &str) -> String {
        let response = self
            .post_form(
                "/auth/sign-up",
                &[("email", email), ("password", PASSWORD)],
                None,
            )
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
        assert_eq!(response.location(), "/dashboard/connections");
        response
            .session_cookie()
            .expect("sign-up sets the session cookie")
    }

    pub async fn user_id(&self, email: &str) -> String {
        engine::identity::users::find_by_email(&self.state.db, email)
            .await
            .unwrap()
            .expect("user exists")
            .id
    }

    /// The person acting in their first (personal) workspace.
    pub async fn member(&self, email: &str) -> engine::identity::workspaces::Member {
        let user = engine::identity::users::find_by_email(&self.state.db, email)
            .await
            .unwrap()
            .expect("user exists");
        engine::identity::workspaces::member(&self.state.db, user, None)
            .await
            .unwrap()
    }

    /// The person's first (personal) workspace.
    pub async fn workspace_id(&self, email: &str) -> String {
        self.member(email).await.workspace.id
    }

    /// Who connects when the person connects in their personal workspace.
    pub async fn connector(&self, email: &str) -> engine::connections::connect::Connector {
        engine::connections::connect::Connector::from(&self.member(email).await)
    }

    /// Makes the account's token due for a refresh now.
    pub async fn make_due(&self, account_id: &str) {
        sqlx::query("UPDATE connected_accounts SET next_refresh_at = 0 WHERE id = $1")
            .bind(account_id)
            .execute(self.state.db.pool())
            .await
            .unwrap();
    }

    pub async fn seed_demo_accounts(&self, email: &str, count: usize) -> Vec<String> {
        let owner = self.workspace_id(email).await;
        engine::connections::demo::seed(&self.state.db, &self.state.secrets, &owner, count)
            .await
            .unwrap()
    }
}

/// The sandbox's stand-ins on a port of their own, as "the platforms" for a test.
pub struct Platforms {
    pub sandbox: sandbox::Sandbox,
    pub base: String,
}

impl Platforms {
    pub async fn start() -> Platforms {
        let sandbox =
            sandbox::Sandbox::new(rand::random(), url::Url::parse(ORIGIN).expect("a URL"));
        let router =
            axum::Router::new().nest(engine::platforms::catalog::SANDBOX_PREFIX, sandbox.router());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        Platforms { sandbox, base }
    }

    /// Every `<P>_*` variable, pointing each platform at these stand-ins.
    pub fn settings(&self) -> Vec<(String, String)> {
        use domain::Platform;
        use engine::platforms::catalog::{env_prefix, sandbox_url, spec, SANDBOX_CLIENT_SECRET};
        let base = url::Url::parse(&self.base).unwrap();
        let mut vars = Vec::new();
        for platform in Platform::ALL {
            let spec = spec(platform);
            let env = env_prefix(platform);
            vars.push((
                format!("{env}_API_URL"),
                sandbox_url(&base, platform, &spec.api_url),
            ));
            if platform.connect_method() == domain::ConnectMethod::OAuth {
                vars.push((
                    format!("{env}_CLIENT_ID"),
                    format!("sandbox-{}", platform.slug()),
                ));
                vars.push((
                    format!("{env}_CLIENT_SECRET"),
                    SANDBOX_CLIENT_SECRET.to_owned(),
                ));
                for (name, url) in [
                    ("AUTH_URL", &spec.authorize_url),
                    ("TOKEN_URL", &spec.token_url),
                    ("REVOKE_URL", &spec.revoke_url),
                ] {
                    if let Some(url) = url {
                        vars.push((format!("{env}_{name}"), sandbox_url(&base, platform, url)));
                    }
                }
            }
        }
        vars
    }
}

impl TestApp {
    /// An app whose platforms are the sandbox's stand-ins, with a short timeout for platform calls.
    pub async fn with_platforms(backend: Backend) -> (TestApp, Platforms) {
        TestApp::with_platforms_and(backend, &[]).await
    }

    /// The same, with more settings.
    pub async fn with_platforms_and(
        backend: Backend,
        extra: &[(&str, &str)],
    ) -> (TestApp, Platforms) {
        let platforms = Platforms::start().await;
        let mut settings = platforms.settings();
        settings.push(("PLUGBOARD_PROVIDER_TIMEOUT_MS".into(), "1000".into()));
        settings.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let borrowed: Vec<(&str, &str)> = settings
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let app = TestApp::with_settings(backend, &borrowed).await;
        (app, platforms)
    }
}

/// What the person does on a platform's consent screen.
#[derive(Debug, Clone, Copy)]
pub struct Consent {
    pub person: &'static str,
    pub approve: bool,
    /// One of the sandbox's simulations: "", "invalid_grant", "outage", "slow", "unauthorized".
    pub simulate: &'static str,
}

impl Default for Consent {
    fn default() -> Self {
        Consent {
            person: "ada",
            approve: true,
            simulate: "",
        }
    }
}

impl Consent {
    pub fn deny() -> Self {
        Consent {
            approve: false,
            ..Consent::default()
        }
    }
    pub fn as_person(person: &'static str) -> Self {
        Consent {
            person,
            ..Consent::default()
        }
    }
    pub fn simulating(simulate: &'static str) -> Self {
        Consent {
            simulate,
            ..Consent::default()
        }
    }
}

/// The browser's side of a platform: follows the consent screen and comes back with the
/// callback's path and query.
pub async fn consent_at(authorize_url: &str, consent: Consent) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = browser.get(authorize_url).send().await.unwrap();
    assert_eq!(page.status(), 200, "consent screen at {authorize_url}");
    let html = page.text().await.unwrap();
    let request = html
        .split("name=\"request\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the consent form names its request")
        .to_owned();
    let origin = {
        let url = url::Url::parse(authorize_url).unwrap();
        format!("{}://{}", url.scheme(), url.host_str().unwrap())
            + &url.port().map(|p| format!(":{p}")).unwrap_or_default()
    };
    let answer = browser
        .post(format!("{origin}/sandbox/_consent"))
        .form(&[
            ("request", request.as_str()),
            ("decision", if consent.approve { "approve" } else { "deny" }),
            ("person", consent.person),
            ("simulate", consent.simulate),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 303);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let callback = url::Url::parse(&location).unwrap();
    format!(
        "{}?{}",
        callback.path(),
        callback.query().unwrap_or_default()
    )
}

impl TestApp {
    /// Presses a Connect (or Reconnect) button: a form post to the connect path, with the
    /// fields written as the path's query (`?account=<id>`, `?instance=<url>`).
    pub async fn start_connect(&self, start_path: &str, cookie: Option<&str>) -> TestResponse {
        let (path, query) = start_path.split_once('?').unwrap_or((start_path, ""));
        let fields: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.post_form(path, &fields, cookie).await
    }

    /// Clicks Connect (or Reconnect) and follows the platform's consent screen; returns the
    /// callback's path and query, ready to be visited (or tampered with).
    pub async fn consent(&self, cookie: &str, start_path: &str, consent: Consent) -> String {
        let start = self.start_connect(start_path, Some(cookie)).await;
        assert_eq!(
            start.status,
            StatusCode::SEE_OTHER,
            "{start_path}: {}",
            start.body
        );
        assert!(
            start.location().starts_with("http"),
            "{start_path} leads to the platform, not {}",
            start.location()
        );
        consent_at(start.location(), consent).await
    }

    /// Where Connect starts for a platform; Mastodon's names the sandbox's own instance (the
    /// default MASTODON_API_URL of these tests).
    pub fn connect_start(&self, platform: domain::Platform) -> String {
        if platform != domain::Platform::Mastodon {
            return format!("/api/v1/auth/{}/connect", platform.slug());
        }
        let instance = &self.state.config.providers.get(platform).api_url;
        let encoded: String = url::form_urlencoded::byte_serialize(instance.as_bytes()).collect();
        format!("/api/v1/auth/mastodon/connect?instance={encoded}")
    }

    /// A whole connect: returns the callback's response.
    pub async fn connect(&self, cookie: &str, start_path: &str, consent: Consent) -> TestResponse {
        let callback = self.consent(cookie, start_path, consent).await;
        self.get(&callback, Some(cookie)).await
    }

    /// The person's accounts once the health check that listing them starts has finished (it
    /// may add what it learns, like TikTok's creator name), so two calls can be compared.
    pub async fn accounts(&self, cookie: &str) -> Vec<serde_json::Value> {
        let response = self.call("connected_accounts", Some(cookie)).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.body);
        self.settle(cookie).await;
        let response = self.call("connected_accounts", Some(cookie)).await;
        response.json().as_array().unwrap().clone()
    }

    /// The id of the first account `accounts` lists (the only one, in most tests).
    pub async fn first_account_id(&self, cookie: &str) -> String {
        self.accounts(cookie).await[0]["id"]
            .as_str()
            .expect("an account")
            .to_owned()
    }

    /// Waits until no health check runs for the person.
    pub async fn settle(&self, cookie: &str) {
        for _ in 0..200 {
            let live = self.get("/api/v1/live-statuses", Some(cookie)).await;
            if live.status == StatusCode::OK && live.json()["checking"] == false {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("a health check never finished");
    }
}

/// Asserts a redirect to `path` whose query has each of `expected` (an empty value: absent), and
/// returns the whole query.
pub fn assert_redirect(
    response: &TestResponse,
    path: &str,
    expected: &[(&str, &str)],
) -> std::collections::HashMap<String, String> {
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    let location = response.location();
    assert_eq!(location.split('?').next(), Some(path), "{location}");
    let query = response.location_query();
    for (key, value) in expected {
        assert_eq!(
            query.get(*key).map(String::as_str).unwrap_or(""),
            *value,
            "{key} in {location}"
        );
    }
    query
}

/// Asserts a redirect to the connections page with `error=<code>` for the platform.
pub fn assert_error(response: &TestResponse, code: &str, platform: domain::Platform) {
    assert_redirect(
        response,
        "/dashboard/connections",
        &[("error", code), ("platform", platform.slug())],
    );
}

pub fn assert_connected(response: &TestResponse, platform: domain::Platform) {
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(
        response.location(),
        format!("/dashboard/connections?connected={}", platform.slug())
    );
}

/// A form post to `path` on this instance, with the person's cookie if any.
fn form_request(path: &str, cookie: Option<&str>) -> axum::http::request::Builder {
    let request = Request::post(path)
        .header(header::HOST, "localhost:3000")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    match cookie {
        Some(cookie) => request.header(header::COOKIE, cookie),
        None => request,
    }
}

fn finish_form(request: axum::http::request::Builder, fields: &[(&str, &str)]) -> Request<Body> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    request.body(Body::from(body)).unwrap()
}
