//! One module per page.

mod account;
mod billing;
mod choose_accounts;
mod connect_form;
mod connect_link;
mod connections;
mod disconnect;
mod invitation;
mod people;
mod settings;
mod webhooks;
mod welcome;

pub use account::AccountPage;
pub use billing::BillingPage;
pub use choose_accounts::ChooseAccountsPage;
pub use connect_form::ConnectFormPage;
pub use connect_link::{ConnectLinkPage, LinkDonePage};
pub use connections::ConnectionsPage;
pub use disconnect::DisconnectPage;
pub use invitation::InvitationPage;
pub use people::PeoplePage;
pub use settings::SettingsPage;
pub use webhooks::WebhooksPage;
pub use welcome::WelcomePage;

use leptos::prelude::*;

/// A moment as the dashboard's tables show it.
pub(crate) fn when(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// What a page shows when its data could not be loaded.
#[component]
pub fn LoadError(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let messages = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, error)| view! { <li>{error.to_string()}</li> })
            .collect_view()
    };
    view! {
        <div class="notice notice-error" role="alert">
            <p><strong>"This page could not be loaded."</strong></p>
            <ul>{messages}</ul>
            <p><a href="">"Try again"</a></p>
        </div>
    }
}

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <leptos_meta::Title text="Not found · Plugboard"/>
        <main class="welcome" id="main">
            <section class="panel">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address."</p>
                <p><a href="/dashboard/connections">"Go to your connections"</a></p>
            </section>
        </main>
    }
}
