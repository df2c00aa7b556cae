//! Plugboard's pages. Rendered on the server; only the islands (`#[island]`) run in the browser.

pub mod api;
pub mod components;
pub mod error;
#[cfg(feature = "ssr")]
pub mod flash;
pub mod forms;
pub mod notices;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server_context;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};
use pages::{
    AccountPage, BillingPage, ChooseAccountsPage, ConnectFormPage, ConnectLinkPage,
    ConnectionsPage, DisconnectPage, InvitationPage, LinkDonePage, NotFoundPage, PeoplePage,
    SettingsPage, WebhooksPage, WelcomePage,
};

/// The HTML document around every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <HashedStylesheet options=options.clone()/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "ssr")]
    server_context::set_content_security_policy();
    view! {
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") view=WelcomePage/>
                <Route path=path!("/dashboard/connections") view=ConnectionsPage ssr=SsrMode::InOrder/>
                <Route path=path!("/dashboard/billing") view=BillingPage ssr=SsrMode::InOrder/>
                <Route path=path!("/dashboard/webhooks") view=WebhooksPage ssr=SsrMode::InOrder/>
                <Route path=path!("/dashboard/connections/new/:platform") view=ConnectFormPage ssr=SsrMode::InOrder/>
                <Route path=path!("/dashboard/connections/select/:id") view=ChooseAccountsPage ssr=SsrMode::InOrder/>
                <Route path=path!("/dashboard/connections/:id") view=AccountPage ssr=SsrMode::InOrder/>
                <Route path=path!("/dashboard/connections/:id/disconnect") view=DisconnectPage ssr=SsrMode::InOrder/>
                <Route path=path!("/dashboard/settings") view=SettingsPage ssr=SsrMode::InOrder/>
                <Route path=path!("/dashboard/people") view=PeoplePage ssr=SsrMode::InOrder/>
                <Route path=path!("/invitations/:token") view=InvitationPage ssr=SsrMode::InOrder/>
                <Route path=path!("/connect/:token") view=ConnectLinkPage ssr=SsrMode::InOrder/>
                <Route path=path!("/connected") view=LinkDonePage/>
            </Routes>
        </Router>
    }
}

/// The query parameters of the page being rendered (server side; pages never render in the browser).
pub(crate) fn page_query() -> Vec<(String, String)> {
    #[cfg(feature = "ssr")]
    {
        server_context::request_query()
    }
    #[cfg(not(feature = "ssr"))]
    {
        Vec::new()
    }
}

/// Whether anyone may create an account on the welcome page (`PLUGBOARD_OPEN_SIGN_UP`).
pub(crate) fn sign_up_is_open() -> bool {
    #[cfg(feature = "ssr")]
    {
        server_context::app_state().is_ok_and(|state| state.config.open_sign_up)
    }
    #[cfg(not(feature = "ssr"))]
    {
        true
    }
}

/// One query parameter's value (the first, if repeated).
pub(crate) fn query_value(query: &[(String, String)], key: &str) -> Option<String> {
    query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
}
