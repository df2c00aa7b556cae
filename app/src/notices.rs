//! Turning the query parameters a page is opened with into words for the person.

use domain::{
    ApiKeyProblem, AuthProblem, ConnectErrorCode, CredentialField, FieldProblem, LinkProblem,
    PeopleProblem, Platform, Revocation, WebhookProblem,
};
use serde::{Deserialize, Serialize};

/// The query parameters a connect, a disconnect or a workspace's deletion leaves on the
/// connections page (an OAuth callback's, ours or a provider's).
pub const NOTICE_QUERY_KEYS: [&str; 9] = [
    "error",
    "error_description",
    "error_reason",
    "error_code",
    "error_uri",
    "platform",
    "connected",
    "disconnected",
    "deleted",
];

/// The query parameters that say a form left its outcome in the session ([`FLASH_NOTICE_KEY`]):
/// only then does the page read it.
pub const FLASH_QUERY_KEYS: [&str; 2] = ["disconnected", "deleted"];

/// Where a form leaves a [`Notice`] in the session for the next page to show once.
pub const FLASH_NOTICE_KEY: &str = "flash_notice";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Success,
    Error,
}

/// A message shown as a toast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub kind: NoticeKind,
    pub message: String,
    /// The provider's own words, when it gave any.
    pub details: Option<String>,
    /// A follow-up link (label, href), e.g. to the billing page.
    pub action: Option<(String, String)>,
}

const MAX_DETAILS: usize = 200;

/// Reads `error`, `error_description`, `error_reason`, `platform` and `connected`.
pub fn oauth_notice(get: impl Fn(&str) -> Option<String>) -> Option<Notice> {
    let platform_name = |slug: Option<String>| {
        slug.and_then(|s| Platform::from_slug(s.trim()))
            .map(|p| p.display_name().to_owned())
    };

    if let Some(error) = get("error").filter(|e| !e.trim().is_empty()) {
        let platform = platform_name(get("platform"));
        let name = platform.as_deref().unwrap_or("The platform");
        let reason = get("error_reason").unwrap_or_default();
        let code = if reason == "user_denied" {
            "access_denied"
        } else {
            error.trim()
        };
        let (message, action) = oauth_error_message(code, name);
        let details = get("error_description")
            .map(|d| d.trim().to_owned())
            .filter(|d| !d.is_empty())
            .map(|d| truncate(&d, MAX_DETAILS));
        return Some(Notice {
            kind: NoticeKind::Error,
            message,
            details,
            action,
        });
    }

    let connected = get("connected")?;
    let name = platform_name(Some(connected)).unwrap_or_else(|| "Your account".to_owned());
    Some(Notice {
        kind: NoticeKind::Success,
        message: format!("{name} is connected. Plugboard will keep its token fresh."),
        details: None,
        action: None,
    })
}

