//! Route paths, defined once and used by the server's router and the console's client.

/// Every route lives under this prefix.
pub const API_PREFIX: &str = "/api/v1";

pub const LOGIN: &str = "/api/v1/auth/login";
pub const MFA: &str = "/api/v1/auth/mfa";
/// `POST`: start TOTP enrolment for the caller (answers [`crate::auth::TotpEnrollment`]).
pub const ME_TOTP: &str = "/api/v1/me/two_step/totp";
/// `POST` [`crate::auth::TotpConfirm`]: finish enrolment with a valid code (answers [`crate::auth::BackupCodes`]).
pub const ME_TOTP_CONFIRM: &str = "/api/v1/me/two_step/totp/confirm";
/// `POST` [`crate::auth::MfaEmailRequest`]: email a code for a login challenge (answers [`crate::auth::EmailCodeSent`]).
pub const MFA_EMAIL: &str = "/api/v1/auth/mfa/email";
/// `POST`: email a code to the caller's own address to enrol in email codes (answers [`crate::auth::EmailCodeSent`]).
pub const ME_EMAIL_CODE: &str = "/api/v1/me/two_step/email";
/// `POST` [`crate::auth::EmailCodeConfirm`]: finish email enrolment with that code (answers [`crate::auth::BackupCodes`]).
pub const ME_EMAIL_CONFIRM: &str = "/api/v1/me/two_step/email/confirm";
/// `POST`: fresh proof of who one is (password and a current code) before changing one's second factor.
pub const ME_REAUTH: &str = "/api/v1/me/two_step/reauth";
/// `POST`: emails a code for `ME_REAUTH` to one's address (for users who verify by email).
pub const ME_REAUTH_EMAIL: &str = "/api/v1/me/two_step/reauth/email";
/// `GET`: how many unused backup codes one has; `POST`: a new set (needs fresh proof).
pub const ME_BACKUP_CODES: &str = "/api/v1/me/two_step/backup_codes";
pub const LOGOUT: &str = "/api/v1/auth/logout";
/// `GET`: the password policy one's own new password must meet (also while a change is required).
pub const ME_PASSWORD_POLICY: &str = "/api/v1/me/password/policy";
/// `GET`: one's own live sessions, this one marked.
pub const ME_SESSIONS: &str = "/api/v1/me/sessions";
/// `DELETE`: end one of one's own sessions (this one too: that logs out).
pub const ME_SESSION: &str = "/api/v1/me/sessions/{session_id}";
pub const ME: &str = "/api/v1/me";
/// `GET/PUT settings/{area}`; see [`settings`].
pub const SETTINGS: &str = "/api/v1/settings/{area}";
pub const LICENSES: &str = "/api/v1/licenses";
pub const APPLICATIONS: &str = "/api/v1/applications";
pub const SERVERS: &str = "/api/v1/servers";
pub const AUDIT: &str = "/api/v1/audit";
pub const AUDIT_EXPORT: &str = "/api/v1/audit/export";
pub const HEALTH: &str = "/api/v1/health";
/// `GET`: server-sent change events of the caller's organization ([`crate::events::ChangeEvent`]).
pub const EVENTS_STREAM: &str = "/api/v1/events/stream";
/// `GET`: this API described as OpenAPI 3.1 (no credential needed).
pub const OPENAPI: &str = "/api/v1/openapi.json";
/// `POST auth/activate` `{token, password}`: redeem an invitation (no session needed).
pub const ACTIVATE: &str = "/api/v1/auth/activate";
/// `POST me/password` `{current, new}`.
pub const ME_PASSWORD: &str = "/api/v1/me/password";
/// `GET users?q=&status=&group=&sort=&cursor=&limit=`, `POST users`.
pub const USERS: &str = "/api/v1/users";
/// `GET/PATCH/DELETE users/{id}`.
pub const USER: &str = "/api/v1/users/{id}";
/// `POST users/{id}/{action}`: action one of [`user_action`].
pub const USER_ACTION: &str = "/api/v1/users/{id}/{action}";
/// `GET users/{id}/access`: effective role per application.
pub const USER_ACCESS: &str = "/api/v1/users/{id}/access";
/// `POST users/import` (Content-Type: text/csv).
pub const USERS_IMPORT: &str = "/api/v1/users/import";
/// `POST users/bulk` `{action, ids}`.
pub const USERS_BULK: &str = "/api/v1/users/bulk";
/// `GET/POST groups`.
pub const GROUPS: &str = "/api/v1/groups";
/// `GET/PATCH/DELETE groups/{id}`.
pub const GROUP: &str = "/api/v1/groups/{id}";

