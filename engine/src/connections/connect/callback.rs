//! Finishing a connect at the callback: the platform's answer, the code traded for tokens, the
//! profile read, and the account stored (or several offered to choose from).

use super::choose::save_selection;
use super::error::{is_oauth_code, provider_error, ConnectError, Stage};
use super::store::{connection, reconnect_target, store};
use super::their_server::client_on_their_server;
use super::Connector;
use crate::connections::oauth_state::{self, StateProblem};
use crate::platforms::adapters::{keep, Kept};
use crate::platforms::client::ProviderClient;
use crate::AppState;
use chrono::Utc;
use domain::{ConnectErrorCode, ConnectKind, ConnectMethod, Platform};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

/// The query parameters a provider redirects back with.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub error_reason: Option<String>,
}

impl CallbackParams {
    /// What the platform said by coming back with an error (RFC 6749 §4.1.2.1, or Meta's
    /// `error_reason=user_denied`), as a code the page understands and at most 300 characters of
    /// its own words. `None` when it came back with no error.
    pub fn refusal(&self) -> Option<ConnectError> {
        let error = self
            .error
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())?;
        let code = if self.error_reason.as_deref() == Some("user_denied") {
            ConnectErrorCode::AccessDenied.as_str()
        } else if is_oauth_code(error) {
            error
        } else {
            ConnectErrorCode::ProviderError.as_str()
        };
        Some(ConnectError::ProviderRedirect {
            code: code.to_owned(),
            description: self
                .error_description
                .as_deref()
                .map(|d| d.chars().take(300).collect()),
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum CallbackOutcome {
    Connected(ConnectKind),
    /// A second click on a callback that already connected the account.
    AlreadyConnected,
    /// Several accounts came back: the person picks at `/dashboard/connections/select/<id>`.
    Choose(String),
}

/// Finishes an OAuth connect at the callback. The code is exchanged at most once: the state is
/// consumed (atomically) before anything is sent to the platform.
pub async fn finish(
    app: &AppState,
    who: &Connector,
    platform: Platform,
    params: CallbackParams,
) -> Result<CallbackOutcome, ConnectError> {
    let now = Utc::now();
    let consumed = oauth_state::consume(
        &app.db,
        &app.secrets,
        params.state.as_deref(),
        who.starter(),
        platform,
        now,
    )
    .await?;
    if let Some(refusal) = params.refusal() {
        return Err(refusal);
    }
    let pending = match consumed {
        Ok(pending) => pending,
        Err(StateProblem::Used)
            if oauth_state::was_connected(&app.db, params.state.as_deref().unwrap_or_default())
                .await? =>
        {
            return Ok(CallbackOutcome::AlreadyConnected)
        }
        Err(problem) => return Err(ConnectError::State(problem)),
    };
    let code = params
        .code
        .filter(|c| !c.is_empty())
        .ok_or(ConnectError::MissingCode)?;
    let settings = app.config.providers.get(platform);
    let client = match &pending.instance_url {
        Some(instance) if platform.connect_method() == ConnectMethod::OAuthOnTheirServer => {
            client_on_their_server(app, platform, instance).await?
        }
        _ => app.provider_client(settings.platform),
    };
    let verifier = pending
        .code_verifier
        .as_ref()
        .map(|v| v.expose_secret().to_owned());
    let tokens = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .map_err(provider_error(Stage::Token))?;
    let profiles = client
        .profiles(&tokens.access_token)
        .await
        .map_err(provider_error(Stage::Profile))?;
    let metadata = match &pending.instance_url {
        Some(instance) => keep([(Kept::InstanceUrl, instance.as_str())]),
        None => json!({}),
    };
    let outcome = match (&pending.reconnect_account_id, profiles.len()) {
        (None, n) if n > 1 && who.link_id.is_some() => {
            discard_grant(&client, &tokens.access_token, tokens.refresh_token.as_ref()).await;
            return Err(ConnectError::LinkSeveralAccounts);
        }
        (None, n) if n > 1 => {
            let id = save_selection(app, who, platform, &profiles, &tokens, now).await?;
            CallbackOutcome::Choose(id)
        }
        (reconnect, _) => {
            let profile = match reconnect {
                Some(account_id) => {
                    let target = reconnect_target(app, who, platform, account_id).await?;
                    profiles
                        .iter()
                        .find(|p| p.platform_account_id == target.platform_account_id)
                        .or(profiles.first())
                        .cloned()
                }
                None => profiles.first().cloned(),
            }
            .expect("profiles() never returns an empty list");
            let grant = (tokens.access_token.clone(), tokens.refresh_token.clone());
            let stored = store(
                app,
                who,
                reconnect.as_deref(),
                connection(platform, profile, tokens, metadata, None),
            )
            .await;
            if let Err(ConnectError::Mismatch) = stored {
                // The person consented as another account: that fresh grant must not live on.
                discard_grant(&client, &grant.0, grant.1.as_ref()).await;
            }
            let kind = stored?;
            if let Some(state) = params.state.as_deref() {
                oauth_state::mark_connected(&app.db, state).await?;
            }
            CallbackOutcome::Connected(kind)
        }
    };
    Ok(outcome)
}

/// Revokes a grant Plugboard will not keep, where the platform can, best effort.
pub(super) async fn discard_grant(
    client: &ProviderClient,
    access: &SecretString,
    refresh: Option<&SecretString>,
) {
    let outcome = match client.revoke(access, refresh).await {
        None => "not_supported",
        Some(Ok(())) => "revoked",
        Some(Err(error)) => {
            tracing::warn!(platform = client.platform.slug(), error = %error, "revoking an unwanted grant failed");
            "failed"
        }
    };
    metrics::counter!("plugboard_unwanted_grants_total", "platform" => client.platform.slug(), "revocation" => outcome)
        .increment(1);
}
