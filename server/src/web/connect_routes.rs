//! `/api/v1/auth/<platform>/...`: starting a connect, the OAuth callback, credential forms, and
//! choosing among several accounts. Every outcome ends on the connections page with a toast.

use super::session_user::{SignedIn, HOME};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use axum_extra::extract::Form as RepeatedFields;
use domain::{ConnectMethod, CredentialField, FieldProblem, Permission, Platform};
use engine::connections::connect::{
    self, CallbackOutcome, CallbackParams, ConnectError, Connector, CredentialInput,
};
use engine::connections::{connect_links, oauth_state};
use engine::identity::workspaces::Member;
use engine::AppState;
use serde::Deserialize;
use std::collections::BTreeMap;
use tower_sessions::Session;

pub(super) fn query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
        .finish()
}

/// Back to the connections page with the outcome for the toast.
fn to_connections(platform: Platform, result: Result<(), &ConnectError>) -> Response {
    landing(HOME, platform, result)
}

/// `page` with a connect's outcome, as OAuth's `?error=<code>` (or `?connected=<platform>`).
pub(super) fn landing(
    page: &str,
    platform: Platform,
    result: Result<(), &ConnectError>,
) -> Response {
    let target = match result {
        Ok(()) => format!("{page}?{}", query(&[("connected", platform.slug())])),
        Err(error) => {
            let description = error.description().unwrap_or_default();
            format!(
                "{page}?{}",
                query(&[
                    ("error", &error.code()),
                    ("error_description", &description),
                    ("platform", platform.slug())
                ])
            )
        }
    };
    Redirect::to(&target).into_response()
}

pub(super) fn log_failure(platform: Platform, stage: &str, error: &ConnectError) {
    match error {
        ConnectError::Database(err) => {
            tracing::error!(platform = platform.slug(), stage, error = %err, "connect failed")
        }
        ConnectError::Provider { error, .. } => {
            tracing::warn!(platform = platform.slug(), stage, outcome = error.kind.as_str(), error = %error, "connect failed at the platform")
        }
        other => {
            tracing::info!(platform = platform.slug(), stage, code = %other.code(), "connect refused")
        }
    }
}

/// Without a session, sign in first and come back to the same URL (a callback's code stays
/// valid for minutes, so the connect can still finish). Only same-site paths pass the sign-in
/// form's check; anything else lands on the connections page.
fn sign_in_first(request_uri: &axum::http::Uri) -> Response {
    let back = request_uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or(HOME);
    Redirect::to(&format!("/?{}", query(&[("next", back)]))).into_response()
}

/// Who a connect acts for, when the person's role may connect in their current workspace.
fn connector(member: &Member) -> Option<Connector> {
    member
        .may(Permission::Connect)
        .then(|| Connector::from(member))
}

fn may_not_connect() -> Response {
    (
        StatusCode::FORBIDDEN,
        "Your role in this workspace does not allow connecting accounts.",
    )
        .into_response()
}

fn no_such_platform() -> Response {
    (StatusCode::NOT_FOUND, "No such platform.").into_response()
}

#[derive(Deserialize, Default)]
pub struct StartForm {
    #[serde(default)]
    account: Option<String>,
    #[serde(default)]
    instance: Option<String>,
}

impl StartForm {
    /// The server typed for a platform on the person's own server (Mastodon).
    pub(super) fn instance(&self) -> Option<&str> {
        self.instance.as_deref()
    }
}

/// `POST /api/v1/auth/<platform>/connect` (`account=<id>` to reconnect, `instance=<host>` for
/// Mastodon). Starting a connect changes state (it issues a state and may register an app), so it
/// is a form post from a Plugboard page, never a link another site can send a person to.
pub async fn start(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    SignedIn(member): SignedIn,
    session: Session,
    Form(params): Form<StartForm>,
) -> Response {
    let Some(platform) = Platform::from_slug(&slug) else {
        return no_such_platform();
    };
    let Some(who) = connector(&member) else {
        return may_not_connect();
    };
    let account = params.account.filter(|a| !a.is_empty());
    let instance = params.instance.filter(|i| !i.trim().is_empty());
    // Credentials platforms, and a platform on the person's own server before the server is
    // known, start on a form.
    let needs_form = match platform.connect_method() {
        ConnectMethod::Credentials => true,
        ConnectMethod::OAuthOnTheirServer => instance.is_none() && account.is_none(),
        ConnectMethod::OAuth => false,
    };
    if needs_form {
        let form = format!("/dashboard/connections/new/{}", platform.slug());
        return match account {
            Some(account) => Redirect::to(&format!("{form}?{}", query(&[("account", &account)]))),
            None => Redirect::to(&form),
        }
        .into_response();
    }
    match connect::start(
        &app,
        &who,
        platform,
        account.as_deref(),
        instance.as_deref(),
    )
    .await
    {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => {
            log_failure(platform, "start", &error);
            if platform.connect_method() == ConnectMethod::OAuthOnTheirServer {
                if let Some((field, code)) = error.field_error() {
                    keep_typed_server(&session, platform, instance.as_deref()).await;
                    let back = query(&[("field", field), ("error", code.as_str())]);
                    return Redirect::to(&format!(
                        "/dashboard/connections/new/{}?{back}",
                        platform.slug()
                    ))
                    .into_response();
                }
            }
            to_connections(platform, Err(&error))
        }
    }
}

