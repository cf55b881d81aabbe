//! API errors, rendered in one place as `{"error": "..."}` with the right status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

/// An error answered to an API client.
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    /// The request was malformed: `400`, saying what is wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    /// No such thing: `404`.
    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    /// The server could not do it now: `503`.
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: message.into(),
        }
    }
}

impl From<crate::auth::Refusal> for ApiError {
    fn from(r: crate::auth::Refusal) -> Self {
        use crate::auth::Refusal;
        match r {
            Refusal::Anonymous { .. } => ApiError {
                status: StatusCode::UNAUTHORIZED,
                message: "log in or send Authorization: Bearer TOKEN".to_owned(),
            },
            Refusal::Forbidden(message) => ApiError {
                status: StatusCode::FORBIDDEN,
                message,
            },
            Refusal::Unavailable(message) => ApiError::unavailable(message),
            Refusal::BadRequest(message) => ApiError::bad_request(message),
            Refusal::NotFound(message) => ApiError::not_found(message),
        }
    }
}

impl From<tocsin_app::Refused> for ApiError {
    fn from(r: tocsin_app::Refused) -> Self {
        ApiError::from(crate::auth::Refusal::from(r))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response()
    }
}
