//! What the store reads and writes, independent of the engine.

use jiff::{SignedDuration, Timestamp, civil::Date};
use orgdeck_shared::{
    audit::{AuditActor, AuditEntry, AuditTarget, FieldChange},
    auth::OrgRole,
    licensing::LicenseKind,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A user's account state. Only `active` users log in.
pub use orgdeck_shared::users::UserStatus;

/// What login needs to know about a user. Its `Debug` leaves out the password hash.
#[derive(Clone)]
pub struct LoginUser {
    pub id: Uuid,
    pub org_id: Uuid,
    pub email: String,
    /// `None` for a user who never set a password (an invitation not yet accepted).
    pub password_hash: Option<String>,
    pub enabled: bool,
    pub api_only: bool,
    pub status: UserStatus,
    pub locked_at: Option<Timestamp>,
    pub failed_attempts: u32,
    pub last_login_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// When the password was last set (`None`: never since this was recorded; then `created_at`).
    pub password_changed_at: Option<Timestamp>,
    /// When an admin last unlocked the account.
    pub unlocked_at: Option<Timestamp>,
    /// Enrolled in at least one two-step method: logins take a second step.
    pub two_step_enabled: bool,
    pub role: orgdeck_shared::auth::OrgRole,
}

impl std::fmt::Debug for LoginUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginUser")
            .field("id", &self.id)
            .field("org_id", &self.org_id)
            .field("email", &self.email)
            .field("has_password", &self.password_hash.is_some())
            .field("enabled", &self.enabled)
            .field("api_only", &self.api_only)
            .field("status", &self.status)
            .finish()
    }
}

impl LoginUser {
    /// Whether this account may open an interactive session at all.
    pub fn may_log_in(&self) -> bool {
        self.enabled && !self.api_only && self.status == UserStatus::Active && self.password_hash.is_some()
    }

    /// This user as the actor of an audit entry.
    pub fn actor(&self) -> orgdeck_shared::audit::AuditActor {
        orgdeck_shared::audit::AuditActor {
            user_id: Some(self.id),
            email: self.email.clone(),
        }
    }
}

/// A stored session joined with its user and organization.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub org_id: Uuid,
    pub org_name: String,
    pub user_id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: OrgRole,
    pub user_enabled: bool,
    pub user_status: UserStatus,
    pub must_change_password: bool,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// The absolute end.
    pub expires_at: Timestamp,
    pub idle_timeout: SignedDuration,
    /// The session's opaque id (not its token hash).
    pub id: String,
    /// The organization's `sessions` and `ip_restrictions` documents, read with the session.
    pub sessions_doc: Option<String>,
    pub ip_doc: Option<String>,
    /// The two-step methods the user enrolled in.
    pub two_step_methods: Vec<orgdeck_shared::security::TwoStepMethod>,
    /// The organization's `two_step` document, read with the session.
    pub two_step_doc: Option<String>,
}

impl SessionView {
    /// When the session ends if no request comes before (never after the absolute end).
    pub fn idle_expires_at(&self) -> Timestamp {
        let idle_end = self
            .last_seen_at
            .checked_add(self.idle_timeout)
            .unwrap_or(self.expires_at);
        idle_end.min(self.expires_at)
    }

    /// Whether the session is over at `now`, by either timeout.
    pub fn has_ended(&self, now: Timestamp) -> bool {
        now >= self.idle_expires_at()
    }
}

/// Session timeouts of an organization (SETTINGS.md, section 4, "Session timeouts").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTimeouts {
    #[serde(default = "default_idle_minutes")]
    pub idle_minutes: u32,
    #[serde(default = "default_absolute_minutes")]
    pub absolute_minutes: u32,
}

fn default_idle_minutes() -> u32 {
    30
}

fn default_absolute_minutes() -> u32 {
    720
}

impl Default for SessionTimeouts {
    fn default() -> Self {
        Self {
            idle_minutes: default_idle_minutes(),
            absolute_minutes: default_absolute_minutes(),
        }
    }
}

impl SessionTimeouts {
    pub fn idle(&self) -> SignedDuration {
        SignedDuration::from_mins(i64::from(self.idle_minutes))
    }