/// The words for a connect's `error`: a code Plugboard knows has its own; any other (a
/// platform's own code) gets the general sentence, with the platform's description beside it.
fn oauth_error_message(code: &str, name: &str) -> (String, Option<(String, String)>) {
    use ConnectErrorCode as Code;
    let Some(code) = ConnectErrorCode::parse(code) else {
        return (format!("Connecting {name} failed."), None);
    };
    let text = match code {
        Code::AccessDenied
        | Code::UserDenied
        | Code::UserCancelledLogin
        | Code::UserCancelledAuthorize
        | Code::Cancelled => format!("You cancelled connecting {name}. Nothing was changed."),
        Code::InvalidScope
        | Code::InsufficientScope
        | Code::MissingPermissions
        | Code::ScopeNotAuthorized => format!(
            "{name} did not grant every permission Plugboard needs. Connect again and allow all of them."
        ),
        Code::ServerError
        | Code::TemporarilyUnavailable
        | Code::ProviderUnavailable
        | Code::ProviderTimeout => format!(
            "{name} is having trouble right now. Nothing was changed; try again in a few minutes."
        ),
        Code::LimitReached => {
            return (
                "You have reached your plan's account limit.".to_owned(),
                Some(("Upgrade your plan".to_owned(), "/dashboard/billing".to_owned())),
            )
        }
        Code::InvalidState | Code::StateExpired | Code::StateMismatch | Code::StateUsed => {
            "That connect link expired or was already used. Start connecting again.".to_owned()
        }
        Code::InvalidToken => format!("{name} did not accept the new token when Plugboard checked who you are. Try connecting again."),
        Code::UnexpectedResponse | Code::ProviderError | Code::InvalidRequest => format!(
            "{name} answered in a way Plugboard did not expect. Nothing was changed; try again."
        ),
        Code::AccountNotFound => "That account is no longer connected. Connect it again.".to_owned(),
        Code::LinkUnusable => "This connect link has expired, was revoked or has been used. Ask for a new one.".to_owned(),
        Code::LinkSeveralAccounts => format!(
            "{name} offered several accounts. A connect link takes one: ask whoever sent it to connect from their dashboard, where you can pick."
        ),
        Code::AlreadyDisconnected => "That account was already disconnected.".to_owned(),
        Code::AccountMismatch => format!(
            "You signed in to a different {name} account than the one you were reconnecting. Sign in to that account, or connect the other one as a new account."
        ),
        Code::InvalidGrant => format!("{name} did not accept the authorization. Try connecting again."),
        Code::InvalidCredentials => format!("{name} did not accept those credentials."),
        Code::InternalError => "Something went wrong on Plugboard's side. Nothing was changed; try again.".to_owned(),
        Code::NotConfigured
        | Code::InvalidClient
        | Code::UnauthorizedClient
        | Code::UnsupportedResponseType => format!(
            "{name} is not set up correctly on this Plugboard instance. Ask your administrator to check its client ID and secret."
        ),
    };
    (text, None)
}

/// What disconnecting did, as the toast after it says it.
pub struct DisconnectOutcome<'a> {
    pub title: &'a str,
    pub platform: Platform,
    pub revocation: Revocation,
    pub connected_apps_url: Option<&'a str>,
    pub posts_cancelled: usize,
    pub posts_continuing: usize,
}

/// What deleting a workspace did, for the page the owner lands on.
pub fn workspace_deleted_notice(name: &str, accounts: usize) -> Notice {
    let details = match accounts {
        0 => None,
        1 => Some(
            "Its account was disconnected; Plugboard is revoking its access at the platform."
                .to_owned(),
        ),
        n => Some(format!(
            "Its {n} accounts were disconnected; Plugboard is revoking its access at each platform."
        )),
    };
    Notice {
        kind: NoticeKind::Success,
        message: format!(
            "The workspace {name} is deleted, with its keys, webhooks, links and scheduled posts."
        ),
        details,
        action: None,
    }
}

pub fn disconnect_notice(outcome: &DisconnectOutcome) -> Notice {
    let name = outcome.platform.display_name();
    let who = format!("{} on {name}", outcome.title);
    let message = match outcome.revocation {
        Revocation::Revoked => format!("{who} is disconnected, and Plugboard's access was revoked at {name}."),
        Revocation::Failed => format!(
            "{who} is disconnected. {name} did not confirm revoking Plugboard's access: remove Plugboard there to be sure."
        ),
        Revocation::NotSupported => format!(
            "{who} is disconnected. {name} does not let Plugboard revoke its own access: remove Plugboard there yourself."
        ),
    };
    let posts = |count: usize| {
        if count == 1 {
            "1 scheduled post".to_owned()
        } else {
            format!("{count} scheduled posts")
        }
    };
    let details = match (outcome.posts_cancelled, outcome.posts_continuing) {
        (0, 0) => None,
        (cancelled, 0) => Some(format!(
            "{} that went only to it {} cancelled.",
            posts(cancelled),
            were(cancelled)
        )),
        (0, continuing) => Some(format!(
            "{} with other accounts {} going to them.",
            posts(continuing),
            keeps(continuing)
        )),
        (cancelled, continuing) => Some(format!(
            "{} that went only to it {} cancelled; {} with other accounts {} going to them.",
            posts(cancelled),
            were(cancelled),
            posts(continuing),
            keeps(continuing)
        )),
    };
    let action = match (outcome.revocation, outcome.connected_apps_url) {
        (Revocation::Revoked, _) | (_, None) => None,
        (_, Some(url)) => Some((format!("Open {name}'s connected apps"), url.to_owned())),
    };
    Notice {
        kind: NoticeKind::Success,
        message,
        details,
        action,
    }
}

