//! Agent keys (the organization key and named keys: hashes and display prefixes, a replaced hash kept
//! through a grace period), the events agents report, and the vulnerabilities they become.

use crate::store::sql;
use crate::store::sql::{Connection, OptionalExtension, Row, params};
use jiff::Timestamp;
use orgdeck_shared::{
    agents::{AgentEvent, AgentKeyInfo, OrgKeyInfo, StoredEvent},
    integrations::{IntegrationKind, TrackerIssue},
    vulnerabilities::{Severity, Vulnerability, VulnerabilityStatus},
};
use uuid::Uuid;

use super::{AREA_IP_RESTRICTIONS, corrupt, db_err, environment, ms, ts, uuid};
use crate::store::{
    AgentKeyCaller, AgentKeyKind, NewAgentEventRow, NewAgentKeyRow, NewApplicationRow, NewVulnerabilityRow, StoreError,
    StoreResult, VulnerabilityRef,
};

fn opt_ts(v: Option<i64>) -> StoreResult<Option<Timestamp>> {
    v.map(ts).transpose()
}

/// The folded form names are unique in: trimmed and lower-cased (Unicode-aware, which SQL's `lower()`
/// is not).
pub fn agent_key_name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

pub fn agent_key_caller(c: &Connection, key_hash: &str) -> StoreResult<Option<AgentKeyCaller>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT k.id, k.org_id, k.kind, k.name, k.environment, k.prefix, k.last_used_at, ip.doc,
                    k.key_hash = ?1, k.previous_valid_until
             FROM agent_keys k
             LEFT JOIN settings ip ON ip.org_id = k.org_id AND ip.area = ?2
             WHERE k.key_hash = ?1 OR k.previous_hash = ?1",
        )
        .map_err(db_err)?;
    let raw = stmt
        .query_row(params![key_hash, AREA_IP_RESTRICTIONS], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, bool>(8)?,
                r.get::<_, Option<i64>>(9)?,
            ))
        })
        .optional()
        .map_err(db_err)?;
    let Some((id, org_id, kind, name, env, prefix, used, ip_doc, current, until)) = raw else {
        return Ok(None);
    };
    let replaced_until = if current {
        None
    } else {
        // A replaced hash is kept only with the end of its grace period.
        Some(opt_ts(until)?.ok_or_else(|| corrupt("replaced agent key without an end"))?)
    };
    Ok(Some(AgentKeyCaller {
        key_id: uuid(&id)?,
        org_id: uuid(&org_id)?,
        kind: key_kind(&kind)?,
        name,
        environment: env.as_deref().map(environment).transpose()?,
        prefix,
        last_used_at: opt_ts(used)?,
        ip_doc,
        replaced_until,
    }))
}

fn key_kind(text: &str) -> StoreResult<AgentKeyKind> {
    AgentKeyKind::parse(text).ok_or_else(|| corrupt(format!("agent key kind {text:?}")))
}

const INFO_COLUMNS: &str = "id, name, environment, prefix, created_at, rotated_at, last_used_at, previous_valid_until";

/// A row of [`INFO_COLUMNS`] as stored.
struct RawInfo {
    id: String,
    name: Option<String>,
    environment: Option<String>,
    prefix: String,
    created: i64,
    rotated: i64,
    used: Option<i64>,
    until: Option<i64>,
}

fn info_row(r: &Row<'_>) -> sql::Result<RawInfo> {
    Ok(RawInfo {
        id: r.get(0)?,
        name: r.get(1)?,
        environment: r.get(2)?,
        prefix: r.get(3)?,
        created: r.get(4)?,
        rotated: r.get(5)?,
        used: r.get(6)?,
        until: r.get(7)?,
    })
}

