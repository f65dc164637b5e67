//! The one error type of the HTTP layer: every failure becomes the shared `ApiError` body.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use orgdeck_shared::{ApiError, ErrorCode, FieldError};

use crate::{
    auth::{password::PasswordError, totp::OtpauthError},
    mail::MailError,
    secret_box::SecretBoxError,
    store::StoreError,
};

/// Why a request failed. Client errors carry their message; internal ones are logged and answered
/// with a message that reveals nothing.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("no valid credential was sent")]
    Unauthorized,
    /// Every refusal of a login step, whatever its reason (which only the audit log records), so that no
    /// answer tells a right password from a wrong one.
    #[error("wrong email or password, or the account may not log in now (locked, disabled, or not from this address)")]
    InvalidCredentials,
    #[error("the session has expired; log in again")]
    SessionExpired,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("this change needs the If-Match header with the version it was based on")]
    PreconditionRequired,
    #[error("it changed since it was read (now at version {current}); reload and try again")]
    VersionMismatch { current: i64 },
    #[error("invalid fields")]
    Validation(Vec<FieldError>),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is too large")]
    PayloadTooLarge,
    #[error("{0}")]
    Conflict(String),
    #[error("your password must be changed before anything else (POST me/password)")]
    PasswordChangeRequired,
    /// Changing the second factor needs fresh proof: the password and a code at `me/two_step/reauth`, or
    /// a login within the last few minutes.
    #[error("confirm it is you first: POST me/two_step/reauth with your password and a current code")]
    ReauthRequired,
    #[error("too many login attempts from this address; try again in {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    /// Another limit than the login one (e.g. one email code a minute); the message says which.
    #[error("{message}")]
    RateLimited { message: String, retry_after: u64 },
    /// A service called for the request (a bug tracker) refused it or could not be reached: 502 with what
    /// it said (secrets cut out by the caller).
    #[error("{0}")]
    Remote(String),
    #[error(transparent)]
    Internal(#[from] Internal),
}

