//! Connecting with typed credentials (Bluesky, Telegram, Listmonk): checked with the platform,
//! then stored.

use super::error::{url_refused, ConnectError, Stage};
use super::store::{check_limit, connection, reconnect_target, store};
use crate::identity::users::User;
use crate::platforms::credentials::{self, Checked, CredentialProblem};
use crate::platforms::servers;
use crate::AppState;
use domain::{ConnectKind, FieldProblem, Platform};
use secrecy::SecretString;
use url::Url;

/// What a person typed on a credentials form.
#[derive(Debug)]
pub enum CredentialInput {
    Bluesky {
        identifier: String,
        app_password: SecretString,
        pds_url: Option<String>,
    },
    Telegram {
        bot_token: SecretString,
    },
    Listmonk {
        base_url: String,
        api_user: String,
        token: SecretString,
    },
}

impl CredentialInput {
    pub fn platform(&self) -> Platform {
        match self {
            CredentialInput::Bluesky { .. } => Platform::Bluesky,
            CredentialInput::Telegram { .. } => Platform::Telegram,
            CredentialInput::Listmonk { .. } => Platform::Listmonk,
        }
    }
}

/// Checks typed credentials with the platform and stores the account only if they work.
pub async fn connect_credentials(
    app: &AppState,
    user: &User,
    input: CredentialInput,
    reconnect_account_id: Option<&str>,
) -> Result<ConnectKind, ConnectError> {
    let platform = input.platform();
    let settings = app.config.providers.get(platform);
    match reconnect_account_id {
        Some(id) => {
            reconnect_target(app, user, platform, id).await?;
        }
        None => check_limit(app, user, platform).await?,
    }
    // Bluesky's session, to end it if it turns out to be another account's.
    let mut bluesky_session = None;
    let checked = match &input {
        CredentialInput::Bluesky {
            identifier,
            app_password,
            pds_url,
        } => {
            let pds = match pds_url.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(pds) => {
                    credentials::check_base_url(pds, "pds_url").map_err(credential_error)?
                }
                None => Url::parse(&settings.api_url).map_err(|_| {
                    ConnectError::NotConfigured("BLUESKY_API_URL is not a URL".into())
                })?,
            };
            let http = servers::http_for_typed_url(app, settings, &pds)
                .await
                .map_err(url_refused("pds_url"))?;
            let checked = credentials::bluesky(&http, &pds, identifier, app_password).await;
            bluesky_session = Some((http, pds));
            checked
        }
        CredentialInput::Telegram { bot_token } => {
            credentials::telegram(&app.http, &settings.api_url, bot_token).await
        }
        CredentialInput::Listmonk {
            base_url,
            api_user,
            token,
        } => {
            let base =
                credentials::check_base_url(base_url, "base_url").map_err(credential_error)?;
            let http = servers::http_for_typed_url(app, settings, &base)
                .await
                .map_err(url_refused("base_url"))?;
            credentials::listmonk(&http, &base, api_user, token).await
        }
    }
    .map_err(credential_error)?;
    let Checked {
        profile,
        tokens,
        metadata,
        extra_secret,
    } = checked;
    let refresh = tokens.refresh_token.clone();
    let stored = store(
        app,
        &user.id,
        &user.email,
        reconnect_account_id,
        connection(platform, profile, tokens, metadata, extra_secret),
    )
    .await;
    if let (Err(ConnectError::Mismatch), Some((http, pds)), Some(refresh)) =
        (&stored, bluesky_session, refresh)
    {
        // Signed in as another account: end the session just made for it.
        if let Err(error) = credentials::bluesky_end_session(&http, pds.as_str(), &refresh).await {
            tracing::warn!(error = %error, "ending an unwanted Bluesky session failed");
        }
    }
    stored
}

pub(super) fn credential_error(problem: CredentialProblem) -> ConnectError {
    match problem {
        CredentialProblem::Field { field, problem } => ConnectError::Invalid { field, problem },
        CredentialProblem::Refused { field } => ConnectError::Invalid {
            field,
            problem: FieldProblem::Rejected,
        },
        CredentialProblem::Provider(error) => ConnectError::Provider {
            stage: Stage::Credentials,
            error,
        },
    }
}