fn were(count: usize) -> &'static str {
    if count == 1 {
        "was"
    } else {
        "were"
    }
}

fn keeps(count: usize) -> &'static str {
    if count == 1 {
        "keeps"
    } else {
        "keep"
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(max_chars - 1).collect();
        cut.push('…');
        cut
    }
}

/// The message for a credentials form field (or, without a field, for the whole form): a field
/// problem has its own words; any other code is a connect error, worded as on the connections page.
pub fn credential_error_message(
    field: Option<CredentialField>,
    code: &str,
    platform: Platform,
) -> String {
    let Some(problem) = FieldProblem::parse(code) else {
        return oauth_error_message(code, platform.display_name()).0;
    };
    let text = match problem {
        FieldProblem::InvalidIdentifier => "Enter your handle (like you.bsky.social) or your account email.",
        FieldProblem::NotAppPassword => {
            "Use an app password (xxxx-xxxx-xxxx-xxxx) from Bluesky's Settings → Privacy and security → App passwords. Plugboard does not take your account password."
        }
        FieldProblem::InvalidBotToken => "Paste the whole token BotFather gave you, like 123456789:AAE…",
        FieldProblem::InvalidUrl => match field {
            Some(CredentialField::Instance) => "Enter your instance's address, like mastodon.social.",
            Some(
                CredentialField::BaseUrl
                | CredentialField::PdsUrl
                | CredentialField::Identifier
                | CredentialField::AppPassword
                | CredentialField::BotToken
                | CredentialField::ApiUser
                | CredentialField::ApiToken,
            )
            | None => "Enter the server's address, like https://lists.example.com.",
        },
        FieldProblem::TooLong => "That address is longer than any real one. Check what was pasted.",
        FieldProblem::UnresolvableUrl => "That address does not resolve. Check it for typos.",
        FieldProblem::PrivateUrl => {
            "That address is on a private or local network, which this Plugboard does not allow (an administrator can, with PLUGBOARD_ALLOW_PRIVATE_URLS)."
        }
        FieldProblem::InvalidApiUser => "Enter the API user's name (Listmonk: Admin → Users).",
        FieldProblem::MissingToken => "Enter the API user's token.",
        FieldProblem::Rejected => match field {
            Some(CredentialField::AppPassword) => "Bluesky did not accept this handle and app password.",
            Some(CredentialField::BotToken) => "Telegram did not accept this bot token. Check it with BotFather (/token).",
            Some(CredentialField::ApiToken) => "Listmonk did not accept this API user and token.",
            Some(
                CredentialField::Identifier
                | CredentialField::PdsUrl
                | CredentialField::BaseUrl
                | CredentialField::ApiUser
                | CredentialField::Instance,
            )
            | None => return format!("{} did not accept what was entered.", platform.display_name()),
        },
        FieldProblem::UsesCredentials => "This platform connects with the form below, not a consent screen.",
        FieldProblem::UsesConsent => "This platform connects through its consent screen.",
        FieldProblem::NonePicked => "Pick at least one account.",
    };
    text.to_owned()
}