/// A failure that is the server's fault, not the request's: logged with its causes, answered with
/// [`internal_error`].
#[derive(Debug, thiserror::Error)]
pub enum Internal {
    #[error(transparent)]
    Store(StoreError),
    #[error("background task failed")]
    Task(#[source] tokio::task::JoinError),
    #[error(transparent)]
    SecretBox(#[from] SecretBoxError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Otpauth(#[from] OtpauthError),
    #[error(transparent)]
    Mail(#[from] MailError),
    /// A time out of range (a date computed from now and a setting).
    #[error(transparent)]
    Time(#[from] jiff::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A stored settings document that no longer parses (a bug or a hand-edited database).
    #[error("stored {what}")]
    StoredDocument { what: String, source: serde_json::Error },
    /// The layer that records the client's address is not in front of this route.
    #[error("client address layer missing")]
    NoClientAddress,
}

impl Internal {
    /// A stored document (`what`: "sessions settings") that does not parse.
    pub fn stored(what: impl Into<String>, source: serde_json::Error) -> Self {
        Internal::StoredDocument {
            what: what.into(),
            source,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::VersionMismatch { current } => AppError::VersionMismatch { current },
            StoreError::NotFound(what) => AppError::NotFound(format!("{what} not found")),
            StoreError::Conflict(what) => AppError::Conflict(what),
            other => AppError::Internal(Internal::Store(other)),
        }
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(Internal::Task(e))
    }
}

/// Failures of the server's own machinery: `?` in a handler turns them into [`AppError::Internal`].
macro_rules! internal_from {
    ($($source:ty),* $(,)?) => {
        $(impl From<$source> for AppError {
            fn from(e: $source) -> Self {
                AppError::Internal(e.into())
            }
        })*
    };
}

internal_from!(SecretBoxError, PasswordError, OtpauthError, MailError);

/// An error and its causes on one line, `outer: cause: root cause` (as the log shows internal errors).
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl AppError {
    /// The wire body of this error.
    pub fn to_api(&self) -> ApiError {
        let code = match self {
            AppError::BadRequest(_) => ErrorCode::BadRequest,
            AppError::Unauthorized => ErrorCode::Unauthorized,
            AppError::InvalidCredentials => ErrorCode::InvalidCredentials,
            AppError::SessionExpired => ErrorCode::SessionExpired,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::PreconditionRequired => ErrorCode::PreconditionRequired,
            AppError::VersionMismatch { .. } => ErrorCode::VersionMismatch,
            AppError::Validation(fields) => return ApiError::validation(fields.clone()),
            AppError::UnsupportedMediaType(_) => ErrorCode::UnsupportedMediaType,
            AppError::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            AppError::Conflict(_) => ErrorCode::Conflict,
            AppError::PasswordChangeRequired => ErrorCode::PasswordChangeRequired,
            AppError::ReauthRequired => ErrorCode::ReauthRequired,
            AppError::TooManyRequests { .. } | AppError::RateLimited { .. } => ErrorCode::TooManyRequests,
            AppError::Remote(_) => ErrorCode::RemoteFailed,
            AppError::Internal(_) => return internal_error(),
        };
        ApiError::new(code, self.to_string())
    }
}

/// The body of every internal failure: no details, they are in the log.
pub fn internal_error() -> ApiError {
    ApiError::new(
        ErrorCode::Internal,
        "internal server error; the details are in the server log",
    )
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(e) = &self {
            tracing::error!(error = Chain(e).to_string(), "internal error");
        }
        let mut resp = api_error_response(self.to_api());
        if let AppError::TooManyRequests { retry_after } | AppError::RateLimited { retry_after, .. } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

/// Renders an `ApiError` with the status of its code.
pub fn api_error_response(err: ApiError) -> Response {
    let status = StatusCode::from_u16(err.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (status, Json(err)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    resp
}

/// The error code a bare status (from a layer or the router) stands for.
pub fn code_for_status(status: StatusCode) -> (ErrorCode, &'static str) {
    match status.as_u16() {
        400 => (ErrorCode::BadRequest, "the request could not be understood"),
        401 => (ErrorCode::Unauthorized, "no valid credential was sent"),
        403 => (ErrorCode::Forbidden, "not allowed"),
        404 => (ErrorCode::NotFound, "no such route"),
        405 => (ErrorCode::MethodNotAllowed, "this route does not accept that method"),
        408 | 504 => (ErrorCode::Timeout, "the request took too long"),
        409 => (ErrorCode::Conflict, "conflict"),
        412 => (ErrorCode::VersionMismatch, "the resource changed since it was read"),
        413 => (ErrorCode::PayloadTooLarge, "the request body is too large"),
        415 => (ErrorCode::UnsupportedMediaType, "unsupported content type"),
        422 => (ErrorCode::ValidationFailed, "invalid request"),
        428 => (ErrorCode::PreconditionRequired, "this change needs the If-Match header"),
        429 => (ErrorCode::TooManyRequests, "too many requests"),
        503 => (ErrorCode::Unavailable, "the server is not available"),
        s if s >= 500 => (
            ErrorCode::Internal,
            "internal server error; the details are in the server log",
        ),
        _ => (ErrorCode::BadRequest, "the request could not be processed"),
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_internal_error_answers_nothing_of_its_cause_and_logs_every_cause() {
        let cause = serde_json::from_str::<u32>("{").unwrap_err();
        let cause_text = cause.to_string();
        let err = AppError::Internal(Internal::stored("sessions settings", cause));
        let body = err.to_api();
        assert_eq!(body.code, ErrorCode::Internal);
        assert!(!body.message.contains("sessions"), "{}", body.message);
        let AppError::Internal(internal) = &err else {
            unreachable!()
        };
        let logged = Chain(internal).to_string();
        assert_eq!(logged, format!("stored sessions settings: {cause_text}"));
    }

    #[test]
    fn store_refusals_keep_their_status_and_store_failures_are_internal() {
        assert!(matches!(
            AppError::from(StoreError::VersionMismatch { current: 3 }),
            AppError::VersionMismatch { current: 3 }
        ));
        assert!(matches!(
            AppError::from(StoreError::Corrupt("x".into())),
            AppError::Internal(Internal::Store(StoreError::Corrupt(_)))
        ));
        assert!(matches!(
            AppError::from(SecretBoxError::Decrypt),
            AppError::Internal(Internal::SecretBox(SecretBoxError::Decrypt))
        ));
    }
}