    pub fn absolute(&self) -> SignedDuration {
        SignedDuration::from_mins(i64::from(self.absolute_minutes))
    }
}

/// A session to store; only the SHA-256 of its token, which `Debug` leaves out.
#[derive(Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub idle_timeout: SignedDuration,
    pub ip: String,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("user_id", &self.user_id)
            .field("org_id", &self.org_id)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An active session as admins see it: no token, no token hash.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub id: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub idle_timeout_ms: i64,
    pub ip: String,
}

/// One purchased block of licenses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseRow {
    pub kind: LicenseKind,
    pub count: u32,
    pub expires_on: Date,
}

/// Licenses of one organization, kind and expiry day (the server's `license_expiring` event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiringLicenses {
    pub org_id: Uuid,
    pub kind: LicenseKind,
    pub expires_on: Date,
    pub count: u32,
}

/// The raw facts a license summary is computed from.
#[derive(Debug, Clone, Default)]
pub struct LicenseFacts {
    pub licenses: Vec<LicenseRow>,
    pub licensed_applications: u32,
    pub licensed_servers: u32,
}

/// A typed audit search: keyword, range, keyset position and page size.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Lower-case keyword, matched against summary, actor, action and target.
    pub keyword: Option<String>,
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    /// Only entries strictly older than this `(at, id)` position.
    pub before: Option<(Timestamp, Uuid)>,
    pub limit: u32,
}

/// An audit entry to append, with the organization it belongs to (`None`: server-level, e.g. a failed
/// login with an unknown email, which no organization may see).
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub org_id: Option<Uuid>,
    pub entry: AuditEntry,
}

impl AuditRecord {
    /// A new entry at `at` with a fresh time-ordered id, no address and no field changes.
    pub fn new(
        org_id: Option<Uuid>,
        at: Timestamp,
        actor: AuditActor,
        action: &str,
        target: AuditTarget,
        summary: impl Into<String>,
    ) -> Self {
        Self {
            org_id,
            entry: AuditEntry {
                id: uuid_v7_at(at),
                at,
                actor,
                action: action.to_owned(),
                target,
                ip: None,
                summary: summary.into(),
                changes: Vec::new(),
            },
        }
    }

    /// The client address the change came from.
    pub fn ip(mut self, ip: impl Into<String>) -> Self {
        self.entry.ip = Some(ip.into());
        self
    }

    pub fn changes(mut self, changes: Vec<FieldChange>) -> Self {
        self.entry.changes = changes;
        self
    }
}

/// A UUIDv7 whose time part is `at` (the injected clock's time, so entries sort with their `at`). The 42
/// bits after the time hold a process-wide counter, so ids this process makes in one millisecond
/// increase and entries written together keep their order; the last 32 bits are random.
pub fn uuid_v7_at(at: Timestamp) -> Uuid {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let ms = u64::try_from(at.as_millisecond()).unwrap_or(0);
    // A random start (below 2^40, so it never wraps) keeps processes apart.
    static START: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let start = *START.get_or_init(|| rand::random::<u64>() >> 24);
    let n = start + COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut bytes = [0u8; 10];
    rand::fill(&mut bytes[6..]);
    // 12 bits of rand_a, then 30 bits of rand_b (the builder keeps 6 bits of byte 2).
    let high = ((n >> 30) & 0x0fff) as u16;
    let low = (n & 0x3fff_ffff) as u32;
    bytes[..2].copy_from_slice(&high.to_be_bytes());
    bytes[2..6].copy_from_slice(&low.to_be_bytes());
    uuid::Builder::from_unix_timestamp_millis(ms, &bytes).into_uuid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_one_millisecond_keep_their_order() {
        let at = Timestamp::from_millisecond(1_790_000_000_000).unwrap();
        let mut ids: Vec<Uuid> = (0..50).map(|_| uuid_v7_at(at)).collect();
        // Another millisecond in between (another request) does not break the order.
        uuid_v7_at(Timestamp::from_millisecond(1_790_000_900_000).unwrap());
        ids.push(uuid_v7_at(at));
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ids[0].get_version_num(), 7);
    }
}
