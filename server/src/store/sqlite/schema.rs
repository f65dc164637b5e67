//! Versioned migrations, applied in order at start. Portable SQL: BIGINT epoch milliseconds for instants,
//! TEXT UUIDs for ids, TEXT ISO dates for calendar days, JSON documents as TEXT.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// `(version, SQL)`; a released migration is never edited, only followed by a new one.
const MIGRATIONS: &[(i64, &str)] = &[(1, V1)];

const V1: &str = r#"
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE settings (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    area TEXT NOT NULL,
    version BIGINT NOT NULL,
    doc TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, area)
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    email TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    password_hash TEXT,
    role TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    api_only BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    last_login_at BIGINT,
    last_login_ip TEXT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE INDEX users_by_org ON users (org_id, email);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    idle_timeout_ms BIGINT NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    org_id TEXT REFERENCES organizations(id),
    at BIGINT NOT NULL,
    actor_user_id TEXT,
    actor_email TEXT NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target_id TEXT NOT NULL,
    ip TEXT,
    summary TEXT NOT NULL,
    changes TEXT NOT NULL
);
CREATE INDEX audit_by_org_time ON audit_log (org_id, at DESC, id DESC);

CREATE TABLE licenses (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    kind TEXT NOT NULL CHECK (kind IN ('assess', 'protect')),
    count INTEGER NOT NULL CHECK (count >= 0),
    expires_on TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX licenses_by_org ON licenses (org_id, kind);

CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    language TEXT NOT NULL,
    environment TEXT NOT NULL,
    licensed BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE servers (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    hostname TEXT NOT NULL,
    environment TEXT NOT NULL,
    agent_version TEXT NOT NULL,
    licensed BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX servers_by_org ON servers (org_id, name);

CREATE TABLE user_groups (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    builtin_role TEXT,
    app_access TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE group_members (
    group_id TEXT NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
"#;

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Applies every migration the database has not seen yet, each in its own transaction.
pub fn migrate(conn: &mut Connection, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )?;
    for (version, sql) in MIGRATIONS {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let applied: Option<i64> = tx
            .query_row(
                "SELECT version FROM schema_version WHERE version = ?1",
                params![version],
                |r| r.get(0),
            )
            .optional()?;
        if applied.is_none() {
            tx.execute_batch(sql)?;
            tx.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
                params![version, now.as_millisecond()],
            )?;
            tracing::info!(version, "applied database migration");
        }
        tx.commit()?;
    }
    Ok(())
}

/// The highest applied version (0 for an empty database).
pub fn current_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_version", [], |r| r.get(0))
}
