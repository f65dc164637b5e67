-- The PostgreSQL schema of the store, version 15: the SQLite schema of migrations V1 to V15 as one
-- migration (a fresh PostgreSQL database has no history to replay). Every text column compares bytewise
-- (COLLATE "C"), as SQLite's do: name order, keyset cursors and prefix ranges mean the same on both
-- engines whatever the database's default collation. The audit search uses a pg_trgm index where SQLite
-- has its FTS5 trigram table. server/tests/postgres.rs fails when this and the SQLite schema drift.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE organizations (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE settings (
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    area TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL,
    doc TEXT COLLATE "C" NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, area)
);

CREATE TABLE users (
    id TEXT COLLATE "C" PRIMARY KEY,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    email TEXT COLLATE "C" NOT NULL UNIQUE,
    first_name TEXT COLLATE "C" NOT NULL,
    last_name TEXT COLLATE "C" NOT NULL,
    password_hash TEXT COLLATE "C",
    role TEXT COLLATE "C" NOT NULL,
    enabled BOOLEAN NOT NULL,
    api_only BOOLEAN NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    last_login_at BIGINT,
    last_login_ip TEXT COLLATE "C",
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    must_change_password BOOLEAN NOT NULL DEFAULT false,
    two_step_enabled BOOLEAN NOT NULL DEFAULT false,
    locked_at BIGINT,
    first_key TEXT COLLATE "C" NOT NULL DEFAULT '',
    last_key TEXT COLLATE "C" NOT NULL DEFAULT '',
    full_key TEXT COLLATE "C" NOT NULL DEFAULT '',
    rev_key TEXT COLLATE "C" NOT NULL DEFAULT '',
    password_changed_at BIGINT,
    unlocked_at BIGINT
);

CREATE TABLE sessions (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    idle_timeout_ms BIGINT NOT NULL,
    ip TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C",
    reauth_at BIGINT,
    reauth_code_hash TEXT COLLATE "C",
    reauth_code_expires_at BIGINT,
    reauth_code_sent_at BIGINT,
    reauth_code_failures INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE audit_log (
    id TEXT COLLATE "C" PRIMARY KEY,
    org_id TEXT COLLATE "C" REFERENCES organizations(id),
    at BIGINT NOT NULL,
    actor_user_id TEXT COLLATE "C",
    actor_email TEXT COLLATE "C" NOT NULL,
    action TEXT COLLATE "C" NOT NULL,
    target_kind TEXT COLLATE "C" NOT NULL,
    target_id TEXT COLLATE "C" NOT NULL,
    ip TEXT COLLATE "C",
    summary TEXT COLLATE "C" NOT NULL,
    changes TEXT COLLATE "C" NOT NULL,
    search TEXT COLLATE "C" NOT NULL DEFAULT '',
    -- The change stream's place, in commit order (SQLite's is the rowid): appends take an advisory lock
    -- held until their commit (store::ops::append_audit).
    seq BIGINT NOT NULL
);

CREATE UNIQUE INDEX audit_by_seq ON audit_log (seq);

CREATE TABLE licenses (
    id TEXT COLLATE "C" PRIMARY KEY,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('assess', 'protect')),
    count INTEGER NOT NULL CHECK (count >= 0),
    expires_on TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX licenses_by_org ON licenses (org_id, kind);

