//! The one error type server functions return. Its messages are safe to show: internal details are
//! logged on the server and never cross the wire.

use crate::notices::{api_key_problem, link_problem, people_problem, webhook_problem};
use domain::{ApiKeyProblem, LinkProblem, PeopleProblem, WebhookProblem};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", content = "message", rename_all = "snake_case")]
pub enum AppError {
    #[error("Sign in to continue.")]
    Unauthorized,
    #[error("Your role in this workspace does not allow that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    #[error("Could not reach Plugboard. Check your connection and try again.")]
    Unreachable,
    /// Asked again too soon (a "Check now" within a minute of the last check).
    #[error("Checked moments ago. Try again in {0} seconds.")]
    TooSoon(u32),
    /// The settings page's API key forms could not do what was asked.
    #[error("{}", api_key_problem(.0))]
    ApiKey(ApiKeyProblem),
    /// The webhooks page's forms could not do what was asked.
    #[error("{}", webhook_problem(.0))]
    Webhook(WebhookProblem),
    /// The switcher's or the people page's forms could not do what was asked.
    #[error("{}", people_problem(.0))]
    People(PeopleProblem),
    /// The people page's connect link forms could not do what was asked.
    #[error("{}", link_problem(.0))]
    Link(LinkProblem),
}

impl AppError {
    #[cfg(feature = "ssr")]
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooSoon(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::ApiKey(ApiKeyProblem::NotFound)
            | AppError::Webhook(WebhookProblem::NotFound) => StatusCode::NOT_FOUND,
            AppError::People(PeopleProblem::NotAllowed) => StatusCode::FORBIDDEN,
            AppError::People(
                PeopleProblem::NotMember
                | PeopleProblem::InvitationUnknown
                | PeopleProblem::InvitationExpired
                | PeopleProblem::InvitationUsed,
            ) => StatusCode::NOT_FOUND,
            AppError::People(PeopleProblem::InvitationForSomeoneElse) => StatusCode::FORBIDDEN,
            AppError::Link(LinkProblem::NotFound | LinkProblem::AccountNotFound) => {
                StatusCode::NOT_FOUND
            }
            AppError::ApiKey(_)
            | AppError::Webhook(_)
            | AppError::People(_)
            | AppError::Link(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Internal | AppError::Unreachable => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Logs the cause on the server and hands back the generic error.
    #[cfg(feature = "ssr")]
    pub fn internal(cause: impl std::fmt::Display) -> AppError {
        tracing::error!(error = %cause, "server function failed");
        AppError::Internal
    }
}

/// Storage and session failures are ours: logged, and the person hears only that.
#[cfg(feature = "ssr")]
macro_rules! internal_from {
    ($($cause:ty),*) => {$(
        impl From<$cause> for AppError {
            fn from(cause: $cause) -> AppError {
                AppError::internal(cause)
            }
        }
    )*};
}

#[cfg(feature = "ssr")]
internal_from!(
    sqlx::Error,
    tower_sessions::session::Error,
    leptos::prelude::ServerFnErrorErr
);

/// What the engine refused about workspaces and people, as the page says it.
#[cfg(feature = "ssr")]
impl From<engine::identity::workspaces::WorkspaceError> for AppError {
    fn from(error: engine::identity::workspaces::WorkspaceError) -> AppError {
        use engine::identity::workspaces::WorkspaceError;
        match error {
            WorkspaceError::InvalidName => AppError::People(PeopleProblem::InvalidName),
            WorkspaceError::NotAllowed => AppError::People(PeopleProblem::NotAllowed),
            WorkspaceError::LastOwner => AppError::People(PeopleProblem::LastOwner),
            WorkspaceError::NotMember => AppError::People(PeopleProblem::NotMember),
            WorkspaceError::UnknownWorkspace
            | WorkspaceError::AmbiguousName
            | WorkspaceError::UnknownPerson
            | WorkspaceError::AlreadyMember => AppError::NotFound,
            WorkspaceError::Database(cause) => AppError::internal(cause),
        }
    }
}

/// Why an invitation could not be made, revoked or accepted, as the pages say it.
#[cfg(feature = "ssr")]
impl From<engine::identity::invitations::InvitationError> for AppError {
    fn from(error: engine::identity::invitations::InvitationError) -> AppError {
        use engine::identity::invitations::InvitationError;
        AppError::People(match error {
            InvitationError::NotAllowed => PeopleProblem::NotAllowed,
            InvitationError::InvalidEmail => PeopleProblem::InvalidEmail,
            InvitationError::AlreadyMember => PeopleProblem::AlreadyMember,
            InvitationError::TooMany => PeopleProblem::TooManyInvitations,
            InvitationError::Unknown => PeopleProblem::InvitationUnknown,
            InvitationError::Expired => PeopleProblem::InvitationExpired,
            InvitationError::Used => PeopleProblem::InvitationUsed,
            InvitationError::ForSomeoneElse => PeopleProblem::InvitationForSomeoneElse,
            InvitationError::Database(cause) => return AppError::internal(cause),
        })
    }
}

/// Why a connect link could not be made or revoked, as the people page says it.
#[cfg(feature = "ssr")]
impl From<engine::connections::connect_links::LinkError> for AppError {
    fn from(error: engine::connections::connect_links::LinkError) -> AppError {
        use engine::connections::connect_links::LinkError;
        match error {
            LinkError::Refused(problem) => AppError::Link(problem),
            LinkError::NotAllowed => AppError::Forbidden,
            LinkError::Database(cause) => AppError::internal(cause),
        }
    }
}

/// A disconnect the person's role does not allow is refused like any other.
#[cfg(feature = "ssr")]
impl From<engine::connections::disconnect::DisconnectError> for AppError {
    fn from(error: engine::connections::disconnect::DisconnectError) -> AppError {
        use engine::connections::disconnect::DisconnectError;
        match error {
            DisconnectError::NotAllowed => AppError::Forbidden,
            DisconnectError::Database(cause) => AppError::internal(cause),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<engine::connections::disconnect::DeleteWorkspaceError> for AppError {
    fn from(error: engine::connections::disconnect::DeleteWorkspaceError) -> AppError {
        use engine::connections::disconnect::DeleteWorkspaceError;
        match error {
            DeleteWorkspaceError::NotAllowed => AppError::Forbidden,
            DeleteWorkspaceError::NameMismatch => AppError::People(PeopleProblem::NameMismatch),
            DeleteWorkspaceError::Database(cause) => AppError::internal(cause),
        }
    }
}

/// What a dashboard form asked that the engine refused, as the page says it.
#[cfg(feature = "ssr")]
impl From<engine::identity::api_keys::KeyError> for AppError {
    fn from(error: engine::identity::api_keys::KeyError) -> AppError {
        use engine::identity::api_keys::KeyError;
        match error {
            KeyError::InvalidName => AppError::ApiKey(ApiKeyProblem::InvalidName),
            KeyError::TooMany => AppError::ApiKey(ApiKeyProblem::TooMany),
            KeyError::Database(cause) => cause.into(),
        }
    }
}

#[cfg(feature = "ssr")]
impl From<engine::events::webhooks::EndpointError> for AppError {
    fn from(error: engine::events::webhooks::EndpointError) -> AppError {
        use engine::events::webhooks::EndpointError;
        use engine::net::address_guard::UrlRefused;
        let problem = match error {
            EndpointError::InvalidUrl | EndpointError::Refused(UrlRefused::NotHttp) => {
                WebhookProblem::InvalidUrl
            }
            EndpointError::TooLong => WebhookProblem::TooLong,
            EndpointError::Refused(UrlRefused::Private) => WebhookProblem::PrivateUrl,
            EndpointError::Refused(UrlRefused::Unresolvable) => WebhookProblem::UnresolvableUrl,
            EndpointError::TooMany => WebhookProblem::TooMany,
            EndpointError::Database(cause) => return cause.into(),
        };
        AppError::Webhook(problem)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) => AppError::Unreachable,
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                AppError::Invalid(message)
            }
            _ => AppError::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialise_with_a_stable_code() {
        let json = serde_json_like(&AppError::Invalid("bad".into()));
        assert_eq!(json, r#"{"code":"invalid","message":"bad"}"#);
        assert_eq!(
            serde_json_like(&AppError::Unauthorized),
            r#"{"code":"unauthorized"}"#
        );
        assert_eq!(
            serde_json_like(&AppError::Webhook(WebhookProblem::PrivateUrl)),
            r#"{"code":"webhook","message":"private_url"}"#
        );
    }

    fn serde_json_like(err: &AppError) -> String {
        String::from_utf8(err.ser().to_vec()).unwrap()
    }

    #[test]
    fn transport_failures_become_unreachable() {
        assert_eq!(
            AppError::from_server_fn_error(ServerFnErrorErr::Request("offline".into())),
            AppError::Unreachable
        );
        assert_eq!(
            AppError::from_server_fn_error(ServerFnErrorErr::ServerError("db".into())),
            AppError::Internal
        );
    }
}
