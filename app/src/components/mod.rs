//! The pieces of the pages, each named after what the person sees.

mod account_avatar;
mod account_card;
pub mod connect_buttons;
mod connections_list;
mod connections_skeleton;
mod dashboard_layout;
mod empty_state;
mod limit_notice;
mod oauth_error_handler;
mod status_pill;

pub use account_avatar::AccountAvatar;
pub use account_card::AccountCard;
pub use connect_buttons::ConnectButtons;
pub use connections_list::ConnectionsList;
pub use connections_skeleton::ConnectionsSkeleton;
pub use dashboard_layout::{DashboardLayout, Section};
pub use empty_state::EmptyState;
pub use limit_notice::LimitNotice;
pub use oauth_error_handler::OAuthErrorHandler;
pub use status_pill::{
    expires_in_text, LiveStatuses, StatusPill, LIVE_EVENTS_PATH, LIVE_STATUSES_PATH,
};

/// Whether the person viewing the page may use `permission` in their current workspace: the
/// page shows only the buttons they can use (the server checks again on every request).
pub(crate) fn viewer_may(permission: domain::Permission) -> bool {
    #[cfg(feature = "ssr")]
    {
        crate::server_context::viewer_may(permission)
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = permission;
        false
    }
}
