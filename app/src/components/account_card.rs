use crate::components::connect_buttons::{reconnect_action, ConnectControl};
use crate::components::{AccountAvatar, StatusPill};
use domain::{AuditEntry, ConnectedAccount};
use leptos::prelude::*;

/// One connected account: who it is, where, how its token is doing, and what can be done with it.
#[component]
pub fn AccountCard(
    account: ConnectedAccount,
    /// Why this instance cannot reconnect the platform right now (no credentials configured).
    reconnect_blocked: Option<String>,
    /// Whether the viewer's role may connect and reconnect.
    may_connect: bool,
) -> impl IntoView {
    let platform = account.platform;
    let title = account.title().to_owned();
    let handle = (account.display_name.is_some()).then(|| account.username.clone());
    let premium = account.is_x_premium.then(|| {
        view! { <span class="badge badge-premium" title="X Premium subscriber">"Premium"</span> }
    });
    let refreshed = account.refreshed_at.map(|at| domain::time_ago(at, now()));
    let connected = match &account.connected_by {
        Some(by) => format!(
            "Connected {} {}",
            by.describe(),
            domain::time_ago(account.connected_at, now())
        ),
        None => format!(
            "Connected {}",
            domain::time_ago(account.connected_at, now())
        ),
    };
    let reconnect_label = format!("Reconnect {title} on {platform}");
    let disconnect_label = format!("Disconnect {title} from {platform}");
    view! {
        <li class="account" data-account-id=account.id.clone() data-platform=platform.slug()>
            <AccountAvatar
                url=account.profile_image_url.clone()
                initials=account.initials()
                platform=platform
            />
            <div class="account-who">
                <p class="account-name">
                    <a class="account-title" href=crate::forms::account_page(&account.id)>{title}</a>
                    {premium}
                </p>
                <p class="account-where">
                    <span class="account-platform">{platform.display_name()}</span>
                    {handle.map(|h| view! { <span class="account-handle">{h}</span> })}
                    {refreshed.map(|ago| view! { <span class="account-refreshed">{format!("Token refreshed {ago}")}</span> })}
                </p>
                <p class="account-connected hint">{connected}</p>
            </div>
            <StatusPill status=account.status/>
            <div class="account-actions">
                {match reconnect_blocked.filter(|_| may_connect) {
                    None if !may_connect => ().into_any(),
                    None => view! {
                        <ConnectControl
                            action=reconnect_action(platform, &account.id)
                            class="button"
                            label=reconnect_label
                        >
                            "Reconnect"
                        </ConnectControl>
                    }
                    .into_any(),
                    Some(reason) => view! {
                        <button type="button" class="button" disabled aria-label=reconnect_label title=reason>
                            "Reconnect"
                        </button>
                    }
                    .into_any(),
                }}
                {account.may_disconnect.then(|| view! {
                    <a
                        class="button button-quiet"
                        href=format!("/dashboard/connections/{}/disconnect", account.id)
                        aria-label=disconnect_label
                    >
                        "Disconnect"
                    </a>
                })}
            </div>
            <AccountHistory entries=account.history/>
        </li>
    }
}

/// The account's last few audit entries, folded away until asked for.
#[component]
fn AccountHistory(entries: Vec<AuditEntry>) -> impl IntoView {
    (!entries.is_empty()).then(|| {
        let now = now();
        view! {
            <details class="account-history">
                <summary>"Recent activity"</summary>
                <ul>
                    {entries
                        .into_iter()
                        .map(|entry| {
                            let ago = domain::time_ago(entry.at, now);
                            view! {
                                <li data-action=entry.action.clone()>
                                    {format!("{} by {}", entry.what, entry.actor)}
                                    <span class="hint">{format!(" · {ago}")}</span>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </details>
        }
    })
}

fn now() -> chrono::DateTime<chrono::Utc> {
    #[cfg(feature = "ssr")]
    {
        chrono::Utc::now()
    }
    #[cfg(not(feature = "ssr"))]
    {
        chrono::DateTime::<chrono::Utc>::MIN_UTC
    }
}
