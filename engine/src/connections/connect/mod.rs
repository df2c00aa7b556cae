//! Connecting accounts: starting an OAuth consent, finishing it at the callback, choosing among
//! several accounts, checking typed credentials, and storing the result: one row per (owner,
//! platform, platform account), updated in place on reconnect, within the plan's limits.

mod callback;
mod choose;
mod credentials;
mod error;
mod mastodon;
mod start;
mod store;

pub use callback::{finish, CallbackOutcome, CallbackParams};
pub use choose::{
    choose, delete_expired_selections, selection_choices, Choice, SELECTION_LIFETIME,
};
pub use credentials::{connect_credentials, CredentialInput};
pub use error::{ConnectError, Stage};
pub use mastodon::instance_url;
pub(crate) use mastodon::mastodon_client;
pub use start::start;
pub use store::store;