/// Why the settings page's API key form did not do what was asked.
pub fn api_key_problem(problem: &ApiKeyProblem) -> &'static str {
    match problem {
        ApiKeyProblem::InvalidName => {
            "Give the key a name (1 to 80 characters), like the tool that will use it."
        }
        ApiKeyProblem::TooMany => {
            "You have as many API keys as Plugboard allows. Revoke one first."
        }
        ApiKeyProblem::NotFound => "That key was already revoked.",
    }
}

/// Why a change to workspaces or people did not happen.
pub fn people_problem(problem: &PeopleProblem) -> &'static str {
    match problem {
        PeopleProblem::InvalidName => "Give the workspace a name (1 to 80 characters).",
        PeopleProblem::NotAllowed => {
            "Your role cannot give that role, or change someone whose role is above yours."
        }
        PeopleProblem::LastOwner => {
            "A workspace always keeps an owner: make someone else owner first."
        }
        PeopleProblem::NotMember => "That person is no longer in this workspace.",
        PeopleProblem::InvalidEmail => "Enter an email address like name@example.com.",
        PeopleProblem::AlreadyMember => "That person is already in this workspace.",
        PeopleProblem::TooManyInvitations => {
            "This workspace has as many open invitations as Plugboard allows. Revoke one first."
        }
        PeopleProblem::InvitationUnknown => {
            "This invitation does not exist or was revoked. Ask for a new one."
        }
        PeopleProblem::InvitationExpired => {
            "This invitation has expired (they last 7 days). Ask for a new one."
        }
        PeopleProblem::InvitationUsed => "This invitation has already been accepted.",
        PeopleProblem::InvitationForSomeoneElse => {
            "This invitation is for another email address: sign out, then sign in or sign up with that one."
        }
        PeopleProblem::NameMismatch => {
            "Type the workspace's name exactly as it is shown to delete it."
        }
    }
}

/// Why a connect link could not be made or revoked.
pub fn link_problem(problem: &LinkProblem) -> &'static str {
    match problem {
        LinkProblem::NoPlatform => "Choose at least one platform the link connects.",
        LinkProblem::InvalidNote => "Keep the note to 200 characters, on one line.",
        LinkProblem::InvalidUses => "A link can be used from 1 to 100 times.",
        LinkProblem::InvalidExpiry => "A link lasts from 1 hour to 7 days.",
        LinkProblem::AccountNotFound => "That account is no longer connected.",
        LinkProblem::NotFound => "That link was already revoked or has run out.",
        LinkProblem::TooMany => {
            "This workspace has as many open connect links as Plugboard allows. Revoke one first."
        }
    }
}

/// Why the webhooks page's forms did not do what was asked.
pub fn webhook_problem(problem: &WebhookProblem) -> &'static str {
    match problem {
        WebhookProblem::InvalidUrl => "Enter a full address, like https://example.com/plugboard-events.",
        WebhookProblem::PrivateUrl => "That address is on a private or local network, which this Plugboard does not allow (an administrator can, with PLUGBOARD_ALLOW_PRIVATE_URLS).",
        WebhookProblem::TooLong => "That address is longer than any real one. Check what was pasted.",
        WebhookProblem::UnresolvableUrl => "That address does not resolve. Check it for typos.",
        WebhookProblem::TooMany => "You have as many endpoints as Plugboard allows. Remove one first.",
        WebhookProblem::NotFound => "That endpoint no longer exists.",
    }
}

