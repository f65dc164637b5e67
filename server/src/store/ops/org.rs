//! Organizations, settings documents, users and sessions.

use crate::store::sql;
use crate::store::sql::{Connection, OptionalExtension, Row, params};
use jiff::{SignedDuration, Timestamp};
use orgdeck_shared::{Versioned, auth::OrgRole, general::GeneralSettings};
use uuid::Uuid;

use super::{AREA_GENERAL, AREA_IP_RESTRICTIONS, AREA_SESSIONS, corrupt, db_err, ms, role, status, ts, uuid};
use crate::store::{
    LoginUser, NameKeys, NewSession, SessionTimeouts, SessionView, StoreError, StoreResult, UserStatus,
};

// ---- organizations, settings ----

pub fn insert_org(c: &Connection, id: Uuid, name: &str, created_at: Timestamp) -> StoreResult<()> {
    c.execute(
        "INSERT INTO organizations (id, name, created_at) VALUES (?1, ?2, ?3)",
        params![id.to_string(), name, ms(created_at)],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn organization_count(c: &Connection) -> StoreResult<u64> {
    let n: i64 = c
        .query_row("SELECT COUNT(*) FROM organizations", [], |r| r.get(0))
        .map_err(db_err)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub fn insert_settings(c: &Connection, org_id: Uuid, area: &str, doc: &str, at: Timestamp) -> StoreResult<()> {
    c.execute(
        "INSERT INTO settings (org_id, area, version, doc, updated_at) VALUES (?1, ?2, 1, ?3, ?4)",
        params![org_id.to_string(), area, doc, ms(at)],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn general_settings(c: &Connection, org_id: Uuid) -> StoreResult<Versioned<GeneralSettings>> {
    // Read on every General request: a cached statement skips parsing and planning.
    let row = c
        .prepare_cached(
            "SELECT o.name, o.created_at, s.version, s.doc FROM organizations o
             JOIN settings s ON s.org_id = o.id AND s.area = ?2 WHERE o.id = ?1",
        )
        .map_err(db_err)?
        .query_row(params![org_id.to_string(), AREA_GENERAL], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .optional()
        .map_err(db_err)?;
    let (name, created_at, version, doc) = row.ok_or(StoreError::NotFound("organization"))?;
    let mut value: GeneralSettings = serde_json::from_str(&doc).map_err(corrupt)?;
    value.id = org_id;
    value.created_at = ts(created_at)?;
    value.name = name;
    Ok(Versioned { version, value })
}

pub fn update_general_settings(
    c: &Connection,
    org_id: Uuid,
    expected: i64,
    value: &GeneralSettings,
    at: Timestamp,
) -> StoreResult<i64> {
    let doc = serde_json::to_string(value).map_err(corrupt)?;
    let changed = c
        .execute(
            "UPDATE settings SET version = version + 1, doc = ?3, updated_at = ?4
             WHERE org_id = ?1 AND area = ?2 AND version = ?5",
            params![org_id.to_string(), AREA_GENERAL, doc, ms(at), expected],
        )
        .map_err(db_err)?;
    if changed == 0 {
        let current = general_settings(c, org_id)?.version;
        return Err(StoreError::VersionMismatch { current });
    }
    c.execute(
        "UPDATE organizations SET name = ?2 WHERE id = ?1",
        params![org_id.to_string(), value.name],
    )
    .map_err(db_err)?;
    Ok(expected + 1)
}

pub fn session_timeouts(c: &Connection, org_id: Uuid) -> StoreResult<SessionTimeouts> {
    match super::settings_doc(c, org_id, AREA_SESSIONS)?.map(|(_, d)| d) {
        Some(doc) => serde_json::from_str(&doc).map_err(corrupt),
        None => Ok(SessionTimeouts::default()),
    }
}

// ---- users ----

/// A user to create (no `Debug`: it holds the password hash).
#[derive(Clone)]
pub struct NewUser {
    pub id: Uuid,
    pub org_id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub password_hash: Option<String>,
    pub role: OrgRole,
    pub enabled: bool,
    pub api_only: bool,
    pub status: UserStatus,
    pub last_login_at: Option<Timestamp>,
    pub last_login_ip: Option<String>,
    pub created_at: Timestamp,
}

pub fn insert_user(c: &Connection, u: &NewUser) -> StoreResult<()> {
    let keys = NameKeys::of(&u.first_name, &u.last_name);
    let mut stmt = c
        .prepare_cached(
            "INSERT INTO users (id, org_id, email, first_name, last_name, password_hash, role, enabled, api_only,
                            status, last_login_at, last_login_ip, failed_attempts, created_at,
                            first_key, last_key, full_key, rev_key)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, 0, ?13, ?14, ?15, ?16, ?17)",
        )
        .map_err(db_err)?;
    stmt.execute(params![
        u.id.to_string(),
        u.org_id.to_string(),
        u.email,
        u.first_name,
        u.last_name,
        u.password_hash,
        u.role.as_str(),
        u.enabled,
        u.api_only,
        u.status.as_str(),
        u.last_login_at.map(ms),
        u.last_login_ip,
        ms(u.created_at),
        keys.first,
        keys.last,
        keys.full,
        keys.rev,
    ])
    .map_err(|e| match db_err(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("a user with email {} already exists", u.email)),
        other => other,
    })?;
    Ok(())
}

pub fn user_for_login(c: &Connection, email: &str) -> StoreResult<Option<LoginUser>> {
    let row = c
        .query_row(
            "SELECT id, org_id, email, password_hash, enabled, api_only, status, locked_at, failed_attempts,
                    last_login_at, created_at, password_changed_at, unlocked_at, two_step_enabled, role
             FROM users WHERE email = ?1",
            params![email],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<i64>>(7)?,
                    r.get::<_, u32>(8)?,
                    (
                        r.get::<_, Option<i64>>(9)?,
                        r.get::<_, i64>(10)?,
                        r.get::<_, Option<i64>>(11)?,
                        r.get::<_, Option<i64>>(12)?,
                        r.get::<_, bool>(13)?,
                        r.get::<_, String>(14)?,
                    ),
                ))
            },
        )
        .optional()
        .map_err(db_err)?;
    let Some((id, org_id, email, password_hash, enabled, api_only, st, locked_at, failed_attempts, times)) = row else {
        return Ok(None);
    };
    Ok(Some(LoginUser {
        id: uuid(&id)?,
        org_id: uuid(&org_id)?,
        email,
        password_hash,
        enabled,
        api_only,
        status: status(&st)?,
        locked_at: locked_at.map(ts).transpose()?,
        failed_attempts,
        last_login_at: times.0.map(ts).transpose()?,
        created_at: ts(times.1)?,
        password_changed_at: times.2.map(ts).transpose()?,
        unlocked_at: times.3.map(ts).transpose()?,
        two_step_enabled: times.4,
        role: role(&times.5)?,
    }))
}

