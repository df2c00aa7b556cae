use crate::notices::auth_error_message;
use domain::is_local_path;
use leptos::prelude::*;
use leptos_meta::Title;

/// What the sign-in and sign-up forms were left with after a failed attempt (from the query).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct FormState {
    form: Option<String>,
    error: Option<String>,
    email: String,
    retry_minutes: Option<u32>,
    next: Option<String>,
    signed_out: bool,
}

impl FormState {
    fn from_query(query: &[(String, String)]) -> FormState {
        let get = |key: &str| {
            query
                .iter()
                .find(|(name, _)| name == key)
                .map(|(_, value)| value.clone())
        };
        FormState {
            form: get("form"),
            error: get("error"),
            email: get("email").unwrap_or_default(),
            retry_minutes: get("retry").and_then(|r| r.parse().ok()),
            next: get("next").filter(|next| is_local_path(next)),
            signed_out: get("signed_out").is_some(),
        }
    }

    /// The error message for one of the two forms.
    fn error_for(&self, form: &str) -> Option<&'static str> {
        (self.form.as_deref() == Some(form))
            .then_some(self.error.as_deref())
            .flatten()
            .map(|code| auth_error_message(code, self.retry_minutes))
    }

    fn email_for(&self, form: &str) -> String {
        if self.form.as_deref() == Some(form) {
            self.email.clone()
        } else {
            String::new()
        }
    }
}

/// `/`: what Plugboard is, and the sign-in and sign-up forms. Plain HTML forms: no script needed.
#[component]
pub fn WelcomePage() -> impl IntoView {
    let state = FormState::from_query(&crate::page_query());
    let next = state.next.clone().unwrap_or_default();
    view! {
        <Title text="Plugboard · keep your social connections alive"/>
        <main class="welcome" id="main">
            <section class="welcome-intro">
                <p class="brand brand-large">
                    <span class="brand-mark" aria-hidden="true"></span>
                    "Plugboard"
                </p>
                <h1>"Keep every account your tools post to connected."</h1>
                <p>
                    "Connect X, LinkedIn, YouTube, TikTok and ten more platforms once. Plugboard refreshes "
                    "their tokens before they expire, notices when one is revoked, and tells you the "
                    "moment a person has to step in."
                </p>
            </section>
            <section class="auth-panels">
                {state.signed_out.then(|| view! {
                    <p class="notice" role="status">"You are signed out."</p>
                })}
                <AuthForm
                    heading="Sign in"
                    action="/auth/sign-in"
                    form_id="sign_in"
                    submit="Sign in"
                    password_autocomplete="current-password"
                    email=state.email_for("sign_in")
                    error=state.error_for("sign_in")
                    next=next.clone()
                />
                {if crate::sign_up_is_open() {
                    view! {
                        <AuthForm
                            heading="Create an account"
                            action="/auth/sign-up"
                            form_id="sign_up"
                            submit="Create account"
                            password_autocomplete="new-password"
                            email=state.email_for("sign_up")
                            error=state.error_for("sign_up")
                            next=next
                        />
                    }
                    .into_any()
                } else {
                    view! {
                        <section class="panel" data-form="sign_up_closed">
                            <h2>"Create an account"</h2>
                            <p>
                                "This Plugboard is not open for sign-up. Ask its administrator for an account."
                            </p>
                        </section>
                    }
                    .into_any()
                }}
            </section>
        </main>
    }
}

#[component]
fn AuthForm(
    heading: &'static str,
    action: &'static str,
    form_id: &'static str,
    submit: &'static str,
    password_autocomplete: &'static str,
    email: String,
    error: Option<&'static str>,
    next: String,
) -> impl IntoView {
    let error_id = format!("{form_id}-error");
    let hint_id = format!("{form_id}-password-hint");
    let is_sign_up = form_id == "sign_up";
    let described_by = match (is_sign_up, error.is_some()) {
        (true, true) => Some(format!("{hint_id} {error_id}")),
        (true, false) => Some(hint_id.clone()),
        (false, true) => Some(error_id.clone()),
        (false, false) => None,
    };
    let has_error = error.is_some();
    view! {
        <form class="panel auth-form" method="post" action=action data-form=form_id>
            <h2>{heading}</h2>
            {error.map(|message| view! {
                <p class="form-error" id=error_id.clone() role="alert">{message}</p>
            })}
            <input type="hidden" name="next" value=next/>
            <label>
                "Email"
                <input
                    type="email"
                    name="email"
                    autocomplete="email"
                    required
                    maxlength="254"
                    value=email
                    aria-invalid=has_error.then_some("true")
                />
            </label>
            <label>
                "Password"
                <input
                    type="password"
                    name="password"
                    autocomplete=password_autocomplete
                    required
                    minlength=if is_sign_up { Some("10") } else { None }
                    maxlength="256"
                    aria-describedby=described_by
                    aria-invalid=has_error.then_some("true")
                />
            </label>
            {is_sign_up.then(|| view! {
                <p class="hint" id=hint_id.clone()>
                    "At least 10 characters. A few unrelated words make a strong password."
                </p>
            })}
            <button type="submit" class="button button-primary">{submit}</button>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn errors_and_email_go_back_to_the_form_that_failed() {
        let state = FormState::from_query(&query(&[
            ("form", "sign_up"),
            ("error", "email_taken"),
            ("email", "ada@example.com"),
        ]));
        assert!(state
            .error_for("sign_up")
            .unwrap()
            .contains("already exists"));
        assert_eq!(state.error_for("sign_in"), None);
        assert_eq!(state.email_for("sign_up"), "ada@example.com");
        assert_eq!(state.email_for("sign_in"), "");
    }

    #[test]
    fn only_local_next_paths_are_kept() {
        let state = FormState::from_query(&query(&[("next", "https://evil.example")]));
        assert_eq!(state.next, None);
    }
}
