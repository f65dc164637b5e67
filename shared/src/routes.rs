//! Route paths, defined once and used by the server's router and the console's client.

/// Every route lives under this prefix.
pub const API_PREFIX: &str = "/api/v1";

pub const LOGIN: &str = "/api/v1/auth/login";
pub const MFA: &str = "/api/v1/auth/mfa";
pub const LOGOUT: &str = "/api/v1/auth/logout";
pub const ME: &str = "/api/v1/me";
/// `GET/PUT settings/{area}`; see [`settings`].
pub const SETTINGS: &str = "/api/v1/settings/{area}";
pub const LICENSES: &str = "/api/v1/licenses";
pub const APPLICATIONS: &str = "/api/v1/applications";
pub const SERVERS: &str = "/api/v1/servers";
pub const AUDIT: &str = "/api/v1/audit";
pub const AUDIT_EXPORT: &str = "/api/v1/audit/export";
pub const HEALTH: &str = "/api/v1/health";

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
