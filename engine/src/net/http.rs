//! The HTTP client Plugboard calls platforms with, and the one way their answers are read: as a
//! stream, never more than a cap, whatever a platform or a typed server sends.

use chrono::{DateTime, Duration, Utc};
use reqwest::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use std::time::Duration as StdDuration;

pub const USER_AGENT: &str = concat!(
    "Plugboard/",
    env!("CARGO_PKG_VERSION"),
    " (self-hosted social connections)"
);

/// The most of a platform's answer (JSON) Plugboard reads.
pub const MAX_BODY: usize = 1024 * 1024;
/// The longest wait a platform may ask for; anything longer is read as this.
pub const MAX_RETRY_AFTER: Duration = Duration::hours(24);

/// Bounded in time, never following redirects (a redirect could lead a request, and the token
/// on it, somewhere else), identifying itself (Reddit refuses generic user agents).
pub fn client_builder(timeout: StdDuration) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(StdDuration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(USER_AGENT)
}

pub fn client(timeout: StdDuration) -> reqwest::Client {
    client_builder(timeout)
        .build()
        .expect("a TLS backend is compiled in")
}

/// An answer, read within its cap.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn content_type(&self) -> Option<&str> {
        self.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
    }
}

/// Why an answer could not be read.
#[derive(Debug)]
pub enum SendError {
    /// The request failed or the answer broke off.
    Transport(reqwest::Error),
    /// The answer (with this status) was larger than the cap.
    TooLarge { status: u16 },
}

/// Sends a request and reads its answer as a stream, refusing it as soon as it passes `cap`
/// (a declared `Content-Length` over the cap is refused before a byte is read).
pub async fn send_capped(request: reqwest::RequestBuilder, cap: usize) -> Result<Reply, SendError> {
    let mut response = request.send().await.map_err(SendError::Transport)?;
    let headers = response.headers();
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > cap as u64) {
        return Err(SendError::TooLarge {
            status: response.status().as_u16(),
        });
    }
    let status = response.status().as_u16();
    let headers = headers.clone();
    let mut body = Vec::with_capacity(declared.map_or(0, |n| n as usize));
    while let Some(chunk) = response.chunk().await.map_err(SendError::Transport)? {
        if body.len() + chunk.len() > cap {
            return Err(SendError::TooLarge { status });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3), bounded to [`MAX_RETRY_AFTER`].
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::try_seconds(i64::try_from(seconds).ok()?)?,
        Err(_) => {
            let at: DateTime<Utc> = httpdate::parse_http_date(value).ok()?.into();
            at - now
        }
    };
    Some(bounded_wait(wait))
}

/// A wait a platform asked for, never negative and never longer than [`MAX_RETRY_AFTER`].
pub fn bounded_wait(wait: Duration) -> Duration {
    wait.clamp(Duration::zero(), MAX_RETRY_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        map
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(
            retry_after(&headers("120"), now),
            Some(Duration::seconds(120))
        );
        let later: std::time::SystemTime = (now + Duration::seconds(90)).into();
        assert_eq!(
            retry_after(&headers(&httpdate::fmt_http_date(later)), now),
            Some(Duration::seconds(90))
        );
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
        assert_eq!(retry_after(&headers("soon"), now), None);
    }

    #[test]
    fn retry_after_is_bounded() {
        let now = Utc::now();
        assert_eq!(
            retry_after(&headers("99999999999999999999"), now),
            None,
            "not a number we can hold"
        );
        assert_eq!(
            retry_after(&headers("9999999999"), now),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(
            retry_after(&headers("Wed, 21 Oct 2015 07:28:00 GMT"), now),
            Some(Duration::zero()),
            "a date in the past means now"
        );
    }
}
