//! The form behind the disconnect confirmation page.

use super::session_user::{SignedIn, HOME};
use app::notices::{disconnect_notice, DisconnectOutcome, FLASH_NOTICE_KEY};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use domain::ConnectErrorCode;
use engine::AppState;
use tower_sessions::Session;

/// Disconnects the account and goes back to the connections page, where a toast tells what
/// happened (kept in the session for one showing, so a crafted link cannot fake it). A second
/// click finds the account gone and says so.
pub async fn disconnect(
    State(app): State<AppState>,
    SignedIn(user): SignedIn,
    session: Session,
    Path(id): Path<String>,
) -> Response {
    match engine::connections::disconnect::disconnect(&app, &user.id, &user.email, &id).await {
        Ok(Some(done)) => {
            tracing::info!(user_id = %user.id, account_id = %id, platform = done.platform.slug(), revocation = done.revocation.slug(), "account disconnected");
            let notice = disconnect_notice(&DisconnectOutcome {
                title: &done.title,
                platform: done.platform,
                revocation: done.revocation.slug(),
                connected_apps_url: done.connected_apps_url.as_deref(),
                posts_cancelled: done.posts_cancelled.len(),
                posts_continuing: done.posts_continuing.len(),
            });
            if let Err(err) = session.insert(FLASH_NOTICE_KEY, notice).await {
                tracing::error!(error = %err, "could not keep the disconnect notice for display");
            }
            Redirect::to(&format!("{HOME}?disconnected={}", done.platform.slug())).into_response()
        }
        Ok(None) => Redirect::to(&format!(
            "{HOME}?error={}",
            ConnectErrorCode::AlreadyDisconnected
        ))
        .into_response(),
        Err(err) => {
            tracing::error!(error = %err, account_id = %id, "disconnecting failed");
            Redirect::to(&format!("{HOME}?error={}", ConnectErrorCode::InternalError))
                .into_response()
        }
    }
}
