//! What server functions hand to the page. Never a token or secret.

use crate::limits::{check_connect, ConnectKind, PlanLimits, Usage};
use crate::platform::Platform;
use crate::token_status::TokenStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Who connected an account, as its card names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConnectedBy {
    /// A person of the workspace (or who was), by email.
    Person { email: String },
    /// A client, through a connect link, with the link's note when it had one.
    Link { note: Option<String> },
}

impl ConnectedBy {
    /// "Connected by …" on the card.
    pub fn describe(&self) -> String {
        match self {
            ConnectedBy::Person { email } => format!("by {email}"),
            ConnectedBy::Link { note: Some(note) } => format!("through the link “{note}”"),
            ConnectedBy::Link { note: None } => "through a connect link".to_owned(),
        }
    }
}

/// One row of the connections list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectedAccount {
    pub id: String,
    pub platform: Platform,
    /// The handle shown under the name (for TikTok, the creator username when known).
    pub username: String,
    /// The human name (for TikTok, the creator nickname when known).
    pub display_name: Option<String>,
    pub profile_image_url: Option<String>,
    pub status: TokenStatus,
    pub is_x_premium: bool,
    /// When Plugboard last refreshed the token by itself.
    pub refreshed_at: Option<DateTime<Utc>>,
    pub connected_at: DateTime<Utc>,
    /// Who connected it; `None` once that person no longer has an account.
    pub connected_by: Option<ConnectedBy>,
    /// Whether the person viewing the list may disconnect it.
    pub may_disconnect: bool,
    /// The account's last few audit entries, newest first.
    pub history: Vec<AuditEntry>,
}

crate::codes::code_enum! {
    /// A status the connections list can be filtered by (`?status=`).
    pub enum StatusFilter {
        Ok,
        ExpiringSoon,
        Expired,
        NeedsReconnect,
    }
}

impl StatusFilter {
    pub fn of(status: TokenStatus) -> StatusFilter {
        match status {
            TokenStatus::Ok => StatusFilter::Ok,
            TokenStatus::ExpiringSoon { .. } => StatusFilter::ExpiringSoon,
            TokenStatus::Expired => StatusFilter::Expired,
            TokenStatus::NeedsReconnect => StatusFilter::NeedsReconnect,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            StatusFilter::Ok => "Connected",
            StatusFilter::ExpiringSoon => "Expiring soon",
            StatusFilter::Expired => "Expired",
            StatusFilter::NeedsReconnect => "Reconnect needed",
        }
    }
}

/// Which accounts the connections list shows: those of one platform, in one status, or all.
/// Read from the page's query (`?show_platform=x&show_status=y`: a connect's outcome already
/// uses `platform`); a value Plugboard does not know filters nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AccountFilter {
    pub platform: Option<Platform>,
    pub status: Option<StatusFilter>,
}

impl AccountFilter {
    /// The query's names for the two choices.
    pub const PLATFORM: &'static str = "show_platform";
    pub const STATUS: &'static str = "show_status";

    pub fn from_query(platform: Option<&str>, status: Option<&str>) -> AccountFilter {
        AccountFilter {
            platform: platform.and_then(Platform::from_slug),
            status: status.and_then(StatusFilter::parse),
        }
    }

    pub fn is_set(&self) -> bool {
        self.platform.is_some() || self.status.is_some()
    }

    pub fn keeps(&self, account: &ConnectedAccount) -> bool {
        self.platform
            .is_none_or(|platform| platform == account.platform)
            && self
                .status
                .is_none_or(|status| status == StatusFilter::of(account.status))
    }
}

/// "just now", "5 minutes ago", "3 hours ago", "2 days ago".
pub fn time_ago(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - then).num_minutes().max(0);
    let (n, unit) = match minutes {
        0 => return "just now".to_owned(),
        m if m < 60 => (m, "minute"),
        m if m < 60 * 24 => (m / 60, "hour"),
        m => (m / (60 * 24), "day"),
    };
    format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" })
}

