use crate::api::get_people_overview;
use crate::components::{DashboardLayout, Section};
use crate::error::AppError;
use crate::forms::{
    ChangeRole, CreateConnectLink, CreateWorkspace, DeleteWorkspace, InvitePerson, RemovePerson,
    RenameWorkspace, RevokeConnectLink, RevokeInvitation,
};
use crate::pages::{when, LoadError};
use domain::{ConnectLinkView, InvitationView, PeopleOverview, PersonView, Platform, Role};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/dashboard/people`: who belongs to the current workspace, with which role; admins and owners
/// change roles (never above their own) and remove people.
#[component]
pub fn PeoplePage() -> impl IntoView {
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemovePerson>::new();
    let create = ServerAction::<CreateWorkspace>::new();
    let actions = PeopleActions {
        change,
        remove,
        invite: ServerAction::new(),
        revoke: ServerAction::new(),
        link: ServerAction::new(),
        revoke_link: ServerAction::new(),
        rename: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let error = move || {
        change
            .value()
            .get()
            .or_else(|| remove.value().get())
            .or_else(|| create.value().get())
            .or_else(|| actions.revoke.value().get())
            .or_else(|| actions.revoke_link.value().get())
            .and_then(Result::err)
    };
    let overview = Resource::new(|| (), |_| get_people_overview());
    view! {
        <Title text="People · Plugboard"/>
        <DashboardLayout section=Section::People>
            <div class="page-heading">
                <h1>"People"</h1>
                <p>
                    "Everyone here shares this workspace's connections. Owners and admins connect, "
                    "disconnect and invite; members connect and reconnect; viewers only look."
                </p>
            </div>
            {move || error().map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })}
            <Suspense>
                <ErrorBoundary fallback=|errors| view! { <LoadError errors/> }>
                    {move || Suspend::new(async move {
                        let overview = overview.await?;
                        Ok::<_, AppError>(view! { <PeopleList overview actions/> })
                    })}
                </ErrorBoundary>
            </Suspense>
        </DashboardLayout>
    }
}

/// The people page's forms.
#[derive(Clone, Copy)]
struct PeopleActions {
    change: ServerAction<ChangeRole>,
    remove: ServerAction<RemovePerson>,
    invite: ServerAction<InvitePerson>,
    revoke: ServerAction<RevokeInvitation>,
    link: ServerAction<CreateConnectLink>,
    revoke_link: ServerAction<RevokeConnectLink>,
    rename: ServerAction<RenameWorkspace>,
    delete: ServerAction<DeleteWorkspace>,
}

#[component]
fn PeopleList(overview: PeopleOverview, actions: PeopleActions) -> impl IntoView {
    let PeopleOverview {
        workspace_name,
        people,
        invitations,
        new_invitation_link,
        connect_links,
        new_connect_link,
        accounts,
        role,
        me,
    } = overview;
    let PeopleActions { change, remove, .. } = actions;
    view! {
        {new_invitation_link.map(|link| view! {
            <div class="notice secret-once" role="status">
                <p><strong>"Copy this invitation link now: it is not shown again."</strong></p>
                <p><code class="secret" data-testid="new-invitation-link">{link}</code></p>
                <p class="hint">"Send it to the person you invited. It works once, for their email address, for 7 days."</p>
            </div>
        })}
        <section class="panel" aria-labelledby="people-heading">
            <header class="panel-header">
                <h2 id="people-heading">{workspace_name.clone()}</h2>
            </header>
            <ul class="endpoints" data-people="">
                {people.into_iter().map(|person| {
                    let mine = person.user_id == me;
                    view! { <PersonRow person viewer=role mine change remove/> }
                }).collect_view()}
            </ul>
        </section>
        {role.may(domain::Permission::ManagePeople).then(|| view! {
            <Invitations invitations actions viewer=role/>
        })}
        {new_connect_link.map(|link| view! {
            <div class="notice secret-once" role="status">
                <p><strong>"Copy this connect link now: it is not shown again."</strong></p>
                <p><code class="secret" data-testid="new-connect-link">{link}</code></p>
                <p class="hint">"Whoever opens it can connect their account into this workspace, without an account of their own."</p>
            </div>
        })}
        {role.may(domain::Permission::ShareConnectLinks).then(|| view! {
            <ConnectLinks links=connect_links accounts actions/>
        })}
        {role.may(domain::Permission::ManageWorkspace).then(|| view! {
            <WorkspaceSettings name=workspace_name actions/>
        })}
    }
}

/// The owner's forms: rename the workspace, or delete it after typing its name.
#[component]
fn WorkspaceSettings(name: String, actions: PeopleActions) -> impl IntoView {
    let rename_error = move || actions.rename.value().get().and_then(Result::err);
    let delete_error = move || actions.delete.value().get().and_then(Result::err);
    let confirm_label = format!("Type “{name}” to confirm");
    view! {
        <section class="panel" aria-labelledby="workspace-heading">
            <header class="panel-header"><h2 id="workspace-heading">"Workspace"</h2></header>
            <ActionForm action=actions.rename attr:class="auth-form endpoint-form">
                <label>
                    "Name"
                    <input type="text" name="name" required maxlength="80" value=name
                        aria-invalid=move || rename_error().map(|_| "true")
                        aria-describedby=move || rename_error().map(|_| "rename-error")/>
                </label>
                {move || rename_error().map(|error| view! { <p class="form-error" id="rename-error" role="alert">{error.to_string()}</p> })}
                <div class="form-actions">
                    <button type="submit" class="button">"Rename"</button>
                </div>
            </ActionForm>
            <div class="danger-zone">
                <h3>"Delete this workspace"</h3>
                <p class="hint">
                    "Every account connected here is disconnected and Plugboard's access is revoked "
                    "where the platform allows it. Its API keys, webhooks, connect links, invitations, "
                    "scheduled posts and audit trail are deleted, and everyone in it loses access. "
                    "This cannot be undone."
                </p>
                <ActionForm action=actions.delete attr:class="auth-form endpoint-form">
                    <label>
                        {confirm_label}
                        <input type="text" name="name" required maxlength="80" autocomplete="off"
                            aria-invalid=move || delete_error().map(|_| "true")
                            aria-describedby=move || delete_error().map(|_| "delete-error")/>
                    </label>
                    {move || delete_error().map(|error| view! { <p class="form-error" id="delete-error" role="alert">{error.to_string()}</p> })}
                    <div class="form-actions">
                        <button type="submit" class="button button-danger">"Delete this workspace"</button>
                    </div>
                </ActionForm>
            </div>
        </section>
    }
}

/// Open invitations, and the form that makes one.
#[component]
fn Invitations(
    invitations: Vec<InvitationView>,
    actions: PeopleActions,
    viewer: Role,
) -> impl IntoView {
    let invite_error = move || actions.invite.value().get().and_then(Result::err);
    let grantable = viewer.grantable();
    view! {
        <section class="panel" aria-labelledby="invitations-heading">
            <header class="panel-header"><h2 id="invitations-heading">"Invitations"</h2></header>
            {if invitations.is_empty() {
                view! { <p class="hint">"No open invitations."</p> }.into_any()
            } else {
                view! {
                    <ul class="endpoints">
                        {invitations.into_iter().map(|invitation| view! { <InvitationRow invitation revoke=actions.revoke/> }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            <ActionForm action=actions.invite attr:class="auth-form endpoint-form">
                <label>
                    "Email address"
                    <input type="email" name="email" required maxlength="254" placeholder="colleague@example.com"
                        aria-invalid=move || invite_error().map(|_| "true")
                        aria-describedby=move || invite_error().map(|_| "invite-error")/>
                </label>
                <label>
                    "Role"
                    <select name="role">
                        {grantable.into_iter().map(|role| view! {
                            <option value=role.as_str() selected=role == Role::Member>{role.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                {move || invite_error().map(|error| view! { <p class="form-error" id="invite-error" role="alert">{error.to_string()}</p> })}
                <div class="form-actions">
                    <button type="submit" class="button button-primary">"Invite"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn InvitationRow(
    invitation: InvitationView,
    revoke: ServerAction<RevokeInvitation>,
) -> impl IntoView {
    let by = invitation
        .invited_by
        .map(|by| format!(", invited by {by}"))
        .unwrap_or_default();
    let revoke_label = format!("Revoke the invitation for {}", invitation.email);
    view! {
        <li class="endpoint" data-invitation=invitation.email.clone()>
            <div>
                <p class="endpoint-url"><strong>{invitation.email.clone()}</strong></p>
                <p class="hint">{format!("{}{by} · expires {}", invitation.role.label(), when(invitation.expires_at))}</p>
            </div>
            <ActionForm action=revoke>
                <input type="hidden" name="id" value=invitation.id.clone()/>
                <button type="submit" class="button button-quiet button-danger" aria-label=revoke_label>
                    "Revoke"
                </button>
            </ActionForm>
        </li>
    }
}

#[component]
fn PersonRow(
    person: PersonView,
    viewer: Role,
    mine: bool,
    change: ServerAction<ChangeRole>,
    remove: ServerAction<RemovePerson>,
) -> impl IntoView {
    let manageable = !mine && viewer.may_grant(person.role);
    let grantable = viewer.grantable();
    let user_id = person.user_id.clone();
    let email = person.email.clone();
    view! {
        <li class="endpoint" data-person=person.email.clone()>
            <div>
                <p class="endpoint-url"><strong>{person.email.clone()}</strong>{mine.then_some(" (you)")}</p>
                <p class="hint">{format!("{} · since {}", person.role.label(), when(person.since))}</p>
            </div>
            {manageable.then(|| {
                let user_id = user_id.clone();
                let email = email.clone();
                view! {
                    <ActionForm action=change attr:class="inline-form">
                        <input type="hidden" name="user" value=user_id.clone()/>
                        <label>
                            <span class="visually-hidden">{format!("Role of {email}")}</span>
                            <select name="role">
                                {grantable.iter().map(|role| view! {
                                    <option value=role.as_str() selected=*role == person.role>{role.label()}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <button type="submit" class="button button-quiet">"Change role"</button>
                    </ActionForm>
                }
            })}
            {(manageable || mine).then(|| view! {
                <ActionForm action=remove>
                    <input type="hidden" name="user" value=user_id.clone()/>
                    <button type="submit" class="button button-quiet button-danger">
                        {if mine { "Leave".to_owned() } else { format!("Remove {email}") }}
                    </button>
                </ActionForm>
            })}
        </li>
    }
}

/// Open connect links, and the form that makes one: for some platforms, or to renew one account.
#[component]
fn ConnectLinks(
    links: Vec<ConnectLinkView>,
    accounts: Vec<(String, String, Platform)>,
    actions: PeopleActions,
) -> impl IntoView {
    let link_error = move || actions.link.value().get().and_then(Result::err);
    view! {
        <section class="panel" aria-labelledby="links-heading">
            <header class="panel-header"><h2 id="links-heading">"Connect links"</h2></header>
            <p class="hint">
                "Send a client a link: they connect their own account into this workspace, with no "
                "Plugboard account, and see nothing else of it."
            </p>
            {if links.is_empty() {
                view! { <p class="hint">"No open connect links."</p> }.into_any()
            } else {
                view! {
                    <ul class="endpoints">
                        {links.into_iter().map(|link| view! { <ConnectLinkRow link revoke=actions.revoke_link/> }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            <ActionForm action=actions.link attr:class="auth-form endpoint-form link-form">
                <fieldset>
                    <legend>"Platforms"</legend>
                    <div class="platform-choices">
                        {Platform::ALL.into_iter().map(|platform| view! {
                            <label class="choice">
                                <input type="checkbox" name="platforms[]" value=platform.slug()/>
                                {platform.display_name()}
                            </label>
                        }).collect_view()}
                    </div>
                </fieldset>
                {(!accounts.is_empty()).then(|| view! {
                    <label>
                        "Or renew one account"
                        <select name="account">
                            <option value="">"No: connect new accounts"</option>
                            {accounts.into_iter().map(|(id, title, platform)| view! {
                                <option value=id>{format!("{title} on {}", platform.display_name())}</option>
                            }).collect_view()}
                        </select>
                    </label>
                })}
                <label>
                    "Note (shown on the link's page)"
                    <input type="text" name="note" maxlength="200" placeholder="For Acme's Instagram"/>
                </label>
                <label>
                    "Uses"
                    <input type="number" name="uses" min="1" max="100" value="1" required/>
                </label>
                <label>
                    "Expires after"
                    <select name="hours">
                        <option value="1">"1 hour"</option>
                        <option value="24" selected>"24 hours"</option>
                        <option value="72">"3 days"</option>
                        <option value="168">"7 days"</option>
                    </select>
                </label>
                {move || link_error().map(|error| view! { <p class="form-error" role="alert">{error.to_string()}</p> })}
                <div class="form-actions">
                    <button type="submit" class="button button-primary">"Make a link"</button>
                </div>
            </ActionForm>
        </section>
    }
}

#[component]
fn ConnectLinkRow(link: ConnectLinkView, revoke: ServerAction<RevokeConnectLink>) -> impl IntoView {
    let what = match &link.reconnects {
        Some(handle) => format!("Renews {handle}"),
        None => link
            .platforms
            .iter()
            .map(|platform| platform.display_name())
            .collect::<Vec<_>>()
            .join(", "),
    };
    let by = link
        .created_by
        .map(|by| format!(" · made by {by}"))
        .unwrap_or_default();
    let uses = if link.uses_left == 1 {
        "1 use left".to_owned()
    } else {
        format!("{} uses left", link.uses_left)
    };
    let label = format!("Revoke the link: {what}");
    let id = link.id.clone();
    view! {
        <li class="endpoint" data-connect-link=link.id>
            <div>
                <p class="endpoint-url"><strong>{what}</strong>{link.note.map(|note| format!(" · {note}"))}</p>
                <p class="hint">{format!("{uses} · expires {}{by}", when(link.expires_at))}</p>
            </div>
            <ActionForm action=revoke>
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="button button-quiet button-danger" aria-label=label>"Revoke"</button>
            </ActionForm>
        </li>
    }
}
