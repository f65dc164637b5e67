//! Versioned migrations, applied in order at start. Portable SQL: BIGINT epoch milliseconds for instants,
//! TEXT UUIDs for ids, TEXT ISO dates for calendar days, JSON documents as TEXT.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// A step in Rust that follows a migration's SQL in the same transaction (e.g. a backfill that needs
/// Unicode-aware lower-casing, which SQLite's `lower()` is not).
type Fixup = fn(&Connection) -> rusqlite::Result<()>;

/// `(version, SQL, fixup)`; a released migration is never edited, only followed by a new one.
const MIGRATIONS: &[(i64, &str, Option<Fixup>)] = &[
    (1, V1, None),
    (2, V2, Some(backfill_v2)),
    (3, V3, Some(backfill_v3)),
    (4, V4, None),
    (5, V5, None),
    (6, V6, None),
    (7, V7, None),
    (8, V8, None),
    (9, V9, Some(org_keys_v9)),
    (10, V10, None),
    (11, V11, None),
    (12, V12, None),
    (13, V13, None),
    (14, V14, None),
    (15, V15, None),
    (16, V16, None),
    (17, V17, None),
];

/// Nothing changes in SQLite: PostgreSQL's version 17 takes its audit places from a sequence (SQLite's place
/// is the rowid). The step keeps both engines' versions in step.
const V17: &str = "";

/// Claims of queued work (mail, channel deliveries): the worker that took a message and until when its
/// claim holds. Several instances on one database each take their own; a claim past its lease (the worker
/// died) is taken over. Also the time a failed message waits before its next attempt, so every instance
/// keeps to it.
const V16: &str = r#"
ALTER TABLE mail_outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE mail_outbox ADD COLUMN lease_until BIGINT;
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE deliveries ADD COLUMN lease_until BIGINT;
"#;

/// Servers as agents register and beat (SETTINGS.md section 7): the language the agent instruments, when
/// it was last heard from (offline 15 minutes later; the servers known before start as seen when they
/// were made), whether its `server_offline` was raised for this silence, and how its environment was
/// decided (an admin's move is kept when the agent registers again without naming one). An agent is one
/// server per organization, name and hostname. Libraries: what each application loads, as its library
/// score sees it (from `vulnerable_library` events and the demo data).
const V15: &str = r#"
ALTER TABLE servers ADD COLUMN language TEXT NOT NULL DEFAULT 'unknown';
ALTER TABLE servers ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE servers ADD COLUMN offline_raised BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE servers ADD COLUMN environment_origin TEXT NOT NULL DEFAULT 'agent';
UPDATE servers SET last_seen_at = created_at;
CREATE UNIQUE INDEX servers_identity ON servers (org_id, name, hostname);
CREATE INDEX servers_last_seen ON servers (last_seen_at);

CREATE TABLE libraries (
    application_id TEXT NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    latest_version TEXT,
    released_on TEXT,
    latest_released_on TEXT,
    versions_behind INTEGER NOT NULL DEFAULT 0,
    cves TEXT NOT NULL DEFAULT '[]',
    highest_cvss REAL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (application_id, name)
);
CREATE INDEX libraries_by_org ON libraries (org_id);
"#;

/// Two-step verification by email, and the mail queue: the methods each user enrolled in (TOTP users
/// enrolled before V5 are carried over), the keyed hash of an enrolment code, the methods a login
/// challenge offers and the keyed hash of its emailed code, and mail waiting for delivery (its body
/// sealed with the server key, cleared once delivered or given up).
const V5: &str = r#"
CREATE TABLE user_two_step_methods (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    method TEXT NOT NULL,
    enrolled_at BIGINT,
    PRIMARY KEY (user_id, method)
);
INSERT INTO user_two_step_methods (user_id, method)
    SELECT t.user_id, 'totp' FROM user_totp t JOIN users u ON u.id = t.user_id
    WHERE t.secret IS NOT NULL AND u.two_step_enabled;

