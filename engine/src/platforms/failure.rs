//! What a failed call to a platform means: is the grant gone (a person must reconnect), is the
//! platform having a bad moment (try again later), or is something set up wrong?

use crate::net::http::SendError;
use serde_json::Value;
use std::fmt;

pub use domain::FailureKind;

/// A failed call, described without any secret (no URL, no token, no raw body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderError {
    pub kind: FailureKind,
    pub status: Option<u16>,
    /// The platform's own error identifier, e.g. `invalid_grant` or `190`.
    pub code: Option<String>,
    /// The platform's own words, shortened. For logs and the person's own page, never an API.
    pub message: Option<String>,
    /// How long the platform asked to be left alone (a 429's `Retry-After`).
    pub retry_after: Option<chrono::Duration>,
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.as_str())?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if let Some(message) = &self.message {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ProviderError {}

impl From<SendError> for ProviderError {
    fn from(err: SendError) -> ProviderError {
        match err {
            SendError::Transport(err) => ProviderError::from_transport(&err),
            SendError::TooLarge { status } => ProviderError {
                status: Some(status),
                ..ProviderError::unexpected("the answer is too large")
            },
        }
    }
}

impl ProviderError {
    pub fn new(kind: FailureKind) -> ProviderError {
        ProviderError {
            kind,
            status: None,
            code: None,
            message: None,
            retry_after: None,
        }
    }

    pub fn unexpected(message: impl Into<String>) -> ProviderError {
        ProviderError {
            message: Some(message.into()),
            ..ProviderError::new(FailureKind::Unexpected)
        }
    }

    /// From a transport failure. The URL is dropped: some platforms put the token in it.
    pub fn from_transport(err: &reqwest::Error) -> ProviderError {
        let kind = if err.is_timeout() {
            FailureKind::Timeout
        } else if err.is_decode() || err.is_body() {
            FailureKind::Unexpected
        } else {
            FailureKind::Network
        };
        ProviderError::new(kind)
    }
}

const MAX_MESSAGE: usize = 200;

/// The identifiers a platform uses to name an error, wherever its JSON puts them: RFC 6749's
/// `error`, Meta's `error.code`/`error.type`/`error_subcode`, TikTok's `error.code`, Bluesky's
/// `error`, Telegram's `error_code`, Slack's `error`...
pub fn error_identifiers(body: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    let mut push = |value: Option<&Value>| match value {
        Some(Value::String(s)) if !s.is_empty() => ids.push(s.clone()),
        Some(Value::Number(n)) => ids.push(n.to_string()),
        _ => {}
    };
    for pointer in [
        "/error",
        "/error/code",
        "/error/type",
        "/error/error_subcode",
        "/error_code",
        "/code",
        "/message",
        "/error/message",
    ] {
        push(body.pointer(pointer));
    }
    if let (Some(kind), Some(code)) = (
        body.pointer("/error/type").and_then(Value::as_str),
        body.pointer("/error/code").and_then(Value::as_i64),
    ) {
        ids.push(format!("{kind}:{code}"));
    }
    ids
}

/// The platform's own description of an error, if it gave one.
pub fn error_message(body: &Value) -> Option<String> {
    [
        "/error_description",
        "/error/message",
        "/message",
        "/description",
        "/error/description",
    ]
    .iter()
    .find_map(|p| body.pointer(p).and_then(Value::as_str))
    .filter(|m| !m.trim().is_empty())
    .map(|m| m.chars().take(MAX_MESSAGE).collect())
}

/// Classifies a failed answer read by [`crate::net::http::send_capped`], with how long the platform
/// asked to be left alone: `Retry-After`, or on a 429 the platform's own reset signal.
pub fn classify_reply(
    reply: &crate::net::http::Reply,
    spec: &crate::platforms::catalog::ProviderSpec,
) -> ProviderError {
    let text = reply.text();
    let now = chrono::Utc::now();
    let retry_after = crate::net::http::retry_after(&reply.headers, now).or_else(|| {
        let reset = spec
            .rate_limit_reset
            .as_ref()
            .filter(|_| reply.status == 429)?;
        rate_limit_wait(reset, &reply.headers, &text, now)
    });
    ProviderError {
        retry_after,
        ..classify(reply.status, &text, &spec.revoked)
    }
}

/// The wait a platform's own rate-limit signal asks for, bounded.
fn rate_limit_wait(
    reset: &crate::platforms::catalog::RateLimitReset,
    headers: &reqwest::header::HeaderMap,
    body: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::Duration> {
    use crate::platforms::catalog::ResetFormat;
    use crate::schedule::Stated;
    let from_header = || {
        let value = headers.get(reset.header.as_deref()?)?.to_str().ok()?.trim();
        let wait = match reset.format? {
            ResetFormat::Seconds => chrono::Duration::try_seconds(value.parse().ok()?)?,
            ResetFormat::EpochSeconds => {
                let at: i64 = value.parse().ok()?;
                chrono::Duration::try_seconds(at.checked_sub(now.timestamp())?)?
            }
            ResetFormat::Rfc3339 => {
                chrono::DateTime::parse_from_rfc3339(value)
                    .ok()?
                    .with_timezone(&chrono::Utc)
                    - now
            }
        };
        Some(wait)
    };
    let from_body = || {
        let json: Value = serde_json::from_str(body).ok()?;
        match Stated::from_json(json.pointer(reset.body_seconds.as_deref()?)) {
            Stated::Seconds(seconds) => chrono::Duration::try_seconds(seconds),
            _ => None,
        }
    };
    from_header()
        .or_else(from_body)
        .map(crate::net::http::bounded_wait)
}

/// Classifies a failed answer. `status` is the HTTP status (200 for platforms that report
/// errors in the body); `revoked` is the platform's list of identifiers that mean "grant gone".
pub fn classify(status: u16, body: &str, revoked: &[String]) -> ProviderError {
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let ids = error_identifiers(&json);
    let code = ids.first().cloned();
    let message = error_message(&json);
    let status_text = status.to_string();
    let named_revoked = ids
        .iter()
        .chain(std::iter::once(&status_text))
        .any(|id| revoked.contains(id));
    let kind = if status == 429
        || ids
            .iter()
            .any(|id| id == "rate_limit_exceeded" || id == "ratelimited")
    {
        FailureKind::RateLimited
    } else if status >= 500 {
        FailureKind::Unavailable
    } else if ids
        .iter()
        .any(|id| id == "invalid_client" || id == "unauthorized_client")
        && !named_revoked
    {
        FailureKind::Misconfigured
    } else if named_revoked || status == 401 {
        FailureKind::Terminal
    } else if status >= 400 || code.is_some() {
        FailureKind::Rejected
    } else {
        FailureKind::Unexpected
    };
    ProviderError {
        kind,
        status: Some(status),
        code,
        message,
        retry_after: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revoked(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn invalid_grant_is_terminal() {
        let e = classify(
            400,
            r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
            &revoked(&["invalid_grant"]),
        );
        assert_eq!(e.kind, FailureKind::Terminal);
        assert_eq!(e.code.as_deref(), Some("invalid_grant"));
        assert_eq!(
            e.message.as_deref(),
            Some("Token has been expired or revoked.")
        );
    }

    #[test]
    fn server_errors_timeouts_and_rate_limits_are_transient() {
        assert_eq!(
            classify(502, "<html>Bad Gateway</html>", &[]).kind,
            FailureKind::Unavailable
        );
        assert_eq!(classify(503, "", &[]).kind, FailureKind::Unavailable);
        assert_eq!(classify(429, "", &[]).kind, FailureKind::RateLimited);
        let tiktok =
            r#"{"error":{"code":"rate_limit_exceeded","message":"slow down","log_id":"x"}}"#;
        assert_eq!(classify(429, tiktok, &[]).kind, FailureKind::RateLimited);
        for kind in [
            FailureKind::RateLimited,
            FailureKind::Unavailable,
            FailureKind::Timeout,
            FailureKind::Network,
        ] {
            assert!(kind.is_transient());
        }
        for kind in [
            FailureKind::Terminal,
            FailureKind::Misconfigured,
            FailureKind::Rejected,
            FailureKind::Unexpected,
        ] {
            assert!(!kind.is_transient());
        }
    }

    #[test]
    fn a_502_with_an_invalid_grant_body_is_still_transient() {
        let e = classify(
            502,
            r#"{"error":"invalid_grant"}"#,
            &revoked(&["invalid_grant"]),
        );
        assert_eq!(e.kind, FailureKind::Unavailable);
    }

    #[test]
    fn each_platforms_revoked_shape_is_terminal() {
        let cases: &[(u16, &str, &[&str])] = &[
            // Meta: OAuthException 190
            (
                400,
                r#"{"error":{"message":"Error validating access token","type":"OAuthException","code":190,"error_subcode":460}}"#,
                &["190"],
            ),
            // TikTok API
            (
                401,
                r#"{"error":{"code":"access_token_invalid","message":"The access token is invalid","log_id":"1"}}"#,
                &["access_token_invalid"],
            ),
            // Slack answers 200 with ok:false
            (
                200,
                r#"{"ok":false,"error":"token_revoked"}"#,
                &["token_revoked"],
            ),
            // Bluesky
            (
                400,
                r#"{"error":"ExpiredToken","message":"Token has been revoked"}"#,
                &["ExpiredToken"],
            ),
            // Telegram
            (
                401,
                r#"{"ok":false,"error_code":401,"description":"Unauthorized"}"#,
                &["401"],
            ),
            // Listmonk answers 403
            (403, r#"{"message":"invalid API credentials"}"#, &["403"]),
            // Pinterest
            (
                401,
                r#"{"code":2,"message":"Authentication failed."}"#,
                &["2"],
            ),
            // Mastodon
            (
                401,
                r#"{"error":"The access token is invalid"}"#,
                &["invalid_token"],
            ),
            // LinkedIn
            (
                401,
                r#"{"message":"Invalid access token","serviceErrorCode":65600,"status":401}"#,
                &["invalid_token"],
            ),
        ];
        for (status, body, ids) in cases {
            assert_eq!(
                classify(*status, body, &revoked(ids)).kind,
                FailureKind::Terminal,
                "{body}"
            );
        }
    }

    #[test]
    fn a_bad_client_is_a_setup_problem_not_a_revoked_grant() {
        let e = classify(
            401,
            r#"{"error":"invalid_client"}"#,
            &revoked(&["invalid_grant"]),
        );
        assert_eq!(e.kind, FailureKind::Misconfigured);
    }

    #[test]
    fn an_unknown_4xx_is_rejected_not_terminal() {
        let e = classify(
            400,
            r#"{"error":"invalid_request","error_description":"Missing code"}"#,
            &revoked(&["invalid_grant"]),
        );
        assert_eq!(e.kind, FailureKind::Rejected);
        assert_eq!(e.code.as_deref(), Some("invalid_request"));
    }

    fn reply(status: u16, headers: &[(&str, String)], body: &str) -> crate::net::http::Reply {
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        crate::net::http::Reply {
            status,
            headers: map,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn each_platforms_rate_limit_signal_is_read() {
        use crate::platforms::catalog::spec;
        use domain::Platform;
        let now = chrono::Utc::now().timestamp();
        let about = |error: ProviderError, seconds: i64| {
            let wait = error.retry_after.expect("a wait").num_seconds();
            assert!(
                (seconds - 2..=seconds).contains(&wait),
                "{wait} for {seconds}"
            );
        };
        let x = reply(
            429,
            &[("x-rate-limit-reset", (now + 300).to_string())],
            "{}",
        );
        about(classify_reply(&x, spec(Platform::X)), 300);
        let reddit = reply(429, &[("x-ratelimit-reset", "120".into())], "{}");
        about(classify_reply(&reddit, spec(Platform::Reddit)), 120);
        let at = (chrono::Utc::now() + chrono::Duration::seconds(90)).to_rfc3339();
        let mastodon = reply(429, &[("x-ratelimit-reset", at)], "{}");
        about(classify_reply(&mastodon, spec(Platform::Mastodon)), 90);
        let telegram = reply(
            429,
            &[],
            r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}"#,
        );
        about(classify_reply(&telegram, spec(Platform::Telegram)), 35);
        let slack = reply(
            429,
            &[("retry-after", "30".into())],
            r#"{"ok":false,"error":"ratelimited"}"#,
        );
        about(classify_reply(&slack, spec(Platform::Slack)), 30);
        // X sends its reset header on every answer: it only counts on a 429.
        let ok = reply(
            400,
            &[("x-rate-limit-reset", (now + 300).to_string())],
            "{}",
        );
        assert_eq!(classify_reply(&ok, spec(Platform::X)).retry_after, None);
        // Nonsense is ignored, and a wait is never longer than a day.
        let absurd = reply(429, &[("x-rate-limit-reset", i64::MAX.to_string())], "{}");
        assert!(classify_reply(&absurd, spec(Platform::X))
            .retry_after
            .is_none_or(|w| w <= crate::net::http::MAX_RETRY_AFTER));
        let garbage = reply(429, &[("x-rate-limit-reset", "soon".into())], "{}");
        assert_eq!(
            classify_reply(&garbage, spec(Platform::X)).retry_after,
            None
        );
    }

    #[test]
    fn a_success_status_with_nonsense_is_unexpected() {
        assert_eq!(classify(200, "not json", &[]).kind, FailureKind::Unexpected);
    }

    #[test]
    fn messages_are_shortened() {
        let long = format!(
            r#"{{"error":"x","error_description":"{}"}}"#,
            "a".repeat(500)
        );
        assert_eq!(
            classify(400, &long, &[]).message.unwrap().chars().count(),
            MAX_MESSAGE
        );
    }

    #[test]
    fn display_names_kind_status_code_and_message() {
        let e = classify(
            400,
            r#"{"error":"invalid_grant","error_description":"nope"}"#,
            &revoked(&["invalid_grant"]),
        );
        assert_eq!(e.to_string(), "terminal (HTTP 400) invalid_grant: nope");
    }
}
