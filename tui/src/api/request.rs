//! The requests the console makes and the replies that come back as messages.

use orgdeck_shared::{
    ApiError, Versioned,
    auth::{LoginResponse, Me, Secret},
    general::GeneralSettings,
    licensing::LicenseSummary,
};

/// One API call, as data: `update` returns these inside commands and the runner performs them.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Me,
    Login { email: String, password: Secret },
    Mfa { challenge: Secret, code: Secret },
    Logout,
    GetGeneral,
    PutGeneral { version: i64, value: GeneralSettings },
    GetLicenses,
}

impl Request {
    /// Whether a request may be sent again unchanged after the user logs in again.
    pub fn retryable(&self) -> bool {
        !matches!(self, Request::Login { .. } | Request::Mfa { .. } | Request::Logout)
    }

    /// What the request does, for the log and the status line.
    pub fn label(&self) -> &'static str {
        match self {
            Request::Me => "checking the session",
            Request::Login { .. } | Request::Mfa { .. } => "logging in",
            Request::Logout => "logging out",
            Request::GetGeneral => "loading general settings",
            Request::PutGeneral { .. } => "saving general settings",
            Request::GetLicenses => "loading licenses",
        }
    }
}

/// The typed answer to a [`Request`].
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Me(Result<Me, ApiError>),
    Login(Result<LoginResponse, ApiError>),
    LoggedOut(Result<(), ApiError>),
    General(Result<Versioned<GeneralSettings>, ApiError>),
    GeneralSaved(Result<Versioned<GeneralSettings>, ApiError>),
    Licenses(Result<LicenseSummary, ApiError>),
}

impl Reply {
    /// The error, whatever the request was.
    pub fn error(&self) -> Option<&ApiError> {
        match self {
            Reply::Me(Err(e))
            | Reply::Login(Err(e))
            | Reply::LoggedOut(Err(e))
            | Reply::General(Err(e))
            | Reply::GeneralSaved(Err(e))
            | Reply::Licenses(Err(e)) => Some(e),
            _ => None,
        }
    }
}
