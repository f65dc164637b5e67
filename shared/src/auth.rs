//! Login, sessions, and who the caller is.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::security::TwoStepMethod;

/// Organization roles, least to most privileged. Only `admin` may read or change settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgRole {
    View,
    Edit,
    RulesAdmin,
    Admin,
}

impl OrgRole {
    pub const ALL: [OrgRole; 4] = [OrgRole::View, OrgRole::Edit, OrgRole::RulesAdmin, OrgRole::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgRole::View => "view",
            OrgRole::Edit => "edit",
            OrgRole::RulesAdmin => "rules_admin",
            OrgRole::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<OrgRole> {
        OrgRole::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The name people read: "Rules Admin".
    pub fn label(self) -> &'static str {
        match self {
            OrgRole::View => "View",
            OrgRole::Edit => "Edit",
            OrgRole::RulesAdmin => "Rules Admin",
            OrgRole::Admin => "Admin",
        }
    }
}

impl fmt::Display for OrgRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A secret string (password, token, code) whose `Debug` never prints it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    /// The secret itself; every call site is a place the secret leaves its wrapper.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A string; `writeOnly` where the client sends it (a password, a code), a plain string where the server
/// answers one (a session token, a new key, backup codes: shown once).
impl schemars::JsonSchema for Secret {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Secret".into()
    }
    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        if generator.contract().is_deserialize() {
            schemars::json_schema!({ "type": "string", "writeOnly": true })
        } else {
            schemars::json_schema!({ "type": "string" })
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_owned())
    }
}

/// `POST auth/login`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: Secret,
}

/// A granted session. The token is sent back as `Authorization: Bearer <token>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SessionGrant {
    pub token: Secret,
    /// When the session ends at the latest (absolute timeout); idle expiry may come sooner.
    #[schemars(with = "crate::schema::Timestamp")]
    pub expires_at: Timestamp,
}

/// Second factors a user can answer a login challenge with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MfaMethod {
    Totp,
    Email,
    BackupCode,
}

/// The answer to `POST auth/login`: a session, or a second step to take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum LoginResponse {
    Granted(SessionGrant),
    MfaRequired {
        mfa_required: bool,
        challenge: Secret,
        /// What the user can answer with: the methods they enrolled in that the organization allows,
        /// and `backup_code`.
        methods: Vec<MfaMethod>,
        /// When the user's only method is email, the code was sent with this answer: the address it
        /// went to, masked (`a•••@example.com`). Otherwise `POST auth/mfa/email` sends one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        email_sent_to: Option<String>,
    },
}

/// `POST auth/mfa`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MfaRequest {
    pub challenge: Secret,
    pub code: Secret,
}

/// The answer to `POST me/two_step/totp`: what the authenticator app needs. Shown once, while enrolling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TotpEnrollment {
    /// `otpauth://totp/...`, drawn as a QR code.
    pub otpauth_uri: Secret,
    /// The base32 secret, for typing in by hand.
    pub secret: Secret,
}

/// `POST auth/mfa/email`: send (again) an email code for a login challenge. Answers [`EmailCodeSent`];
/// 429 when asked again too soon (one code a minute, five a challenge).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MfaEmailRequest {
    pub challenge: Secret,
}

/// A 6-digit code is on its way by email (login challenge or enrolment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EmailCodeSent {
    /// The address it went to, masked: `a•••@example.com`.
    pub sent_to: String,
    /// The code stops working then (10 minutes after sending).
    #[schemars(with = "crate::schema::Timestamp")]
    pub expires_at: Timestamp,
}

/// `POST me/two_step/email/confirm`: the code that `POST me/two_step/email` sent to the caller's own
/// address; answers [`BackupCodes`].
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EmailCodeConfirm {
    pub code: Secret,
}

/// `POST me/two_step/totp/confirm`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TotpConfirm {
    pub code: Secret,
}

/// `POST me/two_step/reauth`: the password, and a current code (authenticator or backup code) when the
/// account has two-step verification.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReauthRequest {
    pub password: Secret,
    #[serde(default)]
    pub code: Option<Secret>,
}

/// Until when this session may change its second factor without proving itself again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ReauthGranted {
    #[schemars(with = "crate::schema::Timestamp")]
    pub fresh_until: jiff::Timestamp,
}

/// `GET me/two_step/backup_codes`: unused backup codes left (the codes themselves are kept only as
/// hashes, so they can be shown once, when made).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BackupCodesLeft {
    pub remaining: u32,
}

/// Ten single-use codes, shown once when enrolment completes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BackupCodes {
    pub backup_codes: Vec<Secret>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MeUser {
    pub id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MeOrg {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MeSession {
    /// The absolute end of the session.
    #[schemars(with = "crate::schema::Timestamp")]
    pub expires_at: Timestamp,
    /// When the session ends if no request comes before.
    #[schemars(with = "crate::schema::Timestamp")]
    pub idle_expires_at: Timestamp,
}

/// The caller's two-step verification, as `GET me` tells it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct MeTwoStep {
    /// The methods the organization lets users enrol in (empty while two-step is off).
    pub available: Vec<TwoStepMethod>,
    /// The methods this user has enrolled in.
    pub enrolled: Vec<TwoStepMethod>,
    /// The organization requires two-step and the user has not enrolled: only `GET me`, the enrolment
    /// routes and logout answer until they do.
    pub must_enrol: bool,
}

/// `GET me`: who the caller is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Me {
    pub user: MeUser,
    pub org: MeOrg,
    pub role: OrgRole,
    /// The session's timeouts; absent when the caller used an API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<MeSession>,
    /// The display prefix of the API key the caller used (`od_AbC123`), if one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    /// The client address as the server sees it (after trusted-proxy handling).
    pub client_ip: String,
    /// An admin forced a password reset: the user should change it (`POST me/password`) before anything else.
    #[serde(default)]
    pub must_change_password: bool,
    #[serde(default)]
    pub two_step: MeTwoStep,
    /// How many of the caller's inbox entries are unread.
    #[serde(default)]
    pub unread: u64,
}

