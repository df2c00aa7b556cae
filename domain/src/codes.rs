//! The codes a page is opened with when something did not happen (`?error=<code>`, `&field=`),
//! shared by the server that sends them and the pages that put them into words. One enum each,
//! one spelling each: a typo is a compile error, and a code a page does not know (a platform's
//! own) is handled as unknown on purpose, never by a silent catch-all.

/// Declares a code: an enum whose every variant has one spelling (strum's snake_case unless a
/// variant says otherwise), used for storing, sending, serde and `Display` alike, with `as_str`,
/// `parse`, `all` and `TryFrom<String>` (for rows).
macro_rules! code_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($variants:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            strum::EnumString,
            strum::IntoStaticStr,
            strum::VariantArray,
            serde::Serialize,
            serde::Deserialize,
        )]
        #[strum(serialize_all = "snake_case")]
        #[serde(into = "&'static str", try_from = "String")]
        pub enum $name { $($variants)* }

        impl $name {
            /// The name as it is stored, sent and read.
            pub fn as_str(self) -> &'static str {
                self.into()
            }

            /// Every name, in declaration order.
            pub fn all() -> &'static [Self] {
                <Self as strum::VariantArray>::VARIANTS
            }

            /// A name as it came back; `None` for one Plugboard does not know.
            pub fn parse(code: &str) -> Option<Self> {
                code.trim().parse().ok()
            }
        }

        /// A name as stored: exactly one of [`Self::all`], or an error.
        impl TryFrom<String> for $name {
            type Error = strum::ParseError;

            fn try_from(stored: String) -> Result<Self, strum::ParseError> {
                stored.parse()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use code_enum;

code_enum! {
    /// Why a connect, reconnect or disconnect did not happen: Plugboard's own codes, and the OAuth
    /// ones (RFC 6749 §4.1.2.1 and the platforms' variants) that Plugboard has words for.
    pub enum ConnectErrorCode {
        NotConfigured,
        LimitReached,
        /// A connect link that expired, was revoked or was used as often as it may be.
        LinkUnusable,
        /// Several accounts came back through a connect link: only one can be taken that way.
        LinkSeveralAccounts,
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
}

code_enum! {
    /// What is wrong with one field of a connect form (or, with no field, the form as a whole).
    pub enum FieldProblem {
        InvalidIdentifier,
        NotAppPassword,
        InvalidBotToken,
        InvalidUrl,
        /// Longer than any real address.
        TooLong,
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
}

code_enum! {
    /// Why the sign-in or sign-up form came back.
    pub enum AuthProblem {
        WrongCredentials,
        Throttled,
        SignUpThrottled,
        SignUpClosed,
        InvalidEmail,
        EmailTaken,
        PasswordTooShort,
        PasswordTooLong,
        PasswordGuessable,
        ServerError,
    }
}

code_enum! {
    /// Why creating or revoking an API key did not happen (the settings page). A failure on
    /// Plugboard's side is not one of these: it is the server function's internal error.
    pub enum ApiKeyProblem {
        InvalidName,
        TooMany,
        NotFound,
    }
}

code_enum! {
    /// Why a change to workspaces or their people did not happen (the switcher, the people page).
    pub enum PeopleProblem {
        InvalidName,
        /// Granting or changing a role above the person's own.
        NotAllowed,
        LastOwner,
        NotMember,
        InvalidEmail,
        AlreadyMember,
        TooManyInvitations,
        /// Never issued, or revoked.
        InvitationUnknown,
        InvitationExpired,
        InvitationUsed,
        /// Opened while signed in with another email address than the invited one.
        InvitationForSomeoneElse,
        /// The name typed to confirm deleting a workspace is not its name.
        NameMismatch,
    }
}

code_enum! {
    /// Why making or revoking a connect link did not happen (the people page).
    pub enum LinkProblem {
        NoPlatform,
        /// A note longer than 200 characters, or with control characters.
        InvalidNote,
        InvalidUses,
        InvalidExpiry,
        AccountNotFound,
        NotFound,
        TooMany,
    }
}

code_enum! {
    /// Why adding, removing or testing a webhook endpoint did not happen (the webhooks page).
    pub enum WebhookProblem {
        InvalidUrl,
        /// Longer than any real address.
        TooLong,
        PrivateUrl,
        UnresolvableUrl,
        TooMany,
        NotFound,
    }
}

code_enum! {
    /// What became of Plugboard's grant at the platform when an account was disconnected.
    pub enum Revocation {
        Revoked,
        /// The platform has no revocation endpoint: the person removes access by hand.
        NotSupported,
        /// The platform did not accept it; the account is disconnected all the same.
        Failed,
    }
}

code_enum! {
    /// Where a post scheduled through the integration API stands, as stored and sent.
    pub enum PostStatus {
        Scheduled,
        Cancelled,
    }
}

code_enum! {
    /// Why a post was cancelled, as stored and sent.
    pub enum CancelReason {
        /// Through the integration API.
        CancelledByOwner,
        /// Its only account was disconnected.
        AccountDisconnected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_reads_back_as_itself() {
        for code in ConnectErrorCode::all() {
            assert_eq!(ConnectErrorCode::parse(code.as_str()), Some(*code));
        }
        for code in FieldProblem::all() {
            assert_eq!(FieldProblem::parse(code.as_str()), Some(*code));
        }
        assert_eq!(
            ConnectErrorCode::LimitReached.as_str(),
            "limit_reached",
            "the spelling pages and links already use"
        );
        assert_eq!(ConnectErrorCode::parse("consent_required"), None);
        for status in PostStatus::all() {
            assert_eq!(PostStatus::parse(status.as_str()), Some(*status));
        }
        for reason in CancelReason::all() {
            assert_eq!(CancelReason::parse(reason.as_str()), Some(*reason));
        }
        assert_eq!(
            CancelReason::AccountDisconnected.as_str(),
            "account_disconnected",
            "the spelling the integration API already sends"
        );
    }
}
