use crate::components::{AccountCard, ConnectButtons, EmptyState, LimitNotice, LiveStatuses};
use domain::{connect_options, ConnectedAccount, PlanSummary, PlatformAvailability};
use leptos::prelude::*;

/// The loaded page: the limit notice when at the cap, the accounts (or the empty state), and a
/// Connect button for every platform.
#[component]
pub fn ConnectionsList(
    accounts: Vec<ConnectedAccount>,
    plan: PlanSummary,
    availability: Vec<PlatformAvailability>,
) -> impl IntoView {
    let may_connect = crate::components::viewer_may(domain::Permission::Connect);
    let count = accounts.len();
    let usage_label = match plan.limits.total {
        Some(limit) => format!("{count} of {limit}"),
        None => count.to_string(),
    };
    let blocked = |platform: domain::Platform| {
        availability
            .iter()
            .find(|a| a.platform == platform)
            .and_then(|a| a.unavailable_reason.clone())
    };
    let body = if accounts.is_empty() {
        view! { <EmptyState/> }.into_any()
    } else {
        view! {
            <ul class="accounts">
                {accounts
                    .into_iter()
                    .map(|account| {
                        let reconnect_blocked = blocked(account.platform);
                        view! { <AccountCard account reconnect_blocked may_connect/> }
                    })
                    .collect_view()}
            </ul>
            <LiveStatuses/>
        }
        .into_any()
    };
    let options = connect_options(&plan, &availability);
    view! {
        <div class="connections-list" data-testid="connections-list">
            {plan.at_limit.then(|| view! { <LimitNotice plan=plan.clone()/> })}
            <section class="panel" aria-labelledby="accounts-heading">
                <header class="panel-header">
                    <h2 id="accounts-heading">"Connected accounts"</h2>
                    <span class="panel-count" title="Accounts used on the workspace's plan">{usage_label}</span>
                </header>
                {body}
            </section>
            {may_connect.then(|| view! {
                <section class="panel" id="connect" aria-labelledby="connect-heading">
                    <header class="panel-header">
                        <h2 id="connect-heading">"Connect an account"</h2>
                    </header>
                    <ConnectButtons options/>
                </section>
            })}
        </div>
    }
}
