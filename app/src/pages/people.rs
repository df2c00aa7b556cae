use crate::api::get_people_overview;
use crate::components::{DashboardLayout, Section};
use crate::error::AppError;
use crate::forms::{ChangeRole, CreateWorkspace, RemovePerson};
use crate::pages::{when, LoadError};
use domain::{PeopleOverview, PersonView, Role};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/dashboard/people`: who belongs to the current workspace, with which role; admins and owners
/// change roles (never above their own) and remove people.
#[component]
pub fn PeoplePage() -> impl IntoView {
    let change = ServerAction::<ChangeRole>::new();
    let remove = ServerAction::<RemovePerson>::new();
    let create = ServerAction::<CreateWorkspace>::new();
    let error = move || {
        change
            .value()
            .get()
            .or_else(|| remove.value().get())
            .or_else(|| create.value().get())
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
                        Ok::<_, AppError>(view! { <PeopleList overview change remove/> })
                    })}
                </ErrorBoundary>
            </Suspense>
        </DashboardLayout>
    }
}

#[component]
fn PeopleList(
    overview: PeopleOverview,
    change: ServerAction<ChangeRole>,
    remove: ServerAction<RemovePerson>,
) -> impl IntoView {
    let PeopleOverview {
        workspace_name,
        people,
        role,
        me,
    } = overview;
    view! {
        <section class="panel" aria-labelledby="people-heading">
            <header class="panel-header">
                <h2 id="people-heading">{workspace_name}</h2>
            </header>
            <ul class="endpoint-list" data-people="">
                {people.into_iter().map(|person| {
                    let mine = person.user_id == me;
                    view! { <PersonRow person viewer=role mine change remove/> }
                }).collect_view()}
            </ul>
        </section>
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
    let grantable: Vec<Role> = Role::all()
        .iter()
        .copied()
        .filter(|role| viewer.may_grant(*role))
        .collect();
    let user_id = person.user_id.clone();
    let email = person.email.clone();
    view! {
        <li class="endpoint-row" data-person=person.email.clone()>
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
