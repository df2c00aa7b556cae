use crate::forms::{CreateWorkspace, SwitchWorkspace};
use domain::{Permission, WorkspaceChoice};
use leptos::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Connections,
    Webhooks,
    People,
    Billing,
    Settings,
}

impl Section {
    /// The section's page, which a workspace switch lands back on.
    pub fn path(self) -> &'static str {
        match self {
            Section::Connections => crate::forms::CONNECTIONS,
            Section::Webhooks => crate::forms::WEBHOOKS,
            Section::People => crate::forms::PEOPLE,
            Section::Billing => "/dashboard/billing",
            Section::Settings => crate::forms::SETTINGS,
        }
    }
}

/// The signed-in frame: brand, navigation (only the sections the person's role opens), the
/// workspace switcher (which also says who is signed in), and sign-out.
#[component]
pub fn DashboardLayout(section: Section, children: Children) -> impl IntoView {
    let current = move |this: Section| (this == section).then_some("page");
    let seen = signed_in();
    let manages_webhooks = seen
        .as_ref()
        .is_some_and(|seen| seen.current.role.may(Permission::ManageWebhooks));
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <a class="brand" href="/dashboard/connections">
                <span class="brand-mark" aria-hidden="true"></span>
                "Plugboard"
            </a>
            <nav class="topnav" aria-label="Dashboard">
                <a href=Section::Connections.path() aria-current=current(Section::Connections)>
                    "Connections"
                </a>
                {manages_webhooks.then(|| view! {
                    <a href=Section::Webhooks.path() aria-current=current(Section::Webhooks)>
                        "Webhooks"
                    </a>
                })}
                <a href=Section::People.path() aria-current=current(Section::People)>"People"</a>
                <a href=Section::Billing.path() aria-current=current(Section::Billing)>"Billing"</a>
                <a href=Section::Settings.path() aria-current=current(Section::Settings)>"Settings"</a>
            </nav>
            <div class="topbar-user">
                {seen.map(|seen| view! {
                    <WorkspaceSwitcher current=seen.current workspaces=seen.workspaces email=seen.email back=section.path()/>
                })}
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
    .into_any()
}

/// The current workspace and the person's role in it; opened, the other workspaces to switch to
/// and a form to start a new one. A disclosure, so it works without JavaScript.
#[component]
fn WorkspaceSwitcher(
    current: WorkspaceChoice,
    workspaces: Vec<WorkspaceChoice>,
    /// Who is signed in, said inside the menu (the workspace's name is often the same).
    email: String,
    back: &'static str,
) -> impl IntoView {
    let switch = ServerAction::<SwitchWorkspace>::new();
    let create = ServerAction::<CreateWorkspace>::new();
    let others: Vec<WorkspaceChoice> = workspaces
        .into_iter()
        .filter(|choice| choice.id != current.id)
        .collect();
    view! {
        <details class="workspace-switcher" data-workspace=current.id.clone()>
            <summary>
                <span class="visually-hidden">"Workspace: "</span>
                <span class="workspace-name">{current.name.clone()}</span>
                " "
                <span class="role-badge">{current.role.label()}</span>
            </summary>
            <div class="workspace-menu">
                <p class="workspace-signed-in">"Signed in as " <span class="topbar-email">{email}</span></p>
                {(!others.is_empty()).then(|| view! {
                    <ActionForm action=switch attr:class="workspace-list">
                        <input type="hidden" name="back" value=back/>
                        <p class="hint">"Switch to"</p>
                        {others.into_iter().map(|choice| view! {
                            <button type="submit" name="workspace" value=choice.id.clone() class="button button-quiet">
                                {choice.name.clone()}
                                " "
                                <span class="role-badge">{choice.role.label()}</span>
                            </button>
                        }).collect_view()}
                    </ActionForm>
                })}
                <ActionForm action=create attr:class="workspace-create">
                    <label>
                        "New workspace"
                        <input type="text" name="name" required maxlength="80" placeholder="Acme agency"/>
                    </label>
                    <button type="submit" class="button">"Create"</button>
                </ActionForm>
            </div>
        </details>
    }
    .into_any()
}

/// Who is signed in and where, as the frame shows it.
#[derive(Debug, Clone)]
struct SignedIn {
    email: String,
    current: WorkspaceChoice,
    workspaces: Vec<WorkspaceChoice>,
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

fn signed_in() -> Option<SignedIn> {
    #[cfg(feature = "ssr")]
    {
        crate::server_context::signed_in_member().map(|member| SignedIn {
            email: member.user.email,
            current: member.workspace,
            workspaces: member.workspaces,
        })
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}
