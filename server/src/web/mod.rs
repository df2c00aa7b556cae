//! The HTTP application: Leptos pages and server functions, the auth forms, static files, and the
//! layers every request passes through.

pub mod api;
mod assets;
mod auth_forms;
mod client_ip;
mod connect_link_routes;
mod connect_routes;
pub mod csrf;
mod live;
pub mod metrics;
pub(crate) mod session_user;
pub mod sessions;

use crate::web::sessions::DbSessionStore;
use axum::extract::FromRef;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use engine::AppState;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::CompressionLevel;
use tower_sessions::cookie::SameSite;
use tower_sessions::SessionManagerLayer;

/// The router's state: the application's and the one Leptos needs to render pages.
#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    pub leptos: LeptosOptions,
}

impl FromRef<WebState> for LeptosOptions {
    fn from_ref(state: &WebState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<WebState> for AppState {
    fn from_ref(state: &WebState) -> Self {
        state.app.clone()
    }
}

pub const SESSION_COOKIE: &str = "plugboard_session";
/// Under https the cookie gets the `__Host-` prefix: browsers then keep it to this exact host,
/// Secure, for every path, and no subdomain can set or shadow it.
pub const SECURE_SESSION_COOKIE: &str = "__Host-plugboard_session";

/// The session cookie's name for this instance.
pub fn session_cookie_name(config: &engine::Config) -> &'static str {
    if config.cookies_secure() {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// Resolves the session (and the signed-in person) for every request of `router`.
fn with_sessions(router: Router, state: &AppState) -> Router {
    router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            session_user::resolve,
        ))
        .layer(
            SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
                .with_name(session_cookie_name(&state.config))
                .with_same_site(SameSite::Lax)
                .with_http_only(true)
                .with_secure(state.config.cookies_secure()),
        )
}

/// Where the built site (CSS, wasm, JS, public files) is, as cargo-leptos lays it out.
pub fn leptos_options(listen_addr: SocketAddr) -> LeptosOptions {
    let env =
        |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    LeptosOptions::builder()
        // Release builds name their assets after their content (see `assets`).
        .hash_files(assets::hash_file().is_some())
        .hash_file(assets::HASH_FILE.into())
        .output_name(env("LEPTOS_OUTPUT_NAME", "plugboard"))
        .site_root(env("LEPTOS_SITE_ROOT", "target/site"))
        .site_pkg_dir(env("LEPTOS_SITE_PKG_DIR", "pkg"))
        .site_addr(listen_addr)
        .build()
}

pub fn router(state: AppState, leptos_options: LeptosOptions) -> Router {
    let web_state = WebState {
        app: state.clone(),
        leptos: leptos_options.clone(),
    };
    let routes = generate_route_list(app::App);
    let context_state = state.clone();
    let pages_and_functions = Router::new()
        .leptos_routes_with_context(
            &web_state,
            routes,
            move || provide_context(context_state.clone()),
            {
                let options = leptos_options.clone();
                move || app::shell(options.clone())
            },
        )
        .route("/auth/sign-up", post(auth_forms::sign_up))
        .route("/auth/sign-in", post(auth_forms::sign_in))
        .route("/auth/sign-out", post(auth_forms::sign_out))
        .route(
            "/api/v1/auth/{platform}/connect",
            post(connect_routes::start),
        )
        .route(
            "/api/v1/auth/{platform}/callback",
            get(connect_routes::callback),
        )
        .route(
            "/api/v1/auth/{platform}/credentials",
            post(connect_routes::credentials),
        )
        .route(
            "/api/v1/auth/{platform}/select",
            post(connect_routes::select),
        )
        .route(
            "/connect/{token}/start/{platform}",
            post(connect_link_routes::start),
        )
        .route(
            "/connect/{token}/credentials/{platform}",
            post(connect_link_routes::credentials),
        )
        .route("/api/v1/accounts/{id}/avatar", get(connect_routes::avatar))
        .route(
            app::components::LIVE_STATUSES_PATH,
            get(live::live_statuses),
        )
        .route(app::components::LIVE_EVENTS_PATH, get(live::live_events))
        .fallback(leptos_axum::file_and_error_handler::<WebState, _>(
            app::shell,
        ))
        .with_state(web_state)
        // Pages, forms and server functions are a person's own (some show a secret once): no
        // cache may keep them.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    let pages_and_functions = with_sessions(pages_and_functions, &state);

    let site_pkg = std::path::Path::new(leptos_options.site_root.as_ref())
        .join(leptos_options.site_pkg_dir.as_ref());
    let hashed = assets::HashedAssets::of_this_build(
        &leptos_options.output_name,
        &leptos_options.site_pkg_dir,
    );
    let static_files = Router::new()
        .nest_service(
            "/pkg",
            ServeDir::new(site_pkg)
                .precompressed_br()
                .precompressed_gzip(),
        )
        .layer(axum::middleware::from_fn_with_state(
            hashed.clone(),
            assets::cache_for,
        ));

    let mut router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics::render).with_state(state.clone()))
        .merge(static_files)
        .merge(api::router(state.clone()))
        .merge(pages_and_functions);
    #[cfg(feature = "sandbox")]
    if state.config.sandbox {
        router = router.nest(
            engine::platforms::catalog::SANDBOX_PREFIX,
            sandbox_router(
                &state,
                hashed.stylesheet(&leptos_options.output_name, &leptos_options.site_pkg_dir),
            ),
        );
    }
    if state.config.cookies_secure() {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ));
    }
    router
        .layer(axum::middleware::from_fn_with_state(
            csrf::AllowedOrigin::of(&state.config.base_url),
            csrf::refuse_cross_site,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(256 * 1024))
        // Every text response, gzipped when the browser accepts it. The encoder flushes whenever
        // the body waits, so a streamed page's skeleton leaves before its data is ready
        // (`tests/wire.rs`). gzip at its fastest level: the 50-account page's 69 KiB become 8 KiB,
        // at the least cost to the page's throughput of the settings measured (brotli sets up a
        // 4 MiB window for every response; see the README). The built assets are served
        // precompressed, brotli at 11, by `ServeDir`.
        .layer(
            CompressionLayer::new()
                .no_br()
                .quality(CompressionLevel::Fastest),
        )
        // On every response: no sniffing, no framing, no URLs leaked to other sites.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

/// The platform stand-ins, with the sandbox page's controls open only to a signed-in person
/// (sessions are on for the whole of `/sandbox` so that the controls can tell).
#[cfg(feature = "sandbox")]
fn sandbox_router(state: &AppState, stylesheet: String) -> Router {
    let sandbox = sandbox::Sandbox::new(
        state.secrets.derive_key("sandbox"),
        state.config.base_url.clone(),
    )
    .with_stylesheet(stylesheet);
    let controls = sandbox
        .control_router()
        .route_layer(axum::middleware::from_extractor::<session_user::SignedIn>());
    with_sessions(sandbox.router().merge(controls), state)
}