fn into_info(raw: RawInfo) -> StoreResult<AgentKeyInfo> {
    Ok(AgentKeyInfo {
        id: uuid(&raw.id)?,
        name: raw.name.ok_or_else(|| corrupt("agent key without a name"))?,
        environment: raw.environment.as_deref().map(environment).transpose()?,
        prefix: raw.prefix,
        created_at: ts(raw.created)?,
        rotated_at: ts(raw.rotated)?,
        last_used_at: opt_ts(raw.used)?,
        previous_valid_until: opt_ts(raw.until)?,
    })
}

pub fn agent_keys(c: &Connection, org_id: Uuid) -> StoreResult<Vec<AgentKeyInfo>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {INFO_COLUMNS} FROM agent_keys WHERE org_id = ?1 AND kind = 'agent' ORDER BY name_key, id"
        ))
        .map_err(db_err)?;
    let rows = stmt.query_map(params![org_id.to_string()], info_row).map_err(db_err)?;
    rows.map(|r| into_info(r.map_err(db_err)?)).collect()
}

pub fn agent_key(c: &Connection, org_id: Uuid, id: Uuid) -> StoreResult<Option<AgentKeyInfo>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {INFO_COLUMNS} FROM agent_keys WHERE org_id = ?1 AND id = ?2 AND kind = 'agent'"
        ))
        .map_err(db_err)?;
    let row = stmt
        .query_row(params![org_id.to_string(), id.to_string()], info_row)
        .optional()
        .map_err(db_err)?;
    row.map(into_info).transpose()
}

pub fn agent_key_count(c: &Connection, org_id: Uuid) -> StoreResult<u64> {
    let n: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM agent_keys WHERE org_id = ?1 AND kind = 'agent'",
            params![org_id.to_string()],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub fn org_key(c: &Connection, org_id: Uuid) -> StoreResult<Option<(Uuid, OrgKeyInfo)>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT id, prefix, issued, created_at, rotated_at, last_used_at, previous_valid_until
             FROM agent_keys WHERE org_id = ?1 AND kind = 'organization'",
        )
        .map_err(db_err)?;
    let row = stmt
        .query_row(params![org_id.to_string()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<i64>>(6)?,
            ))
        })
        .optional()
        .map_err(db_err)?;
    let Some((id, prefix, issued, created, rotated, used, until)) = row else {
        return Ok(None);
    };
    Ok(Some((
        uuid(&id)?,
        OrgKeyInfo {
            prefix,
            issued,
            created_at: ts(created)?,
            rotated_at: ts(rotated)?,
            last_used_at: opt_ts(used)?,
            previous_valid_until: opt_ts(until)?,
        },
    )))
}

