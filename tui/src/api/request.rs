//! The requests the console makes and the replies that come back as messages.

use orgdeck_shared::{
    ApiError, Page, Versioned,
    api_keys::{ApiKeyEmailed, ApiKeyInfo, ApiKeySettings, NewApiKey},
    audit::{AuditEntry, AuditQuery},
    auth::{BackupCodes, EmailCodeSent, LoginResponse, Me, OrgRole, ReauthGranted, Secret, TotpEnrollment},
    general::GeneralSettings,
    groups::{Group, GroupDeleted, GroupInput, UserAccess},
    inventory::Application,
    licensing::LicenseSummary,
    password::PasswordPolicy,
    users::{BulkReport, BulkRequest, NewUser, User, UserCreated, UserPatch, UserQuery},
};

use orgdeck_shared::{audit::AuditExportFormat as ExportFormat, security::ActiveSession};

use super::security::{ExportReport, SecurityArea, SecurityDoc};
use uuid::Uuid;

/// Which list a page of users is for (every tab sees every reply and picks its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserList {
    /// The Users tab's table.
    Table,
    /// The member picker of the group editor.
    Picker,
    /// Finding the user an admin makes an API key for, by email.
    KeyHolder,
}

/// One page of a list: which generation of the list's query asked, and which page of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageTag {
    pub generation: u64,
    pub page: usize,
}

/// The user actions of `POST users/{id}/{action}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserAction {
    Enable,
    Disable,
    Unlock,
    ResetPassword,
    ResetTwoStep,
}

impl UserAction {
    pub fn route(self) -> &'static str {
        use orgdeck_shared::routes::user_action as a;
        match self {
            UserAction::Enable => a::ENABLE,
            UserAction::Disable => a::DISABLE,
            UserAction::Unlock => a::UNLOCK,
            UserAction::ResetPassword => a::RESET_PASSWORD,
            UserAction::ResetTwoStep => a::RESET_TWO_STEP,
        }
    }

    /// What it did, for a toast: "enabled".
    pub fn done(self) -> &'static str {
        match self {
            UserAction::Enable => "enabled",
            UserAction::Disable => "disabled",
            UserAction::Unlock => "unlocked",
            UserAction::ResetPassword => "must reset the password at next login",
            UserAction::ResetTwoStep => "two-step verification reset",
        }
    }
}

/// `POST users`, as data the app can compare (the password never prints).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUserRequest {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub default_group: OrgRole,
    pub groups: Vec<Uuid>,
    pub api_only: bool,
    /// `None` invites the user.
    pub password: Option<Secret>,
}

impl NewUserRequest {
    pub fn to_wire(&self) -> NewUser {
        NewUser {
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            default_group: self.default_group,
            groups: self.groups.clone(),
            api_only: self.api_only,
            password: self.password.clone(),
        }
    }
}

/// A created user, and the one-time activation token of an invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    pub user: User,
    pub activation_token: Option<Secret>,
}

impl From<UserCreated> for Created {
    fn from(c: UserCreated) -> Self {
        Created {
            user: c.user,
            activation_token: c.activation_token,
        }
    }
}

