use crate::api::{
    get_connected_accounts, get_plan_summary, get_platform_availability, take_flash_notice,
};
use crate::components::{
    ConnectionsList, ConnectionsSkeleton, DashboardLayout, OAuthErrorHandler, Section,
};
use crate::error::AppError;
use crate::notices::oauth_notice;
use crate::pages::LoadError;
use leptos::prelude::*;
use leptos_meta::Title;

/// `/dashboard/connections`: rendered on the server, streamed in order. The skeleton goes out
/// first; when the data is ready the list follows it and a CSS rule hides the skeleton, so the
/// page needs no JavaScript to finish loading.
#[component]
pub fn ConnectionsPage() -> impl IntoView {
    let query = crate::page_query();
    let notice = oauth_notice(|key| crate::query_value(&query, key));
    // After a disconnect or a deletion, its outcome waits in the session (it cannot be forged
    // in a link).
    let flash = (notice.is_none()
        && crate::notices::FLASH_QUERY_KEYS
            .iter()
            .any(|key| crate::query_value(&query, key).is_some()))
    .then(|| Resource::new(|| (), |_| take_flash_notice()));
    let filter = domain::AccountFilter::from_query(
        crate::query_value(&query, domain::AccountFilter::PLATFORM).as_deref(),
        crate::query_value(&query, domain::AccountFilter::STATUS).as_deref(),
    );
    let accounts = Resource::new(|| (), |_| get_connected_accounts());
    let plan = Resource::new(|| (), |_| get_plan_summary());
    let availability = Resource::new(|| (), |_| get_platform_availability());

    view! {
        <Title text="Connections · Plugboard"/>
        <DashboardLayout section=Section::Connections>
            {match flash {
                None => view! { <OAuthErrorHandler notice/> }.into_any(),
                Some(flash) => view! {
                    <Suspense>
                        {move || Suspend::new(async move {
                            let notice = flash.await.ok().flatten();
                            view! { <OAuthErrorHandler notice/> }
                        })}
                    </Suspense>
                }
                .into_any(),
            }}
            <div class="page-heading">
                <h1>"Connections"</h1>
                <p>"Manage connected social accounts."</p>
            </div>
            <div class="loading-region">
                <ConnectionsSkeleton/>
                <Suspense>
                    <ErrorBoundary fallback=|errors| view! { <LoadError errors/> }>
                        {move || Suspend::new(async move {
                            let accounts = accounts.await?;
                            let plan = plan.await?;
                            let availability = availability.await?;
                            Ok::<_, AppError>(view! { <ConnectionsList accounts plan availability filter/> })
                        })}
                    </ErrorBoundary>
                </Suspense>
            </div>
        </DashboardLayout>
    }
}