/// The message for a sign-in or sign-up form, from the `error` code the form handler redirected with.
pub fn auth_error_message(code: &str, retry_minutes: Option<u32>) -> &'static str {
    // A code this page does not know (an old link) gets the general words.
    let Some(problem) = AuthProblem::parse(code) else {
        return "Something went wrong. Please try again.";
    };
    match problem {
        AuthProblem::WrongCredentials => "Email or password is incorrect.",
        AuthProblem::Throttled => match retry_minutes {
            Some(1) | None => "Too many failed sign-ins. Try again in a minute.",
            Some(_) => "Too many failed sign-ins. Wait a few minutes and try again.",
        },
        AuthProblem::SignUpThrottled => {
            "Too many accounts were created from your network just now. Try again later."
        }
        AuthProblem::SignUpClosed => {
            "This Plugboard is not open for sign-up. Ask its administrator for an account."
        }
        AuthProblem::InvalidEmail => "Enter an email address like name@example.com.",
        AuthProblem::EmailTaken => "An account with this email already exists. Sign in instead.",
        AuthProblem::PasswordTooShort => "Use at least 10 characters for your password.",
        AuthProblem::PasswordTooLong => "Use at most 256 characters for your password.",
        AuthProblem::PasswordGuessable => {
            "This password is too easy to guess. A few unrelated words make a strong one."
        }
        AuthProblem::ServerError => "Something went wrong. Please try again.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn notice(pairs: &[(&str, &str)]) -> Option<Notice> {
        let map: HashMap<&str, &str> = pairs.iter().copied().collect();
        oauth_notice(|key| map.get(key).map(|v| v.to_string()))
    }

    #[test]
    fn no_parameters_no_notice() {
        assert_eq!(notice(&[]), None);
        assert_eq!(notice(&[("error", "  ")]), None);
    }

    #[test]
    fn success_names_the_platform() {
        let n = notice(&[("connected", "linkedin")]).unwrap();
        assert_eq!(n.kind, NoticeKind::Success);
        assert!(n.message.starts_with("LinkedIn is connected."));
    }

    #[test]
    fn cancel_variants_all_read_as_cancelled() {
        for params in [
            vec![("error", "access_denied"), ("platform", "x")],
            vec![("error", "user_cancelled_login"), ("platform", "x")],
            vec![("error", "user_cancelled_authorize"), ("platform", "x")],
            vec![
                ("error", "anything"),
                ("error_reason", "user_denied"),
                ("platform", "x"),
            ],
        ] {
            let n = notice(&params).unwrap();
            assert_eq!(n.kind, NoticeKind::Error);
            assert_eq!(
                n.message,
                "You cancelled connecting X. Nothing was changed."
            );
        }
    }

    #[test]
    fn permission_provider_and_limit_errors_have_their_own_words() {
        let scope = notice(&[("error", "invalid_scope"), ("platform", "tiktok")]).unwrap();
        assert!(scope.message.contains("permission"), "{}", scope.message);
        let down = notice(&[("error", "temporarily_unavailable"), ("platform", "reddit")]).unwrap();
        assert!(down.message.starts_with("Reddit is having trouble"));
        let limit = notice(&[("error", "limit_reached"), ("platform", "x")]).unwrap();
        assert_eq!(
            limit.action,
            Some(("Upgrade your plan".into(), "/dashboard/billing".into()))
        );
    }

    #[test]
    fn unknown_codes_and_platforms_fall_back_gracefully() {
        let n = notice(&[("error", "weird"), ("platform", "myspace")]).unwrap();
        assert_eq!(n.message, "Connecting The platform failed.");
    }

    #[test]
    fn provider_description_is_kept_short_and_plain() {
        let long = "a".repeat(500);
        let n = notice(&[("error", "server_error"), ("error_description", &long)]).unwrap();
        let details = n.details.unwrap();
        assert_eq!(details.chars().count(), MAX_DETAILS);
        assert!(details.ends_with('…'));
    }

    #[test]
    fn an_error_wins_over_a_success_parameter() {
        let n = notice(&[("error", "access_denied"), ("connected", "x")]).unwrap();
        assert_eq!(n.kind, NoticeKind::Error);
    }

    #[test]
    fn credential_errors_speak_of_the_field() {
        assert!(credential_error_message(
            Some(CredentialField::AppPassword),
            "not_app_password",
            Platform::Bluesky
        )
        .contains("app password"));
        assert!(credential_error_message(
            Some(CredentialField::BotToken),
            "rejected",
            Platform::Telegram
        )
        .contains("BotFather"));
        assert!(credential_error_message(
            Some(CredentialField::Instance),
            "invalid_url",
            Platform::Mastodon
        )
        .contains("mastodon.social"));
        assert!(credential_error_message(
            Some(CredentialField::BaseUrl),
            "private_url",
            Platform::Listmonk
        )
        .contains("private"));
        assert_eq!(
            credential_error_message(None, "limit_reached", Platform::Listmonk),
            "You have reached your plan's account limit."
        );
        assert!(
            credential_error_message(None, "temporarily_unavailable", Platform::Bluesky)
                .starts_with("Bluesky is having trouble")
        );
    }

    fn outcome(revocation: Revocation, cancelled: usize, continuing: usize) -> Notice {
        disconnect_notice(&DisconnectOutcome {
            title: "Ada",
            platform: Platform::Pinterest,
            revocation,
            connected_apps_url: Some("https://www.pinterest.com/settings/security"),
            posts_cancelled: cancelled,
            posts_continuing: continuing,
        })
    }

    #[test]
    fn a_revoked_disconnect_needs_no_follow_up() {
        let n = outcome(Revocation::Revoked, 0, 0);
        assert_eq!(n.kind, NoticeKind::Success);
        assert!(n.message.contains("revoked at Pinterest"), "{}", n.message);
        assert_eq!((n.details, n.action), (None, None));
    }

    #[test]
    fn without_revocation_the_toast_links_to_the_platforms_page() {
        for revocation in [Revocation::NotSupported, Revocation::Failed] {
            let n = outcome(revocation, 0, 0);
            assert!(
                n.message.contains("remove Plugboard there"),
                "{}",
                n.message
            );
            assert_eq!(
                n.action,
                Some((
                    "Open Pinterest's connected apps".into(),
                    "https://www.pinterest.com/settings/security".into()
                ))
            );
        }
    }

    #[test]
    fn the_toast_counts_cancelled_and_continuing_posts() {
        assert_eq!(
            outcome(Revocation::Revoked, 1, 0).details.as_deref(),
            Some("1 scheduled post that went only to it was cancelled.")
        );
        assert_eq!(
            outcome(Revocation::Revoked, 2, 1).details.as_deref(),
            Some("2 scheduled posts that went only to it were cancelled; 1 scheduled post with other accounts keeps going to them.")
        );
        assert_eq!(
            outcome(Revocation::Revoked, 0, 3).details.as_deref(),
            Some("3 scheduled posts with other accounts keep going to them.")
        );
    }

    #[test]
    fn auth_messages_cover_each_code() {
        assert_eq!(
            auth_error_message("wrong_credentials", None),
            "Email or password is incorrect."
        );
        assert!(auth_error_message("throttled", Some(10)).contains("few minutes"));
        assert!(auth_error_message("throttled", Some(1)).contains("a minute"));
        assert!(auth_error_message("email_taken", None).contains("already exists"));
        assert!(auth_error_message("password_guessable", None).contains("too easy"));
        assert_eq!(
            auth_error_message("?", None),
            "Something went wrong. Please try again."
        );
    }

    #[test]
    fn every_form_problem_has_its_own_words() {
        let key_words: Vec<_> = ApiKeyProblem::all().iter().map(api_key_problem).collect();
        let hook_words: Vec<_> = WebhookProblem::all().iter().map(webhook_problem).collect();
        let people_words: Vec<_> = PeopleProblem::all().iter().map(people_problem).collect();
        let link_words: Vec<_> = LinkProblem::all().iter().map(link_problem).collect();
        for words in [key_words, hook_words, people_words, link_words] {
            let distinct: std::collections::HashSet<_> = words.iter().collect();
            assert_eq!(distinct.len(), words.len(), "{words:?}");
        }
    }
}