/// One API call, as data: `update` returns these inside commands and the runner performs them.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Me,
    Login {
        email: String,
        password: Secret,
    },
    Mfa {
        challenge: Secret,
        code: Secret,
    },
    /// Emails (again) a code for a login challenge (`POST auth/mfa/email`).
    MfaEmail {
        challenge: Secret,
    },
    Logout,
    GetGeneral,
    PutGeneral {
        version: i64,
        value: GeneralSettings,
    },
    GetLicenses,
    GetPasswordPolicy,
    ListUsers {
        list: UserList,
        tag: PageTag,
        query: UserQuery,
    },
    GetUser(Uuid),
    /// The user's effective role on every application.
    GetUserAccess(Uuid),
    CreateUser(NewUserRequest),
    UpdateUser {
        id: Uuid,
        version: i64,
        patch: UserPatch,
    },
    DeleteUser(Uuid),
    UserAction {
        id: Uuid,
        action: UserAction,
    },
    BulkUsers(BulkRequest),
    /// Reads the CSV file at `path` (in the runner, not in `update`) and posts it.
    ImportUsers {
        path: String,
    },
    ListGroups,
    CreateGroup(GroupInput),
    UpdateGroup {
        id: Uuid,
        version: i64,
        input: GroupInput,
    },
    DeleteGroup(Uuid),
    ListApplications,
    GetSecurity(SecurityArea),
    PutSecurity {
        version: i64,
        value: SecurityDoc,
    },
    /// One page of an audit search.
    SearchAudit {
        tag: PageTag,
        query: AuditQuery,
    },
    /// Streams the search to the file at `path` (in the runner, not in `update`).
    ExportAudit {
        query: AuditQuery,
        format: ExportFormat,
        path: String,
        /// Replace an existing file (the user confirmed); otherwise an existing file is an error.
        overwrite: bool,
    },
    ListSessions(Uuid),
    /// Ends one session of a user, or all of them.
    EndSessions {
        user: Uuid,
        session: Option<String>,
    },
    /// Starts TOTP enrolment of the logged-in user (`POST me/two_step/totp`).
    EnrolTotp,
    /// Finishes TOTP enrolment with a code from the authenticator app.
    ConfirmTotp {
        code: Secret,
    },
    /// One page of the API keys table (the caller's key; admins: every key of the organization).
    ListApiKeys {
        tag: PageTag,
        cursor: Option<String>,
        limit: u32,
    },
    /// A key for the caller, or (admins) for the user `user`.
    CreateApiKey {
        user: Option<Uuid>,
    },
    RotateApiKey {
        id: Uuid,
        grace_minutes: u32,
    },
    /// "Email me my key": rotates the caller's own key and mails the new one to them.
    EmailApiKey(Uuid),
    RevokeApiKey(Uuid),
    GetApiKeySettings,
    PutApiKeySettings {
        version: i64,
        value: ApiKeySettings,
    },
    /// Emails the logged-in user a code to enrol with (`POST me/two_step/email`); also to send it again.
    EnrolEmail,
    /// Finishes email enrolment with the code that came by email.
    ConfirmEmail {
        code: Secret,
    },
    /// Emails a code for fresh proof (`POST me/two_step/reauth/email`).
    ReauthEmail,
    /// Fresh proof before the second factor changes (`POST me/two_step/reauth`).
    Reauth {
        password: Secret,
        code: Option<Secret>,
    },
}

impl Request {
    /// Whether a request may be sent again unchanged after the user logs in again.
    pub fn retryable(&self) -> bool {
        // A new enrolment secret or a code (valid 30 s) is never sent again behind the user's back.
        !matches!(
            self,
            Request::Login { .. }
                | Request::Mfa { .. }
                | Request::MfaEmail { .. }
                | Request::Logout
                | Request::EnrolTotp
                | Request::ConfirmTotp { .. }
                | Request::EnrolEmail
                | Request::ConfirmEmail { .. }
                | Request::Reauth { .. }
                | Request::ReauthEmail
                // A new key is made (and an old one stopped) only when the user asks, in front of them.
                | Request::CreateApiKey { .. }
                | Request::RotateApiKey { .. }
                | Request::EmailApiKey(_)
        )
    }

