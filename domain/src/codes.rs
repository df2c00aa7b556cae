//! The codes a page is opened with when something did not happen (`?error=<code>`, `&field=`),
//! shared by the server that sends them and the pages that put them into words. One enum each,
//! one spelling each: a typo is a compile error, and a code a page does not know (a platform's
//! own) is handled as unknown on purpose, never by a silent catch-all.

use strum::{EnumString, IntoStaticStr, VariantArray};

/// Why a connect, reconnect or disconnect did not happen: Plugboard's own codes, and the OAuth
/// ones (RFC 6749 §4.1.2.1 and the platforms' variants) that Plugboard has words for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumString, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum ConnectErrorCode {
    NotConfigured,
    LimitReached,
    AccountNotFound,
    AccountMismatch,
    AlreadyDisconnected,
    InvalidState,
    StateUsed,
    StateExpired,
    StateMismatch,
    InvalidToken,
    InvalidCredentials,
    InvalidGrant,
    InvalidClient,
    InvalidRequest,
    InvalidScope,
    TemporarilyUnavailable,
    ProviderTimeout,
    ProviderUnavailable,
    ProviderError,
    UnexpectedResponse,
    InternalError,
    AccessDenied,
    UserDenied,
    UserCancelledLogin,
    UserCancelledAuthorize,
    Cancelled,
    InsufficientScope,
    MissingPermissions,
    ScopeNotAuthorized,
    ServerError,
    UnauthorizedClient,
    UnsupportedResponseType,
}

/// What is wrong with one field of a connect form (or, with no field, the form as a whole).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumString, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum FieldProblem {
    InvalidIdentifier,
    NotAppPassword,
    InvalidBotToken,
    InvalidUrl,
    UnresolvableUrl,
    PrivateUrl,
    InvalidApiUser,
    MissingToken,
    /// The platform refused what was typed.
    Rejected,
    /// A credentials platform was asked to start an OAuth consent.
    UsesCredentials,
    /// Credentials were posted for a platform that connects through its consent screen.
    UsesConsent,
    /// Nothing was ticked on the page that offers several accounts.
    NonePicked,
}

/// `as_str`, `parse` and `Display` for a strum-derived name enum.
macro_rules! code_text {
    ($($code:ty),*) => {$(
        impl $code {
            /// The name as it is stored, sent and read.
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// A name as it came back; `None` for one Plugboard does not know.
            pub fn parse(code: &str) -> Option<Self> {
                code.trim().parse().ok()
            }
        }

        impl std::fmt::Display for $code {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

pub(crate) use code_text;

code_text!(ConnectErrorCode, FieldProblem);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_itself() {
        for code in ConnectErrorCode::VARIANTS {
            assert_eq!(ConnectErrorCode::parse(code.as_str()), Some(*code));
        }
        for code in FieldProblem::VARIANTS {
            assert_eq!(FieldProblem::parse(code.as_str()), Some(*code));
        }
        assert_eq!(
            ConnectErrorCode::LimitReached.as_str(),
            "limit_reached",
            "the spelling pages and links already use"
        );
        assert_eq!(ConnectErrorCode::parse("consent_required"), None);
    }
}