/// `GET /api/v1/auth/<platform>/callback`: where the platform sends the person back.
pub async fn callback(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    Query(params): Query<CallbackParams>,
    member: Option<Extension<Member>>,
    request: Request,
) -> Response {
    let Some(platform) = Platform::from_slug(&slug) else {
        return no_such_platform();
    };
    // A connect started from a connect link finishes without a session, on the link's own page.
    let link = match params.state.as_deref() {
        Some(state) => match oauth_state::link_of(&app.db, state).await {
            Ok(link) => link,
            Err(err) => return to_connections(platform, Err(&ConnectError::Database(err))),
        },
        None => None,
    };
    if let Some(link) = link {
        return finish_through_link(&app, &link, platform, params).await;
    }
    let Some(Extension(member)) = member else {
        return sign_in_first(request.uri());
    };
    let Some(who) = connector(&member) else {
        return may_not_connect();
    };
    match connect::finish(&app, &who, platform, params).await {
        Ok(CallbackOutcome::Connected(kind)) => {
            tracing::info!(platform = platform.slug(), user_id = ?who.user_id, kind = ?kind, "account connected");
            to_connections(platform, Ok(()))
        }
        Ok(CallbackOutcome::AlreadyConnected) => to_connections(platform, Ok(())),
        Ok(CallbackOutcome::Choose(selection)) => {
            Redirect::to(&format!("/dashboard/connections/select/{selection}")).into_response()
        }
        Err(error) => {
            log_failure(platform, "callback", &error);
            to_connections(platform, Err(&error))
        }
    }
}

/// The callback of a connect started from a connect link, which must still be usable.
async fn finish_through_link(
    app: &AppState,
    link: &str,
    platform: Platform,
    params: CallbackParams,
) -> Response {
    let done = super::connect_link_routes::DONE;
    let link = match connect_links::find_by_id(&app.db, link).await {
        Ok(Some(link)) => link,
        Ok(None) => return landing(done, platform, Err(&ConnectError::LinkUnusable)),
        Err(err) => return landing(done, platform, Err(&ConnectError::Database(err))),
    };
    match connect::finish(app, &link.connector, platform, params).await {
        Ok(CallbackOutcome::Connected(kind)) => {
            tracing::info!(platform = platform.slug(), link_id = %link.id, kind = ?kind, "account connected through a link");
            landing(done, platform, Ok(()))
        }
        Ok(CallbackOutcome::AlreadyConnected) => landing(done, platform, Ok(())),
        // A link never asks to choose (several accounts are refused before), but stays safe.
        Ok(CallbackOutcome::Choose(_)) => {
            landing(done, platform, Err(&ConnectError::LinkSeveralAccounts))
        }
        Err(error) => {
            log_failure(platform, "link callback", &error);
            landing(done, platform, Err(&error))
        }
    }
}

/// A credentials form as posted: `account` to reconnect, and the platform's fields.
#[derive(Deserialize, Default)]
pub struct CredentialsForm {
    #[serde(default)]
    account: String,
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

impl CredentialsForm {
    fn field(&self, field: CredentialField) -> &str {
        self.fields.get(field.as_str()).map_or("", String::as_str)
    }

    /// The fields worth keeping in the link back to the form after an error. Secrets never
    /// travel, and neither does a server (see [`keep_typed_server`]).
    fn kept(&self, platform: Platform) -> Vec<(&'static str, &str)> {
        let fields = platform
            .credential_fields()
            .iter()
            .filter(|field| !field.is_secret() && !field.is_server())
            .map(|&field| (field.as_str(), self.field(field)));
        [("account", self.account.as_str())]
            .into_iter()
            .chain(fields)
            .collect()
    }

