//! OAuth 2.0 with one platform, driven by its description: the consent URL, the code exchange
//! (and Meta's long-lived token trade), refreshing, and reading who connected.

use crate::net::http::{send_capped, Reply, MAX_BODY};
use crate::platforms::catalog::{
    ApiAuth, Exchange, ProviderSettings, ProviderSpec, RefreshStyle, RevokeAuth, RevokeToken,
    TokenAuth, TokenPointers,
};
use crate::platforms::failure::{classify, classify_reply, ProviderError};
use crate::schedule::{access_lifetime, refresh_lifetime, Stated};
use chrono::Duration;
use domain::Platform;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use url::Url;

/// The tokens one grant or refresh produced, with lifetimes already made believable.
#[derive(Debug)]
pub struct TokenSet {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
    /// `None`: the access token does not expire.
    pub expires_in: Option<Duration>,
    /// `None`: unknown.
    pub refresh_expires_in: Option<Duration>,
    pub scope: Option<String>,
}

impl TokenSet {
    /// Reads the tokens at `pointers` in a platform's answer. `default_life` is the platform's
    /// usual access token life, believed instead of an absurd stated one.
    pub fn read(
        body: &Value,
        pointers: &TokenPointers,
        default_life: Option<Duration>,
    ) -> Result<TokenSet, ProviderError> {
        let access_token = text_at(body, &pointers.access_token)
            .ok_or_else(|| ProviderError::unexpected("the answer has no access token"))?;
        Ok(TokenSet {
            access_token: SecretString::from(access_token),
            refresh_token: text_at(body, &pointers.refresh_token).map(SecretString::from),
            expires_in: access_lifetime(
                Stated::from_json(body.pointer(&pointers.expires_in)),
                default_life,
            ),
            refresh_expires_in: refresh_lifetime(Stated::from_json(
                body.pointer(&pointers.refresh_expires_in),
            )),
            scope: text_at(body, &pointers.scope),
        })
    }
}

/// Who connected (or, for Facebook, one of the Pages they manage).
#[derive(Debug, Clone)]
pub struct Profile {
    pub platform_account_id: String,
    pub username: String,
    pub display_name: Option<String>,
    pub avatar_url: Option<String>,
    pub is_premium: bool,
    /// A token of the account's own (a Facebook Page's), used instead of the person's.
    pub own_token: Option<SecretString>,
}

/// One platform's endpoints and client credentials, ready to use.
#[derive(Debug, Clone)]
pub struct ProviderClient {
    pub platform: Platform,
    pub spec: &'static ProviderSpec,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    pub authorize_url: String,
    pub token_url: String,
    pub api_url: String,
    pub revoke_url: Option<String>,
    pub redirect_uri: String,
    http: reqwest::Client,
}

impl ProviderClient {
    pub fn new(
        settings: &ProviderSettings,
        http: reqwest::Client,
        redirect_uri: String,
    ) -> ProviderClient {
        ProviderClient {
            platform: settings.platform,
            spec: settings.spec(),
            client_id: settings.client_id.clone().unwrap_or_default(),
            client_secret: settings.client_secret.clone(),
            authorize_url: settings.authorize_url.clone(),
            token_url: settings.token_url.clone(),
            api_url: settings.api_url.clone(),
            revoke_url: settings.revoke_url.clone(),
            redirect_uri,
            http,
        }
    }

    /// For a Mastodon instance: its own base URL and the app Plugboard registered there.
    pub fn for_instance(
        mut self,
        instance: &str,
        client_id: String,
        client_secret: SecretString,
    ) -> Self {
        let at = |path: &str| {
            if path.starts_with('/') {
                format!("{}{path}", instance.trim_end_matches('/'))
            } else {
                path.to_owned()
            }
        };
        self.authorize_url = at(&self.authorize_url);
        self.token_url = at(&self.token_url);
        self.revoke_url = self.revoke_url.as_deref().map(at);
        self.api_url = instance.trim_end_matches('/').to_owned();
        self.client_id = client_id;
        self.client_secret = Some(client_secret);
        self
    }

