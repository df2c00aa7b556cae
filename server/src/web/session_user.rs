//! Resolves the session cookie to a person acting in one of their workspaces, with their role
//! there, on every request, and guards the dashboard.

use crate::web::sessions::USER_ID_KEY;
use app::forms::WORKSPACE_KEY;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::is_local_path;
use engine::identity::workspaces::{self, Member};
use engine::AppState;
use tower_sessions::Session;

pub const HOME: &str = "/dashboard/connections";

async fn member_of(state: &AppState, session: &Session) -> Result<Option<Member>, String> {
    let Some(user_id) = session
        .get::<String>(USER_ID_KEY)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let wanted = session
        .get::<String>(WORKSPACE_KEY)
        .await
        .map_err(|e| e.to_string())?;
    // A workspace the person was removed from is not theirs any more: they land in another.
    let member = workspaces::member_by_id(&state.db, &user_id, wanted.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    if member.is_none() {
        // The user was deleted: end the orphaned session.
        session.flush().await.map_err(|e| e.to_string())?;
    }
    Ok(member)
}

pub async fn resolve(
    State(state): State<AppState>,
    session: Session,
    mut request: Request,
    next: Next,
) -> Response {
    let user = match member_of(&state, &session).await {
        Ok(user) => user,
        Err(err) => {
            tracing::error!(error = %err, "could not read the session");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "Plugboard cannot reach its database right now. Try again in a moment.",
            )
                .into_response();
        }
    };
    // The path as the browser asked for it: inside a nested router (the sandbox) the URI has
    // lost its prefix, and `/sandbox` must not read as `/`.
    let original = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map(|original| original.0.clone())
        .unwrap_or_else(|| request.uri().clone());
    let path = original.path();
    let is_page_view = request.method() == Method::GET || request.method() == Method::HEAD;
    if is_page_view {
        match (path, &user) {
            ("/dashboard" | "/dashboard/", _) => return Redirect::to(HOME).into_response(),
            ("/", Some(_)) => return Redirect::to(HOME).into_response(),
            (p, None) if p.starts_with("/dashboard/") => {
                let next = original
                    .path_and_query()
                    .map(|pq| pq.as_str())
                    .filter(|pq| is_local_path(pq))
                    .unwrap_or(HOME);
                let target = format!(
                    "/?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return Redirect::to(&target).into_response();
            }
            _ => {}
        }
    }
    if let Some(member) = user {
        request.extensions_mut().insert(member);
    }
    next.run(request).await
}

/// The signed-in person in their current workspace, for handlers that need one; without a
/// session they send the person to sign in (form posts) instead of failing.
pub struct SignedIn(pub Member);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Member>()
            .map(|member| SignedIn(member.clone()))
            .ok_or_else(|| Redirect::to("/?next=%2Fdashboard%2Fconnections").into_response())
    }
}
