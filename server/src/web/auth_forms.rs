//! The sign-up, sign-in and sign-out forms on `/`: plain HTML form posts answered with a redirect
//! (to the dashboard, or back to the form with an error code and the email kept).

use super::client_ip::client_ip;
use super::session_user::HOME;
use crate::web::sessions::USER_ID_KEY;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use domain::{is_local_path, AuthProblem};
use engine::identity::password::WeakPassword;
use engine::identity::users::{self, SignInError, SignUpError, User};
use engine::AppState;
use serde::Deserialize;
use tower_sessions::{Expiry, Session};

#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Where a successful sign-in lands: the page the person was sent away from, if it is ours.
fn landing(next: &str) -> String {
    if is_local_path(next) && next != "/" {
        next.to_owned()
    } else {
        HOME.to_owned()
    }
}

/// Back to `/` with the form, the error code and the typed email; never the password.
fn back_to_form(
    form: &str,
    error: AuthProblem,
    credentials: &Credentials,
    extra: &[(&str, String)],
) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("form", form)
        .append_pair("error", error.as_str())
        .append_pair("email", credentials.email.trim());
    if is_local_path(&credentials.next) {
        query.append_pair("next", &credentials.next);
    }
    for (key, value) in extra {
        query.append_pair(key, value);
    }
    Redirect::to(&format!("/?{}", query.finish())).into_response()
}

/// Starts a fresh session for the user: a new id (no fixation), a fixed lifetime.
async fn start_session(state: &AppState, session: &Session, user: &User) -> Result<(), String> {
    session.cycle_id().await.map_err(|e| e.to_string())?;
    session
        .insert(USER_ID_KEY, &user.id)
        .await
        .map_err(|e| e.to_string())?;
    let ttl = time::Duration::try_from(state.config.session_ttl).map_err(|e| e.to_string())?;
    session.set_expiry(Some(Expiry::AtDateTime(
        time::OffsetDateTime::now_utc() + ttl,
    )));
    Ok(())
}

pub async fn sign_up(
    State(state): State<AppState>,
    session: Session,
    parts: RequestParts,
    Form(credentials): Form<Credentials>,
) -> Response {
    if !state.config.open_sign_up {
        return back_to_form("sign_up", AuthProblem::SignUpClosed, &credentials, &[]);
    }
    // Creating an account costs a password hash: a client address gets a few per hour.
    let ip = client_ip(&parts.0, state.config.trust_forwarded_for);
    match engine::identity::sign_in_throttle::begin_sign_up(&state.db, &ip, chrono::Utc::now())
        .await
    {
        Ok(engine::identity::sign_in_throttle::Verdict::Allowed) => {}
        Ok(engine::identity::sign_in_throttle::Verdict::Throttled { .. }) => {
            tracing::warn!(client_ip = %ip, "sign-up throttled");
            return back_to_form("sign_up", AuthProblem::SignUpThrottled, &credentials, &[]);
        }
        Err(err) => {
            tracing::error!(error = %err, "sign-up throttle failed");
            return back_to_form("sign_up", AuthProblem::ServerError, &credentials, &[]);
        }
    }
    let code = match users::sign_up(&state.db, &credentials.email, &credentials.password).await {
        Ok(user) => {
            return match start_session(&state, &session, &user).await {
                Ok(()) => {
                    tracing::info!(user_id = %user.id, "signed up");
                    Redirect::to(&landing(&credentials.next)).into_response()
                }
                Err(err) => {
                    tracing::error!(error = %err, "could not start a session after sign-up");
                    back_to_form("sign_in", AuthProblem::ServerError, &credentials, &[])
                }
            };
        }
        Err(SignUpError::InvalidEmail(_)) => AuthProblem::InvalidEmail,
        Err(SignUpError::WeakPassword(WeakPassword::TooShort)) => AuthProblem::PasswordTooShort,
        Err(SignUpError::WeakPassword(WeakPassword::TooLong)) => AuthProblem::PasswordTooLong,
        Err(SignUpError::WeakPassword(WeakPassword::Guessable { .. })) => {
            AuthProblem::PasswordGuessable
        }
        Err(SignUpError::EmailTaken) => AuthProblem::EmailTaken,
        Err(SignUpError::Database(err)) => {
            tracing::error!(error = %err, "sign-up failed");
            AuthProblem::ServerError
        }
    };
    back_to_form("sign_up", code, &credentials, &[])
}

pub async fn sign_in(
    State(state): State<AppState>,
    session: Session,
    parts: RequestParts,
    Form(credentials): Form<Credentials>,
) -> Response {
    let ip = client_ip(&parts.0, state.config.trust_forwarded_for);
    match users::sign_in(&state.db, &credentials.email, &credentials.password, &ip).await {
        Ok(user) => match start_session(&state, &session, &user).await {
            Ok(()) => {
                tracing::info!(user_id = %user.id, "signed in");
                Redirect::to(&landing(&credentials.next)).into_response()
            }
            Err(err) => {
                tracing::error!(error = %err, "could not start a session after sign-in");
                back_to_form("sign_in", AuthProblem::ServerError, &credentials, &[])
            }
        },
        Err(SignInError::WrongCredentials) => {
            back_to_form("sign_in", AuthProblem::WrongCredentials, &credentials, &[])
        }
        Err(SignInError::Throttled { retry_after }) => {
            let minutes = ((retry_after.num_seconds() + 59) / 60).max(1);
            tracing::warn!(client_ip = %ip, "sign-in throttled");
            back_to_form(
                "sign_in",
                AuthProblem::Throttled,
                &credentials,
                &[("retry", minutes.to_string())],
            )
        }
        Err(SignInError::Database(err)) => {
            tracing::error!(error = %err, "sign-in failed");
            back_to_form("sign_in", AuthProblem::ServerError, &credentials, &[])
        }
    }
}

pub async fn sign_out(session: Session) -> Response {
    if let Err(err) = session.flush().await {
        tracing::error!(error = %err, "could not end a session");
    }
    Redirect::to("/?signed_out=1").into_response()
}

/// The request's head, for reading the client address alongside a form body.
pub struct RequestParts(Parts);

impl<S: Send + Sync> FromRequestParts<S> for RequestParts {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(RequestParts(parts.clone()))
    }
}