pub fn insert_agent_key(c: &Connection, row: &NewAgentKeyRow) -> StoreResult<()> {
    c.execute(
        "INSERT INTO agent_keys (id, org_id, kind, name, name_key, environment, key_hash, prefix, issued,
                                 created_at, rotated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            row.id.to_string(),
            row.org_id.to_string(),
            row.kind.as_str(),
            row.name.as_deref().map(str::trim),
            row.name.as_deref().map(agent_key_name_key),
            row.environment.map(|e| e.as_str()),
            row.key_hash,
            row.prefix,
            row.issued,
            ms(row.at)
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn rotate_agent_key(
    c: &Connection,
    id: Uuid,
    key_hash: &str,
    prefix: &str,
    at: Timestamp,
    replaced_until: Option<Timestamp>,
) -> StoreResult<()> {
    let n = c
        .execute(
            "UPDATE agent_keys SET
                 previous_hash = CASE WHEN CAST(?5 AS BIGINT) IS NULL THEN NULL ELSE key_hash END,
                 previous_valid_until = ?5,
                 key_hash = ?2, prefix = ?3, rotated_at = ?4, issued = TRUE
             WHERE id = ?1",
            params![id.to_string(), key_hash, prefix, ms(at), replaced_until.map(ms)],
        )
        .map_err(db_err)?;
    if n == 0 {
        return Err(StoreError::NotFound("agent key"));
    }
    Ok(())
}

pub fn delete_agent_key(c: &Connection, org_id: Uuid, id: Uuid) -> StoreResult<bool> {
    let n = c
        .execute(
            "DELETE FROM agent_keys WHERE org_id = ?1 AND id = ?2 AND kind = 'agent'",
            params![org_id.to_string(), id.to_string()],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}

pub fn touch_agent_key(c: &Connection, id: Uuid, at: Timestamp) -> StoreResult<()> {
    c.execute(
        "UPDATE agent_keys SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
        params![id.to_string(), ms(at)],
    )
    .map_err(db_err)?;
    Ok(())
}

// ---- events ----

pub fn agent_event(c: &Connection, org_id: Uuid, event_id: &str) -> StoreResult<Option<StoredEvent>> {
    let mut stmt = c
        .prepare_cached(
            "SELECT e.payload, e.environment, e.application_id, v.id, e.reported_by, e.received_at
             FROM agent_events e
             LEFT JOIN vulnerabilities v ON v.org_id = e.org_id AND v.event_id = e.event_id
             WHERE e.org_id = ?1 AND e.event_id = ?2",
        )
        .map_err(db_err)?;
    let row = stmt
        .query_row(params![org_id.to_string(), event_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
            ))
        })
        .optional()
        .map_err(db_err)?;
    let Some((payload, env, app, vulnerability, reported_by, received)) = row else {
        return Ok(None);
    };
    let event: AgentEvent =
        serde_json::from_str(&payload).map_err(|e| corrupt(format!("agent event {event_id:?}: {e}")))?;
    Ok(Some(StoredEvent {
        event,
        environment: environment(&env)?,
        application_id: uuid(&app)?,
        vulnerability_id: vulnerability.as_deref().map(uuid).transpose()?,
        reported_by,
        received_at: ts(received)?,
    }))
}

pub fn insert_agent_event(c: &Connection, row: &NewAgentEventRow) -> StoreResult<()> {
    let payload = serde_json::to_string(&row.event).map_err(|e| StoreError::Backend(Box::new(e)))?;
    c.execute(
        "INSERT INTO agent_events (org_id, event_id, type, application_id, severity, environment, payload,
                                   key_id, reported_by, received_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            row.org_id.to_string(),
            row.event.id,
            row.event.event_type().as_str(),
            row.application_id.to_string(),
            row.severity.map(Severity::as_str),
            row.environment.as_str(),
            payload,
            row.key_id.to_string(),
            row.reported_by,
            ms(row.received_at)
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn insert_vulnerability(c: &Connection, row: &NewVulnerabilityRow) -> StoreResult<()> {
    let v = &row.vulnerability;
    c.execute(
        "INSERT INTO vulnerabilities (id, org_id, application_id, event_id, title, severity, rule, route,
                                      description, status, found_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            v.id.to_string(),
            row.org_id.to_string(),
            v.application_id.to_string(),
            v.event_id,
            v.title,
            v.severity.as_str(),
            v.rule,
            v.route,
            v.description,
            v.status.as_str(),
            ms(v.found_at),
            ms(row.created_at)
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn vulnerability_of_event(c: &Connection, org_id: Uuid, event_id: &str) -> StoreResult<Option<VulnerabilityRef>> {
    let row = c
        .prepare_cached(
            "SELECT v.id, v.application_id, a.name FROM vulnerabilities v
             JOIN applications a ON a.id = v.application_id
             WHERE v.org_id = ?1 AND v.event_id = ?2",
        )
        .map_err(db_err)?
        .query_row(params![org_id.to_string(), event_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })
        .optional()
        .map_err(db_err)?;
    row.map(|(id, app, name)| {
        Ok(VulnerabilityRef {
            id: uuid(&id)?,
            application_id: uuid(&app)?,
            application: name,
        })
    })
    .transpose()
}

pub fn application_id(c: &Connection, org_id: Uuid, name: &str) -> StoreResult<Option<Uuid>> {
    let id: Option<String> = c
        .prepare_cached("SELECT id FROM applications WHERE org_id = ?1 AND name = ?2")
        .map_err(db_err)?
        .query_row(params![org_id.to_string(), name], |r| r.get(0))
        .optional()
        .map_err(db_err)?;
    id.as_deref().map(uuid).transpose()
}

pub fn insert_reported_application(c: &Connection, row: &NewApplicationRow) -> StoreResult<()> {
    c.execute(
        "INSERT INTO applications (id, org_id, name, language, environment, licensed, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            row.id.to_string(),
            row.org_id.to_string(),
            row.name,
            row.language,
            row.environment.as_str(),
            row.licensed,
            ms(row.at)
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

pub(super) type RawVulnerability = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    i64,
);

pub(super) const VULNERABILITY_COLUMNS: &str =
    "id, application_id, title, severity, rule, route, description, status, event_id, found_at";

pub(super) fn raw_vulnerability(r: &Row) -> sql::Result<RawVulnerability> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
        r.get(9)?,
    ))
}

pub(super) fn vulnerability_of(raw: RawVulnerability) -> StoreResult<Vulnerability> {
    let (id, application_id, title, severity, rule, route, description, status, event_id, found) = raw;
    Ok(Vulnerability {
        id: uuid(&id)?,
        application_id: uuid(&application_id)?,
        title,
        severity: Severity::parse(&severity).ok_or_else(|| corrupt(format!("severity {severity:?}")))?,
        rule,
        route,
        description,
        status: VulnerabilityStatus::parse(&status).ok_or_else(|| corrupt(format!("status {status:?}")))?,
        event_id,
        found_at: ts(found)?,
        issues: Vec::new(),
    })
}

fn tracker_issue(r: &Row) -> sql::Result<(String, String, String, String, String, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

/// Files each stored issue (`vulnerability_id, integration_id, kind, key, url, created_at`) under its
/// vulnerability; a claim still being made (no key yet) is left out.
fn attach_issues(
    out: &mut [Vulnerability],
    rows: impl Iterator<Item = sql::Result<(String, String, String, String, String, i64)>>,
) -> StoreResult<()> {
    for row in rows {
        let (vulnerability, integration, kind, key, url, created) = row.map_err(db_err)?;
        if key.is_empty() {
            continue;
        }
        let vulnerability = uuid(&vulnerability)?;
        if let Some(v) = out.iter_mut().find(|v| v.id == vulnerability) {
            v.issues.push(TrackerIssue {
                integration_id: uuid(&integration)?,
                kind: IntegrationKind::ALL
                    .into_iter()
                    .find(|k| k.as_str() == kind)
                    .ok_or_else(|| corrupt(format!("integration kind {kind:?}")))?,
                key,
                url,
                created_at: ts(created)?,
            });
        }
    }
    Ok(())
}

/// The application's vulnerabilities after `after`, with their tracker issues, or `None` when the
/// organization has no such application (so another organization's id reads as unknown, never as empty).
pub fn vulnerabilities(
    c: &Connection,
    org_id: Uuid,
    application_id: Uuid,
    after: Option<Uuid>,
    limit: u32,
) -> StoreResult<Option<Vec<Vulnerability>>> {
    let exists: Option<i64> = c
        .prepare_cached("SELECT 1 FROM applications WHERE org_id = ?1 AND id = ?2")
        .map_err(db_err)?
        .query_row(params![org_id.to_string(), application_id.to_string()], |r| r.get(0))
        .optional()
        .map_err(db_err)?;
    if exists.is_none() {
        return Ok(None);
    }
    let page = "SELECT id FROM vulnerabilities WHERE org_id = ?1 AND application_id = ?2 AND id > ?3
                ORDER BY id LIMIT ?4";
    let args = params![
        org_id.to_string(),
        application_id.to_string(),
        after.map(|a| a.to_string()).unwrap_or_default(),
        limit
    ];
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {VULNERABILITY_COLUMNS} FROM vulnerabilities WHERE id IN ({page}) ORDER BY id"
        ))
        .map_err(db_err)?;
    let mut out = stmt
        .query_map(args, raw_vulnerability)
        .map_err(db_err)?
        .map(|r| vulnerability_of(r.map_err(db_err)?))
        .collect::<StoreResult<Vec<_>>>()?;
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT vulnerability_id, integration_id, kind, key, url, created_at FROM vulnerability_issues
             WHERE vulnerability_id IN ({page}) ORDER BY created_at"
        ))
        .map_err(db_err)?;
    attach_issues(&mut out, stmt.query_map(args, tracker_issue).map_err(db_err)?)?;
    Ok(Some(out))
}