/// `GET api_keys` (the caller's key; admins: every key of the organization), `POST` [`crate::api_keys::CreateApiKey`].
pub const API_KEYS: &str = "/api/v1/api_keys";
/// `DELETE api_keys/{id}`: revoke a key (its holder, or an admin).
pub const API_KEY: &str = "/api/v1/api_keys/{id}";
/// `POST api_keys/{id}/rotate` [`crate::api_keys::RotateApiKey`]: a new key, shown once.
pub const API_KEY_ROTATE: &str = "/api/v1/api_keys/{id}/rotate";

/// `POST api_keys/{id}/email` (body optional: [`crate::api_keys::RotateApiKey`]): the holder only; rotates
/// the key and mails the new one to the holder's own address (answers [`crate::api_keys::ApiKeyEmailed`]).
/// Refused (403) when the organization's `api_keys` setting `email_keys` is off.
pub const API_KEY_EMAIL: &str = "/api/v1/api_keys/{id}/email";

/// `/api/v1/api_keys/{id}`.
pub fn api_key(id: impl std::fmt::Display) -> String {
    API_KEY.replace("{id}", &id.to_string())
}

/// `/api/v1/api_keys/{id}/rotate`.
pub fn api_key_rotate(id: impl std::fmt::Display) -> String {
    API_KEY_ROTATE.replace("{id}", &id.to_string())
}

/// `/api/v1/api_keys/{id}/email`.
pub fn api_key_email(id: impl std::fmt::Display) -> String {
    API_KEY_EMAIL.replace("{id}", &id.to_string())
}

/// `GET/PUT me/notifications`: one's own notification choices.
pub const ME_NOTIFICATIONS: &str = "/api/v1/me/notifications";

/// `GET/POST integrations`.
pub const INTEGRATIONS: &str = "/api/v1/integrations";
/// `GET/PATCH/DELETE integrations/{id}`.
pub const INTEGRATION: &str = "/api/v1/integrations/{id}";
/// `POST integrations/{id}/test`: the real call to the service.
pub const INTEGRATION_TEST: &str = "/api/v1/integrations/{id}/test";
/// `POST integrations/{id}/signing_secret`: a webhook's new signing secret, shown once.
pub const INTEGRATION_SIGNING_SECRET: &str = "/api/v1/integrations/{id}/signing_secret";
/// `GET integrations/{id}/deliveries?cursor=&limit=`: the delivery log.
pub const INTEGRATION_DELIVERIES: &str = "/api/v1/integrations/{id}/deliveries";
/// `POST integrations/{id}/deliveries/{delivery_id}/redeliver`: send a delivery again (same `webhook-id`).
pub const INTEGRATION_REDELIVER: &str = "/api/v1/integrations/{id}/deliveries/{delivery_id}/redeliver";
/// `POST integrations/{id}/issues` `{vulnerability_id}`: a vulnerability sent to a bug tracker.
pub const INTEGRATION_ISSUES: &str = "/api/v1/integrations/{id}/issues";

/// `GET inbox?unread=&cursor=&limit=`: the caller's in-app notifications.
pub const INBOX: &str = "/api/v1/inbox";
/// `POST inbox/{id}/read`.
pub const INBOX_READ: &str = "/api/v1/inbox/{id}/read";
/// `POST inbox/read_all`.
pub const INBOX_READ_ALL: &str = "/api/v1/inbox/read_all";