    /// The server typed for this platform, if its form has one.
    fn server(&self, platform: Platform) -> Option<&str> {
        platform.server_field().map(|field| self.field(field))
    }

    /// What was typed, as the engine reads it.
    pub(super) fn input(&self, platform: Platform) -> CredentialInput {
        platform
            .credential_fields()
            .iter()
            .fold(CredentialInput::new(platform), |input, &field| {
                input.with(field, self.field(field))
            })
    }
}

/// Keeps a server a person typed in their session for the form to show again: a link cannot put
/// one there, so no link can choose where someone's credentials are sent.
async fn keep_typed_server(session: &Session, platform: Platform, server: Option<&str>) {
    let Some(server) = server.filter(|s| !s.trim().is_empty()) else {
        return;
    };
    if let Err(err) = app::flash::TYPED_SERVER
        .keep(session, platform.slug(), server)
        .await
    {
        tracing::warn!(error = %err, "could not keep the typed server for the form");
    }
}

/// `POST /api/v1/auth/<platform>/credentials` (Bluesky, Telegram, Listmonk).
pub async fn credentials(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    SignedIn(member): SignedIn,
    session: Session,
    Form(form): Form<CredentialsForm>,
) -> Response {
    let Some(platform) = Platform::from_slug(&slug) else {
        return no_such_platform();
    };
    let Some(who) = connector(&member) else {
        return may_not_connect();
    };
    if platform.connect_method() != ConnectMethod::Credentials {
        return (
            StatusCode::NOT_FOUND,
            "This platform connects through its consent screen.",
        )
            .into_response();
    }
    let input = form.input(platform);
    let account = Some(form.account.as_str()).filter(|a| !a.is_empty());
    match connect::connect_credentials(&app, &who, input, account).await {
        Ok(kind) => {
            tracing::info!(platform = platform.slug(), user_id = ?who.user_id, kind = ?kind, "account connected");
            to_connections(platform, Ok(()))
        }
        Err(error) => {
            log_failure(platform, "credentials", &error);
            let (field, code) = match error.field_error() {
                Some((field, problem)) => (field, problem.as_str().to_owned()),
                None => ("", error.code()),
            };
            keep_typed_server(&session, platform, form.server(platform)).await;
            let mut pairs = form.kept(platform);
            pairs.push(("field", field));
            pairs.push(("error", &code));
            let back = query(&pairs);
            Redirect::to(&format!(
                "/dashboard/connections/new/{}?{back}",
                platform.slug()
            ))
            .into_response()
        }
    }
}

/// The page that offers several accounts, as posted: one `account` field per ticked box.
#[derive(Deserialize)]
pub struct SelectForm {
    #[serde(default)]
    selection: String,
    #[serde(default)]
    account: Vec<String>,
}

/// `POST /api/v1/auth/<platform>/select`: the accounts picked after a consent.
pub async fn select(
    State(app): State<AppState>,
    Path(slug): Path<String>,
    SignedIn(member): SignedIn,
    RepeatedFields(SelectForm {
        selection,
        account: picked,
    }): RepeatedFields<SelectForm>,
) -> Response {
    let Some(platform) = Platform::from_slug(&slug) else {
        return no_such_platform();
    };
    let Some(who) = connector(&member) else {
        return may_not_connect();
    };
    match connect::choose(&app, &who, &selection, &picked).await {
        Ok((chosen_platform, count)) => {
            tracing::info!(platform = chosen_platform.slug(), user_id = ?who.user_id, count, "accounts chosen");
            to_connections(chosen_platform, Ok(()))
        }
        Err(ConnectError::Invalid {
            problem: FieldProblem::NonePicked,
            ..
        }) => Redirect::to(&format!(
            "/dashboard/connections/select/{selection}?error={}",
            FieldProblem::NonePicked
        ))
        .into_response(),
        Err(error) => {
            log_failure(platform, "select", &error);
            to_connections(platform, Err(&error))
        }
    }
}

/// `GET /api/v1/accounts/<id>/avatar`: a Telegram bot's picture, fetched with its token on the
/// server so the token never reaches the browser.
pub async fn avatar(
    State(app): State<AppState>,
    Path(id): Path<String>,
    SignedIn(member): SignedIn,
) -> Response {
    match engine::connections::avatars::proxied_avatar(&app, member.workspace_id(), &id).await {
        Ok(Some((content_type, bytes))) => (
            [
                (header::CONTENT_TYPE, content_type),
                (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::warn!(account_id = %id, error = %err, "avatar fetch failed");
            StatusCode::BAD_GATEWAY.into_response()
        }
    }
}