/// One vulnerability of the organization with its application's name and its tracker issues.
pub fn vulnerability(c: &Connection, org_id: Uuid, id: Uuid) -> StoreResult<Option<(Vulnerability, String)>> {
    let found = c
        .prepare_cached(&format!(
            "SELECT {VULNERABILITY_COLUMNS}, (SELECT name FROM applications a WHERE a.id = v.application_id)
             FROM vulnerabilities v WHERE org_id = ?1 AND id = ?2"
        ))
        .map_err(db_err)?
        .query_row(params![org_id.to_string(), id.to_string()], |r| {
            Ok((raw_vulnerability(r)?, r.get::<_, String>(10)?))
        })
        .optional()
        .map_err(db_err)?;
    let Some((raw, application)) = found else {
        return Ok(None);
    };
    let mut one = [vulnerability_of(raw)?];
    let mut stmt = c
        .prepare_cached(
            "SELECT vulnerability_id, integration_id, kind, key, url, created_at FROM vulnerability_issues
             WHERE vulnerability_id = ?1 ORDER BY created_at",
        )
        .map_err(db_err)?;
    attach_issues(
        &mut one,
        stmt.query_map(params![id.to_string()], tracker_issue).map_err(db_err)?,
    )?;
    let [v] = one;
    Ok(Some((v, application)))
}