impl ConnectedAccount {
    /// The name to put first: the display name, else the handle.
    pub fn title(&self) -> &str {
        self.display_name
            .as_deref()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or(&self.username)
    }

    /// One or two letters for the avatar fallback.
    pub fn initials(&self) -> String {
        let initials: String = self
            .title()
            .split(|c: char| c.is_whitespace() || c == '_' || c == '.' || c == '-')
            .filter_map(|word| word.chars().find(|c| c.is_alphanumeric()))
            .take(2)
            .flat_map(char::to_uppercase)
            .collect();
        if initials.is_empty() {
            self.platform.display_name().chars().take(1).collect()
        } else {
            initials
        }
    }
}

/// The owner's plan, its caps and how much of them is used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub plan_id: String,
    pub plan_name: String,
    pub limits: PlanLimits,
    pub usage: Usage,
    pub at_limit: bool,
}

/// A plan as offered on the billing page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanOffer {
    pub id: String,
    pub name: String,
    pub description: String,
    pub monthly_price_cents: u32,
    pub limits: PlanLimits,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingOverview {
    pub current: PlanSummary,
    pub plans: Vec<PlanOffer>,
}

/// Whether this instance can connect a platform at all (it may lack the platform's app credentials).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlatformAvailability {
    pub platform: Platform,
    pub unavailable_reason: Option<String>,
}

/// Whether the Connect button for a platform can be used, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectOption {
    pub platform: Platform,
    pub unavailable: Option<Unavailable>,
}

/// Why a Connect button cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unavailable {
    /// Something about this platform alone (not configured here, or the plan's limit for it),
    /// said under its button.
    Because(String),
    /// The plan's total is reached: the page says so once, above the list, for every button.
    AtPlanLimit,
}

/// The account a Reconnect button is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconnectTarget {
    pub id: String,
    pub title: String,
}

/// The page that connects a platform with typed credentials (or asks for a Mastodon instance).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialsForm {
    pub platform: Platform,
    pub reconnect: Option<ReconnectTarget>,
    /// The server field's default: Bluesky's PDS, a Listmonk URL, a Mastodon instance.
    pub default_server: Option<String>,
    /// The server the person typed in an attempt that was just refused, to show it again. It
    /// comes from their session, never from the link: a link cannot choose where their
    /// credentials go.
    pub typed_server: Option<String>,
    /// What the built-in sandbox accepts, when it stands in for this platform.
    pub sandbox_hint: Option<String>,
    /// Why connecting is not possible right now (the plan's limit).
    pub unavailable_reason: Option<String>,
}

/// One of several accounts a consent covered (Facebook Pages), to pick from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChoice {
    pub id: String,
    pub title: String,
    pub username: String,
    pub avatar_url: Option<String>,
    pub already_connected: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountChoices {
    pub platform: Platform,
    pub selection_id: String,
    pub choices: Vec<AccountChoice>,
}

/// A URL that receives Plugboard's signed events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "crate::columns::Millis"))]
    pub created_at: DateTime<Utc>,
}

/// One event on its way to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct WebhookDelivery {
    pub id: String,
    pub event_kind: String,
    pub endpoint_url: String,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "String"))]
    pub status: crate::events::DeliveryStatus,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "i64"))]
    pub attempts: u32,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "crate::columns::MaybeStatusCode"))]
    pub last_status_code: Option<u16>,
    pub last_error: Option<String>,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "crate::columns::Millis"))]
    pub created_at: DateTime<Utc>,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "crate::columns::MaybeMillis"))]
    pub delivered_at: Option<DateTime<Utc>>,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "crate::columns::Millis"))]
    pub next_attempt_at: DateTime<Utc>,
}

