use crate::api::get_account_choices;
use crate::components::{AccountAvatar, DashboardLayout, Section};
use crate::error::AppError;
use domain::{AccountChoices, FieldProblem};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// `/dashboard/connections/select/<id>`: after one consent covered several accounts (Facebook
/// Pages), the person picks which to connect. The authorization code was already exchanged once;
/// reloading this page, or leaving it, never exchanges it again.
#[component]
pub fn ChooseAccountsPage() -> impl IntoView {
    let params = use_params_map();
    let selection = params.read_untracked().get("id").unwrap_or_default();
    let none_picked = crate::page_query()
        .iter()
        .any(|(k, v)| k == "error" && FieldProblem::parse(v) == Some(FieldProblem::NonePicked));
    let choices = Resource::new(move || (), move |_| get_account_choices(selection.clone()));
    view! {
        <Title text="Choose accounts · Plugboard"/>
        <DashboardLayout section=Section::Connections>
            <Suspense>
                <ErrorBoundary fallback=|_| view! { <ChoicesExpired/> }>
                    {move || Suspend::new(async move {
                        let choices = choices.await?;
                        Ok::<_, AppError>(view! { <ChoiceList choices none_picked/> })
                    })}
                </ErrorBoundary>
            </Suspense>
        </DashboardLayout>
    }
}

#[component]
fn ChoicesExpired() -> impl IntoView {
    view! {
        <div class="page-heading"><h1>"Choose accounts"</h1></div>
        <section class="panel">
            <p>"This choice expired or was already made. Start connecting again from your connections."</p>
            <p><a class="button" href="/dashboard/connections">"Back to connections"</a></p>
        </section>
    }
}

#[component]
fn ChoiceList(choices: AccountChoices, none_picked: bool) -> impl IntoView {
    let platform = choices.platform;
    let items = choices
        .choices
        .into_iter()
        .map(|choice| {
            let initials: String = choice.title.chars().take(1).collect();
            view! {
                <li class="account choice">
                    <AccountAvatar url=choice.avatar_url.clone() initials platform/>
                    <label class="account-who">
                        <span class="account-name">
                            <input type="checkbox" name="account" value=choice.id.clone() checked=!choice.already_connected/>
                            <span class="account-title">{choice.title.clone()}</span>
                        </span>
                        <span class="account-where">
                            {choice.username.clone()}
                            {choice.already_connected.then_some(" · already connected: picking it updates it")}
                        </span>
                    </label>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="page-heading">
            <h1>{format!("Choose which {} to connect", platform.display_name())}</h1>
            <p>"Your consent covers several accounts. Each one you pick counts toward your plan."</p>
        </div>
        <section class="panel">
            {none_picked.then(|| view! { <p class="form-error" role="alert">"Pick at least one account."</p> })}
            <form method="post" action=format!("/api/v1/auth/{}/select", platform.slug())>
                <input type="hidden" name="selection" value=choices.selection_id/>
                <ul class="accounts">{items}</ul>
                <div class="form-actions">
                    <button type="submit" class="button button-primary">"Connect selected"</button>
                    <a class="button button-quiet" href="/dashboard/connections">"Cancel"</a>
                </div>
            </form>
        </section>
    }
}