/// The issue of `vulnerability` in `integration`: its key (empty while a claim is being made) and when
/// it was made or claimed.
pub fn tracker_issue_claim(
    c: &Connection,
    vulnerability: Uuid,
    integration: Uuid,
) -> StoreResult<Option<(String, String, Timestamp)>> {
    let found = c
        .prepare_cached(
            "SELECT key, url, created_at FROM vulnerability_issues WHERE vulnerability_id = ?1 AND integration_id = ?2",
        )
        .map_err(db_err)?
        .query_row(params![vulnerability.to_string(), integration.to_string()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?))
        })
        .optional()
        .map_err(db_err)?;
    found.map(|(k, u, at)| Ok((k, u, ts(at)?))).transpose()
}

/// Writes (or replaces) the issue row of `vulnerability` in the issue's integration: a claim has an
/// empty key and url.
pub fn put_tracker_issue(c: &Connection, org_id: Uuid, vulnerability: Uuid, issue: &TrackerIssue) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO vulnerability_issues (vulnerability_id, integration_id, org_id, kind, key, url, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (vulnerability_id, integration_id) DO UPDATE SET
             kind = excluded.kind, key = excluded.key, url = excluded.url, created_at = excluded.created_at",
    )
    .map_err(db_err)?
    .execute(params![
        vulnerability.to_string(),
        issue.integration_id.to_string(),
        org_id.to_string(),
        issue.kind.as_str(),
        issue.key,
        issue.url,
        ms(issue.created_at)
    ])
    .map_err(db_err)?;
    Ok(())
}

/// Drops a claim that did not become an issue (the tracker refused).
pub fn drop_tracker_claim(c: &Connection, vulnerability: Uuid, integration: Uuid) -> StoreResult<()> {
    c.prepare_cached(
        "DELETE FROM vulnerability_issues WHERE vulnerability_id = ?1 AND integration_id = ?2 AND key = ''",
    )
    .map_err(db_err)?
    .execute(params![vulnerability.to_string(), integration.to_string()])
    .map_err(db_err)?;
    Ok(())
}
