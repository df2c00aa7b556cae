//! Listmonk: a self-hosted newsletter server; an API user and token, checked with an
//! authenticated read. Its answers name no user: a page of lists is the proof.

use super::{keep, Kept};
use super::{AccountServer, KnownAccount, PlatformAdapter};
use crate::platforms::catalog::{SANDBOX_LISTMONK_API_USER, SANDBOX_LISTMONK_TOKEN};
use crate::platforms::client::{Profile, TokenSet};
use crate::platforms::credentials::{
    check_with, field, Checked, CredentialInput, CredentialProblem,
};
use crate::platforms::failure::ProviderError;
use crate::platforms::servers::http_for_stored_url;
use crate::AppState;
use async_trait::async_trait;
use domain::{CredentialField, FieldProblem, Platform};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

pub(super) struct Listmonk;

#[async_trait]
impl PlatformAdapter for Listmonk {
    fn sandbox_hint(&self) -> Option<String> {
        Some(format!(
            "Sandbox: the server already filled in, API user {SANDBOX_LISTMONK_API_USER}, token {SANDBOX_LISTMONK_TOKEN}."
        ))
    }

    async fn check_credentials(
        &self,
        server: &AccountServer,
        typed: &CredentialInput,
    ) -> Result<Checked, CredentialProblem> {
        let api_user = typed.text(CredentialField::ApiUser).trim();
        if api_user.is_empty() || api_user.contains(':') {
            return Err(field(
                CredentialField::ApiUser,
                FieldProblem::InvalidApiUser,
            ));
        }
        let token = typed.text(CredentialField::ApiToken).trim();
        if token.is_empty() {
            return Err(field(CredentialField::ApiToken, FieldProblem::MissingToken));
        }
        let base = server.base();
        check_with(
            server
                .http
                .get(format!("{base}/api/lists"))
                .query(&[("per_page", "1")])
                .header(
                    reqwest::header::AUTHORIZATION,
                    authorization(api_user, token),
                ),
            Platform::Listmonk,
            &[401, 403],
            CredentialField::ApiToken,
        )
        .await?;
        let host = server
            .url
            .host_str()
            .map(str::to_owned)
            .unwrap_or_else(|| base.clone());
        Ok(Checked {
            profile: Profile {
                platform_account_id: format!("{base}#{api_user}"),
                username: api_user.to_owned(),
                display_name: Some(host),
                avatar_url: None,
                is_premium: false,
                own_token: None,
            },
            tokens: TokenSet {
                access_token: SecretString::from(token.to_owned()),
                refresh_token: None,
                expires_in: None,
                refresh_expires_in: None,
                scope: None,
            },
            metadata: keep([(Kept::BaseUrl, base.as_str()), (Kept::ApiUser, api_user)]),
            extra_secret: None,
        })
    }

    async fn who_am_i(
        &self,
        app: &AppState,
        account: KnownAccount<'_>,
        token: &SecretString,
    ) -> Result<(Value, Option<String>), ProviderError> {
        let settings = app.config.providers.get(account.platform);
        let base = account.kept(Kept::BaseUrl).unwrap_or_default();
        let user = account.kept(Kept::ApiUser).unwrap_or_default();
        let http = http_for_stored_url(app, settings, base).await?;
        let body = super::generic::json_answer_of(
            settings,
            http.get(format!("{base}/api/lists?per_page=1")).header(
                reqwest::header::AUTHORIZATION,
                authorization(user, token.expose_secret()),
            ),
        )
        .await?;
        let identity = body
            .pointer("/data/results")
            .is_some_and(Value::is_array)
            .then(|| account.platform_account_id.to_owned());
        Ok((body, identity))
    }
}

fn authorization(api_user: &str, token: &str) -> String {
    format!("token {api_user}:{token}")
}
