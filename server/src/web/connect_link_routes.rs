//! Connecting through a connect link: someone with no account of their own opens the link's page
//! (`/connect/<token>`, a Leptos page), starts a platform's consent or types its credentials here,
//! and lands on `/connected`. The platform's callback is the usual one, which finds the link
//! from the OAuth state.

use super::connect_routes::{landing, log_failure, query, CredentialsForm, StartForm};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use domain::{ConnectErrorCode, ConnectMethod, Platform};
use engine::connections::connect::{self, ConnectError};
use engine::connections::connect_links::{self, ConnectLink};
use engine::AppState;
use secrecy::SecretString;

/// Where a connect through a link ends: its own page, since the person has no dashboard.
pub const DONE: &str = "/connected";

/// The link and platform a request names, when the link is usable and offers the platform;
/// else the done page saying the link cannot be used.
async fn link_for(
    app: &AppState,
    token: String,
    slug: &str,
) -> Result<(ConnectLink, Platform), Response> {
    // The done page, saying why; it names the platform only when the path named a real one.
    let refused = |code: &str, platform: Option<Platform>| {
        let mut pairs = vec![("error", code)];
        if let Some(platform) = platform {
            pairs.push(("platform", platform.slug()));
        }
        Redirect::to(&format!("{DONE}?{}", query(&pairs))).into_response()
    };
    let unusable = |platform| refused(ConnectErrorCode::LinkUnusable.as_str(), platform);
    let platform = Platform::from_slug(slug);
    let link = match connect_links::find(&app.db, &SecretString::from(token)).await {
        Ok(Some(link)) => link,
        Ok(None) => return Err(unusable(platform)),
        Err(err) => {
            tracing::error!(error = %err, "could not read a connect link");
            return Err(refused(&ConnectError::Database(err).code(), platform));
        }
    };
    match platform.filter(|platform| link.offers(*platform)) {
        Some(platform) => Ok((link, platform)),
        None => Err(unusable(platform)),
    }
}

/// `POST /connect/<token>/start/<platform>` (`instance=<host>` for Mastodon): the consent.
pub async fn start(
    State(app): State<AppState>,
    Path((token, slug)): Path<(String, String)>,
    Form(params): Form<StartForm>,
) -> Response {
    let back = connect_links::path(&token);
    let (link, platform) = match link_for(&app, token, &slug).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let instance = params.instance().filter(|i| !i.trim().is_empty());
    if platform.connect_method() == ConnectMethod::OAuthOnTheirServer
        && instance.is_none()
        && link.reconnect_account_id.is_none()
    {
        return Redirect::to(&back).into_response();
    }
    match connect::start(
        &app,
        &link.connector,
        platform,
        link.reconnect_account_id.as_deref(),
        instance,
    )
    .await
    {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => {
            log_failure(platform, "link start", &error);
            landing(DONE, platform, Err(&error))
        }
    }
}

/// `POST /connect/<token>/credentials/<platform>` (Bluesky, Telegram, Listmonk).
pub async fn credentials(
    State(app): State<AppState>,
    Path((token, slug)): Path<(String, String)>,
    Form(form): Form<CredentialsForm>,
) -> Response {
    let back = connect_links::path(&token);
    let (link, platform) = match link_for(&app, token, &slug).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    if platform.connect_method() != ConnectMethod::Credentials {
        return Redirect::to(&back).into_response();
    }
    let input = form.input(platform);
    match connect::connect_credentials(
        &app,
        &link.connector,
        input,
        link.reconnect_account_id.as_deref(),
    )
    .await
    {
        Ok(kind) => {
            tracing::info!(platform = platform.slug(), link_id = ?link.connector.link_id, kind = ?kind, "account connected through a link");
            landing(DONE, platform, Ok(()))
        }
        Err(error) => {
            log_failure(platform, "link credentials", &error);
            // A field's error goes back to the link's page, beside that platform's form.
            match error.field_error() {
                Some((field, code)) => {
                    let pairs = [
                        ("platform", platform.slug()),
                        ("field", field),
                        ("error", code.as_str()),
                    ];
                    Redirect::to(&format!("{back}?{}", query(&pairs))).into_response()
                }
                None => landing(DONE, platform, Err(&error)),
            }
        }
    }
}