    /// What the request does, for the log and the status line.
    pub fn label(&self) -> &'static str {
        match self {
            Request::Me => "checking the session",
            Request::Login { .. } | Request::Mfa { .. } => "logging in",
            Request::MfaEmail { .. } | Request::EnrolEmail | Request::ReauthEmail => "emailing a code",
            Request::Logout => "logging out",
            Request::GetGeneral => "loading general settings",
            Request::PutGeneral { .. } => "saving general settings",
            Request::GetLicenses => "loading licenses",
            Request::GetPasswordPolicy => "loading the password policy",
            Request::ListUsers { .. } => "loading users",
            Request::GetUser(_) => "loading a user",
            Request::GetUserAccess(_) => "loading a user's access",
            Request::CreateUser(_) => "adding a user",
            Request::UpdateUser { .. } => "saving a user",
            Request::DeleteUser(_) => "deleting a user",
            Request::UserAction { .. } => "changing a user",
            Request::BulkUsers(_) => "changing users",
            Request::ImportUsers { .. } => "importing users",
            Request::ListGroups => "loading groups",
            Request::CreateGroup(_) | Request::UpdateGroup { .. } => "saving a group",
            Request::DeleteGroup(_) => "deleting a group",
            Request::ListApplications => "loading applications",
            Request::GetSecurity(_) => "loading security settings",
            Request::PutSecurity { .. } => "saving security settings",
            Request::SearchAudit { .. } => "searching the audit log",
            Request::ExportAudit { .. } => "exporting the audit log",
            Request::ListSessions(_) => "loading sessions",
            Request::EndSessions { .. } => "ending sessions",
            Request::EnrolTotp => "starting two-step enrolment",
            Request::Reauth { .. } => "confirming it is you",
            Request::ConfirmTotp { .. } | Request::ConfirmEmail { .. } => "checking the two-step code",
            Request::ListApiKeys { .. } => "loading API keys",
            Request::CreateApiKey { .. } => "making an API key",
            Request::RotateApiKey { .. } => "rotating an API key",
            Request::EmailApiKey(_) => "emailing an API key",
            Request::RevokeApiKey(_) => "revoking an API key",
            Request::GetApiKeySettings => "loading API key settings",
            Request::PutApiKeySettings { .. } => "saving API key settings",
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
    PasswordPolicy(Result<PasswordPolicy, ApiError>),
    Users(Result<Page<User>, ApiError>),
    /// A user as it is now (read, saved, or changed by an action).
    User(Result<User, ApiError>),
    UserAccess(Result<UserAccess, ApiError>),
    UserCreated(Result<Created, ApiError>),
    UserDeleted(Result<(), ApiError>),
    Bulk(Result<BulkReport, ApiError>),
    /// The users an import created (all rows, or none and row errors in the error's fields).
    Imported(Result<Vec<Created>, ApiError>),
    Groups(Result<Page<Group>, ApiError>),
    GroupSaved(Result<Group, ApiError>),
    GroupDeleted(Result<GroupDeleted, ApiError>),
    Applications(Result<Page<Application>, ApiError>),
    Security(Result<Versioned<SecurityDoc>, ApiError>),
    SecuritySaved(Result<Versioned<SecurityDoc>, ApiError>),
    Audit(Result<Page<AuditEntry>, ApiError>),
    Exported(Result<ExportReport, ApiError>),
    Sessions(Result<Vec<ActiveSession>, ApiError>),
    SessionsEnded(Result<(), ApiError>),
    TotpEnrollment(Result<TotpEnrollment, ApiError>),
    /// A code is on its way by email (login challenge or enrolment).
    EmailCodeSent(Result<EmailCodeSent, ApiError>),
    /// Enrolment (authenticator app or email) is complete: the backup codes, shown once.
    Enrolled(Result<BackupCodes, ApiError>),
    Reauthed(Result<ReauthGranted, ApiError>),
    ApiKeys(Result<Page<ApiKeyInfo>, ApiError>),
    /// A key made or rotated: the only time it is shown.
    NewApiKey(Result<NewApiKey, ApiError>),
    ApiKeyEmailed(Result<ApiKeyEmailed, ApiError>),
    ApiKeyRevoked(Result<(), ApiError>),
    /// The `api_keys` settings as read or saved.
    ApiKeySettings(Result<Versioned<ApiKeySettings>, ApiError>),
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
            | Reply::Licenses(Err(e))
            | Reply::PasswordPolicy(Err(e))
            | Reply::Users(Err(e))
            | Reply::User(Err(e))
            | Reply::UserAccess(Err(e))
            | Reply::UserCreated(Err(e))
            | Reply::UserDeleted(Err(e))
            | Reply::Bulk(Err(e))
            | Reply::Imported(Err(e))
            | Reply::Groups(Err(e))
            | Reply::GroupSaved(Err(e))
            | Reply::GroupDeleted(Err(e))
            | Reply::Applications(Err(e))
            | Reply::Security(Err(e))
            | Reply::SecuritySaved(Err(e))
            | Reply::Audit(Err(e))
            | Reply::Exported(Err(e))
            | Reply::Sessions(Err(e))
            | Reply::SessionsEnded(Err(e))
            | Reply::TotpEnrollment(Err(e))
            | Reply::EmailCodeSent(Err(e))
            | Reply::Enrolled(Err(e))
            | Reply::Reauthed(Err(e))
            | Reply::ApiKeys(Err(e))
            | Reply::NewApiKey(Err(e))
            | Reply::ApiKeyEmailed(Err(e))
            | Reply::ApiKeyRevoked(Err(e))
            | Reply::ApiKeySettings(Err(e)) => Some(e),
            _ => None,
        }
    }
}