    /// The same client, calling the API of a given server (a Mastodon instance).
    pub fn with_api_url(mut self, api_url: &str) -> Self {
        self.api_url = api_url.trim_end_matches('/').to_owned();
        self
    }

    /// The same client, sending through another HTTP client (one pinned to a checked address).
    pub fn with_http(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// The consent screen URL.
    pub fn authorize_url(
        &self,
        state: &str,
        code_challenge: Option<&str>,
    ) -> Result<String, ProviderError> {
        let mut url = Url::parse(&self.authorize_url)
            .map_err(|_| ProviderError::unexpected("the authorize URL is not a URL"))?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair(&self.spec.client_id_param, &self.client_id)
                .append_pair("redirect_uri", &self.redirect_uri)
                .append_pair(
                    &self.spec.scope_param,
                    &self.spec.scopes.join(&self.spec.scope_separator),
                )
                .append_pair("state", state);
            if let Some(challenge) = code_challenge {
                query
                    .append_pair("code_challenge", challenge)
                    .append_pair("code_challenge_method", "S256");
            }
            for (key, value) in &self.spec.authorize_params {
                query.append_pair(key, value);
            }
        }
        Ok(url.into())
    }

    /// Trades the authorization code for tokens (and, on Meta's platforms, for a long-lived token).
    pub async fn exchange_code(
        &self,
        code: &str,
        code_verifier: Option<&str>,
    ) -> Result<TokenSet, ProviderError> {
        // Threads appends `#_` to the code it redirects with.
        let code = code.trim_end_matches("#_");
        let mut params = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", self.redirect_uri.clone()),
        ];
        if let Some(verifier) = code_verifier {
            params.push(("code_verifier", verifier.to_owned()));
        }
        let body = self.token_request(params).await?;
        let tokens = self.token_set(&body, &self.spec.token)?;
        match self.spec.exchange {
            Exchange::None => Ok(tokens),
            Exchange::LongLived => self.long_lived(&tokens.access_token).await,
        }
    }

    async fn long_lived(&self, short_lived: &SecretString) -> Result<TokenSet, ProviderError> {
        let path = self
            .spec
            .exchange_path
            .as_deref()
            .unwrap_or("/access_token");
        let mut url = self.api(path)?;
        url.query_pairs_mut()
            .append_pair(
                "grant_type",
                self.spec.exchange_grant.as_deref().unwrap_or_default(),
            )
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", self.secret())
            .append_pair(&self.spec.exchange_token_param, short_lived.expose_secret());
        let body = self.send(self.http.get(url)).await?;
        self.token_set(&body, &self.spec.token)
    }

    /// Refreshes with the platform's refresh style. `None` when the platform cannot refresh.
    pub async fn refresh(
        &self,
        access_token: &SecretString,
        refresh_token: Option<&SecretString>,
    ) -> Option<Result<TokenSet, ProviderError>> {
        match (self.spec.refresh, refresh_token) {
            (RefreshStyle::RefreshToken, Some(refresh_token)) => Some(
                async {
                    let body = self
                        .token_request(vec![
                            ("grant_type", "refresh_token".to_owned()),
                            ("refresh_token", refresh_token.expose_secret().to_owned()),
                        ])
                        .await?;
                    self.token_set(&body, self.spec.refreshed_pointers())
                }
                .await,
            ),
            (RefreshStyle::CurrentToken, _) => Some(
                async {
                    let mut url = self.api(
                        self.spec
                            .refresh_path
                            .as_deref()
                            .unwrap_or("/refresh_access_token"),
                    )?;
                    url.query_pairs_mut()
                        .append_pair(
                            "grant_type",
                            self.spec.refresh_grant.as_deref().unwrap_or_default(),
                        )
                        .append_pair("access_token", access_token.expose_secret());
                    let body = self.send(self.http.get(url)).await?;
                    self.token_set(&body, self.spec.refreshed_pointers())
                }
                .await,
            ),
            _ => None,
        }
    }

    /// Who the token belongs to: one profile, or several for platforms with a `list`.
    pub async fn profiles(
        &self,
        access_token: &SecretString,
    ) -> Result<Vec<Profile>, ProviderError> {
        let spec = self
            .spec
            .profile
            .as_ref()
            .ok_or_else(|| ProviderError::unexpected("no profile description"))?;
        let body = self.get_json(&spec.path, access_token).await?;
        self.profiles_in(&body)
    }

    /// A refusal stated in a successful answer's body (`ok: false`, or an error code other than
    /// the platform's "ok"), as the profile description says where to look.
    pub fn refusal_in(&self, body: &Value) -> Option<ProviderError> {
        let spec = self.spec.profile.as_ref()?;
        if let Some(ok) = &spec.ok {
            if body.pointer(ok).and_then(Value::as_bool) == Some(false) {
                return Some(self.body_error(body, spec.error.as_deref()));
            }
        }
        let (pointer, ok_code) = (spec.error_code.as_ref()?, spec.ok_code.as_ref()?);
        let code = body.pointer(pointer).and_then(Value::as_str)?;
        (code != ok_code).then(|| classify(200, &body.to_string(), &self.spec.revoked))
    }

    /// The profiles in an answer of the profile path: one, or several for platforms with a
    /// `list`; an error when the answer refuses or names nobody.
    pub fn profiles_in(&self, body: &Value) -> Result<Vec<Profile>, ProviderError> {
        let spec = self
            .spec
            .profile
            .as_ref()
            .ok_or_else(|| ProviderError::unexpected("no profile description"))?;
        if let Some(refused) = self.refusal_in(body) {
            return Err(refused);
        }
        let items: Vec<&Value> = match &spec.list {
            Some(list) => body
                .pointer(list)
                .and_then(Value::as_array)
                .map(|items| items.iter().collect())
                .unwrap_or_default(),
            None => vec![body],
        };
        let profiles: Vec<Profile> = items
            .into_iter()
            .filter_map(|item| self.profile_of(item))
            .collect();
        if profiles.is_empty() {
            return Err(ProviderError {
                code: Some("no_account".into()),
                ..ProviderError::unexpected(
                    spec.missing_account
                        .clone()
                        .unwrap_or_else(|| "the platform did not say who connected".into()),
                )
            });
        }
        Ok(profiles)
    }

    /// Reads a profile from an answer of the profile (or verify) path.
    pub fn profile_of(&self, item: &Value) -> Option<Profile> {
        let spec = self.spec.profile.as_ref()?;
        let parts: Vec<String> = spec.id.iter().filter_map(|p| text_at(item, p)).collect();
        if parts.is_empty() {
            return None;
        }
        let mut id = parts.join(":");
        let display_name = spec.display_name.as_deref().and_then(|p| text_at(item, p));
        let mut username = text_at(item, &spec.username)
            .or_else(|| display_name.clone())
            .unwrap_or_else(|| id.clone());
        if spec.id_includes_server {
            // An account id is only unique on its own server: the instance is part of who it
            // is, so an account of one server can never stand in for another's.
            id = format!("{id}@{}", server_key(&self.api_url));
            if !username.contains('@') {
                // A local account's `acct` has no host: add the instance's.
                if let Some(host) = Url::parse(&self.api_url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned))
                {
                    username = format!("{username}@{host}");
                }
            }
        }
        Some(Profile {
            platform_account_id: id,
            username,
            display_name,
            avatar_url: spec.avatar.as_deref().and_then(|p| text_at(item, p)),
            is_premium: spec
                .premium
                .as_deref()
                .and_then(|p| text_at(item, p))
                .is_some_and(|tier| !tier.eq_ignore_ascii_case("none")),
            own_token: spec
                .item_token
                .as_deref()
                .and_then(|p| text_at(item, p))
                .map(SecretString::from),
        })
    }

    /// GET an API path with the token, as the platform wants it (header or query).
    pub async fn get_json(
        &self,
        path: &str,
        access_token: &SecretString,
    ) -> Result<Value, ProviderError> {
        let mut url = self.api(path)?;
        let request = match self.spec.api_auth {
            ApiAuth::Bearer => self.http.get(url).bearer_auth(access_token.expose_secret()),
            ApiAuth::Query => {
                url.query_pairs_mut()
                    .append_pair("access_token", access_token.expose_secret());
                self.http.get(url)
            }
        };
        self.send(request).await
    }

    /// Asks the platform to revoke Plugboard's grant: each token its description names that the
    /// account holds. `None` when the platform has no revocation endpoint. Revocation answers vary
    /// (200 with JSON, 200 or 204 empty); only an error status or an error in the body (Slack's
    /// `ok: false`) is a failure. Every token is tried even if one fails; the first failure is
    /// reported.
    pub async fn revoke(
        &self,
        access_token: &SecretString,
        refresh_token: Option<&SecretString>,
    ) -> Option<Result<(), ProviderError>> {
        let url = self.revoke_url.as_deref()?;
        let mut outcome = Ok(());
        for kind in &self.spec.revoke_tokens {
            let token = match kind {
                RevokeToken::AccessToken => access_token,
                RevokeToken::RefreshToken => match refresh_token {
                    Some(refresh) => refresh,
                    None => continue,
                },
            };
            let revoked = self.revoke_one(url, token, kind.hint()).await;
            if outcome.is_ok() {
                outcome = revoked;
            }
        }
        Some(outcome)
    }

    async fn revoke_one(
        &self,
        url: &str,
        token: &SecretString,
        hint: &str,
    ) -> Result<(), ProviderError> {
        let request = match self.spec.revoke_auth {
            RevokeAuth::Bearer => self.http.post(url).bearer_auth(token.expose_secret()),
            RevokeAuth::Client => {
                let mut params = vec![
                    ("token", token.expose_secret().to_owned()),
                    ("token_type_hint", hint.to_owned()),
                ];
                let mut request = self.http.post(url);
                match (self.spec.token_auth, &self.client_secret) {
                    (TokenAuth::Basic, Some(secret)) => {
                        request = request.basic_auth(&self.client_id, Some(secret.expose_secret()));
                    }
                    (_, secret) => {
                        params.push((self.spec.client_id_param.as_str(), self.client_id.clone()));
                        if let Some(secret) = secret {
                            params.push(("client_secret", secret.expose_secret().to_owned()));
                        }
                    }
                }
                request.form(&params)
            }
        };
        self.send_revocation(request).await
    }

    async fn send_revocation(&self, request: reqwest::RequestBuilder) -> Result<(), ProviderError> {
        let reply = send_capped(request, MAX_BODY).await?;
        if !reply.is_success() {
            return Err(classify_reply(&reply, self.spec));
        }
        let body: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        let refused = body.get("ok").and_then(Value::as_bool) == Some(false)
            || body.get("error").is_some_and(|e| e.is_string());
        if refused {
            return Err(classify_reply(&reply, self.spec));
        }
        Ok(())
    }

    fn api(&self, path: &str) -> Result<Url, ProviderError> {
        Url::parse(&format!("{}{path}", self.api_url.trim_end_matches('/')))
            .map_err(|_| ProviderError::unexpected("the API URL is not a URL"))
    }

    fn secret(&self) -> &str {
        self.client_secret
            .as_ref()
            .map(|s| s.expose_secret())
            .unwrap_or_default()
    }

    async fn token_request(&self, mut params: Vec<(&str, String)>) -> Result<Value, ProviderError> {
        let mut request = self.http.post(&self.token_url);
        match (self.spec.token_auth, &self.client_secret) {
            (TokenAuth::Basic, Some(secret)) => {
                request = request.basic_auth(&self.client_id, Some(secret.expose_secret()));
            }
            // Public clients (X without a secret) identify themselves in the body.
            (TokenAuth::Basic, None) => {
                params.push((self.spec.client_id_param.as_str(), self.client_id.clone()))
            }
            (TokenAuth::Body, secret) => {
                params.push((self.spec.client_id_param.as_str(), self.client_id.clone()));
                if let Some(secret) = secret {
                    params.push(("client_secret", secret.expose_secret().to_owned()));
                }
            }
        }
        self.send(request.form(&params)).await
    }

    /// Sends, reads at most [`MAX_BODY`], and turns any failure (including HTTP 200 answers
    /// that carry an error, as Reddit, TikTok and Slack send) into a classified error.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, ProviderError> {
        let reply = send_capped(request, MAX_BODY).await?;
        self.json_of(&reply)
    }

    /// A successful answer's JSON, or the failure class of the answer (including HTTP 200
    /// answers that carry an error, as Reddit, TikTok and Slack send).
    pub fn json_of(&self, reply: &Reply) -> Result<Value, ProviderError> {
        if !reply.is_success() {
            return Err(classify_reply(reply, self.spec));
        }
        let body: Value = serde_json::from_slice(&reply.body).map_err(|_| ProviderError {
            status: Some(reply.status),
            ..ProviderError::unexpected("the answer is not JSON")
        })?;
        let token_error = self.spec.token.error.as_deref().unwrap_or("/error");
        if body.pointer(token_error).is_some_and(|e| e.is_string())
            && body.pointer("/access_token").is_none()
        {
            return Err(classify_reply(reply, self.spec));
        }
        Ok(body)
    }

    fn body_error(&self, body: &Value, pointer: Option<&str>) -> ProviderError {
        let mut error = classify(200, &body.to_string(), &self.spec.revoked);
        if let Some(code) = pointer.and_then(|p| text_at(body, p)) {
            error.code = Some(code);
        }
        error
    }

    /// The tokens in an answer shaped as `pointers` say.
    pub fn token_set(
        &self,
        body: &Value,
        pointers: &TokenPointers,
    ) -> Result<TokenSet, ProviderError> {
        if let Some(ok) = &pointers.ok {
            if body.pointer(ok).and_then(Value::as_bool) == Some(false) {
                return Err(self.body_error(body, pointers.error.as_deref()));
            }
        }
        TokenSet::read(body, pointers, self.spec.default_access_lifetime())
    }
}

/// A server as it appears in an account's identity (`id_includes_server`): its URL without the scheme
/// (`mastodon.social`, `host:8080/path`), as the migration that introduced it computes too.
pub fn server_key(instance_url: &str) -> &str {
    let url = instance_url.trim_end_matches('/');
    url.split_once("://").map_or(url, |(_, rest)| rest)
}

/// A string or number at a JSON pointer, as text.
pub fn text_at(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_read_strings_and_numbers() {
        let v = json!({"a": {"b": 5, "c": "x", "d": "", "e": "3600"}});
        assert_eq!(text_at(&v, "/a/b").as_deref(), Some("5"));
        assert_eq!(text_at(&v, "/a/c").as_deref(), Some("x"));
        assert_eq!(text_at(&v, "/a/d"), None);
        assert_eq!(text_at(&v, "/a/e").as_deref(), Some("3600"));
    }

    #[test]
    fn a_mastodon_identity_names_its_instance() {
        assert_eq!(server_key("https://mastodon.social"), "mastodon.social");
        assert_eq!(
            server_key("http://127.0.0.1:8080/sandbox/mastodon/"),
            "127.0.0.1:8080/sandbox/mastodon"
        );
    }
}
