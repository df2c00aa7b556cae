use domain::Platform;
use leptos::prelude::*;

/// Only web images: anything else (a `data:` or `javascript:` URL from a provider) is dropped.
fn safe_image_url(url: Option<String>) -> Option<String> {
    url.filter(|u| u.starts_with("https://") || u.starts_with("http://") || u.starts_with('/'))
}

/// The profile picture, over the person's initials: if the image is missing or fails to load, the
/// initials show through, with no script needed.
#[component]
pub fn AccountAvatar(url: Option<String>, initials: String, platform: Platform) -> impl IntoView {
    view! {
        <span class="avatar" aria-hidden="true">
            <span class="avatar-initials">{initials}</span>
            {safe_image_url(url)
                .map(|src| {
                    view! {
                        <img
                            class="avatar-image"
                            src=src
                            alt=""
                            width="44"
                            height="44"
                            loading="lazy"
                            referrerpolicy="no-referrer"
                        />
                    }
                })}
            <span class=format!("platform-mark platform-{}", platform.slug())></span>
        </span>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_urls_are_used() {
        assert_eq!(
            safe_image_url(Some("https://a/b.png".into())).as_deref(),
            Some("https://a/b.png")
        );
        assert_eq!(
            safe_image_url(Some("/avatars/1".into())).as_deref(),
            Some("/avatars/1")
        );
        assert_eq!(safe_image_url(Some("javascript:alert(1)".into())), None);
        assert_eq!(
            safe_image_url(Some("data:image/png;base64,AA".into())),
            None
        );
        assert_eq!(safe_image_url(None), None);
    }
}
