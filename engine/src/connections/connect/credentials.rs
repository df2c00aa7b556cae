//! Connecting with typed credentials: checked with the platform by its adapter, at the server the
//! person named, then stored.

use super::error::{url_refused, ConnectError, Stage};
use super::store::{check_limit, connection, reconnect_target, store};
use super::Connector;
use crate::platforms::adapters::{adapter, AccountServer};
use crate::platforms::catalog::env_prefix;
use crate::platforms::credentials::{check_base_url, Checked, CredentialInput, CredentialProblem};
use crate::platforms::servers;
use crate::AppState;
use domain::{ConnectKind, ConnectMethod, FieldProblem};
use url::Url;

/// Checks typed credentials with the platform and stores the account only if they work.
pub async fn connect_credentials(
    app: &AppState,
    who: &Connector,
    input: CredentialInput,
    reconnect_account_id: Option<&str>,
) -> Result<ConnectKind, ConnectError> {
    let platform = input.platform;
    if platform.connect_method() != ConnectMethod::Credentials {
        return Err(ConnectError::Invalid {
            field: "platform",
            problem: FieldProblem::UsesConsent,
        });
    }
    match reconnect_account_id {
        Some(id) => {
            reconnect_target(app, who, platform, id).await?;
        }
        None => check_limit(app, who, platform).await?,
    }
    let server = account_server(app, &input).await?;
    let adapter = adapter(platform);
    let Checked {
        profile,
        tokens,
        metadata,
        extra_secret,
    } = adapter
        .check_credentials(&server, &input)
        .await
        .map_err(credential_error)?;
    let refresh = tokens.refresh_token.clone();
    let stored = store(
        app,
        who,
        reconnect_account_id,
        connection(platform, profile, tokens, metadata, extra_secret),
    )
    .await;
    if let (Err(ConnectError::Mismatch), Some(refresh)) = (&stored, refresh) {
        adapter.abandon(&server, &refresh).await;
    }
    stored
}

/// Where the credentials go: the server the person typed (checked, and through the address
/// guard), or the platform's own when its form has no server field or it was left empty.
async fn account_server(
    app: &AppState,
    input: &CredentialInput,
) -> Result<AccountServer, ConnectError> {
    let settings = app.config.providers.get(input.platform);
    let typed = input
        .platform
        .server_field()
        .map(|field| (field, input.text(field).trim()))
        .filter(|(field, typed)| !(typed.is_empty() && field.is_optional()));
    let Some((field, typed)) = typed else {
        let url = Url::parse(&settings.api_url).map_err(|_| {
            ConnectError::NotConfigured(format!(
                "{}_API_URL is not a URL",
                env_prefix(input.platform)
            ))
        })?;
        return Ok(AccountServer {
            url,
            http: app.http.clone(),
        });
    };
    let url = check_base_url(typed, field).map_err(credential_error)?;
    let http = servers::http_for_typed_url(app, settings, &url)
        .await
        .map_err(url_refused(field.as_str()))?;
    Ok(AccountServer { url, http })
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