pub fn record_login(c: &Connection, user_id: Uuid, at: Timestamp, ip: &str) -> StoreResult<()> {
    c.execute(
        "UPDATE users SET last_login_at = ?2, last_login_ip = ?3, failed_attempts = 0 WHERE id = ?1",
        params![user_id.to_string(), ms(at), ip],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn record_failed_login(c: &Connection, user_id: Uuid) -> StoreResult<u32> {
    c.query_row(
        "UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = ?1 RETURNING failed_attempts",
        params![user_id.to_string()],
        |r| r.get(0),
    )
    .map_err(db_err)
}

/// Disables a user and ends their sessions; returns their organization, `None` when there is no such user.
pub fn disable_user(c: &Connection, user_id: Uuid) -> StoreResult<Option<Uuid>> {
    let org: Option<String> = c
        .query_row(
            "SELECT org_id FROM users WHERE id = ?1",
            params![user_id.to_string()],
            |r| r.get(0),
        )
        .optional()
        .map_err(db_err)?;
    let Some(org) = org else { return Ok(None) };
    c.execute(
        "UPDATE users SET enabled = ?2, status = ?3, version = version + 1 WHERE id = ?1",
        params![user_id.to_string(), false, UserStatus::Disabled.as_str()],
    )
    .map_err(db_err)?;
    c.execute("DELETE FROM sessions WHERE user_id = ?1", params![user_id.to_string()])
        .map_err(db_err)?;
    Ok(Some(uuid(&org)?))
}

// ---- sessions ----

pub fn insert_session(c: &Connection, s: &NewSession) -> StoreResult<()> {
    c.execute(
        "INSERT INTO sessions (token_hash, user_id, org_id, created_at, last_seen_at, expires_at, idle_timeout_ms, ip, id)
         VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8)",
        params![
            s.token_hash,
            s.user_id.to_string(),
            s.org_id.to_string(),
            ms(s.created_at),
            ms(s.expires_at),
            s.idle_timeout.as_millis() as i64,
            s.ip,
            Uuid::new_v4().simple().to_string(),
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn session(c: &Connection, token_hash: &str) -> StoreResult<Option<SessionView>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT s.org_id, o.name, s.user_id, u.email, u.first_name, u.last_name, u.role, u.enabled, u.status,
                    s.created_at, s.last_seen_at, s.expires_at, s.idle_timeout_ms, u.must_change_password,
                    s.id, st.doc, ip.doc,
                    (SELECT string_agg(m.method, ',') FROM user_two_step_methods m WHERE m.user_id = s.user_id),
                    ts.doc
             FROM sessions s
             JOIN users u ON u.id = s.user_id AND u.org_id = s.org_id
             JOIN organizations o ON o.id = s.org_id
             LEFT JOIN settings st ON st.org_id = s.org_id AND st.area = ?2
             LEFT JOIN settings ip ON ip.org_id = s.org_id AND ip.area = ?3
             LEFT JOIN settings ts ON ts.org_id = s.org_id AND ts.area = ?4
             WHERE s.token_hash = ?1",
        )
        .map_err(db_err)?;
    let row = stmt
        .query_row(
            params![token_hash, AREA_SESSIONS, AREA_IP_RESTRICTIONS, super::AREA_TWO_STEP],
            session_row,
        )
        .optional()
        .map_err(db_err)?;
    row.map(|r| r.into_view()).transpose()
}

struct RawSession {
    org_id: String,
    org_name: String,
    user_id: String,
    email: String,
    first_name: String,
    last_name: String,
    role: String,
    enabled: bool,
    status: String,
    created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    idle_timeout_ms: i64,
    must_change_password: bool,
    id: String,
    sessions_doc: Option<String>,
    ip_doc: Option<String>,
    two_step_methods: Option<String>,
    two_step_doc: Option<String>,
}

fn session_row(r: &Row<'_>) -> sql::Result<RawSession> {
    Ok(RawSession {
        org_id: r.get(0)?,
        org_name: r.get(1)?,
        user_id: r.get(2)?,
        email: r.get(3)?,
        first_name: r.get(4)?,
        last_name: r.get(5)?,
        role: r.get(6)?,
        enabled: r.get(7)?,
        status: r.get(8)?,
        created_at: r.get(9)?,
        last_seen_at: r.get(10)?,
        expires_at: r.get(11)?,
        idle_timeout_ms: r.get(12)?,
        must_change_password: r.get(13)?,
        id: r.get(14)?,
        sessions_doc: r.get(15)?,
        ip_doc: r.get(16)?,
        two_step_methods: r.get(17)?,
        two_step_doc: r.get(18)?,
    })
}

impl RawSession {
    fn into_view(self) -> StoreResult<SessionView> {
        Ok(SessionView {
            org_id: uuid(&self.org_id)?,
            org_name: self.org_name,
            user_id: uuid(&self.user_id)?,
            email: self.email,
            first_name: self.first_name,
            last_name: self.last_name,
            role: role(&self.role)?,
            user_enabled: self.enabled,
            user_status: status(&self.status)?,
            must_change_password: self.must_change_password,
            created_at: ts(self.created_at)?,
            last_seen_at: ts(self.last_seen_at)?,
            expires_at: ts(self.expires_at)?,
            idle_timeout: SignedDuration::from_millis(self.idle_timeout_ms),
            id: self.id,
            sessions_doc: self.sessions_doc,
            ip_doc: self.ip_doc,
            two_step_methods: super::parse_methods(self.two_step_methods.as_deref())?,
            two_step_doc: self.two_step_doc,
        })
    }
}

pub fn touch_session(c: &Connection, token_hash: &str, at: Timestamp) -> StoreResult<()> {
    c.execute(
        "UPDATE sessions SET last_seen_at = ?2 WHERE token_hash = ?1 AND last_seen_at < ?2",
        params![token_hash, ms(at)],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn delete_session(c: &Connection, token_hash: &str) -> StoreResult<bool> {
    let n = c
        .execute("DELETE FROM sessions WHERE token_hash = ?1", params![token_hash])
        .map_err(db_err)?;
    Ok(n > 0)
}

pub fn delete_ended_sessions(c: &Connection, user_id: Uuid, now: Timestamp) -> StoreResult<()> {
    c.execute(
        "DELETE FROM sessions WHERE user_id = ?1 AND (expires_at <= ?2 OR last_seen_at + idle_timeout_ms <= ?2)",
        params![user_id.to_string(), ms(now)],
    )
    .map_err(db_err)?;
    Ok(())
}