/// `GET health`: the server is up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HealthStatus {
    /// `ok`.
    pub status: String,
}

/// The routes of logging in and of one's own second factor.
pub mod endpoints {
    use super::*;
    use crate::routes::*;

    crate::endpoints! {
        /// Whether the server is up.
        Health: Get HEALTH, Public, params (), query (), body () => HealthStatus;
        /// Logs in with email and password: a session, or a second-step challenge.
        Login: Post LOGIN, Public, params (), query (), body LoginRequest => LoginResponse;
        /// Answers a login challenge with a code (authenticator, email or backup code).
        Mfa: Post MFA, Public, params (), query (), body MfaRequest => LoginResponse;
        /// Emails (again) a code for a login challenge.
        MfaEmail: Post MFA_EMAIL, Public, params (), query (), body MfaEmailRequest => EmailCodeSent;
        /// Ends the caller's session.
        Logout: Post LOGOUT, Session, params (), query (), body () => (), status 204;
        /// Who the caller is: user, organization, session, two-step state.
        GetMe: Get ME, User, params (), query (), body () => Me;
        /// Starts enrolment in an authenticator app: the secret and its otpauth URI.
        StartTotp: Post ME_TOTP, Session, params (), query (), body () => TotpEnrollment;
        /// Finishes authenticator enrolment with a current code; answers ten backup codes, shown once.
        ConfirmTotp: Post ME_TOTP_CONFIRM, Session, params (), query (), body TotpConfirm => BackupCodes;
        /// Starts enrolment in emailed codes: a code goes to one's own address.
        StartEmail: Post ME_EMAIL_CODE, Session, params (), query (), body () => EmailCodeSent;
        /// Finishes email enrolment with the emailed code; answers ten backup codes, shown once.
        ConfirmEmail: Post ME_EMAIL_CONFIRM, Session, params (), query (), body EmailCodeConfirm => BackupCodes;
        /// Fresh proof (password and a current code) before one's second factor changes.
        Reauth: Post ME_REAUTH, Session, params (), query (), body ReauthRequest => ReauthGranted;
        /// Emails a code for fresh proof to one's own address.
        ReauthEmail: Post ME_REAUTH_EMAIL, Session, params (), query (), body () => EmailCodeSent;
        /// How many unused backup codes one has.
        CountBackupCodes: Get ME_BACKUP_CODES, Session, params (), query (), body () => BackupCodesLeft;
        /// A new set of backup codes (needs fresh proof); the old ones stop working.
        NewBackupCodes: Post ME_BACKUP_CODES, Session, params (), query (), body () => BackupCodes;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<Health>();
        v.visit::<Login>();
        v.visit::<Mfa>();
        v.visit::<MfaEmail>();
        v.visit::<Logout>();
        v.visit::<GetMe>();
        v.visit::<StartTotp>();
        v.visit::<ConfirmTotp>();
        v.visit::<StartEmail>();
        v.visit::<ConfirmEmail>();
        v.visit::<Reauth>();
        v.visit::<ReauthEmail>();
        v.visit::<CountBackupCodes>();
        v.visit::<NewBackupCodes>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let req = LoginRequest {
            email: "a@b.c".into(),
            password: Secret::new("hunter2"),
        };
        assert!(!format!("{req:?}").contains("hunter2"));
        assert_eq!(serde_json::to_value(&req).unwrap()["password"], "hunter2");
    }

    #[test]
    fn login_response_distinguishes_session_from_challenge() {
        let granted: LoginResponse =
            serde_json::from_str(r#"{"token":"t","expires_at":"2026-01-01T00:00:00Z"}"#).unwrap();
        assert!(matches!(granted, LoginResponse::Granted(_)));
        let mfa: LoginResponse =
            serde_json::from_str(r#"{"mfa_required":true,"challenge":"c","methods":["totp"]}"#).unwrap();
        assert!(matches!(
            mfa,
            LoginResponse::MfaRequired {
                email_sent_to: None,
                ..
            }
        ));
        let email: LoginResponse = serde_json::from_str(
            r#"{"mfa_required":true,"challenge":"c","methods":["email","backup_code"],"email_sent_to":"a•••@b.c"}"#,
        )
        .unwrap();
        assert!(matches!(
            email,
            LoginResponse::MfaRequired {
                email_sent_to: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn roles_order_least_to_most_privileged() {
        assert!(OrgRole::View < OrgRole::Edit && OrgRole::RulesAdmin < OrgRole::Admin);
        for r in OrgRole::ALL {
            assert_eq!(OrgRole::parse(r.as_str()), Some(r));
        }
    }
}
