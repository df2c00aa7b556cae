use crate::api::get_disconnect_preview;
use crate::components::{AccountAvatar, DashboardLayout, Section};
use crate::error::AppError;
use crate::forms::DisconnectAccount;
use domain::DisconnectPreview;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// `/dashboard/connections/<id>/disconnect`: what disconnecting will do, and the button that does
/// it (a form that needs no script).
#[component]
pub fn DisconnectPage() -> impl IntoView {
    let params = use_params_map();
    let account = params.read_untracked().get("id").unwrap_or_default();
    let preview = Resource::new(move || (), move |_| get_disconnect_preview(account.clone()));
    view! {
        <Title text="Disconnect · Plugboard"/>
        <DashboardLayout section=Section::Connections>
            <Suspense>
                <ErrorBoundary fallback=|_| view! { <AccountGone/> }>
                    {move || Suspend::new(async move {
                        let preview = preview.await?;
                        Ok::<_, AppError>(view! { <DisconnectConfirmation preview/> })
                    })}
                </ErrorBoundary>
            </Suspense>
        </DashboardLayout>
    }
}

#[component]
fn AccountGone() -> impl IntoView {
    view! {
        <div class="page-heading"><h1>"Disconnect"</h1></div>
        <section class="panel">
            <p>"This account is not connected (it may have been disconnected already)."</p>
            <p><a class="button" href="/dashboard/connections">"Back to connections"</a></p>
        </section>
    }
}

/// "1 scheduled post that goes", "3 scheduled posts that go".
fn posts_that_go(count: u32) -> String {
    match count {
        1 => "1 scheduled post that goes".to_owned(),
        n => format!("{n} scheduled posts that go"),
    }
}

#[component]
fn DisconnectConfirmation(preview: DisconnectPreview) -> impl IntoView {
    let disconnect = ServerAction::<DisconnectAccount>::new();
    let error = move || disconnect.value().get().and_then(Result::err);
    let account = preview.account;
    let platform = account.platform;
    let name = platform.display_name();
    let title = account.title().to_owned();
    let handle = account
        .display_name
        .is_some()
        .then(|| account.username.clone());
    let cancelled = (preview.posts_cancelled > 0).then(|| {
        format!(
            "{} only to this account will be cancelled.",
            posts_that_go(preview.posts_cancelled)
        )
    });
    let continuing = (preview.posts_continuing > 0).then(|| {
        format!(
            "{} to other accounts too will keep going to them.",
            posts_that_go(preview.posts_continuing)
        )
    });
    let revocation = if preview.revocable {
        view! { <li>{format!("Plugboard will also revoke its access at {name}.")}</li> }.into_any()
    } else {
        let link = preview.connected_apps_url.clone().map(|url| {
            view! { " " <a href=url rel="noopener noreferrer" target="_blank">{format!("{name}'s connected apps")}</a> }
        });
        view! {
            <li>
                {format!("{name} does not let Plugboard revoke its own access: remove Plugboard there afterwards.")}
                {link}
            </li>
        }
        .into_any()
    };
    view! {
        <div class="page-heading">
            <h1>{format!("Disconnect {title}?")}</h1>
        </div>
        <section class="panel disconnect-confirmation" aria-labelledby="disconnect-heading">
            <div class="account">
                <AccountAvatar url=account.profile_image_url.clone() initials=account.initials() platform/>
                <div class="account-who">
                    <p class="account-name"><span class="account-title">{title.clone()}</span></p>
                    <p class="account-where">
                        <span class="account-platform">{name}</span>
                        {handle.map(|h| view! { <span class="account-handle">{h}</span> })}
                    </p>
                </div>
            </div>
            <h2 id="disconnect-heading">"What happens"</h2>
            <ul class="consequences">
                <li>"Plugboard deletes the account and its tokens. Publishing tools can no longer get a token for it or post to it."</li>
                {cancelled.map(|text| view! { <li>{text}</li> })}
                {continuing.map(|text| view! { <li>{text}</li> })}
                {revocation}
                <li>"You can connect it again at any time."</li>
            </ul>
            {move || error().map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })}
            <ActionForm action=disconnect attr:class="form-actions">
                <input type="hidden" name="account" value=account.id.clone()/>
                <button type="submit" class="button button-danger">{format!("Disconnect {title}")}</button>
                <a class="button button-quiet" href="/dashboard/connections">"Keep it connected"</a>
            </ActionForm>
        </section>
    }
}