CREATE TABLE email_enrolments (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0
);

ALTER TABLE mfa_challenges ADD COLUMN methods TEXT NOT NULL DEFAULT 'totp,backup_code';
ALTER TABLE mfa_challenges ADD COLUMN email_code_hash TEXT;
ALTER TABLE mfa_challenges ADD COLUMN email_code_expires_at BIGINT;
ALTER TABLE mfa_challenges ADD COLUMN email_sent_at BIGINT;
ALTER TABLE mfa_challenges ADD COLUMN email_sends INTEGER NOT NULL DEFAULT 0;

CREATE TABLE mail_outbox (
    id TEXT PRIMARY KEY,
    org_id TEXT REFERENCES organizations(id),
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body BLOB,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    done_at BIGINT
);
CREATE INDEX mail_outbox_queued ON mail_outbox (status, id);
"#;

/// Hardening: wrong codes tried against a login challenge (it is dropped after a few), and when a
/// session last gave fresh proof of its user (password and code) before changing the second factor.
const V7: &str = r#"
ALTER TABLE mfa_challenges ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN reauth_at BIGINT;
"#;

/// Fresh proof by email: the keyed hash of a code emailed to a session's user for `me/two_step/reauth`,
/// when it was sent and until when it works, and the wrong codes tried against it.
const V8: &str = r#"
ALTER TABLE sessions ADD COLUMN reauth_code_hash TEXT;
ALTER TABLE sessions ADD COLUMN reauth_code_expires_at BIGINT;
ALTER TABLE sessions ADD COLUMN reauth_code_sent_at BIGINT;
ALTER TABLE sessions ADD COLUMN reauth_code_failures INTEGER NOT NULL DEFAULT 0;
"#;

/// Agents: the organization key and named agent keys (SHA-256 hashes with a display prefix, as personal
/// keys; a named key unique in its organization by folded name and maybe limited to an environment; one
/// organization key an organization, never shown until a rotation issues it), the events agents report
/// (one row an event id the agent chose, its checked body as JSON), and the vulnerabilities of
/// applications that `new_vulnerability` events become.
const V9: &str = r#"
CREATE TABLE agent_keys (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    kind TEXT NOT NULL CHECK (kind IN ('organization', 'agent')),
    name TEXT,
    name_key TEXT,
    environment TEXT CHECK (environment IN ('development', 'qa', 'production')),
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    issued BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    rotated_at BIGINT NOT NULL,
    last_used_at BIGINT,
    previous_hash TEXT UNIQUE,
    previous_valid_until BIGINT,
    CHECK ((kind = 'agent') = (name IS NOT NULL AND name_key IS NOT NULL)),
    CHECK (kind = 'agent' OR environment IS NULL)
);
CREATE UNIQUE INDEX agent_keys_one_org_key ON agent_keys (org_id) WHERE kind = 'organization';
CREATE UNIQUE INDEX agent_keys_by_name ON agent_keys (org_id, name_key);

CREATE TABLE agent_events (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    application_id TEXT NOT NULL REFERENCES applications(id),
    severity TEXT,
    environment TEXT NOT NULL,
    payload TEXT NOT NULL,
    key_id TEXT NOT NULL,
    reported_by TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, event_id)
);
CREATE INDEX agent_events_by_application ON agent_events (application_id, received_at);

CREATE TABLE vulnerabilities (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    application_id TEXT NOT NULL REFERENCES applications(id),
    event_id TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'note')),
    rule TEXT NOT NULL,
    route TEXT,
    description TEXT,
    status TEXT NOT NULL,
    found_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, event_id),
    FOREIGN KEY (org_id, event_id) REFERENCES agent_events (org_id, event_id)
);
CREATE INDEX vulnerabilities_by_application ON vulnerabilities (application_id, id);
"#;

