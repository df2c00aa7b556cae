use domain::PlanSummary;
use leptos::prelude::*;

/// Shown when the plan's account limit is reached: connecting more is refused until an upgrade.
#[component]
pub fn LimitNotice(plan: PlanSummary) -> impl IntoView {
    let limit = plan.limits.total.unwrap_or_default();
    view! {
        <div class="notice notice-limit" role="note" id=crate::components::connect_buttons::PLAN_LIMIT_NOTICE>
            <p>
                <strong>"You are at your plan's limit. "</strong>
                {format!(
                    "You are using {} of {} accounts on the {} plan. ",
                    plan.usage.total,
                    limit,
                    plan.plan_name,
                )}
                <a href="/dashboard/billing">"Upgrade your plan"</a>
                " to connect more."
            </p>
        </div>
    }
}
