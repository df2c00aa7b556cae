use leptos::prelude::*;

/// What a new user sees before connecting anything.
#[component]
pub fn EmptyState() -> impl IntoView {
    view! {
        <div class="empty-state">
            <h3>"No accounts connected yet"</h3>
            <p>
                "Connect the social accounts your publishing tools post to. Plugboard keeps their tokens "
                "fresh, checks that they still work, and tells you when one needs you."
            </p>
            <a class="button button-primary" href="#connect">"Connect your first account"</a>
        </div>
    }
}
