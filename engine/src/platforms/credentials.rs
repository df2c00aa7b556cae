//! Credentials a person types on a connect form, what is wrong with them, and what a successful
//! check yields. Each platform's own check is in its adapter.

use crate::net::http::{send_capped, Reply, MAX_BODY};
use crate::platforms::catalog;
use crate::platforms::client::{Profile, TokenSet};
use crate::platforms::failure::{classify_reply, ProviderError};
use domain::{CredentialField, FieldProblem, Platform};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use std::collections::BTreeMap;
use url::Url;

/// What a successful check yields, ready to store.
#[derive(Debug)]
pub struct Checked {
    pub profile: Profile,
    pub tokens: TokenSet,
    pub metadata: Value,
    /// Kept sealed beside the tokens (Bluesky's app password, to start a new session if the
    /// refresh token ever lapses).
    pub extra_secret: Option<SecretString>,
}

/// What is wrong with typed credentials. Codes, not words: the form page says them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialProblem {
    /// A field is malformed; nothing was sent anywhere.
    Field {
        field: &'static str,
        problem: FieldProblem,
    },
    /// The platform said no to these credentials.
    Refused {
        field: &'static str,
    },
    Provider(ProviderError),
}

pub(crate) fn field(field: CredentialField, problem: FieldProblem) -> CredentialProblem {
    CredentialProblem::Field {
        field: field.as_str(),
        problem,
    }
}

/// What a person typed on a connect form, field by field.
#[derive(Debug)]
pub struct CredentialInput {
    pub platform: Platform,
    values: BTreeMap<CredentialField, SecretString>,
}

impl CredentialInput {
    pub fn new(platform: Platform) -> CredentialInput {
        CredentialInput {
            platform,
            values: BTreeMap::new(),
        }
    }

    /// Adds a field; a field the platform's form does not have is ignored.
    pub fn with(mut self, field: CredentialField, value: impl Into<String>) -> CredentialInput {
        if self.platform.credential_fields().contains(&field) {
            self.values.insert(field, SecretString::from(value.into()));
        }
        self
    }

    /// A field as typed, empty when it was not.
    pub fn text(&self, field: CredentialField) -> &str {
        self.values
            .get(&field)
            .map(ExposeSecret::expose_secret)
            .unwrap_or_default()
    }

    pub fn secret(&self, field: CredentialField) -> SecretString {
        SecretString::from(self.text(field).to_owned())
    }
}

/// A server address a person typed: http(s), a host, and nothing that could smuggle anything
/// else in (no user name or password, no query, no fragment).
pub fn check_base_url(base: &str, field_name: CredentialField) -> Result<Url, CredentialProblem> {
    if !crate::net::address_guard::within_bound(base) {
        return Err(field(field_name, FieldProblem::TooLong));
    }
    let url = Url::parse(base.trim()).map_err(|_| field(field_name, FieldProblem::InvalidUrl))?;
    if !is_plain_server_url(&url) {
        return Err(field(field_name, FieldProblem::InvalidUrl));
    }
    Ok(url)
}

/// http(s), a host, no user-info, query or fragment.
pub fn is_plain_server_url(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
        && url.host().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
}

/// Sends a credential check and reads its JSON answer. The statuses in `refused` mean the platform
/// said no to what was typed in `field`; any other failure is classified like every platform call.
pub(crate) async fn check_with(
    request: reqwest::RequestBuilder,
    platform: Platform,
    refused: &[u16],
    field: CredentialField,
) -> Result<Value, CredentialProblem> {
    let reply = send_capped(request, MAX_BODY)
        .await
        .map_err(|e| CredentialProblem::Provider(e.into()))?;
    if refused.contains(&reply.status) {
        return Err(CredentialProblem::Refused {
            field: field.as_str(),
        });
    }
    json_answer(platform, &reply).map_err(CredentialProblem::Provider)
}

/// A successful answer as JSON, or the failure class of an unsuccessful one.
pub fn json_answer(platform: Platform, reply: &Reply) -> Result<Value, ProviderError> {
    if !reply.is_success() {
        return Err(classify_reply(reply, catalog::spec(platform)));
    }
    serde_json::from_slice(&reply.body)
        .map_err(|_| ProviderError::unexpected("the answer is not JSON"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_address_longer_than_any_real_one_is_refused() {
        let long = format!("https://lists.example.com/{}", "a".repeat(2048));
        assert!(matches!(
            check_base_url(&long, CredentialField::BaseUrl),
            Err(CredentialProblem::Field {
                problem: FieldProblem::TooLong,
                ..
            })
        ));
    }

    #[test]
    fn base_urls() {
        assert!(check_base_url("https://lists.example.com/", CredentialField::BaseUrl).is_ok());
        assert!(check_base_url("lists.example.com", CredentialField::BaseUrl).is_err());
        assert!(check_base_url("ftp://lists.example.com", CredentialField::BaseUrl).is_err());
    }

    #[test]
    fn typed_server_urls_carry_nothing_but_a_server() {
        for bad in [
            "https://user:pw@lists.example.com",
            "https://user@lists.example.com",
            "https://lists.example.com/?next=x",
            "https://lists.example.com/#frag",
        ] {
            assert!(
                check_base_url(bad, CredentialField::BaseUrl).is_err(),
                "{bad}"
            );
        }
        assert!(check_base_url(
            "https://lists.example.com/listmonk",
            CredentialField::BaseUrl
        )
        .is_ok());
    }
}