/// The signing secret of a just-created endpoint: shown once, never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWebhookSecret {
    pub endpoint_id: String,
    pub secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhooksOverview {
    pub endpoints: Vec<WebhookEndpoint>,
    pub deliveries: Vec<WebhookDelivery>,
    pub new_secret: Option<NewWebhookSecret>,
    /// The URL typed in the last refused attempt to add one, for the form to show again.
    pub typed_url: Option<String>,
}

/// An account's current status, for updating the open page as health checks finish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveStatuses {
    /// Whether a check for this owner is still running.
    pub checking: bool,
    pub statuses: Vec<(String, TokenStatus)>,
}

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub action: String,
    /// The action in words.
    pub what: String,
    pub actor: String,
    pub account_id: Option<String>,
    pub platform: Option<Platform>,
    /// A name the entry is about (an API key's, an endpoint's URL, an account's handle).
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

/// A personal API key as listed (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub prefix: String,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "crate::columns::Millis"))]
    pub created_at: DateTime<Utc>,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "crate::columns::MaybeMillis"))]
    pub last_used_at: Option<DateTime<Utc>>,
    /// The email of the person the key acts as.
    pub created_by: String,
}

/// The settings page: API keys (with a just-created key, shown once) and the whole audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsOverview {
    pub api_keys: Vec<ApiKeyView>,
    pub new_key: Option<String>,
    pub audit: Vec<AuditEntry>,
}

/// One call Plugboard made to a platform for an account, for its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct CheckEntry {
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "crate::columns::Millis"))]
    pub at: DateTime<Utc>,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "String"))]
    pub kind: crate::CheckKind,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "String"))]
    pub outcome: crate::CheckOutcome,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "crate::columns::MaybeText"))]
    pub failure_class: Option<crate::FailureKind>,
    /// The platform's own error identifier, e.g. `invalid_grant` or `190`.
    pub platform_code: Option<String>,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "crate::columns::MaybeStatusCode"))]
    pub http_status: Option<u16>,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "i64"))]
    pub latency_ms: u32,
}

/// One account's story, for its detail page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountStory {
    pub account: ConnectedAccount,
    pub scopes: crate::ScopeReport,
    pub token_expires_at: Option<DateTime<Utc>>,
    /// When the worker will next refresh the token; `None` when it cannot be refreshed.
    pub next_refresh_at: Option<DateTime<Utc>>,
    pub last_checked_at: Option<DateTime<Utc>>,
    /// Newest first, for the last [`Self::kept_days`] days.
    pub checks: Vec<CheckEntry>,
    pub kept_days: u32,
    /// Whether the viewer may ask for a check now.
    pub may_check: bool,
}

/// What disconnecting an account will do, for the confirmation page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisconnectPreview {
    pub account: ConnectedAccount,
    /// Scheduled posts that target only this account: they are cancelled.
    pub posts_cancelled: u32,
    /// Scheduled posts that also target other accounts: they keep going to those.
    pub posts_continuing: u32,
    /// Whether Plugboard can revoke its access at the platform itself.
    pub revocable: bool,
    /// Where the person removes Plugboard's access by hand.
    pub connected_apps_url: Option<String>,
}

