//! `/metrics` in Prometheus' text format: refreshes by platform and outcome, health-check
//! latency, webhook deliveries by outcome, accounts by status.

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use engine::AppState;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::OnceLock;
use subtle::ConstantTimeEq;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder (once; later calls reuse it).
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets(&[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0])
            .expect("static buckets are valid")
            .install_recorder()
            .expect("no other metrics recorder is installed")
    })
}

/// With `PLUGBOARD_METRICS_TOKEN` set, a matching bearer token; without, a loopback client.
fn allowed(app: &AppState, request: &Request) -> bool {
    match &app.config.metrics_token {
        Some(token) => request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| bool::from(given.as_bytes().ct_eq(token.as_bytes()))),
        // A reverse proxy on this machine connects from loopback for anyone on the internet:
        // a request that says it was forwarded is not a local one.
        None => {
            request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .is_some_and(|ConnectInfo(addr)| addr.ip().is_loopback())
                && !PROXY_HEADERS
                    .iter()
                    .any(|name| request.headers().contains_key(*name))
        }
    }
}

/// Headers a proxy adds to what it forwards.
const PROXY_HEADERS: &[&str] = &[
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "via",
];

pub async fn render(State(app): State<AppState>, request: Request) -> Response {
    if !allowed(&app, &request) {
        return (
            StatusCode::FORBIDDEN,
            "Set PLUGBOARD_METRICS_TOKEN and send it as a bearer token.",
        )
            .into_response();
    }
    match HANDLE.get() {
        Some(handle) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            handle.render(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "Metrics are not enabled in this process.",
        )
            .into_response(),
    }
}
