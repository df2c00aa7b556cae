use domain::{ConnectMethod, ConnectOption, Platform, Unavailable};
use leptos::prelude::*;

/// Where a Connect or Reconnect button goes. Starting an OAuth connect changes state, so it is a
/// form post (which the cross-site check covers); platforms connected with credentials, and
/// Mastodon before its instance is known, first show a form page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectAction {
    /// A page with a form (a plain link).
    Form(String),
    /// A post that sends the person to the platform's consent screen, naming the account to
    /// reconnect, if any.
    Consent {
        action: String,
        account: Option<String>,
    },
}

fn form_page(platform: Platform) -> String {
    format!("/dashboard/connections/new/{}", platform.slug())
}

fn consent(platform: Platform, account: Option<&str>) -> ConnectAction {
    ConnectAction::Consent {
        action: format!("/api/v1/auth/{}/connect", platform.slug()),
        account: account.map(str::to_owned),
    }
}

/// What a Connect button does.
pub fn connect_action(platform: Platform) -> ConnectAction {
    if platform.connect_method().starts_on_form() {
        ConnectAction::Form(form_page(platform))
    } else {
        consent(platform, None)
    }
}

/// What an account's Reconnect button does (Mastodon reconnects to the instance it is on).
pub fn reconnect_action(platform: Platform, account_id: &str) -> ConnectAction {
    if platform.connect_method() == ConnectMethod::Credentials {
        ConnectAction::Form(format!("{}?account={account_id}", form_page(platform)))
    } else {
        consent(platform, Some(account_id))
    }
}

/// A link or a one-button form, as `action` says.
#[component]
pub fn ConnectControl(
    action: ConnectAction,
    class: &'static str,
    #[prop(optional)] label: Option<String>,
    children: Children,
) -> impl IntoView {
    match action {
        ConnectAction::Form(href) => {
            view! { <a class=class href=href aria-label=label>{children()}</a> }.into_any()
        }
        ConnectAction::Consent { action, account } => view! {
            <form class="connect-form" method="post" action=action>
                {account.map(|id| view! { <input type="hidden" name="account" value=id/> })}
                <button type="submit" class=class aria-label=label>{children()}</button>
            </form>
        }
        .into_any(),
    }
}

/// The id of the notice that says the plan's limit is reached, which every held button points to.
pub const PLAN_LIMIT_NOTICE: &str = "plan-limit";

/// A Connect button for every platform; the ones that cannot be used say why. At the plan's
/// limit the grid is held as a whole, its buttons pointing to the one notice that says so.
#[component]
pub fn ConnectButtons(
    options: Vec<ConnectOption>,
    /// The plan's total is reached (`PlanSummary::at_limit`, which also shows the notice).
    held: bool,
) -> impl IntoView {
    view! {
        <ul class=if held { "connect-grid connect-grid-held" } else { "connect-grid" }>
            {options
                .into_iter()
                .map(|option| {
                    let platform = option.platform;
                    let slug = platform.slug();
                    let label = format!("Connect {}", platform.display_name());
                    let mark = view! { <span class=format!("platform-mark platform-{slug}") aria-hidden="true"></span> };
                    let control = match option.unavailable {
                        None => view! {
                            <ConnectControl action=connect_action(platform) class="connect-button">
                                {mark}{label}
                            </ConnectControl>
                        }
                        .into_any(),
                        Some(Unavailable::AtPlanLimit) => view! {
                            <button type="button" class="connect-button" disabled aria-describedby=PLAN_LIMIT_NOTICE>
                                {mark}{label}
                            </button>
                        }
                        .into_any(),
                        Some(Unavailable::Because(reason)) => {
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
    fn oauth_platforms_post_to_their_consent_screen_and_the_others_show_a_form() {
        assert_eq!(connect_action(Platform::X), consent(Platform::X, None));
        assert_eq!(
            connect_action(Platform::Mastodon),
            ConnectAction::Form("/dashboard/connections/new/mastodon".into())
        );
        assert_eq!(
            connect_action(Platform::Telegram),
            ConnectAction::Form("/dashboard/connections/new/telegram".into())
        );
    }

    #[test]
    fn reconnect_names_the_account() {
        assert_eq!(
            reconnect_action(Platform::Reddit, "a1"),
            ConnectAction::Consent {
                action: "/api/v1/auth/reddit/connect".into(),
                account: Some("a1".into())
            }
        );
        assert_eq!(
            reconnect_action(Platform::Mastodon, "a1"),
            consent(Platform::Mastodon, Some("a1"))
        );
        assert_eq!(
            reconnect_action(Platform::Bluesky, "a1"),
            ConnectAction::Form("/dashboard/connections/new/bluesky?account=a1".into())
        );
    }
}
