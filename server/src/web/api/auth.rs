//! Who is calling the integration API: the owner of a personal API key sent as a bearer token.

use super::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use engine::AppState;
use secrecy::SecretString;

/// The owner a valid key belongs to. Every handler reads and changes only this owner's rows.
pub struct ApiCaller {
    pub owner_id: String,
    /// Shown in the audit trail as the one who acted.
    pub key_name: String,
}

impl ApiCaller {
    pub fn actor(&self) -> String {
        format!("API key “{}”", self.key_name)
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| {
                let (scheme, token) = value.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or_else(ApiError::unauthorized)?;
        let key = SecretString::from(presented.to_owned());
        match engine::identity::api_keys::authenticate(&app.db, &key).await {
            Ok(Some((owner_id, key_name))) => Ok(ApiCaller { owner_id, key_name }),
            Ok(None) => Err(ApiError::unauthorized()),
            Err(err) => Err(ApiError::internal(err)),
        }
    }
}
