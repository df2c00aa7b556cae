//! Signed webhooks from a durable outbox.
//!
//! An event is written (with one delivery row per endpoint of its owner) in the same transaction
//! as the change that caused it, so it exists exactly when the change does. Deliveries are then
//! sent with an HMAC-SHA256 signature over `"<timestamp>.<body>"`, retried with backoff, leased
//! so that one process sends each attempt, and picked up again after a crash: at least once.

use crate::net::address_guard;
use crate::schedule::backoff;
use crate::storage::db::{new_id, to_millis, Db};
use crate::AppState;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use domain::{AuditAction, DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use sha2::Sha256;
use sqlx::AnyConnection;
use url::Url;

pub const MAX_ATTEMPTS: i64 = 10;
pub const MAX_ENDPOINTS_PER_OWNER: i64 = 10;

pub const HEADER_ID: &str = "plugboard-webhook-id";
pub const HEADER_TIMESTAMP: &str = "plugboard-webhook-timestamp";
pub const HEADER_SIGNATURE: &str = "plugboard-webhook-signature";

/// `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: what a receiver recomputes.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!("v1={}", hex::encode(digest))
}

/// The wait before another attempt: a minute, doubling, at most four hours (about eight hours
/// over all attempts, so a receiver that is down for a night still gets its events).
pub fn retry_delay(attempts: i64, jitter: f64) -> Duration {
    backoff(
        u32::try_from(attempts).unwrap_or(u32::MAX),
        Duration::minutes(1),
        Duration::hours(4),
        jitter,
    )
}

fn secret_context(endpoint_id: &str) -> String {
    format!("webhook_endpoints:{endpoint_id}:secret")
}