/// Gives every organization made before V9 its organization key. Nobody receives it (no one is there to
/// be shown it): an admin issues one with `POST org_key/rotate`.
fn org_keys_v9(c: &Connection) -> rusqlite::Result<()> {
    let orgs: Vec<(String, i64)> = c
        .prepare("SELECT id, created_at FROM organizations")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (org, created_at) in orgs {
        let (_, hash, prefix) = crate::services::api_keys::new_key();
        c.execute(
            "INSERT INTO agent_keys (id, org_id, kind, key_hash, prefix, issued, created_at, rotated_at)
             VALUES (?1, ?2, 'organization', ?3, ?4, 0, ?5, ?5)",
            params![uuid::Uuid::now_v7().to_string(), org, hash, prefix, created_at],
        )?;
    }
    Ok(())
}

/// The in-app inbox: one row per recipient of each event delivered in-app, with the names its subjects had
/// then (an application renamed later keeps its old name in old entries). Paged newest first by id (UUID
/// v7 ids grow with time) per user.
const V11: &str = r#"
CREATE TABLE inbox_entries (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    severity TEXT,
    application_id TEXT,
    application_name TEXT,
    server_id TEXT,
    server_name TEXT,
    integration_id TEXT,
    integration_name TEXT,
    vulnerability_id TEXT,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX inbox_by_user ON inbox_entries (org_id, user_id, id);
CREATE INDEX inbox_unread ON inbox_entries (org_id, user_id) WHERE read_at IS NULL;
"#;

/// The server's own events already raised, one row per organization and key (`license_expiring:assess:
/// 2027-01-19:30`), so each is raised once whatever the restarts.
const V14: &str = r#"
CREATE TABLE server_events (
    org_id TEXT NOT NULL REFERENCES organizations(id),
    key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, key)
);
"#;

/// Issues made in bug trackers for vulnerabilities: one per vulnerability and tracker, with the remote key
/// and where to open it. A row with an empty key is a claim while the tracker is being called (so two
/// admins sending the same vulnerability at once make one issue); a claim left by a crash expires.
/// `integration_id` is not a reference: the issue stays on record when the integration is removed.
const V13: &str = r#"
CREATE TABLE vulnerability_issues (
    vulnerability_id TEXT NOT NULL REFERENCES vulnerabilities(id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    url TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (vulnerability_id, integration_id)
);
"#;

/// Channel deliveries: the outbox of each event's channel messages (written in the event's transaction,
/// sent after the commit) and each channel's delivery log. `notice` is the event as the inbox words it
/// (JSON), rendered in the channel's format at each attempt; `attempts` is the JSON log of attempts;
/// `tries` counts the attempts since the delivery was made or redelivered; `next_attempt_at` is set while
/// it is open. Ids are UUID v7, so a channel's log pages newest first by id.
const V12: &str = r#"
CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    integration_id TEXT NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    title TEXT NOT NULL,
    notice TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'retrying', 'delivered', 'failed')),
    tries INTEGER NOT NULL DEFAULT 0,
    attempts TEXT NOT NULL DEFAULT '[]',
    next_attempt_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_log ON deliveries (org_id, integration_id, id);
"#;

/// Integrations (bug trackers and channels) of each organization. The name is unique per organization
/// case-insensitively through `name_key` (lower-cased in Rust, Unicode-aware, which SQLite's `lower()`
/// is not). `applications` and `settings` are JSON; the secret fields' values are one JSON object sealed
/// with the server key (`secrets`, bound to the integration's id), and `secret_names` says which are set
/// without opening it. `target` is the host requests go to (also when the URL is itself a secret).
/// `status` is `active`, `off` (an admin switched it off) or `disabled` (the server did, after failed
/// deliveries, with its reason and time).
const V10: &str = r#"
CREATE TABLE integrations (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    applications TEXT NOT NULL,
    settings TEXT NOT NULL,
    secrets BLOB,
    secret_names TEXT NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'off', 'disabled')),
    disabled_reason TEXT,
    disabled_at BIGINT,
    failures INTEGER NOT NULL DEFAULT 0,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, name_key)
);
"#;