/// Combines what the instance supports with what the owner's plan still allows.
pub fn connect_options(
    plan: &PlanSummary,
    availability: &[PlatformAvailability],
) -> Vec<ConnectOption> {
    availability
        .iter()
        .map(|available| {
            let limit = check_connect(
                &plan.limits,
                &plan.usage,
                available.platform,
                ConnectKind::New,
            );
            // The plan's total is decided once, in `at_limit`, which also shows the notice.
            let unavailable = match &available.unavailable_reason {
                Some(reason) => Some(Unavailable::Because(reason.clone())),
                None if plan.at_limit => Some(Unavailable::AtPlanLimit),
                None => limit.explain(&plan.plan_name).map(Unavailable::Because),
            };
            ConnectOption {
                platform: available.platform,
                unavailable,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_card_names_a_person_or_the_link_an_account_came_through() {
        let person = ConnectedBy::Person {
            email: "ada@example.com".into(),
        };
        assert_eq!(person.describe(), "by ada@example.com");
        let link = ConnectedBy::Link {
            note: Some("For Acme".into()),
        };
        assert_eq!(link.describe(), "through the link “For Acme”");
        assert_eq!(
            ConnectedBy::Link { note: None }.describe(),
            "through a connect link"
        );
    }

    fn account(display_name: Option<&str>, username: &str) -> ConnectedAccount {
        ConnectedAccount {
            id: "a1".into(),
            platform: Platform::Mastodon,
            username: username.into(),
            display_name: display_name.map(Into::into),
            profile_image_url: None,
            status: TokenStatus::Ok,
            is_x_premium: false,
            refreshed_at: None,
            connected_at: DateTime::from_timestamp(0, 0).unwrap(),
            connected_by: None,
            may_disconnect: false,
            history: Vec::new(),
        }
    }

    #[test]
    fn the_filter_keeps_one_platform_one_status_or_everything() {
        let ok = account(None, "ada");
        let broken = ConnectedAccount {
            status: TokenStatus::NeedsReconnect,
            ..account(None, "bob")
        };
        let all = AccountFilter::from_query(None, None);
        assert!(!all.is_set() && all.keeps(&ok) && all.keeps(&broken));
        let needs = AccountFilter::from_query(None, Some("needs_reconnect"));
        assert!(!needs.keeps(&ok) && needs.keeps(&broken));
        let mastodon = AccountFilter::from_query(Some("mastodon"), None);
        assert!(mastodon.keeps(&ok));
        let x = AccountFilter::from_query(Some("x"), Some("ok"));
        assert!(!x.keeps(&ok));
        let unknown = AccountFilter::from_query(Some("myspace"), Some("fine"));
        assert_eq!(
            unknown,
            AccountFilter::default(),
            "an unknown value filters nothing"
        );
    }

    #[test]
    fn time_ago_reads_naturally() {
        let now = Utc::now();
        assert_eq!(time_ago(now, now), "just now");
        assert_eq!(
            time_ago(now - chrono::Duration::minutes(1), now),
            "1 minute ago"
        );
        assert_eq!(
            time_ago(now - chrono::Duration::minutes(59), now),
            "59 minutes ago"
        );
        assert_eq!(
            time_ago(now - chrono::Duration::hours(3), now),
            "3 hours ago"
        );
        assert_eq!(time_ago(now - chrono::Duration::days(1), now), "1 day ago");
        assert_eq!(
            time_ago(now + chrono::Duration::minutes(5), now),
            "just now"
        );
    }

    #[test]
    fn title_prefers_a_non_blank_display_name() {
        assert_eq!(account(Some("Ada Lovelace"), "ada").title(), "Ada Lovelace");
        assert_eq!(account(Some("  "), "ada").title(), "ada");
        assert_eq!(account(None, "ada").title(), "ada");
    }

    fn plan(total: Option<u32>, used: &[Platform]) -> PlanSummary {
        let limits = PlanLimits {
            total,
            per_platform: [(Platform::LinkedIn, 1)].into_iter().collect(),
        };
        let usage = Usage::from_platforms(used.iter().copied());
        PlanSummary {
            plan_id: "free".into(),
            plan_name: "Free".into(),
            // As the engine sets it.
            at_limit: crate::at_total_limit(&limits, &usage),
            limits,
            usage,
        }
    }

    fn available(platform: Platform, reason: Option<&str>) -> PlatformAvailability {
        PlatformAvailability {
            platform,
            unavailable_reason: reason.map(Into::into),
        }
    }

    #[test]
    fn connect_options_combine_availability_and_limits() {
        let options = connect_options(
            &plan(Some(3), &[Platform::LinkedIn]),
            &[
                available(Platform::X, None),
                available(Platform::LinkedIn, None),
                available(Platform::Slack, Some("Slack is not configured.")),
            ],
        );
        assert_eq!(options[0].unavailable, None);
        assert!(matches!(
            &options[1].unavailable,
            Some(Unavailable::Because(reason)) if reason.contains("1 LinkedIn account")
        ));
        assert_eq!(
            options[2].unavailable,
            Some(Unavailable::Because("Slack is not configured.".into()))
        );
    }

    #[test]
    fn connect_options_at_the_total_limit_are_all_refused_for_one_reason() {
        let options = connect_options(
            &plan(Some(1), &[Platform::X]),
            &[
                available(Platform::Reddit, None),
                available(Platform::Slack, Some("Slack is not configured.")),
            ],
        );
        assert_eq!(options[0].unavailable, Some(Unavailable::AtPlanLimit));
        // What is true of the platform alone is still said under its button.
        assert_eq!(
            options[1].unavailable,
            Some(Unavailable::Because("Slack is not configured.".into()))
        );
    }

    #[test]
    fn initials_take_the_first_letters_of_two_words() {
        assert_eq!(account(Some("ada lovelace byron"), "x").initials(), "AL");
        assert_eq!(account(None, "@grace_hopper").initials(), "GH");
        assert_eq!(account(None, "!!!").initials(), "M");
    }
}

/// A workspace a person belongs to, as the switcher lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct WorkspaceChoice {
    pub id: String,
    pub name: String,
    pub plan_id: String,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "String"))]
    pub role: crate::Role,
}

