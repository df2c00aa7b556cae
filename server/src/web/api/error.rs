//! The integration API's one error type: a status, a stable machine-readable code and a message
//! for people, sent as `{"error": {"code": ..., "message": ...}}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable: programs branch on it.
    pub code: ApiErrorCode,
    /// For people: may change wording.
    pub message: String,
}

/// Every code the integration API answers an error with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiErrorCode {
    InvalidApiKey,
    /// The key's role (its maker's, at most member) does not allow this.
    Forbidden,
    InvalidRequest,
    AccountNotFound,
    PostNotFound,
    /// No such path in the API.
    NotFound,
    IdempotencyKeyReused,
    NeedsReconnect,
    PlatformUnavailable,
    InternalError,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ApiErrorCode,
    pub message: String,
    /// Sent as `Retry-After` (seconds).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ApiErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// The same error, telling the caller when to try again.
    pub fn retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ApiErrorCode::InvalidApiKey,
            "Send a valid API key as `Authorization: Bearer pb_...`. Keys are created on the settings page.",
        )
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ApiErrorCode::Forbidden,
            "This key acts with its maker's role in the workspace, which does not allow this.",
        )
    }

    pub fn account_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ApiErrorCode::AccountNotFound,
            "There is no such account.",
        )
    }

    pub fn post_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ApiErrorCode::PostNotFound,
            "There is no such post.",
        )
    }

    pub fn path_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ApiErrorCode::NotFound,
            "There is no such API path.",
        )
    }

    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ApiErrorCode::InvalidRequest,
            message,
        )
    }

    /// Logs the cause and tells the caller only that it was ours.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "integration API request failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ApiErrorCode::InternalError,
            "Plugboard could not do this just now. Try again in a moment.",
        )
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(cause: sqlx::Error) -> ApiError {
        ApiError::internal(cause)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"plugboard\""),
            );
        }
        response
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> ApiError {
        ApiError::new(
            rejection.status(),
            ApiErrorCode::InvalidRequest,
            rejection.body_text(),
        )
    }
}

impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> ApiError {
        ApiError::invalid(rejection.body_text())
    }
}
