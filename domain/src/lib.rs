//! Plugboard's domain: pure types and rules with no I/O, compiled into both the server and the
//! browser bundle.

pub mod checks;
pub mod codes;
#[cfg(feature = "sqlx")]
pub mod columns;
pub mod events;
pub mod limits;
pub mod platform;
pub mod return_path;
pub mod roles;
pub mod token_status;
pub mod views;

/// The longest URL Plugboard takes from a person (a server, a webhook endpoint): longer than any
/// real one, short enough that what is stored, shown and sent stays small. Forms say so with
/// `maxlength`; the server refuses anything longer.
pub const MAX_TYPED_URL_CHARS: usize = 2048;

pub use checks::{CheckKind, CheckOutcome, FailureKind, ScopeReport};
pub use codes::{
    ApiKeyProblem, AuthProblem, CancelReason, ConnectErrorCode, FieldProblem, LinkProblem,
    PeopleProblem, PostStatus, Revocation, WebhookProblem,
};
pub use events::{AuditAction, DeliveryStatus, WebhookEvent};
pub use limits::{at_total_limit, check_connect, ConnectKind, LimitDecision, PlanLimits, Usage};
pub use platform::{ConnectMethod, CredentialField, ExpiryDisplay, Platform};
pub use return_path::is_local_path;
pub use roles::{Permission, Role};
pub use token_status::{token_status, StoredTokenStatus, TokenStatus};
pub use views::{
    connect_options, time_ago, AccountChoice, AccountChoices, AccountFilter, AccountStory,
    ApiKeyView, AuditEntry, BillingOverview, CheckEntry, ConnectLinkOffer, ConnectLinkView,
    ConnectOption, ConnectedAccount, ConnectedBy, CredentialsForm, DisconnectPreview,
    InvitationPreview, InvitationView, LiveStatuses, NewWebhookSecret, PeopleOverview, PersonView,
    PlanOffer, PlanSummary, PlatformAvailability, ReconnectTarget, SettingsOverview, StatusFilter,
    Unavailable, WebhookDelivery, WebhookEndpoint, WebhooksOverview, WorkspaceChoice,
};