/// One person of a workspace, as the people page lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct PersonView {
    pub user_id: String,
    pub email: String,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "String"))]
    pub role: crate::Role,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "crate::columns::Millis"))]
    pub since: DateTime<Utc>,
}

/// An invitation not yet accepted, as the people page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::FromRow))]
pub struct InvitationView {
    pub id: String,
    pub email: String,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "String"))]
    pub role: crate::Role,
    /// The email of who invited them, while they have an account.
    pub invited_by: Option<String>,
    #[cfg_attr(feature = "sqlx", sqlx(try_from = "crate::columns::Millis"))]
    pub expires_at: DateTime<Utc>,
}

/// What an invitation link's page shows before it is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub workspace_name: String,
    pub email: String,
    pub role: crate::Role,
    pub invited_by: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// Who is signed in, if anyone.
    pub signed_in_as: Option<String>,
}

/// An open connect link, as the people page lists it (never its token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectLinkView {
    pub id: String,
    pub platforms: Vec<Platform>,
    /// The account it reconnects, by its title, when it is for one account.
    pub reconnects: Option<String>,
    pub note: Option<String>,
    pub uses_left: u32,
    pub expires_at: DateTime<Utc>,
    pub created_by: Option<String>,
}

/// What a connect link's page offers the person who opens it: the workspace's name, the note,
/// and the platforms, nothing else of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectLinkOffer {
    pub workspace_name: String,
    pub note: Option<String>,
    pub platforms: Vec<Platform>,
    /// The handle of the account to renew, when the link reconnects one.
    pub reconnects: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// The people page: who belongs to the current workspace, and what the viewer may do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleOverview {
    pub workspace_name: String,
    pub people: Vec<PersonView>,
    /// Open invitations (for those who may manage people; empty for the others).
    pub invitations: Vec<InvitationView>,
    /// A just-created invitation's link, shown once to copy.
    pub new_invitation_link: Option<String>,
    /// Open connect links (for those who may share them; empty for the others).
    pub connect_links: Vec<ConnectLinkView>,
    /// A just-created connect link, shown once to copy.
    pub new_connect_link: Option<String>,
    /// The workspace's accounts a reconnect link can be made for: (id, title, platform).
    pub accounts: Vec<(String, String, Platform)>,
    /// The viewer's own role.
    pub role: crate::Role,
    pub me: String,
}
