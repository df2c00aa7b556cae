//! The forms of `/dashboard/webhooks`: add an endpoint (its secret is shown once), remove one,
//! send a test event.

use super::session_user::SignedIn;
use app::flash::NEW_WEBHOOK_SECRET;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use domain::WebhookProblem;
use engine::events::webhooks::{self, EndpointError};
use engine::AppState;
use serde::Deserialize;
use tower_sessions::Session;

const PAGE: &str = "/dashboard/webhooks";

fn back(pairs: &[(&str, &str)]) -> Response {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    Redirect::to(&format!("{PAGE}?{query}")).into_response()
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    url: String,
}

pub async fn add(
    State(app): State<AppState>,
    SignedIn(user): SignedIn,
    session: Session,
    Form(form): Form<AddForm>,
) -> Response {
    match webhooks::create_endpoint(&app, &user.id, &user.email, &form.url).await {
        Ok((id, secret)) => {
            if let Err(err) = NEW_WEBHOOK_SECRET
                .keep(&app.secrets, &session, &id, &secret)
                .await
            {
                tracing::error!(error = %err, "could not keep the new webhook secret for display");
            }
            tracing::info!(user_id = %user.id, endpoint_id = %id, "webhook endpoint added");
            Redirect::to(PAGE).into_response()
        }
        Err(error) => {
            let code = match &error {
                EndpointError::InvalidUrl => WebhookProblem::InvalidUrl,
                EndpointError::Refused(engine::net::address_guard::UrlRefused::Private) => {
                    WebhookProblem::PrivateUrl
                }
                EndpointError::Refused(_) => WebhookProblem::UnresolvableUrl,
                EndpointError::TooMany => WebhookProblem::TooMany,
                EndpointError::Database(err) => {
                    tracing::error!(error = %err, "adding a webhook endpoint failed");
                    WebhookProblem::InternalError
                }
            };
            back(&[("error", code.as_str()), ("url", form.url.trim())])
        }
    }
}

pub async fn remove(
    State(app): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Response {
    match webhooks::delete_endpoint(&app.db, &user.id, &user.email, &id).await {
        Ok(true) => back(&[("removed", "1")]),
        Ok(false) => back(&[("error", WebhookProblem::NotFound.as_str())]),
        Err(err) => {
            tracing::error!(error = %err, "removing a webhook endpoint failed");
            back(&[("error", WebhookProblem::InternalError.as_str())])
        }
    }
}

pub async fn test(
    State(app): State<AppState>,
    SignedIn(user): SignedIn,
    Path(id): Path<String>,
) -> Response {
    match webhooks::send_test(&app.db, &user.id, &id).await {
        Ok(true) => back(&[("tested", "1")]),
        Ok(false) => back(&[("error", WebhookProblem::NotFound.as_str())]),
        Err(err) => {
            tracing::error!(error = %err, "queueing a test event failed");
            back(&[("error", WebhookProblem::InternalError.as_str())])
        }
    }
}
