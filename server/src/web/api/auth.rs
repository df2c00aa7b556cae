//! Who is calling the integration API: an API key sent as a bearer token, acting in its workspace
//! with its maker's role there (at most member).

use super::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use domain::{Permission, Role};
use engine::AppState;
use secrecy::SecretString;

/// The workspace a valid key belongs to. Every handler reads and changes only its rows.
pub struct ApiCaller {
    pub workspace_id: String,
    pub role: Role,
    /// Shown in the audit trail as the one who acted.
    pub key_name: String,
}

impl ApiCaller {
    /// Refuses (403) what the key's role may not do.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.role.may(permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

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
            Ok(Some(holder)) => Ok(ApiCaller {
                workspace_id: holder.workspace_id,
                role: holder.role,
                key_name: holder.key_name,
            }),
            Ok(None) => Err(ApiError::unauthorized()),
            Err(err) => Err(ApiError::internal(err)),
        }
    }
}
