use crate::api::get_account_story;
use crate::components::{AccountAvatar, DashboardLayout, Section, StatusPill};
use crate::error::AppError;
use crate::forms::{CheckAccountNow, CONNECTIONS};
use crate::pages::when;
use domain::{AccountStory, CheckEntry, ScopeReport};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// `/dashboard/connections/<id>`: one account's story: who connected it and when, the scopes it
/// was granted, its token's lifetime, and every refresh and health check of the last days.
#[component]
pub fn AccountPage() -> impl IntoView {
    let params = use_params_map();
    let account = params.read_untracked().get("id").unwrap_or_default();
    let story = Resource::new(move || (), move |_| get_account_story(account.clone()));
    view! {
        <Title text="Account · Plugboard"/>
        <DashboardLayout section=Section::Connections>
            <Suspense>
                <ErrorBoundary fallback=|_| view! { <AccountNotFound/> }>
                    {move || Suspend::new(async move {
                        let story = story.await?;
                        Ok::<_, AppError>(view! { <AccountStoryView story/> })
                    })}
                </ErrorBoundary>
            </Suspense>
        </DashboardLayout>
    }
}

#[component]
fn AccountNotFound() -> impl IntoView {
    view! {
        <div class="page-heading"><h1>"Account"</h1></div>
        <section class="panel">
            <p>"This account is not connected to this workspace (it may have been disconnected)."</p>
            <p><a class="button" href=CONNECTIONS>"Back to connections"</a></p>
        </section>
    }
}

#[component]
fn AccountStoryView(story: AccountStory) -> impl IntoView {
    let account = story.account;
    let platform = account.platform;
    let title = account.title().to_owned();
    let handle = account
        .display_name
        .is_some()
        .then(|| account.username.clone());
    let connected = match &account.connected_by {
        Some(by) => format!("{} {}", when(account.connected_at), by.describe()),
        None => when(account.connected_at),
    };
    let disconnect = account.may_disconnect.then(|| {
        view! {
            <a class="button button-quiet" href=format!("{CONNECTIONS}/{}/disconnect", account.id)>
                "Disconnect"
            </a>
        }
    });
    view! {
        <p class="breadcrumb"><a href=CONNECTIONS>"Connections"</a></p>
        <div class="page-heading account-heading">
            <AccountAvatar url=account.profile_image_url.clone() initials=account.initials() platform/>
            <div>
                <h1>{title}</h1>
                <p class="account-where">
                    <span class="account-platform">{platform.display_name()}</span>
                    {handle.map(|h| view! { <span class="account-handle">{h}</span> })}
                </p>
            </div>
            <StatusPill status=account.status/>
        </div>
        <section class="panel" aria-labelledby="token-heading">
            <header class="panel-header"><h2 id="token-heading">"Connection"</h2></header>
            <dl class="facts">
                <dt>"Connected"</dt>
                <dd>{connected}</dd>
                <dt>"Token expires"</dt>
                <dd>{story.token_expires_at.map_or_else(|| "Does not expire, or the platform does not say".to_owned(), when)}</dd>
                <dt>"Next refresh"</dt>
                <dd>{story.next_refresh_at.map_or_else(|| "None planned: this token is not refreshed".to_owned(), when)}</dd>
                <dt>"Last refreshed"</dt>
                <dd>{account.refreshed_at.map_or_else(|| "Never".to_owned(), when)}</dd>
                <dt>"Last checked"</dt>
                <dd>{story.last_checked_at.map_or_else(|| "Never".to_owned(), when)}</dd>
            </dl>
            <div class="form-actions account-actions-row">
                {story.may_check.then(|| view! { <CheckNowButton account=account.id.clone()/> })}
                {disconnect}
            </div>
        </section>
        <ScopesPanel scopes=story.scopes/>
        <ChecksPanel checks=story.checks kept_days=story.kept_days/>
    }
}

/// Runs a check now; the page comes back with its result at the top of the history.
#[component]
fn CheckNowButton(account: String) -> impl IntoView {
    let check = ServerAction::<CheckAccountNow>::new();
    let error = move || check.value().get().and_then(Result::err);
    view! {
        <ActionForm action=check attr:class="inline-form">
            <input type="hidden" name="account" value=account/>
            <button type="submit" class="button">"Check now"</button>
        </ActionForm>
        {move || error().map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })}
    }
}

/// The scopes asked for and those granted, with a warning for each one missing.
#[component]
fn ScopesPanel(scopes: ScopeReport) -> impl IntoView {
    let missing = (!scopes.missing.is_empty()).then(|| {
        view! {
            <div class="notice notice-warning" role="alert">
                <p>
                    <strong>"Some permissions were not granted: "</strong>
                    {scopes.missing.join(", ")}
                    ". Publishing that needs them will fail. Reconnect the account and allow every permission."
                </p>
            </div>
        }
    });
    let granted = match &scopes.granted {
        Some(granted) => granted.join(", "),
        None => "The platform does not say which it granted.".to_owned(),
    };
    view! {
        <section class="panel" aria-labelledby="scopes-heading">
            <header class="panel-header"><h2 id="scopes-heading">"Permissions"</h2></header>
            {missing}
            <dl class="facts">
                <dt>"Asked for"</dt>
                <dd><code>{scopes.requested.join(", ")}</code></dd>
                <dt>"Granted"</dt>
                <dd><code>{granted}</code></dd>
            </dl>
        </section>
    }
}

/// Every refresh and health check kept, newest first.
#[component]
fn ChecksPanel(checks: Vec<CheckEntry>, kept_days: u32) -> impl IntoView {
    let caption =
        format!("Refreshes and health checks of the last {kept_days} days, newest first.");
    let body = if checks.is_empty() {
        view! { <p class="hint">"No refresh or health check yet."</p> }.into_any()
    } else {
        view! {
            <p class="hint" id="checks-kept">{caption}</p>
            <div class="table-scroll" role="region" aria-labelledby="checks-heading" tabindex="0">
            <table class="usage-table checks-table" aria-labelledby="checks-heading" aria-describedby="checks-kept">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"Outcome"</th>
                        <th scope="col">"Failure"</th>
                        <th scope="col">"Platform's code"</th>
                        <th scope="col">"Took"</th>
                    </tr>
                </thead>
                <tbody>
                    {checks.into_iter().map(|check| view! { <CheckRow check/> }).collect_view()}
                </tbody>
            </table>
            </div>
        }
        .into_any()
    };
    view! {
        <section class="panel" aria-labelledby="checks-heading">
            <header class="panel-header"><h2 id="checks-heading">"History"</h2></header>
            {body}
        </section>
    }
}

#[component]
fn CheckRow(check: CheckEntry) -> impl IntoView {
    let code = match (&check.platform_code, check.http_status) {
        (Some(code), Some(status)) => format!("{code} (HTTP {status})"),
        (Some(code), None) => code.clone(),
        (None, Some(status)) => format!("HTTP {status}"),
        (None, None) => String::new(),
    };
    view! {
        <tr data-outcome=check.outcome.as_str() data-kind=check.kind.as_str()>
            <td>{when(check.at)}</td>
            <td>{check.kind.label()}</td>
            <td>{check.outcome.label()}</td>
            <td data-class=check.failure_class.map(|class| class.as_str())>
                {check.failure_class.map(|class| class.label())}
            </td>
            <td>{(!code.is_empty()).then(|| view! { <code>{code}</code> })}</td>
            <td>{format!("{} ms", check.latency_ms)}</td>
        </tr>
    }
}
