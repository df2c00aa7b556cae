use crate::components::{AccountCard, ConnectButtons, EmptyState, LimitNotice, LiveStatuses};
use domain::{
    connect_options, AccountFilter, ConnectedAccount, PlanSummary, Platform, PlatformAvailability,
    StatusFilter,
};
use leptos::prelude::*;

/// The loaded page: the limit notice when at the cap, the accounts (or the empty state), and a
/// Connect button for every platform.
#[component]
pub fn ConnectionsList(
    accounts: Vec<ConnectedAccount>,
    plan: PlanSummary,
    availability: Vec<PlatformAvailability>,
    /// Which accounts to show (the page's `?show_platform=&show_status=`).
    #[prop(optional)]
    filter: AccountFilter,
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
    let mut platforms: Vec<Platform> = accounts.iter().map(|account| account.platform).collect();
    platforms.dedup();
    let shown: Vec<ConnectedAccount> = accounts
        .into_iter()
        .filter(|account| filter.keeps(account))
        .collect();
    let body = if count == 0 {
        view! { <EmptyState/> }.into_any()
    } else if shown.is_empty() {
        view! {
            <p class="hint filter-empty">
                "No account matches this filter. "
                <a href="/dashboard/connections">"Show all accounts"</a>
            </p>
        }
        .into_any()
    } else {
        view! {
            <ul class="accounts">
                {shown
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
                {(count > 1).then(|| view! { <ListFilter filter platforms/> })}
                {body}
            </section>
            {may_connect.then(|| view! {
                <section class="panel" id="connect" aria-labelledby="connect-heading">
                    <header class="panel-header">
                        <h2 id="connect-heading">"Connect an account"</h2>
                    </header>
                    <ConnectButtons options held=plan.at_limit/>
                </section>
            })}
        </div>
    }
}

/// Narrows the list to one platform or one status. A plain GET form: it works without
/// JavaScript, and the filtered list has its own address to share.
#[component]
fn ListFilter(filter: AccountFilter, platforms: Vec<Platform>) -> impl IntoView {
    view! {
        <form method="get" action="/dashboard/connections" class="list-filter" role="search" aria-label="Filter accounts">
            <label>
                "Platform"
                <select name=AccountFilter::PLATFORM>
                    <option value="">"All platforms"</option>
                    {platforms.into_iter().map(|platform| view! {
                        <option value=platform.slug() selected=filter.platform == Some(platform)>{platform.display_name()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>
                "Status"
                <select name=AccountFilter::STATUS>
                    <option value="">"Any status"</option>
                    {StatusFilter::all().iter().map(|status| view! {
                        <option value=status.as_str() selected=filter.status == Some(*status)>{status.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <button type="submit" class="button button-quiet">"Filter"</button>
            {filter.is_set().then(|| view! { <a href="/dashboard/connections" class="button button-quiet">"Clear"</a> })}
        </form>
    }
}
