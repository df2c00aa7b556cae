//! This instance's settings for each platform, from the environment: client credentials and URL
//! overrides, or the built-in sandbox for a platform with none.

use super::ConfigError;
use crate::platforms::catalog::{
    env_prefix, sandbox_url, specs, ProviderSettings, Providers, SANDBOX_CLIENT_SECRET,
};
use domain::ConnectMethod;
use secrecy::SecretString;
use std::collections::BTreeMap;
use url::Url;

impl Providers {
    pub fn from_lookup(
        lookup: &impl Fn(&str) -> Option<String>,
        base_url: &Url,
        sandbox: bool,
    ) -> Result<Providers, ConfigError> {
        let mut settings = BTreeMap::new();
        for (&platform, spec) in specs() {
            let env = env_prefix(platform);
            let var = |name: &str| lookup(&format!("{env}_{name}"));
            let client_id = var("CLIENT_ID");
            // A platform with one client is set up by its client id; one that registers on
            // each server, or takes credentials, by a server of its own.
            let configured = match platform.connect_method() {
                ConnectMethod::OAuth => client_id.is_some(),
                ConnectMethod::OAuthOnTheirServer | ConnectMethod::Credentials => {
                    var("API_URL").is_some()
                }
            };
            let sandboxed = sandbox && !configured;
            let url =
                |name: &str, default: Option<&String>| -> Result<Option<String>, ConfigError> {
                    let setting = format!("{env}_{name}");
                    if sandboxed {
                        return Ok(default.map(|d| sandbox_url(base_url, platform, d)));
                    }
                    match lookup(&setting) {
                        Some(value) => check_url(&setting, &value).map(Some),
                        None => Ok(default.cloned()),
                    }
                };
            let provider = ProviderSettings {
                platform,
                client_id: if sandboxed {
                    Some(format!("sandbox-{}", platform.slug()))
                } else {
                    client_id
                },
                client_secret: if sandboxed {
                    Some(SecretString::from(SANDBOX_CLIENT_SECRET))
                } else {
                    var("CLIENT_SECRET").map(SecretString::from)
                },
                authorize_url: url("AUTH_URL", spec.authorize_url.as_ref())?.unwrap_or_default(),
                token_url: url("TOKEN_URL", spec.token_url.as_ref())?.unwrap_or_default(),
                api_url: url("API_URL", Some(&spec.api_url))?.unwrap_or_default(),
                revoke_url: url("REVOKE_URL", spec.revoke_url.as_ref())?,
                sandboxed,
            };
            settings.insert(platform, provider);
        }
        Ok(Providers::new(settings, base_url.clone()))
    }
}

fn check_url(setting: &str, value: &str) -> Result<String, ConfigError> {
    let value = value.trim();
    if value.starts_with('/') {
        return Ok(value.to_owned());
    }
    let url = Url::parse(value)
        .map_err(|e| ConfigError::new(setting, format!("not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(
            setting,
            "expected an http:// or https:// URL",
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Platform;
    use std::collections::HashMap;

    fn providers(vars: &[(&str, &str)], sandbox: bool) -> Result<Providers, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Providers::from_lookup(
            &|name: &str| map.get(name).cloned(),
            &Url::parse("http://localhost:3000").unwrap(),
            sandbox,
        )
    }

    #[test]
    fn without_credentials_oauth_platforms_are_unavailable_with_the_reason() {
        let providers = providers(&[], false).unwrap();
        let reason = providers.get(Platform::X).unavailable_reason().unwrap();
        assert!(
            reason.contains("X_CLIENT_ID") && reason.contains("X_CLIENT_SECRET"),
            "{reason}"
        );
        assert_eq!(providers.get(Platform::Mastodon).unavailable_reason(), None);
        assert_eq!(providers.get(Platform::Telegram).unavailable_reason(), None);
        assert!(!providers.any_sandboxed());
    }

    #[test]
    fn environment_overrides_every_url() {
        let providers = providers(
            &[
                ("X_CLIENT_ID", "abc"),
                ("X_CLIENT_SECRET", "shh"),
                ("X_AUTH_URL", "http://127.0.0.1:9000/authorize"),
                ("X_TOKEN_URL", "http://127.0.0.1:9000/token"),
                ("X_API_URL", "http://127.0.0.1:9000/"),
                ("X_REVOKE_URL", "http://127.0.0.1:9000/revoke"),
            ],
            true,
        )
        .unwrap();
        let x = providers.get(Platform::X);
        assert!(!x.sandboxed, "credentials win over the sandbox");
        assert_eq!(x.authorize_url, "http://127.0.0.1:9000/authorize");
        assert_eq!(x.token_url, "http://127.0.0.1:9000/token");
        assert_eq!(x.api_url, "http://127.0.0.1:9000/");
        assert_eq!(
            x.revoke_url.as_deref(),
            Some("http://127.0.0.1:9000/revoke")
        );
        assert_eq!(x.unavailable_reason(), None);
    }

    #[test]
    fn a_bad_url_names_its_variable() {
        let err = providers(&[("REDDIT_TOKEN_URL", "ftp://nope")], false).unwrap_err();
        assert_eq!(err.setting, "REDDIT_TOKEN_URL");
    }

    #[test]
    fn the_sandbox_mirrors_real_paths_under_its_prefix() {
        let providers = providers(&[], true).unwrap();
        let x = providers.get(Platform::X);
        assert!(x.sandboxed);
        assert_eq!(
            x.authorize_url,
            "http://localhost:3000/sandbox/x/i/oauth2/authorize"
        );
        assert_eq!(
            x.token_url,
            "http://localhost:3000/sandbox/x/2/oauth2/token"
        );
        assert_eq!(x.api_url, "http://localhost:3000/sandbox/x");
        assert_eq!(
            providers.get(Platform::TikTok).token_url,
            "http://localhost:3000/sandbox/tiktok/v2/oauth/token/"
        );
        assert_eq!(
            providers.get(Platform::Mastodon).api_url,
            "http://localhost:3000/sandbox/mastodon"
        );
        assert_eq!(providers.get(Platform::Mastodon).token_url, "/oauth/token");
        assert_eq!(
            providers.get(Platform::Listmonk).api_url,
            "http://localhost:3000/sandbox/listmonk"
        );
        assert_eq!(
            providers.callback_url(Platform::X),
            "http://localhost:3000/api/v1/auth/x/callback"
        );
    }
}
