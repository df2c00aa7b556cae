use domain::Platform;
use leptos::prelude::*;

const PLACEHOLDER_ROWS: usize = 3;

/// The shape of the connections list while its data loads: same panels, rows and grid, so nothing
/// jumps when the real list replaces it.
#[component]
pub fn ConnectionsSkeleton() -> impl IntoView {
    view! {
        <div class="connections-skeleton" data-testid="connections-skeleton">
            <p class="visually-hidden" role="status">"Loading your connections…"</p>
            <div aria-hidden="true">
                <section class="panel">
                    <header class="panel-header">
                        <span class="bone bone-heading"></span>
                    </header>
                    <ul class="accounts">
                        {(0..PLACEHOLDER_ROWS)
                            .map(|_| {
                                view! {
                                    <li class="account">
                                        <span class="avatar bone"></span>
                                        <div class="account-who">
                                            <span class="bone bone-line"></span>
                                            <span class="bone bone-line bone-short"></span>
                                        </div>
                                        <span class="bone bone-pill"></span>
                                        <div class="account-actions">
                                            <span class="bone bone-button"></span>
                                            <span class="bone bone-button"></span>
                                        </div>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </section>
                <section class="panel">
                    <header class="panel-header">
                        <span class="bone bone-heading"></span>
                    </header>
                    <ul class="connect-grid">
                        {Platform::ALL
                            .iter()
                            .map(|_| view! { <li><span class="bone connect-button"></span></li> })
                            .collect_view()}
                    </ul>
                </section>
            </div>
        </div>
    }
}
