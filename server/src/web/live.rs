//! What the open connections page reads to stay current without a reload: the statuses, and a
//! stream that says when to read them again.

use super::session_user::SignedIn;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use engine::AppState;
use futures::{Stream, StreamExt};
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// A burst of changes (a health check of every account) becomes one event this long after its
/// first.
const GATHER: Duration = Duration::from_millis(250);

/// `GET /api/v1/live-statuses`: the current workspace's account statuses, and whether a health
/// check is still running, for the open connections page.
pub async fn live_statuses(State(app): State<AppState>, SignedIn(member): SignedIn) -> Response {
    match engine::keep_alive::health::live_statuses(&app, member.workspace_id()).await {
        Ok(live) => {
            let statuses: Vec<serde_json::Value> = live
                .statuses
                .iter()
                .map(|(id, status)| {
                    let days = match status {
                        domain::TokenStatus::ExpiringSoon { expires_in_days } => {
                            Some(*expires_in_days)
                        }
                        _ => None,
                    };
                    serde_json::json!({"id": id, "status": status.slug(), "expires_in_days": days})
                })
                .collect();
            (
                [(header::CACHE_CONTROL, "no-store")],
                axum::Json(serde_json::json!({"checking": live.checking, "statuses": statuses})),
            )
                .into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, "reading live statuses failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// `GET /api/v1/live-events`: Server-Sent Events, one `accounts` event whenever the current
/// workspace's accounts change in any process (see `engine::events::changes`). It ends when the
/// process stops, and the browser's `EventSource` connects again on its own.
pub async fn live_events(
    State(app): State<AppState>,
    SignedIn(member): SignedIn,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let workspace_id: std::sync::Arc<str> = member.workspace_id().into();
    let changes = app.changes.subscribe();
    let events = futures::stream::unfold(changes, move |mut changes| {
        let workspace_id = workspace_id.clone();
        async move {
            loop {
                match changes.recv().await {
                    Ok(changed) if changed == workspace_id => break,
                    Ok(_) => continue,
                    // Fell behind: whatever was missed, the page looks again.
                    Err(RecvError::Lagged(_)) => break,
                    Err(RecvError::Closed) => return None,
                }
            }
            tokio::time::sleep(GATHER).await;
            while changes.try_recv().is_ok() {}
            Some((Ok(Event::default().data("accounts")), changes))
        }
    });
    let lifecycle = app.lifecycle.clone();
    let until_stopping = async move { lifecycle.stopping().await };
    Sse::new(events.take_until(until_stopping)).keep_alive(KeepAlive::default())
}
