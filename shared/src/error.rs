//! The one error body every failure answers with.

use serde::{Deserialize, Serialize};

/// What went wrong, as a stable snake_case code that clients branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or a parameter could not be parsed.
    BadRequest,
    /// No valid credential was sent, or the email/password pair is wrong.
    Unauthorized,
    /// Login refused: wrong email or password (same answer whether or not the account exists).
    InvalidCredentials,
    /// The session passed its idle or absolute timeout.
    SessionExpired,
    /// Authenticated, but the role does not allow this.
    Forbidden,
    /// An admin forced a password reset (or it expired): only `POST me/password` (and what it needs)
    /// answers until the user sets a new one.
    PasswordChangeRequired,
    /// Changing one's second factor needs fresh proof (`me/two_step/reauth`: password and a code).
    ReauthRequired,
    NotFound,
    MethodNotAllowed,
    /// The resource changed since it was read (stale `If-Match`).
    VersionMismatch,
    /// A write without `If-Match`.
    PreconditionRequired,
    /// One or more fields are invalid; see `fields`.
    ValidationFailed,
    Conflict,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    Timeout,
    Internal,
    Unavailable,
    /// A service the server called for the request (a bug tracker) refused it or could not be reached;
    /// the message says what it answered.
    RemoteFailed,
    /// The client could not reach the server (produced by clients, never sent by the server).
    Network,
    /// Any code this version does not know (a newer server).
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The HTTP status the server answers this code with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::Unauthorized | ErrorCode::InvalidCredentials | ErrorCode::SessionExpired => 401,
            ErrorCode::Forbidden | ErrorCode::ReauthRequired | ErrorCode::PasswordChangeRequired => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Conflict => 409,
            ErrorCode::VersionMismatch => 412,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::ValidationFailed => 422,
            ErrorCode::PreconditionRequired => 428,
            ErrorCode::TooManyRequests => 429,
            ErrorCode::Internal | ErrorCode::Unknown => 500,
            ErrorCode::RemoteFailed => 502,
            ErrorCode::Unavailable | ErrorCode::Network => 503,
            ErrorCode::Timeout => 504,
        }
    }
}

/// A problem with one field, named by its wire name (`name`, `app_access[2].role`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The error body of every failed request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error, schemars::JsonSchema)]
#[error("{message}")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub fn validation(fields: Vec<FieldError>) -> Self {
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        let message = format!("invalid {}", names.join(", "));
        Self {
            code: ErrorCode::ValidationFailed,
            message,
            fields,
        }
    }

    /// The message of the error on `field`, if any.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.message.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_codes_from_a_newer_server_still_parse() {
        let e: ApiError = serde_json::from_str(r#"{"code":"quota_exceeded","message":"m"}"#).unwrap();
        assert_eq!(e.code, ErrorCode::Unknown);
        assert!(e.fields.is_empty());
    }

    #[test]
    fn validation_error_names_each_field() {
        let e = ApiError::validation(vec![
            FieldError::new("name", "required"),
            FieldError::new("timezone", "unknown"),
        ]);
        assert_eq!(e.code.status(), 422);
        assert_eq!(e.message, "invalid name, timezone");
        assert_eq!(e.field("timezone"), Some("unknown"));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["code"], "validation_failed");
        assert_eq!(json["fields"][0]["field"], "name");
    }
}