CREATE TABLE applications (
    id TEXT COLLATE "C" PRIMARY KEY,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    name TEXT COLLATE "C" NOT NULL,
    language TEXT COLLATE "C" NOT NULL,
    environment TEXT COLLATE "C" NOT NULL,
    licensed BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE servers (
    id TEXT COLLATE "C" PRIMARY KEY,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    name TEXT COLLATE "C" NOT NULL,
    hostname TEXT COLLATE "C" NOT NULL,
    environment TEXT COLLATE "C" NOT NULL,
    agent_version TEXT COLLATE "C" NOT NULL,
    licensed BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    language TEXT COLLATE "C" NOT NULL DEFAULT 'unknown',
    last_seen_at BIGINT NOT NULL DEFAULT 0,
    offline_raised BOOLEAN NOT NULL DEFAULT false,
    environment_origin TEXT COLLATE "C" NOT NULL DEFAULT 'agent'
);

CREATE INDEX servers_by_org ON servers (org_id, name);

CREATE TABLE user_groups (
    id TEXT COLLATE "C" PRIMARY KEY,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    name TEXT COLLATE "C" NOT NULL,
    builtin_role TEXT COLLATE "C",
    app_access TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    UNIQUE (org_id, name)
);

CREATE TABLE group_members (
    group_id TEXT COLLATE "C" NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);

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

CREATE TABLE activation_tokens (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX activation_tokens_by_user ON activation_tokens (user_id);

CREATE TABLE password_history (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash TEXT COLLATE "C" NOT NULL,
    at BIGINT NOT NULL
);

CREATE INDEX password_history_by_user ON password_history (user_id, seq);

CREATE UNIQUE INDEX sessions_by_id ON sessions (id);

CREATE INDEX audit_by_org_time_search ON audit_log (org_id, at DESC, id DESC, search);

CREATE TABLE user_totp (
    user_id TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret BYTEA,
    pending_secret BYTEA,
    last_step BIGINT
);

CREATE TABLE backup_codes (
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT COLLATE "C" NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE mfa_challenges (
    challenge_hash TEXT COLLATE "C" PRIMARY KEY,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    methods TEXT COLLATE "C" NOT NULL DEFAULT 'totp,backup_code',
    email_code_hash TEXT COLLATE "C",
    email_code_expires_at BIGINT,
    email_sent_at BIGINT,
    email_sends INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE user_two_step_methods (
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    method TEXT COLLATE "C" NOT NULL,
    enrolled_at BIGINT,
    PRIMARY KEY (user_id, method)
);

CREATE TABLE email_enrolments (
    user_id TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT COLLATE "C" NOT NULL,
    expires_at BIGINT NOT NULL,
    sent_at BIGINT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE mail_outbox (
    id TEXT COLLATE "C" PRIMARY KEY,
    org_id TEXT COLLATE "C" REFERENCES organizations(id),
    recipient TEXT COLLATE "C" NOT NULL,
    subject TEXT COLLATE "C" NOT NULL,
    body BYTEA,
    created_at BIGINT NOT NULL,
    status TEXT COLLATE "C" NOT NULL CHECK (status IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT COLLATE "C",
    done_at BIGINT
);

CREATE INDEX mail_outbox_queued ON mail_outbox (status, id);

CREATE TABLE api_keys (
    id TEXT COLLATE "C" PRIMARY KEY,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    user_id TEXT COLLATE "C" NOT NULL UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    key_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    prefix TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    rotated_at BIGINT NOT NULL,
    last_used_at BIGINT,
    previous_hash TEXT COLLATE "C" UNIQUE,
    previous_valid_until BIGINT
);

CREATE INDEX api_keys_by_org ON api_keys (org_id, id);

CREATE TABLE agent_keys (
    id TEXT COLLATE "C" PRIMARY KEY,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('organization', 'agent')),
    name TEXT COLLATE "C",
    name_key TEXT COLLATE "C",
    environment TEXT COLLATE "C" CHECK (environment IN ('development', 'qa', 'production')),
    key_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    prefix TEXT COLLATE "C" NOT NULL,
    issued BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    rotated_at BIGINT NOT NULL,
    last_used_at BIGINT,
    previous_hash TEXT COLLATE "C" UNIQUE,
    previous_valid_until BIGINT,
    CHECK ((kind = 'agent') = (name IS NOT NULL AND name_key IS NOT NULL)),
    CHECK (kind = 'agent' OR environment IS NULL)
);

CREATE UNIQUE INDEX agent_keys_one_org_key ON agent_keys (org_id) WHERE kind = 'organization';

CREATE UNIQUE INDEX agent_keys_by_name ON agent_keys (org_id, name_key);

CREATE TABLE agent_events (
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    event_id TEXT COLLATE "C" NOT NULL,
    type TEXT COLLATE "C" NOT NULL,
    application_id TEXT COLLATE "C" NOT NULL REFERENCES applications(id),
    severity TEXT COLLATE "C",
    environment TEXT COLLATE "C" NOT NULL,
    payload TEXT COLLATE "C" NOT NULL,
    key_id TEXT COLLATE "C" NOT NULL,
    reported_by TEXT COLLATE "C" NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, event_id)
);

CREATE INDEX agent_events_by_application ON agent_events (application_id, received_at);

CREATE TABLE vulnerabilities (
    id TEXT COLLATE "C" PRIMARY KEY,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    application_id TEXT COLLATE "C" NOT NULL REFERENCES applications(id),
    event_id TEXT COLLATE "C" NOT NULL,
    title TEXT COLLATE "C" NOT NULL,
    severity TEXT COLLATE "C" NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'note')),
    rule TEXT COLLATE "C" NOT NULL,
    route TEXT COLLATE "C",
    description TEXT COLLATE "C",
    status TEXT COLLATE "C" NOT NULL,
    found_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (org_id, event_id),
    FOREIGN KEY (org_id, event_id) REFERENCES agent_events (org_id, event_id)
);

CREATE INDEX vulnerabilities_by_application ON vulnerabilities (application_id, id);

CREATE TABLE integrations (
    id TEXT COLLATE "C" PRIMARY KEY,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    name TEXT COLLATE "C" NOT NULL,
    name_key TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    enabled BOOLEAN NOT NULL,
    applications TEXT COLLATE "C" NOT NULL,
    settings TEXT COLLATE "C" NOT NULL,
    secrets BYTEA,
    secret_names TEXT COLLATE "C" NOT NULL,
    target TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL CHECK (status IN ('active', 'off', 'disabled')),
    disabled_reason TEXT COLLATE "C",
    disabled_at BIGINT,
    failures INTEGER NOT NULL DEFAULT 0,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (org_id, name_key)
);

CREATE TABLE inbox_entries (
    id TEXT COLLATE "C" PRIMARY KEY,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    event_type TEXT COLLATE "C" NOT NULL,
    title TEXT COLLATE "C" NOT NULL,
    message TEXT COLLATE "C" NOT NULL,
    severity TEXT COLLATE "C",
    application_id TEXT COLLATE "C",
    application_name TEXT COLLATE "C",
    server_id TEXT COLLATE "C",
    server_name TEXT COLLATE "C",
    integration_id TEXT COLLATE "C",
    integration_name TEXT COLLATE "C",
    vulnerability_id TEXT COLLATE "C",
    created_at BIGINT NOT NULL,
    read_at BIGINT
);

CREATE INDEX inbox_by_user ON inbox_entries (org_id, user_id, id);

CREATE INDEX inbox_unread ON inbox_entries (org_id, user_id) WHERE read_at IS NULL;

CREATE TABLE deliveries (
    id TEXT COLLATE "C" PRIMARY KEY,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    integration_id TEXT COLLATE "C" NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    message_id TEXT COLLATE "C" NOT NULL,
    event_type TEXT COLLATE "C" NOT NULL,
    title TEXT COLLATE "C" NOT NULL,
    notice TEXT COLLATE "C" NOT NULL,
    status TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'retrying', 'delivered', 'failed')),
    tries INTEGER NOT NULL DEFAULT 0,
    attempts TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    next_attempt_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status IN ('pending', 'retrying');

CREATE INDEX deliveries_log ON deliveries (org_id, integration_id, id);

CREATE TABLE vulnerability_issues (
    vulnerability_id TEXT COLLATE "C" NOT NULL REFERENCES vulnerabilities(id) ON DELETE CASCADE,
    integration_id TEXT COLLATE "C" NOT NULL,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    kind TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    url TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (vulnerability_id, integration_id)
);

CREATE TABLE server_events (
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    key TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (org_id, key)
);

CREATE UNIQUE INDEX servers_identity ON servers (org_id, name, hostname);

CREATE INDEX servers_last_seen ON servers (last_seen_at);

CREATE TABLE libraries (
    application_id TEXT COLLATE "C" NOT NULL REFERENCES applications(id) ON DELETE CASCADE,
    org_id TEXT COLLATE "C" NOT NULL REFERENCES organizations(id),
    name TEXT COLLATE "C" NOT NULL,
    version TEXT COLLATE "C" NOT NULL,
    latest_version TEXT COLLATE "C",
    released_on TEXT COLLATE "C",
    latest_released_on TEXT COLLATE "C",
    versions_behind INTEGER NOT NULL DEFAULT 0,
    cves TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    highest_cvss DOUBLE PRECISION,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (application_id, name)
);

CREATE INDEX libraries_by_org ON libraries (org_id);

CREATE INDEX audit_search_trgm ON audit_log USING gin (search gin_trgm_ops);

-- Login attempts per client address, shared by every instance (SQLite's one server counts in memory):
-- a token bucket each, forgotten a minute after its last attempt (then it is full again).
CREATE TABLE login_buckets (
    addr TEXT COLLATE "C" PRIMARY KEY,
    tokens DOUBLE PRECISION NOT NULL,
    at_ms BIGINT NOT NULL,
    reported BOOLEAN NOT NULL
);

CREATE INDEX login_buckets_by_time ON login_buckets (at_ms);
