use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Connections,
    Webhooks,
    Billing,
    Settings,
}

/// The signed-in frame: brand, navigation, who is signed in, and sign-out.
#[component]
pub fn DashboardLayout(section: Section, children: Children) -> impl IntoView {
    let current = move |this: Section| (this == section).then_some("page");
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <a class="brand" href="/dashboard/connections">
                <span class="brand-mark" aria-hidden="true"></span>
                "Plugboard"
            </a>
            <nav class="topnav" aria-label="Dashboard">
                <a href="/dashboard/connections" aria-current=current(Section::Connections)>
                    "Connections"
                </a>
                <a href="/dashboard/webhooks" aria-current=current(Section::Webhooks)>
                    "Webhooks"
                </a>
                <a href="/dashboard/billing" aria-current=current(Section::Billing)>
                    "Billing"
                </a>
                <a href="/dashboard/settings" aria-current=current(Section::Settings)>
                    "Settings"
                </a>
            </nav>
            <div class="topbar-user">
                <span class="topbar-email">{signed_in_email()}</span>
                <form method="post" action="/auth/sign-out">
                    <button type="submit" class="button button-quiet">"Sign out"</button>
                </form>
            </div>
        </header>
        {sandbox_mode().then(|| view! {
            <p class="sandbox-banner" role="note">
                <strong>"Sandbox"</strong>
                " · Platforms without credentials are answered by built-in stand-ins; nothing leaves this machine. "
                <a href="/sandbox">"Open the sandbox"</a>
            </p>
        })}
        <main id="main" class="dashboard-main">{children()}</main>
    }
}

fn sandbox_mode() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<engine::AppState>().is_some_and(|state| state.config.sandbox)
    }
    #[cfg(not(feature = "ssr"))]
    {
        false
    }
}

fn signed_in_email() -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        crate::server_context::signed_in_user().map(|user| user.email)
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}
