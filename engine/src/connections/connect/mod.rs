//! Connecting accounts: starting an OAuth consent, finishing it at the callback, choosing among
//! several accounts, checking typed credentials, and storing the result: one row per (workspace,
//! platform, platform account), updated in place on reconnect, within the plan's limits.

mod callback;
mod choose;
mod credentials;
mod error;
mod form;
mod start;
mod store;
mod their_server;

pub use crate::platforms::credentials::CredentialInput;
pub use callback::{finish, CallbackOutcome, CallbackParams};
pub use choose::{
    choose, delete_expired_selections, selection_choices, Choice, SELECTION_LIFETIME,
};
pub use credentials::connect_credentials;
pub use error::{ConnectError, Stage};
pub use form::connect_form;
pub use start::start;
pub use store::store;
pub(crate) use their_server::client_on_their_server;
pub use their_server::instance_url;

use crate::identity::workspaces::Member;

/// Who a connect is for: the workspace the account lands in (and whose plan limits it), and who
/// acts: a signed-in person, or whoever opened a connect link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connector {
    pub workspace_id: String,
    pub plan_id: String,
    /// The person connecting, recorded as the account's connector; none through a link.
    pub user_id: Option<String>,
    /// The connect link the connect came through, which each stored account uses up once.
    pub link_id: Option<String>,
    /// The name the audit trail shows.
    pub actor: String,
}

impl Connector {
    /// What the OAuth state of a connect is bound to.
    pub fn starter(&self) -> crate::connections::oauth_state::Starter<'_> {
        crate::connections::oauth_state::Starter {
            workspace_id: &self.workspace_id,
            user_id: self.user_id.as_deref(),
            link_id: self.link_id.as_deref(),
        }
    }
}

impl From<&Member> for Connector {
    fn from(member: &Member) -> Connector {
        Connector {
            workspace_id: member.workspace.id.clone(),
            plan_id: member.workspace.plan_id.clone(),
            user_id: Some(member.user.id.clone()),
            link_id: None,
            actor: member.user.email.clone(),
        }
    }
}
