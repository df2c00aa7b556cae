//! Starting an OAuth connect: the plan's limit, the state (with PKCE where the platform takes it)
//! and the consent URL.

use super::error::{provider_error, ConnectError, Stage};
use super::store::{check_limit, reconnect_target};
use super::their_server::client_on_their_server;
use super::Connector;
use crate::connections::oauth_state::{self, PendingConnect};
use crate::platforms::adapters::Kept;
use crate::AppState;
use chrono::Utc;
use domain::Platform;
use domain::{ConnectMethod, FieldProblem};
use secrecy::SecretString;

/// Starts an OAuth connect: checks the plan, issues a state (with a PKCE verifier where the
/// platform takes one) and returns the consent URL to redirect to.
pub async fn start(
    app: &AppState,
    who: &Connector,
    platform: Platform,
    reconnect_account_id: Option<&str>,
    instance: Option<&str>,
) -> Result<String, ConnectError> {
    let settings = app.config.providers.get(platform);
    if platform.connect_method() == ConnectMethod::Credentials {
        return Err(ConnectError::Invalid {
            field: "platform",
            problem: FieldProblem::UsesCredentials,
        });
    }
    if let Some(reason) = settings.unavailable_reason() {
        return Err(ConnectError::NotConfigured(reason));
    }
    let instance = match reconnect_account_id {
        Some(id) => {
            let account = reconnect_target(app, who, platform, id).await?;
            account
                .known()
                .kept(Kept::InstanceUrl)
                .map(str::to_owned)
                .or_else(|| instance.map(str::to_owned))
        }
        None => {
            check_limit(app, who, platform).await?;
            instance.map(str::to_owned)
        }
    };
    let (client, instance_url) = if platform.connect_method() == ConnectMethod::OAuthOnTheirServer {
        let instance = instance.unwrap_or_else(|| settings.api_url.clone());
        let client = client_on_their_server(app, platform, &instance).await?;
        let url = client.api_url.clone();
        (client, Some(url))
    } else {
        (app.provider_client(settings.platform), None)
    };
    let (challenge, verifier) = if client.spec.pkce {
        let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
        (
            Some(challenge),
            Some(SecretString::from(verifier.secret().clone())),
        )
    } else {
        (None, None)
    };
    let pending = PendingConnect {
        platform,
        reconnect_account_id: reconnect_account_id.map(str::to_owned),
        instance_url,
        code_verifier: verifier,
    };
    let state =
        oauth_state::issue(&app.db, &app.secrets, who.starter(), &pending, Utc::now()).await?;
    client
        .authorize_url(&state, challenge.as_ref().map(|c| c.as_str()))
        .map_err(provider_error(Stage::Token))
}