/// `GET users/{id}/sessions` (active sessions, admins), `DELETE` ends them all.
pub const USER_SESSIONS: &str = "/api/v1/users/{id}/sessions";
/// `DELETE users/{id}/sessions/{session_id}`: end one session.
pub const USER_SESSION: &str = "/api/v1/users/{id}/sessions/{session_id}";

/// `/api/v1/users/{id}/sessions`.
pub fn user_sessions(id: impl std::fmt::Display) -> String {
    USER_SESSIONS.replace("{id}", &id.to_string())
}

/// `/api/v1/users/{id}/sessions/{session_id}`.
pub fn user_session(id: impl std::fmt::Display, session_id: &str) -> String {
    USER_SESSION
        .replace("{id}", &id.to_string())
        .replace("{session_id}", session_id)
}

/// The actions of `POST users/{id}/{action}`.
pub mod user_action {
    pub const ENABLE: &str = "enable";
    pub const DISABLE: &str = "disable";
    pub const UNLOCK: &str = "unlock";
    pub const RESET_PASSWORD: &str = "reset_password";
    pub const RESET_TWO_STEP: &str = "reset_two_step";
    pub const ALL: [&str; 5] = [ENABLE, DISABLE, UNLOCK, RESET_PASSWORD, RESET_TWO_STEP];
}

/// `/api/v1/users/{id}`.
pub fn user(id: impl std::fmt::Display) -> String {
    USER.replace("{id}", &id.to_string())
}

/// `/api/v1/users/{id}/{action}`.
pub fn user_action(id: impl std::fmt::Display, action: &str) -> String {
    USER_ACTION.replace("{id}", &id.to_string()).replace("{action}", action)
}

/// `/api/v1/users/{id}/access`.
pub fn user_access(id: impl std::fmt::Display) -> String {
    USER_ACCESS.replace("{id}", &id.to_string())
}

/// `/api/v1/groups/{id}`.
pub fn group(id: impl std::fmt::Display) -> String {
    GROUP.replace("{id}", &id.to_string())
}

/// `GET agent_keys` (admins), `POST` [`crate::agents::CreateAgentKey`]: named agent keys.
pub const AGENT_KEYS: &str = "/api/v1/agent_keys";
/// `DELETE agent_keys/{id}`: revoke an agent key.
pub const AGENT_KEY: &str = "/api/v1/agent_keys/{id}";
/// `POST agent_keys/{id}/rotate` [`crate::api_keys::RotateApiKey`]: a new agent key, shown once.
pub const AGENT_KEY_ROTATE: &str = "/api/v1/agent_keys/{id}/rotate";
/// `GET org_key`: the organization key as lists show it (never the key).
pub const ORG_KEY: &str = "/api/v1/org_key";
/// `POST org_key/rotate` [`crate::api_keys::RotateApiKey`]: a new organization key, shown once.
pub const ORG_KEY_ROTATE: &str = "/api/v1/org_key/rotate";
/// Every agent route starts with this; only agent and organization keys reach them.
pub const AGENT_PREFIX: &str = "/api/v1/agent/";
/// `POST agent/events` [`crate::agents::ReportEvents`]: an agent reports what it found.
pub const AGENT_EVENTS: &str = "/api/v1/agent/events";
/// `GET applications/{id}/vulnerabilities?cursor=&limit=`.
pub const APPLICATION_VULNERABILITIES: &str = "/api/v1/applications/{id}/vulnerabilities";
/// `GET applications/{id}/libraries`: what its library score is made of.
pub const APPLICATION_LIBRARIES: &str = "/api/v1/applications/{id}/libraries";
/// `POST agent/register` [`crate::servers::RegisterAgent`].
pub const AGENT_REGISTER: &str = "/api/v1/agent/register";
/// `POST agent/heartbeat` [`crate::servers::Heartbeat`].
pub const AGENT_HEARTBEAT: &str = "/api/v1/agent/heartbeat";
/// `PATCH servers/{id}` [`crate::servers::UpdateServer`], `DELETE servers/{id}`.
pub const SERVER: &str = "/api/v1/servers/{id}";
/// `POST licenses/protect` [`crate::servers::LicenseServer`].
pub const LICENSES_PROTECT: &str = "/api/v1/licenses/protect";
/// `DELETE licenses/protect/{server_id}`.
pub const LICENSE_PROTECT: &str = "/api/v1/licenses/protect/{id}";
/// `POST licenses/assess` [`crate::servers::LicenseApplication`].
pub const LICENSES_ASSESS: &str = "/api/v1/licenses/assess";
/// `DELETE licenses/assess/{application_id}`.
pub const LICENSE_ASSESS: &str = "/api/v1/licenses/assess/{id}";
/// `POST reports/preview` [`crate::reports::PreviewRequest`].
pub const REPORT_PREVIEW: &str = "/api/v1/reports/preview";
/// `POST reports/render?format=` [`crate::reports::PreviewRequest`]: the report itself, to save as a file.
pub const REPORT_RENDER: &str = "/api/v1/reports/render";
/// `POST scores/preview` [`crate::scores::PreviewRequest`].
pub const SCORE_PREVIEW: &str = "/api/v1/scores/preview";

