//! What server functions read from the request they serve (server side only).

use crate::error::AppError;
use engine::identity::users::{CurrentUser, User};
use engine::AppState;
use leptos::prelude::*;

pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState is not in the context"))
}

/// The signed-in user, if the session middleware found one for this request.
pub fn signed_in_user() -> Option<User> {
    use_context::<http::request::Parts>()?
        .extensions
        .get::<CurrentUser>()
        .map(|current| current.0.clone())
}

/// Every server function that touches data starts here: no session, no data.
pub fn require_user() -> Result<User, AppError> {
    signed_in_user().ok_or_else(|| reject(AppError::Unauthorized))
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