/// API keys: one a user, stored as the SHA-256 of the key with a display prefix; a rotation keeps the
/// replaced hash until its grace period ends.
const V6: &str = r#"
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    user_id TEXT NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    rotated_at BIGINT NOT NULL,
    last_used_at BIGINT,
    previous_hash TEXT UNIQUE,
    previous_valid_until BIGINT
);
CREATE INDEX api_keys_by_org ON api_keys (org_id, id);
"#;

/// Two-step verification: the TOTP secret (encrypted with the server key) and the pending one of an
/// enrolment in progress, the last accepted step (no replay), hashed backup codes and login challenges.
const V4: &str = r#"
CREATE TABLE user_totp (
    user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret BLOB,
    pending_secret BLOB,
    last_step BIGINT
);
CREATE TABLE backup_codes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
CREATE TABLE mfa_challenges (
    challenge_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
"#;

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

/// Users and groups management: versions, forced password changes, two-step flag, lockout time, folded
/// search columns (lower-case, spaces collapsed) with the indexes that keep a page fast at 100,000 users,
/// one-time activation tokens.
const V2: &str = r#"
ALTER TABLE users ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN two_step_enabled BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_at BIGINT;
ALTER TABLE users ADD COLUMN first_key TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN last_key TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN full_key TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN rev_key TEXT NOT NULL DEFAULT '';

-- Searches are prefix ranges over three folded columns: "first last", "last first" and the email. Their
-- indexes carry every sort and filter column, so the hits of a search are filtered, sorted and cut to a
-- page without reading the table. The sort-order indexes carry the search columns, so a search with very
-- many hits walks the order and filters without reading the table either.
DROP INDEX users_by_org;
CREATE INDEX users_by_full ON users
    (org_id, full_key, rev_key, email, last_key, first_key, id, status, last_login_at, role);
CREATE INDEX users_by_rev ON users
    (org_id, rev_key, full_key, email, last_key, first_key, id, status, last_login_at, role);
CREATE INDEX users_by_email ON users
    (org_id, email, full_key, rev_key, last_key, first_key, id, status, last_login_at, role);
CREATE INDEX users_by_name ON users (org_id, last_key, first_key, id, full_key, rev_key, email);
CREATE INDEX users_by_status ON users (org_id, status, last_key, first_key, id, full_key, rev_key, email);
CREATE INDEX users_by_login_asc ON users
    (org_id, (last_login_at IS NULL), COALESCE(last_login_at, 0), id, full_key, rev_key, email);
CREATE INDEX users_by_login_desc ON users
    (org_id, (last_login_at IS NOT NULL), COALESCE(last_login_at, 0), id, full_key, rev_key, email);
CREATE INDEX users_by_role ON users (org_id, role);

CREATE INDEX group_members_by_user ON group_members (user_id);
ALTER TABLE user_groups ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

CREATE TABLE activation_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    org_id TEXT NOT NULL REFERENCES organizations(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX activation_tokens_by_user ON activation_tokens (user_id);
"#;

/// Security: when a password was last set and the earlier hashes (history), when an admin last unlocked
/// the account (an unlock restarts the inactivity clock), an opaque id per session
/// (the token hash never leaves the server), and the audit log's folded search column, carried by the
/// time index so a keyword search over a date range reads the index alone.
const V3: &str = r#"
ALTER TABLE users ADD COLUMN password_changed_at BIGINT;
ALTER TABLE users ADD COLUMN unlocked_at BIGINT;
CREATE TABLE password_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX password_history_by_user ON password_history (user_id, seq);

ALTER TABLE sessions ADD COLUMN id TEXT;
UPDATE sessions SET id = lower(hex(randomblob(16)));
CREATE UNIQUE INDEX sessions_by_id ON sessions (id);

ALTER TABLE audit_log ADD COLUMN search TEXT NOT NULL DEFAULT '';
DROP INDEX audit_by_org_time;
CREATE INDEX audit_by_org_time_search ON audit_log (org_id, at DESC, id DESC, search);
-- Trigram index of the same folded text, for keywords too rare to fill a page in a short walk of the
-- time index. Contentless: candidates are checked against `audit_log.search`.
CREATE VIRTUAL TABLE audit_fts USING fts5(search, content = '', tokenize = 'trigram');
"#;

/// Fills the audit search column of entries written before V3 and gives them time-ordered rowids (their
/// millisecond times 2^16 plus their rank in it), as new entries get.
fn backfill_v3(c: &Connection) -> rusqlite::Result<()> {
    let rows: Vec<(i64, i64, String, String, String, String, String)> = c
        .prepare(
            "SELECT rowid, at, summary, actor_email, action, target_kind, target_id FROM audit_log
             ORDER BY at, id",
        )?
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut update = c.prepare("UPDATE audit_log SET search = ?2, rowid = ?3 WHERE rowid = ?1")?;
    let (mut last_ms, mut rank) = (i64::MIN, 0);
    for (rowid, at, summary, actor, action, kind, id) in rows {
        rank = if at == last_ms { rank + 1 } else { 0 };
        last_ms = at;
        let key = super::ops::audit_search_key(&summary, &actor, &action, &kind, &id);
        update.execute(params![rowid, key, super::ops::ms_key(at) + rank])?;
    }
    c.execute_batch("INSERT INTO audit_fts (rowid, search) SELECT rowid, search FROM audit_log")?;
    Ok(())
}

/// Fills the search columns of users created before V2.
fn backfill_v2(c: &Connection) -> rusqlite::Result<()> {
    let rows: Vec<(i64, String, String)> = c
        .prepare("SELECT rowid, first_name, last_name FROM users")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut update =
        c.prepare("UPDATE users SET first_key = ?2, last_key = ?3, full_key = ?4, rev_key = ?5 WHERE rowid = ?1")?;
    for (rowid, first, last) in rows {
        let k = crate::store::NameKeys::of(&first, &last);
        update.execute(params![rowid, k.first, k.last, k.full, k.rev])?;
    }
    Ok(())
}

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.0)
}

