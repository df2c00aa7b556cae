use domain::{ConnectMethod, ConnectOption, Platform};
use leptos::prelude::*;

/// Where a Connect button leads: the platform's consent screen (through Plugboard), or a form
/// for platforms connected with credentials and for Mastodon (which needs the instance first).
pub fn connect_href(platform: Platform) -> String {
    if platform.connect_method() == ConnectMethod::Credentials || platform == Platform::Mastodon {
        format!("/dashboard/connections/new/{}", platform.slug())
    } else {
        format!("/api/v1/auth/{}/connect", platform.slug())
    }
}

/// Where an account's Reconnect button leads (Mastodon reconnects to the instance it is on).
pub fn reconnect_href(platform: Platform, account_id: &str) -> String {
    if platform.connect_method() == ConnectMethod::Credentials {
        format!(
            "/dashboard/connections/new/{}?account={account_id}",
            platform.slug()
        )
    } else {
        format!(
            "/api/v1/auth/{}/connect?account={account_id}",
            platform.slug()
        )
    }
}

/// A Connect button for every platform; the ones that cannot be used say why.
#[component]
pub fn ConnectButtons(options: Vec<ConnectOption>) -> impl IntoView {
    view! {
        <ul class="connect-grid">
            {options
                .into_iter()
                .map(|option| {
                    let platform = option.platform;
                    let slug = platform.slug();
                    let label = format!("Connect {}", platform.display_name());
                    let mark = view! { <span class=format!("platform-mark platform-{slug}") aria-hidden="true"></span> };
                    let control = match option.unavailable_reason {
                        None => view! {
                            <a class="connect-button" href=connect_href(platform)>{mark}{label}</a>
                        }
                        .into_any(),
                        Some(reason) => {
                            let reason_id = format!("connect-{slug}-reason");
                            view! {
                                <button type="button" class="connect-button" disabled aria-describedby=reason_id.clone()>
                                    {mark}{label}
                                </button>
                                <span class="connect-reason" id=reason_id>{reason}</span>
                            }
                            .into_any()
                        }
                    };
                    view! { <li data-platform=slug>{control}</li> }
                })
                .collect_view()}
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_platforms_go_to_their_consent_screen_and_the_others_to_a_form() {
        assert_eq!(connect_href(Platform::X), "/api/v1/auth/x/connect");
        assert_eq!(
            connect_href(Platform::Mastodon),
            "/dashboard/connections/new/mastodon"
        );
        assert_eq!(
            connect_href(Platform::Telegram),
            "/dashboard/connections/new/telegram"
        );
    }

    #[test]
    fn reconnect_names_the_account() {
        assert_eq!(
            reconnect_href(Platform::Reddit, "a1"),
            "/api/v1/auth/reddit/connect?account=a1"
        );
        assert_eq!(
            reconnect_href(Platform::Mastodon, "a1"),
            "/api/v1/auth/mastodon/connect?account=a1"
        );
        assert_eq!(
            reconnect_href(Platform::Bluesky, "a1"),
            "/dashboard/connections/new/bluesky?account=a1"
        );
    }
}
