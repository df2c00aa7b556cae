//! Where a person may be sent back to after signing in.

/// Where a person may be sent back to after signing in: only this site's own pages that need a
/// session (the dashboard, and a connect that was interrupted), written plainly. Browsers drop
/// tabs and newlines from URLs and read backslashes as slashes, so `/\t/evil.example` and
/// `/\\evil.example` would lead to another site: anything but printable ASCII, any backslash, and
/// any doubled slash in the path are refused, encoded (`%09`, `%5C`, `%2F`) or not.
pub fn is_local_path(path: &str) -> bool {
    const OWN: [&str; 3] = ["/dashboard", "/api/v1/auth/", "/invitations/"];
    let ours = OWN.iter().any(|own| {
        path.strip_prefix(own).is_some_and(|rest| {
            own.ends_with('/') || rest.is_empty() || rest.starts_with(['/', '?'])
        })
    });
    let route_is_plain = |text: &str| {
        let route = text.split(['?', '#']).next().unwrap_or_default();
        !route.contains("//") && !route.chars().any(char::is_whitespace)
    };
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    ours && path.len() <= 2048
        && path.chars().all(|c| c.is_ascii_graphic())
        && !decoded.chars().any(|c| c.is_control() || c == '\\')
        && route_is_plain(path)
        && route_is_plain(&decoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_sites_own_routes_are_accepted() {
        for ours in [
            "/dashboard",
            "/dashboard/billing",
            "/dashboard/connections?connected=x",
            "/api/v1/auth/x/callback?code=abc&state=def",
            "/api/v1/auth/x/callback?error=access_denied&error_description=The%20user%20said%20no",
            "/invitations/pbi_abc-DEF_123",
        ] {
            assert!(is_local_path(ours), "{ours}");
        }
        // The usual open-redirect bypasses.
        for bypass in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "http:evil.example",
            "javascript:alert(1)",
            "/\t/evil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%0d%0a/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%5c%5cevil.example",
            "/dashboard/%2F%2Fevil.example",
            "/dashboard//evil.example",
            "/ /evil.example",
            "/dashboard\u{0}x",
            "/\u{202e}evil",
            "/dashboardevil",
            "/evil",
            "/.//evil.example",
            "///evil.example",
            "",
            "dashboard",
        ] {
            assert!(!is_local_path(bypass), "{bypass:?}");
        }
        assert!(!is_local_path(&format!("/dashboard/{}", "a".repeat(3000))));
    }
}