/// Applies every migration the database has not seen yet, each in its own transaction.
pub fn migrate(conn: &mut Connection, now: Timestamp) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )?;
    for (version, sql, fixup) in MIGRATIONS {
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
            if let Some(fixup) = fixup {
                fixup(&tx)?;
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_created_before_v2_get_their_search_columns() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL);
             INSERT INTO schema_version VALUES (1, 0);",
        )
        .unwrap();
        conn.execute_batch(V1).unwrap();
        conn.execute_batch(
            "INSERT INTO organizations VALUES ('o', 'Org', 0);
             INSERT INTO users (id, org_id, email, first_name, last_name, role, enabled, api_only, status, created_at)
             VALUES ('u', 'o', 'z@x.example', '  Zoë ', 'ÅNGSTRÖM  Berg', 'view', 1, 0, 'active', 0);",
        )
        .unwrap();
        migrate(&mut conn, Timestamp::UNIX_EPOCH).unwrap();
        let keys: (String, String, String, String, i64) = conn
            .query_row(
                "SELECT first_key, last_key, full_key, rev_key, version FROM users",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!(
            keys,
            (
                "zoë".into(),
                "ångström berg".into(),
                "zoë ångström berg".into(),
                "ångström berg zoë".into(),
                1
            )
        );
        assert_eq!(current_version(&conn).unwrap(), latest_version());
    }

    #[test]
    fn audit_entries_written_before_v3_become_searchable_in_time_order() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL);
             INSERT INTO schema_version VALUES (1, 0), (2, 0);",
        )
        .unwrap();
        conn.execute_batch(V1).unwrap();
        conn.execute_batch(V2).unwrap();
        // Written out of time order, two in one millisecond.
        conn.execute_batch(
            "INSERT INTO organizations VALUES ('o', 'Org', 0);
             INSERT INTO audit_log (id, org_id, at, actor_email, action, target_kind, target_id, summary, changes)
             VALUES ('c', 'o', 3000, 'ZOË@x.example', 'auth.login', 'user', 'u1', 'Logged in', '[]'),
                    ('a', 'o', 1000, 'sys', 'user.create', 'user', 'u1', 'Created ÅSA', '[]'),
                    ('b', 'o', 1000, 'sys', 'user.update', 'user', 'u1', 'Updated', '[]');",
        )
        .unwrap();
        migrate(&mut conn, Timestamp::UNIX_EPOCH).unwrap();
        let rows: Vec<(i64, String, String)> = conn
            .prepare("SELECT rowid, id, search FROM audit_log ORDER BY rowid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let key = crate::store::sqlite::ops::ms_key;
        assert_eq!(
            rows.iter().map(|r| (r.0, r.1.as_str())).collect::<Vec<_>>(),
            vec![(key(1000), "a"), (key(1000) + 1, "b"), (key(3000), "c")]
        );
        assert_eq!(rows[0].2, "created åsa\nsys\nuser.create\nuser:u1");
        let hit: i64 = conn
            .query_row(
                "SELECT rowid FROM audit_fts WHERE audit_fts MATCH '\"zoë@x\"'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(hit, key(3000));
    }

    #[test]
    fn organizations_made_before_v9_get_an_organization_key_nobody_holds() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL);
             INSERT INTO schema_version VALUES (1, 0), (2, 0), (3, 0), (4, 0), (5, 0), (6, 0), (7, 0), (8, 0);",
        )
        .unwrap();
        for sql in [V1, V2, V3, V4, V5, V6, V7, V8] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch("INSERT INTO organizations VALUES ('o1', 'One', 1000), ('o2', 'Two', 2000);")
            .unwrap();
        migrate(&mut conn, Timestamp::UNIX_EPOCH).unwrap();
        let keys: Vec<(String, String, bool, i64, String)> = conn
            .prepare("SELECT org_id, kind, issued, created_at, prefix FROM agent_keys ORDER BY org_id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(
            (keys[0].0.as_str(), keys[0].1.as_str(), keys[0].2, keys[0].3),
            ("o1", "organization", false, 1000)
        );
        assert_eq!((keys[1].0.as_str(), keys[1].3), ("o2", 2000));
        assert!(keys.iter().all(|k| k.4.starts_with("od_")));
        // One organization key an organization.
        let second = conn.execute(
            "INSERT INTO agent_keys (id, org_id, kind, key_hash, prefix, issued, created_at, rotated_at)
             VALUES ('x', 'o1', 'organization', 'h', 'od_x', 0, 0, 0)",
            [],
        );
        assert!(second.is_err());
    }

    #[test]
    fn users_enrolled_in_totp_before_v5_keep_it_as_their_method() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL);
             INSERT INTO schema_version VALUES (1, 0), (2, 0), (3, 0), (4, 0);",
        )
        .unwrap();
        for sql in [V1, V2, V3, V4] {
            conn.execute_batch(sql).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO organizations VALUES ('o', 'Org', 0);
             INSERT INTO users (id, org_id, email, first_name, last_name, role, enabled, api_only, status, created_at,
                                two_step_enabled)
             VALUES ('u1', 'o', 'a@x.example', 'A', 'A', 'view', 1, 0, 'active', 0, 1),
                    ('u2', 'o', 'b@x.example', 'B', 'B', 'view', 1, 0, 'active', 0, 0);
             INSERT INTO user_totp (user_id, secret) VALUES ('u1', x'01');
             INSERT INTO user_totp (user_id, pending_secret) VALUES ('u2', x'02');",
        )
        .unwrap();
        migrate(&mut conn, Timestamp::UNIX_EPOCH).unwrap();
        let methods: Vec<(String, String)> = conn
            .prepare("SELECT user_id, method FROM user_two_step_methods")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(methods, vec![("u1".to_owned(), "totp".to_owned())]);
    }
}
