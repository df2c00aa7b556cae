//! Cross-site request refusal for every state-changing request (forms, server functions, API).
//!
//! Browsers say where a request comes from: `Sec-Fetch-Site` (all current browsers) or, failing
//! that, `Origin`. A request that carries neither is not from a browser page, so it cannot ride on
//! a victim's cookies. Together with SameSite=Lax session cookies this needs no tokens in forms.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The instance's public origin (from `PLUGBOARD_BASE_URL`), accepted besides the request's own
/// host reached with the same scheme.
#[derive(Debug, Clone)]
pub struct AllowedOrigin {
    pub origin: String,
    pub scheme: String,
}

impl AllowedOrigin {
    pub fn of(base_url: &url::Url) -> AllowedOrigin {
        AllowedOrigin {
            origin: base_url.origin().ascii_serialization(),
            scheme: base_url.scheme().to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Refuse,
}

pub fn judge(method: &Method, headers: &HeaderMap, allowed: &AllowedOrigin) -> Verdict {
    if matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return Verdict::Allow;
    }
    let header_text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let origin = header_text("origin").filter(|o| *o != "null");
    // Scheme, host and port: `http://host` is not the same site as `https://host`.
    let origin_is_ours = origin.is_some_and(|origin| {
        origin == allowed.origin
            || header_text("host")
                .is_some_and(|host| origin == format!("{}://{host}", allowed.scheme))
    });
    match header_text("sec-fetch-site") {
        Some("same-origin" | "none") => Verdict::Allow,
        // same-site (a sibling subdomain) and cross-site are both other sites' pages.
        Some(_) if origin_is_ours => Verdict::Allow,
        Some(_) => Verdict::Refuse,
        None => match origin {
            None if header_text("origin").is_none() => Verdict::Allow,
            _ if origin_is_ours => Verdict::Allow,
            _ => Verdict::Refuse,
        },
    }
}

/// A path as a log may show it: the token in an invitation's or a connect link's path is a
/// secret (whoever holds it may use it), so it is left out.
fn loggable(path: &str) -> String {
    let mut previous = "";
    path.split('/')
        .map(|segment| {
            let shown = if matches!(previous, "connect" | "invitations") {
                "[token]"
            } else {
                segment
            };
            previous = segment;
            shown
        })
        .collect::<Vec<_>>()
        .join("/")
}

pub async fn refuse_cross_site(
    State(allowed): State<AllowedOrigin>,
    request: Request,
    next: Next,
) -> Response {
    match judge(request.method(), request.headers(), &allowed) {
        Verdict::Allow => next.run(request).await,
        Verdict::Refuse => {
            tracing::warn!(
                method = %request.method(),
                path = %loggable(request.uri().path()),
                origin = ?request.headers().get(header::ORIGIN),
                "refused a cross-site request"
            );
            (
                StatusCode::FORBIDDEN,
                "Cross-site request refused: this action must come from a Plugboard page.",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn link_tokens_never_reach_the_log() {
        assert_eq!(
            loggable("/connect/pbl_secret/start/reddit"),
            "/connect/[token]/start/reddit"
        );
        assert_eq!(loggable("/invitations/pbi_secret"), "/invitations/[token]");
        assert_eq!(loggable("/api/fn/create_api_key"), "/api/fn/create_api_key");
    }

    const OURS: &str = "https://plugboard.example";

    fn judge_with(method: Method, headers: &[(&'static str, &'static str)]) -> Verdict {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_static(value));
        }
        judge(
            &method,
            &map,
            &AllowedOrigin::of(&url::Url::parse(OURS).unwrap()),
        )
    }

    #[test]
    fn safe_methods_are_always_allowed() {
        assert_eq!(
            judge_with(Method::GET, &[("sec-fetch-site", "cross-site")]),
            Verdict::Allow
        );
    }

    #[test]
    fn same_origin_fetch_metadata_is_allowed() {
        assert_eq!(
            judge_with(Method::POST, &[("sec-fetch-site", "same-origin")]),
            Verdict::Allow
        );
        assert_eq!(
            judge_with(Method::POST, &[("sec-fetch-site", "none")]),
            Verdict::Allow
        );
    }

    #[test]
    fn cross_and_same_site_fetch_metadata_is_refused() {
        assert_eq!(
            judge_with(Method::POST, &[("sec-fetch-site", "cross-site")]),
            Verdict::Refuse
        );
        assert_eq!(
            judge_with(
                Method::DELETE,
                &[
                    ("sec-fetch-site", "same-site"),
                    ("origin", "https://evil.plugboard.example")
                ]
            ),
            Verdict::Refuse
        );
    }

    #[test]
    fn our_public_origin_is_allowed_behind_a_proxy() {
        assert_eq!(
            judge_with(
                Method::POST,
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("origin", OURS),
                    ("host", "10.0.0.5:3000")
                ]
            ),
            Verdict::Allow
        );
    }

    #[test]
    fn without_fetch_metadata_the_origin_must_match_the_host_and_scheme() {
        assert_eq!(
            judge_with(
                Method::POST,
                &[
                    ("origin", "https://localhost:3000"),
                    ("host", "localhost:3000")
                ]
            ),
            Verdict::Allow
        );
        assert_eq!(
            judge_with(
                Method::POST,
                &[
                    ("origin", "http://localhost:3000"),
                    ("host", "localhost:3000")
                ]
            ),
            Verdict::Refuse,
            "the instance is https: a plain-http page on the same host is another origin"
        );
        assert_eq!(
            judge_with(
                Method::POST,
                &[
                    ("origin", "https://evil.example"),
                    ("host", "localhost:3000")
                ]
            ),
            Verdict::Refuse
        );
        assert_eq!(
            judge_with(
                Method::POST,
                &[("origin", "null"), ("host", "localhost:3000")]
            ),
            Verdict::Refuse
        );
    }

    #[test]
    fn requests_without_browser_headers_are_not_from_a_page() {
        assert_eq!(
            judge_with(Method::POST, &[("host", "localhost")]),
            Verdict::Allow
        );
    }
}
