use crate::api::get_billing_overview;
use crate::components::{DashboardLayout, Section};
use crate::error::AppError;
use crate::pages::LoadError;
use domain::{BillingOverview, PlanLimits, PlanOffer, Platform};
use leptos::prelude::*;
use leptos_meta::Title;

/// `/dashboard/billing`: the current plan, how much of it is used, and the plans to move to.
#[component]
pub fn BillingPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_billing_overview());
    view! {
        <Title text="Billing · Plugboard"/>
        <DashboardLayout section=Section::Billing>
            <div class="page-heading">
                <h1>"Billing"</h1>
                <p>"Your plan, what it allows, and what you use."</p>
            </div>
            <Suspense>
                <ErrorBoundary fallback=|errors| view! { <LoadError errors/> }>
                    {move || Suspend::new(async move {
                        let overview = overview.await?;
                        Ok::<_, AppError>(view! { <BillingDetails overview/> })
                    })}
                </ErrorBoundary>
            </Suspense>
        </DashboardLayout>
    }
}

fn limit_text(limit: Option<u32>) -> String {
    limit.map_or_else(|| "Unlimited".to_owned(), |n| n.to_string())
}

fn price_text(cents: u32) -> String {
    if cents == 0 {
        "Free".to_owned()
    } else {
        format!("${}.{:02} / month", cents / 100, cents % 100)
    }
}

#[component]
fn BillingDetails(overview: BillingOverview) -> impl IntoView {
    let current = overview.current;
    let rows = Platform::ALL
        .into_iter()
        .filter(|p| current.usage.on(*p) > 0 || current.limits.per_platform.contains_key(p))
        .map(|platform| {
            view! {
                <tr>
                    <th scope="row">{platform.display_name()}</th>
                    <td>{current.usage.on(platform)}</td>
                    <td>{limit_text(current.limits.per_platform.get(&platform).copied())}</td>
                </tr>
            }
        })
        .collect_view();
    let current_id = current.plan_id.clone();
    view! {
        <section class="panel" aria-labelledby="plan-heading">
            <header class="panel-header">
                <h2 id="plan-heading">{format!("Your plan: {}", current.plan_name)}</h2>
                <span class="panel-count">
                    {format!("{} of {} accounts", current.usage.total, limit_text(current.limits.total))}
                </span>
            </header>
            {current.at_limit.then(|| view! {
                <p class="notice notice-limit">"You are at this plan's limit: connecting more accounts is refused until you upgrade."</p>
            })}
            <table class="usage-table">
                <caption>"Accounts per platform"</caption>
                <thead>
                    <tr><th scope="col">"Platform"</th><th scope="col">"Connected"</th><th scope="col">"Plan limit"</th></tr>
                </thead>
                <tbody>
                    {rows}
                    <tr class="usage-total">
                        <th scope="row">"All platforms"</th>
                        <td>{current.usage.total}</td>
                        <td>{limit_text(current.limits.total)}</td>
                    </tr>
                </tbody>
            </table>
        </section>
        <section class="panel" aria-labelledby="plans-heading">
            <header class="panel-header"><h2 id="plans-heading">"Plans"</h2></header>
            <ul class="plan-grid">
                {overview
                    .plans
                    .into_iter()
                    .map(|plan| {
                        let is_current = plan.id == current_id;
                        view! { <PlanCard plan is_current/> }
                    })
                    .collect_view()}
            </ul>
            <p class="hint">
                "Plugboard is self-hosted: an administrator changes a plan with "
                <code>"plugboard plan set <email> <plan>"</code> "."
            </p>
        </section>
    }
}

fn platform_limits_text(limits: &PlanLimits) -> Option<String> {
    (!limits.per_platform.is_empty()).then(|| {
        limits
            .per_platform
            .iter()
            .map(|(platform, n)| format!("{n} {}", platform.display_name()))
            .collect::<Vec<_>>()
            .join(", ")
    })
}

#[component]
fn PlanCard(plan: PlanOffer, is_current: bool) -> impl IntoView {
    view! {
        <li class="plan" class:plan-current=is_current data-plan=plan.id.clone()>
            <h3>{plan.name.clone()}</h3>
            <p class="plan-price">{price_text(plan.monthly_price_cents)}</p>
            <p>{plan.description.clone()}</p>
            <p class="plan-limit">{format!("Accounts: {}", limit_text(plan.limits.total))}</p>
            {platform_limits_text(&plan.limits).map(|text| view! { <p class="plan-limit">"At most " {text}</p> })}
            {is_current.then(|| view! { <p class="badge">"Current plan"</p> })}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_and_limits_read_naturally() {
        assert_eq!(price_text(0), "Free");
        assert_eq!(price_text(1900), "$19.00 / month");
        assert_eq!(limit_text(None), "Unlimited");
        assert_eq!(limit_text(Some(3)), "3");
        let limits = PlanLimits {
            total: Some(3),
            per_platform: [(Platform::LinkedIn, 1)].into_iter().collect(),
        };
        assert_eq!(platform_limits_text(&limits).as_deref(), Some("1 LinkedIn"));
        assert_eq!(platform_limits_text(&PlanLimits::default()), None);
    }
}