/// Writes an event and its deliveries on the caller's connection, inside the caller's transaction.
pub async fn record_event(
    conn: &mut AnyConnection,
    workspace_id: &str,
    kind: WebhookEvent,
    data: Value,
    only_endpoint: Option<&str>,
) -> Result<String, sqlx::Error> {
    let id = format!("evt_{}", new_id().replace('-', ""));
    let now = Utc::now();
    let payload = json!({
        "id": id,
        "type": kind.as_str(),
        "created_at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "data": data,
    });
    sqlx::query("INSERT INTO outbox_events (id, workspace_id, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(workspace_id)
        .bind(kind.as_str())
        .bind(payload.to_string())
        .bind(to_millis(now))
        .execute(&mut *conn)
        .await?;
    let endpoints: Vec<String> =
        sqlx::query_scalar("SELECT id FROM webhook_endpoints WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_all(&mut *conn)
            .await?;
    for endpoint in endpoints
        .iter()
        .filter(|e| only_endpoint.is_none_or(|only| only == e.as_str()))
    {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, workspace_id, next_attempt_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(new_id())
        .bind(&id)
        .bind(endpoint)
        .bind(workspace_id)
        .bind(to_millis(now))
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    #[error("Enter a full http:// or https:// address.")]
    InvalidUrl,
    #[error("That address is longer than any real one.")]
    TooLong,
    #[error("{0}")]
    Refused(#[from] address_guard::UrlRefused),
    #[error("You can have at most {MAX_ENDPOINTS_PER_OWNER} endpoints.")]
    TooMany,
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

/// An endpoint URL as typed: http(s) with a host. A query may carry a receiver's own token;
/// credentials and fragments have no business here.
pub fn check_endpoint_url(url: &str) -> Result<Url, EndpointError> {
    if !address_guard::within_bound(url) {
        return Err(EndpointError::TooLong);
    }
    let url = Url::parse(url.trim()).map_err(|_| EndpointError::InvalidUrl)?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.fragment().is_none();
    if plain {
        Ok(url)
    } else {
        Err(EndpointError::InvalidUrl)
    }
}

/// Webhooks may go to private addresses only when the operator allows it.
fn private_allowed(app: &AppState) -> bool {
    app.config.allow_private_urls
}

/// Adds an endpoint and returns it with its signing secret, which is shown this once.
pub async fn create_endpoint(
    app: &AppState,
    workspace_id: &str,
    actor: &str,
    url: &str,
) -> Result<(String, SecretString), EndpointError> {
    let url = check_endpoint_url(url)?;
    address_guard::resolve(&url, private_allowed(app)).await?;
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM webhook_endpoints WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_one(app.db.pool())
            .await?;
    if count >= MAX_ENDPOINTS_PER_OWNER {
        return Err(EndpointError::TooMany);
    }
    let id = new_id();
    let secret = SecretString::from(format!(
        "whsec_{}",
        URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
    ));
    let mut tx = app.db.begin_write().await?;
    sqlx::query("INSERT INTO webhook_endpoints (id, workspace_id, url, secret_enc, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(workspace_id)
        .bind(url.as_str())
        .bind(app.secrets.seal(&secret, &secret_context(&id)))
        .bind(to_millis(Utc::now()))
        .execute(&mut *tx)
        .await?;
    let subject = crate::events::audit::Subject {
        account_id: None,
        platform: None,
        detail: Some(url.as_str()),
    };
    crate::events::audit::record(
        &mut tx,
        workspace_id,
        actor,
        AuditAction::WebhookAdded,
        subject,
    )
    .await?;
    tx.commit().await?;
    Ok((id, secret))
}

/// Removes one of the owner's endpoints (and its pending deliveries). `false` if not theirs.
pub async fn delete_endpoint(
    db: &Db,
    workspace_id: &str,
    actor: &str,
    id: &str,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let url: Option<String> = sqlx::query_scalar(
        "DELETE FROM webhook_endpoints WHERE id = $1 AND workspace_id = $2 RETURNING url",
    )
    .bind(id)
    .bind(workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(url) = url else {
        return Ok(false);
    };
    let subject = crate::events::audit::Subject {
        account_id: None,
        platform: None,
        detail: Some(&url),
    };
    crate::events::audit::record(
        &mut tx,
        workspace_id,
        actor,
        AuditAction::WebhookRemoved,
        subject,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Queues a `webhook.test` event for one of the owner's endpoints. `false` if not theirs.
pub async fn send_test(
    db: &Db,
    workspace_id: &str,
    endpoint_id: &str,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.begin_write().await?;
    let exists: Option<String> =
        sqlx::query_scalar("SELECT id FROM webhook_endpoints WHERE id = $1 AND workspace_id = $2")
            .bind(endpoint_id)
            .bind(workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
    if exists.is_none() {
        return Ok(false);
    }
    record_event(
        &mut tx,
        workspace_id,
        WebhookEvent::WebhookTest,
        json!({"message": "This is a test event from Plugboard."}),
        Some(endpoint_id),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn list_endpoints(
    db: &Db,
    workspace_id: &str,
) -> Result<Vec<WebhookEndpoint>, sqlx::Error> {
    sqlx::query_as("SELECT id, url, created_at FROM webhook_endpoints WHERE workspace_id = $1 ORDER BY created_at, id")
        .bind(workspace_id)
        .fetch_all(db.pool())
        .await
}

pub async fn recent_deliveries(
    db: &Db,
    workspace_id: &str,
    limit: i64,
) -> Result<Vec<WebhookDelivery>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.id, e.kind AS event_kind, w.url AS endpoint_url, d.status, d.attempts,
                d.last_status_code, d.last_error, d.created_at, d.delivered_at, d.next_attempt_at
         FROM webhook_deliveries d
         JOIN outbox_events e ON e.id = d.event_id
         JOIN webhook_endpoints w ON w.id = d.endpoint_id
         WHERE d.workspace_id = $1
         ORDER BY d.created_at DESC, d.id DESC
         LIMIT $2",
    )
    .bind(workspace_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// What one delivery attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Delivered,
    WillRetry,
    GaveUp,
}

impl Attempt {
    pub fn slug(self) -> &'static str {
        match self {
            Attempt::Delivered => "delivered",
            Attempt::WillRetry => "retry",
            Attempt::GaveUp => "failed",
        }
    }
}

/// Deliveries that are due, oldest first.
pub async fn due_deliveries(
    db: &Db,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM webhook_deliveries
         WHERE status = $3 AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
         ORDER BY next_attempt_at, id LIMIT $2",
    )
    .bind(to_millis(now))
    .bind(limit)
    .bind(DeliveryStatus::Pending.as_str())
    .fetch_all(db.pool())
    .await
}

/// What an attempt needs of a delivery this process has leased.
#[derive(sqlx::FromRow)]
struct LeasedDelivery {
    attempts: i64,
    endpoint_id: String,
    event_id: String,
    payload: String,
    url: String,
    secret_enc: Vec<u8>,
}

/// Makes one attempt at one delivery, if this process wins its lease. `None` when another
/// process has it, or it is no longer due.
pub async fn attempt(app: &AppState, delivery_id: &str) -> Result<Option<Attempt>, sqlx::Error> {
    let now = Utc::now();
    let leased = sqlx::query(
        "UPDATE webhook_deliveries SET lease_until = $1
         WHERE id = $2 AND status = $4 AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)",
    )
    .bind(to_millis(now + crate::schedule::lease_for(app.config.provider_timeout)))
    .bind(delivery_id)
    .bind(to_millis(now))
    .bind(DeliveryStatus::Pending.as_str())
    .execute(app.db.pool())
    .await?;
    if leased.rows_affected() != 1 {
        return Ok(None);
    }
    let leased: Option<LeasedDelivery> = sqlx::query_as(
        "SELECT d.attempts, d.endpoint_id, e.id AS event_id, e.payload, w.url, w.secret_enc
         FROM webhook_deliveries d
         JOIN outbox_events e ON e.id = d.event_id
         JOIN webhook_endpoints w ON w.id = d.endpoint_id
         WHERE d.id = $1",
    )
    .bind(delivery_id)
    .fetch_optional(app.db.pool())
    .await?;
    let Some(LeasedDelivery {
        attempts,
        endpoint_id,
        event_id,
        payload,
        url,
        secret_enc,
    }) = leased
    else {
        return Ok(None);
    };
    let attempts = attempts + 1;
    let secret = app
        .secrets
        .open(&secret_enc, &secret_context(&endpoint_id))
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;

    let (status_code, error) = send(app, &url, &event_id, &payload, &secret).await;
    let delivered = status_code.is_some_and(|c| (200..300).contains(&c));
    let outcome = if delivered {
        Attempt::Delivered
    } else if attempts >= MAX_ATTEMPTS {
        Attempt::GaveUp
    } else {
        Attempt::WillRetry
    };
    let after = Utc::now();
    sqlx::query(
        "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, lease_until = NULL,
             last_status_code = $4, last_error = $5, delivered_at = $6
         WHERE id = $7",
    )
    .bind(
        match outcome {
            Attempt::Delivered => DeliveryStatus::Delivered,
            Attempt::WillRetry => DeliveryStatus::Pending,
            Attempt::GaveUp => DeliveryStatus::Failed,
        }
        .as_str(),
    )
    .bind(attempts)
    .bind(to_millis(after + retry_delay(attempts, rand::random())))
    .bind(status_code.map(i64::from))
    .bind(error.as_deref())
    .bind(delivered.then(|| to_millis(after)))
    .bind(delivery_id)
    .execute(app.db.pool())
    .await?;
    tracing::info!(
        delivery_id,
        event_id = %event_id,
        endpoint_id = %endpoint_id,
        attempt = attempts,
        status_code,
        outcome = outcome.slug(),
        "webhook delivery"
    );
    metrics::counter!("plugboard_webhook_deliveries_total", "outcome" => outcome.slug())
        .increment(1);
    Ok(Some(outcome))
}

/// Posts the payload, signed. Returns the status code, or why there was none.
async fn send(
    app: &AppState,
    url: &str,
    event_id: &str,
    payload: &str,
    secret: &SecretString,
) -> (Option<u16>, Option<String>) {
    let Ok(parsed) = Url::parse(url) else {
        return (None, Some("the endpoint URL is not a URL".into()));
    };
    // Checked again at every attempt: DNS may have changed since the endpoint was added.
    let client = match address_guard::pinned_client(
        &parsed,
        private_allowed(app),
        app.config.provider_timeout,
    )
    .await
    {
        Ok(client) => client,
        Err(refused) => return (None, Some(refused.to_string())),
    };
    let timestamp = Utc::now().timestamp();
    let result = client
        .post(parsed)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(HEADER_ID, event_id)
        .header(HEADER_TIMESTAMP, timestamp.to_string())
        .header(
            HEADER_SIGNATURE,
            signature(secret.expose_secret(), timestamp, payload.as_bytes()),
        )
        .body(payload.to_owned())
        .send()
        .await;
    match result {
        Ok(response) => {
            let code = response.status().as_u16();
            let error = (!response.status().is_success())
                .then(|| format!("the endpoint answered HTTP {code}"));
            (Some(code), error)
        }
        Err(err) if err.is_timeout() => (None, Some("the endpoint did not answer in time".into())),
        Err(_) => (None, Some("could not reach the endpoint".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_url_longer_than_any_real_one_is_refused() {
        let long = format!("https://example.com/{}", "a".repeat(2048));
        assert!(matches!(
            check_endpoint_url(&long),
            Err(EndpointError::TooLong)
        ));
        let fits = format!("https://example.com/{}", "a".repeat(2000));
        assert!(check_endpoint_url(&fits).is_ok());
    }

    #[test]
    fn signatures_cover_timestamp_and_body() {
        let a = signature("whsec_key", 1_800_000_000, br#"{"a":1}"#);
        assert!(a.starts_with("v1=") && a.len() == 3 + 64);
        assert_ne!(a, signature("whsec_key", 1_800_000_001, br#"{"a":1}"#));
        assert_ne!(a, signature("whsec_key", 1_800_000_000, br#"{"a":2}"#));
        assert_ne!(a, signature("whsec_other", 1_800_000_000, br#"{"a":1}"#));
    }

    #[test]
    fn signature_matches_a_known_vector() {
        // python3 -c 'import hmac,hashlib;print(hmac.new(b"secret", b"1.{}", hashlib.sha256).hexdigest())'
        assert_eq!(
            signature("secret", 1, b"{}"),
            "v1=1122767b193110cfec322b6f199b599edbf608ed087f2d27afb0b97d99523908"
        );
    }

    #[test]
    fn retries_back_off_to_hours() {
        assert_eq!(retry_delay(1, 0.5), Duration::minutes(1));
        assert_eq!(retry_delay(4, 0.5), Duration::minutes(8));
        assert_eq!(retry_delay(MAX_ATTEMPTS, 0.5), Duration::hours(4));
    }
}
