//! Refusals and API errors, rendered in one place: `{"error": "..."}` with the right status
//! for APIs, a redirect to the login form for a page asked anonymously. The HTML page of a
//! refusal is `ui::html_errors`' work.

use axum::http::header::{LOCATION, WWW_AUTHENTICATE};
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

    /// No valid credential: `401`, saying which one to send.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
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

    /// It contradicts something already there: `409`.
    pub fn conflict(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::CONFLICT,
            message: message.into(),
        }
    }

    /// It was there and is destroyed for good: `410`.
    pub fn gone(message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::GONE,
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

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Anonymous { .. } => {
                ApiError::unauthorized("log in or send Authorization: Bearer TOKEN")
            }
            Refusal::Forbidden(message) => ApiError {
                status: StatusCode::FORBIDDEN,
                message,
            },
            Refusal::Unavailable(message) => ApiError::unavailable(message),
            Refusal::BadRequest(message) => ApiError::bad_request(message),
            Refusal::NotFound(message) => ApiError::not_found(message),
            Refusal::Conflict(message) => ApiError::conflict(message),
            Refusal::Gone(message) => ApiError::gone(message),
        }
    }
}

impl From<tocsin_app::Refused> for ApiError {
    fn from(r: tocsin_app::Refused) -> Self {
        ApiError::from(Refusal::from(r))
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

/// Why a request was refused before its handler.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// No valid credential: pages redirect to the login form, APIs answer `401`.
    Anonymous { api: bool, path: String },
    /// Known, but not allowed: `403`.
    Forbidden(String),
    /// The database could not be asked: `503`.
    Unavailable(String),
    /// The request names something wrong: `400`.
    BadRequest(String),
    /// No such thing: `404`.
    NotFound(String),
    /// It contradicts something already there: `409`.
    Conflict(String),
    /// It was there and is destroyed for good: `410`.
    Gone(String),
}

impl From<tocsin_app::Refused> for Refusal {
    fn from(r: tocsin_app::Refused) -> Refusal {
        use tocsin_app::Refused;
        match r {
            Refused::Forbidden(m) => Refusal::Forbidden(m),
            Refused::Invalid { message, .. } => Refusal::BadRequest(message),
            Refused::NotFound(m) => Refusal::NotFound(m),
            Refused::Unavailable(m) => Refusal::Unavailable(m),
            Refused::Conflict(m) => Refusal::Conflict(m),
            Refused::Gone(m) => Refusal::Gone(m),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::Anonymous { api: false, path } => {
                let next = crate::ui::url_encode(&path);
                (
                    StatusCode::SEE_OTHER,
                    [(LOCATION, format!("/login?next={next}"))],
                )
                    .into_response()
            }
            // Every other refusal is an API error, rendered in its one place.
            refusal => {
                let anonymous = matches!(refusal, Refusal::Anonymous { .. });
                let mut response = ApiError::from(refusal).into_response();
                if anonymous {
                    response.headers_mut().insert(
                        WWW_AUTHENTICATE,
                        axum::http::HeaderValue::from_static("Bearer realm=\"tocsin\""),
                    );
                }
                response
            }
        }
    }
}
