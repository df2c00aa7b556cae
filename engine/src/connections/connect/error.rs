//! What can go wrong while connecting, and the codes and words the pages show for it.

use crate::connections::oauth_state::StateProblem;
use crate::net::address_guard::UrlRefused;
use crate::platforms::failure::{FailureKind, ProviderError};
use domain::{ConnectErrorCode, FieldProblem};

/// Where a provider call failed, which decides the words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Register,
    Token,
    Profile,
    Credentials,
}

#[derive(Debug)]
pub enum ConnectError {
    NotConfigured(String),
    Limit(String),
    AccountNotFound,
    Mismatch,
    State(StateProblem),
    /// The provider redirected back with an error (RFC 6749 §4.1.2.1 and its variants).
    ProviderRedirect {
        code: String,
        description: Option<String>,
    },
    Provider {
        stage: Stage,
        error: ProviderError,
    },
    MissingCode,
    UrlRefused {
        field: &'static str,
        problem: UrlRefused,
    },
    /// A typed field is wrong (`problem` names what, for the form to say).
    Invalid {
        field: &'static str,
        problem: FieldProblem,
    },
    SelectionGone,
    /// The connect link expired, was revoked or is used up.
    LinkUnusable,
    /// Several accounts came back through a connect link, which takes one.
    LinkSeveralAccounts,
    Database(sqlx::Error),
}

impl From<sqlx::Error> for ConnectError {
    fn from(err: sqlx::Error) -> Self {
        ConnectError::Database(err)
    }
}

impl ConnectError {
    /// The `error` code the connections page's toast understands: one of Plugboard's, or a
    /// platform's own (plain OAuth-style codes only) that the page words as unknown.
    pub fn code(&self) -> String {
        use ConnectErrorCode as Code;
        let code = match self {
            ConnectError::NotConfigured(_) => Code::NotConfigured,
            ConnectError::Limit(_) => Code::LimitReached,
            ConnectError::AccountNotFound => Code::AccountNotFound,
            ConnectError::LinkUnusable => Code::LinkUnusable,
            ConnectError::LinkSeveralAccounts => Code::LinkSeveralAccounts,
            ConnectError::Mismatch => Code::AccountMismatch,
            ConnectError::State(StateProblem::Missing | StateProblem::Unknown) => {
                Code::InvalidState
            }
            ConnectError::State(StateProblem::Used) => Code::StateUsed,
            ConnectError::State(StateProblem::Expired) => Code::StateExpired,
            ConnectError::State(StateProblem::Foreign) => Code::StateMismatch,
            ConnectError::ProviderRedirect { code, .. } => return code.clone(),
            ConnectError::Provider { stage, error } => match (error.kind, stage) {
                (FailureKind::Terminal, Stage::Profile) => Code::InvalidToken,
                (FailureKind::Terminal, Stage::Credentials) => Code::InvalidCredentials,
                // Whatever words a platform uses, a code it will not trade is a refused grant.
                (FailureKind::Terminal | FailureKind::Rejected, Stage::Token) => Code::InvalidGrant,
                (FailureKind::Terminal, _) => Code::InvalidGrant,
                (FailureKind::Misconfigured, _) => Code::InvalidClient,
                (FailureKind::RateLimited | FailureKind::Unavailable, _) => {
                    Code::TemporarilyUnavailable
                }
                (FailureKind::Timeout, _) => Code::ProviderTimeout,
                (FailureKind::Network, _) => Code::ProviderUnavailable,
                (FailureKind::Rejected, _) => match error.code.as_deref() {
                    Some(code) if is_oauth_code(code) => return code.to_owned(),
                    _ => Code::ProviderError,
                },
                (FailureKind::Unexpected, _) => Code::UnexpectedResponse,
            },
            ConnectError::MissingCode => Code::InvalidRequest,
            ConnectError::UrlRefused { .. } | ConnectError::Invalid { .. } => Code::InvalidRequest,
            ConnectError::SelectionGone => Code::StateExpired,
            ConnectError::Database(_) => Code::InternalError,
        };
        code.as_str().to_owned()
    }

    /// Extra words for the toast: the provider's own, or ours.
    pub fn description(&self) -> Option<String> {
        match self {
            ConnectError::NotConfigured(reason) | ConnectError::Limit(reason) => {
                Some(reason.clone())
            }
            ConnectError::ProviderRedirect { description, .. } => description.clone(),
            ConnectError::Provider { error, .. } => error.message.clone(),
            ConnectError::UrlRefused { problem, .. } => Some(problem.to_string()),
            _ => None,
        }
    }

    /// For a form: the field at fault and what is wrong with it.
    pub fn field_error(&self) -> Option<(&'static str, FieldProblem)> {
        match self {
            ConnectError::Invalid { field, problem } => Some((field, *problem)),
            ConnectError::UrlRefused { field, problem } => Some((
                field,
                match problem {
                    UrlRefused::NotHttp => FieldProblem::InvalidUrl,
                    UrlRefused::Unresolvable => FieldProblem::UnresolvableUrl,
                    UrlRefused::Private => FieldProblem::PrivateUrl,
                },
            )),
            _ => None,
        }
    }
}

/// Only plain OAuth-style codes pass through to the page's URL.
pub(super) fn is_oauth_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 64 && code.chars().all(|c| c.is_ascii_lowercase() || c == '_')
}

pub(super) fn provider_error(stage: Stage) -> impl Fn(ProviderError) -> ConnectError {
    move |error| ConnectError::Provider { stage, error }
}

pub(super) fn url_refused(field: &'static str) -> impl Fn(UrlRefused) -> ConnectError {
    move |problem| ConnectError::UrlRefused { field, problem }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_codes_pass_through() {
        assert!(is_oauth_code("access_denied"));
        assert!(!is_oauth_code("<script>"));
        assert!(!is_oauth_code(""));
        assert!(!is_oauth_code(&"a".repeat(65)));
    }

    #[test]
    fn errors_map_to_the_toasts_codes() {
        let provider = |kind, stage| ConnectError::Provider {
            stage,
            error: ProviderError::new(kind),
        };
        assert_eq!(
            provider(FailureKind::Terminal, Stage::Token).code(),
            "invalid_grant"
        );
        assert_eq!(
            provider(FailureKind::Terminal, Stage::Profile).code(),
            "invalid_token"
        );
        assert_eq!(
            provider(FailureKind::Unavailable, Stage::Token).code(),
            "temporarily_unavailable"
        );
        assert_eq!(
            provider(FailureKind::Timeout, Stage::Profile).code(),
            "provider_timeout"
        );
        assert_eq!(
            provider(FailureKind::Misconfigured, Stage::Token).code(),
            "invalid_client"
        );
        assert_eq!(ConnectError::State(StateProblem::Used).code(), "state_used");
        assert_eq!(
            ConnectError::State(StateProblem::Foreign).code(),
            "state_mismatch"
        );
        assert_eq!(ConnectError::Mismatch.code(), "account_mismatch");
        assert_eq!(ConnectError::Limit("x".into()).code(), "limit_reached");
    }
}
