//! The forms of `/dashboard/settings`: create an API key (shown once) and revoke one.

use super::session_user::SignedIn;
use app::flash::NEW_API_KEY;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use domain::ApiKeyProblem;
use engine::identity::api_keys::{self, KeyError};
use engine::AppState;
use serde::Deserialize;
use tower_sessions::Session;

const PAGE: &str = "/dashboard/settings";

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
}

pub async fn create_key(
    State(app): State<AppState>,
    SignedIn(user): SignedIn,
    session: Session,
    Form(form): Form<CreateForm>,
) -> Response {
    match api_keys::create(&app.db, &user.id, &user.email, &form.name).await {
        Ok((id, key)) => {
            if let Err(err) = NEW_API_KEY.keep(&app.secrets, &session, &id, &key).await {
                tracing::error!(error = %err, "could not keep the new API key for display");
            }
            tracing::info!(user_id = %user.id, key_id = %id, "API key created");
            Redirect::to(PAGE).into_response()
        }
        Err(error) => {
            let code = match &error {
                KeyError::InvalidName => ApiKeyProblem::InvalidName,
                KeyError::TooMany => ApiKeyProblem::TooMany,
                KeyError::Database(err) => {
                    tracing::error!(error = %err, "creating an API key failed");
                    ApiKeyProblem::InternalError
                }
            };
            Redirect::to(&format!("{PAGE}?error={code}")).into_response()
        }
    }
}

pub async fn revoke_key(
    State(app): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Response {
    match api_keys::revoke(&app.db, &user.id, &user.email, &id).await {
        Ok(true) => Redirect::to(&format!("{PAGE}?revoked=1")).into_response(),
        Ok(false) => {
            Redirect::to(&format!("{PAGE}?error={}", ApiKeyProblem::NotFound)).into_response()
        }
        Err(err) => {
            tracing::error!(error = %err, "revoking an API key failed");
            Redirect::to(&format!("{PAGE}?error={}", ApiKeyProblem::InternalError)).into_response()
        }
    }
}
