//! What server functions read from the request they serve (server side only).

use crate::error::AppError;
use domain::Permission;
use engine::identity::workspaces::Member;
use engine::AppState;
use leptos::prelude::*;

pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState is not in the context"))
}

/// The signed-in person in their current workspace, if the session middleware found one.
pub fn signed_in_member() -> Option<Member> {
    use_context::<http::request::Parts>()?
        .extensions
        .get::<Member>()
        .cloned()
}

/// Every server function that touches data starts here: no session, no data; a role without
/// `permission` in the current workspace, a refusal (403) and nothing done.
pub fn require(permission: Permission) -> Result<Member, AppError> {
    let member = signed_in_member().ok_or_else(|| reject(AppError::Unauthorized))?;
    if !member.may(permission) {
        tracing::info!(
            user_id = %member.user.id,
            workspace_id = %member.workspace.id,
            role = %member.role(),
            ?permission,
            "refused: the role does not allow it"
        );
        return Err(reject(AppError::Forbidden));
    }
    Ok(member)
}

/// Whether the person viewing the page may use `permission` (to show only the buttons they can
/// use; the server function checks again).
pub fn viewer_may(permission: Permission) -> bool {
    signed_in_member().is_some_and(|member| member.may(permission))
}

/// Sets the HTTP status that matches the error, for callers that use the endpoint directly.
pub fn reject(error: AppError) -> AppError {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(error.status());
    }
    error
}

/// The query string of the page being rendered, decoded as a form would be (`+` is a space).
pub fn request_query() -> Vec<(String, String)> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.uri.query().map(str::to_owned))
        .map(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

/// The page's Content-Security-Policy: scripts only from this origin or carrying this response's
/// nonce (Leptos puts it on its hydration script), no plugins, no framing, forms only to us.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' https: data:; connect-src 'self'; object-src 'none'; \
         base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// Adds the policy to the page being rendered.
pub fn set_content_security_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&content_security_policy(&nonce)) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}