/// `/api/v1/agent_keys/{id}`.
pub fn agent_key(id: impl std::fmt::Display) -> String {
    AGENT_KEY.replace("{id}", &id.to_string())
}

/// `/api/v1/agent_keys/{id}/rotate`.
pub fn agent_key_rotate(id: impl std::fmt::Display) -> String {
    AGENT_KEY_ROTATE.replace("{id}", &id.to_string())
}

/// `/api/v1/applications/{id}/vulnerabilities`.
pub fn application_vulnerabilities(id: impl std::fmt::Display) -> String {
    APPLICATION_VULNERABILITIES.replace("{id}", &id.to_string())
}

/// Settings areas, as they appear in `settings/{area}`.
pub mod area {
    pub const GENERAL: &str = "general";
    pub const PASSWORD_POLICY: &str = "password_policy";
    pub const IP_RESTRICTIONS: &str = "ip_restrictions";
    pub const TWO_STEP: &str = "two_step";
    pub const SESSIONS: &str = "sessions";
    pub const NOTIFICATIONS: &str = "notifications";
    pub const REPORTS: &str = "reports";
    pub const SCORES: &str = "scores";
    /// [`crate::servers::ServerSettings`].
    pub const SERVERS: &str = "servers";
    pub const SERVERS_DEVELOPMENT: &str = "servers/development";
    pub const SERVERS_QA: &str = "servers/qa";
    pub const SERVERS_PRODUCTION: &str = "servers/production";
    /// [`crate::api_keys::ApiKeySettings`].
    pub const API_KEYS: &str = "api_keys";

    /// Every area above; the server answers 404 for those it holds no document for yet.
    pub const ALL: [&str; 13] = [
        GENERAL,
        PASSWORD_POLICY,
        IP_RESTRICTIONS,
        TWO_STEP,
        SESSIONS,
        NOTIFICATIONS,
        REPORTS,
        SCORES,
        API_KEYS,
        SERVERS,
        SERVERS_DEVELOPMENT,
        SERVERS_QA,
        SERVERS_PRODUCTION,
    ];
}

/// The path of one settings area: `settings("general")` is `/api/v1/settings/general`.
pub fn settings(area: &str) -> String {
    SETTINGS.replace("{area}", area)
}

#[cfg(test)]
mod tests {
    #[test]
    fn settings_path_fills_the_area() {
        assert_eq!(super::settings(super::area::GENERAL), "/api/v1/settings/general");
    }
}
