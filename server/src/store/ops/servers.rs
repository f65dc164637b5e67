//! Servers as agents register and beat, license allocation flags, libraries, and what a report lists.

use crate::store::sql;
use crate::store::sql::{Connection, OptionalExtension, Row, params, params_from_iter, types::Value};
use jiff::{Timestamp, civil::Date};
use orgdeck_shared::{
    agents::{AgentEvent, EventBody},
    general::Environment,
    inventory::{Application, Library, Server},
    reports::render::{Finding, Note},
    servers::{EnvironmentOrigin, OFFLINE_AFTER_MINUTES, ServerStatus},
};
use uuid::Uuid;

use super::{VULNERABILITY_COLUMNS, corrupt, db_err, environment, ms, raw_vulnerability, ts, uuid, vulnerability_of};
use crate::store::{NewServerRow, ServerFilter, SilentQuery, SilentServer, StoreError, StoreResult};

const SERVER_COLUMNS: &str = "id, name, hostname, environment, language, agent_version, licensed, last_seen_at, created_at, offline_raised, \
     environment_origin, org_id";

type RawServer = (
    String,
    String,
    String,
    String,
    String,
    String,
    bool,
    i64,
    i64,
    bool,
    String,
    String,
);

fn raw_server(r: &Row) -> sql::Result<RawServer> {
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
        r.get(10)?,
        r.get(11)?,
    ))
}

/// The server, whether its offline event was raised, its environment's origin, and its organization.
fn server_of(raw: RawServer, now: Timestamp) -> StoreResult<(Server, bool, EnvironmentOrigin, Uuid)> {
    let (id, name, hostname, env, language, agent_version, licensed, seen, created, raised, origin, org) = raw;
    let last_seen_at = ts(seen)?;
    Ok((
        Server {
            id: uuid(&id)?,
            name,
            hostname,
            environment: environment(&env)?,
            language,
            agent_version,
            licensed,
            status: ServerStatus::at(last_seen_at, now),
            last_seen_at,
            registered_at: ts(created)?,
        },
        raised,
        origin_of(&origin)?,
        uuid(&org)?,
    ))
}

pub fn origin_str(o: EnvironmentOrigin) -> &'static str {
    match o {
        EnvironmentOrigin::Agent => "agent",
        EnvironmentOrigin::AgentKey => "agent_key",
        EnvironmentOrigin::DefaultEnvironment => "default_environment",
        EnvironmentOrigin::Admin => "admin",
    }
}

fn origin_of(s: &str) -> StoreResult<EnvironmentOrigin> {
    Ok(match s {
        "agent" => EnvironmentOrigin::Agent,
        "agent_key" => EnvironmentOrigin::AgentKey,
        "default_environment" => EnvironmentOrigin::DefaultEnvironment,
        "admin" => EnvironmentOrigin::Admin,
        other => return Err(corrupt(format!("environment origin {other:?}"))),
    })
}

/// The moment before which a server is offline at `now`.
fn offline_before(now: Timestamp) -> i64 {
    ms(now) - OFFLINE_AFTER_MINUTES * 60_000
}

pub fn insert_server(c: &Connection, org_id: Uuid, s: &Server, origin: EnvironmentOrigin) -> StoreResult<()> {
    c.prepare_cached(
        "INSERT INTO servers (id, org_id, name, hostname, environment, language, agent_version, licensed,
                              last_seen_at, created_at, environment_origin)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    )
    .map_err(db_err)?
    .execute(params![
        s.id.to_string(),
        org_id.to_string(),
        s.name,
        s.hostname,
        s.environment.as_str(),
        s.language,
        s.agent_version,
        s.licensed,
        ms(s.last_seen_at),
        ms(s.registered_at),
        origin_str(origin)
    ])
    .map_err(db_err)?;
    Ok(())
}

pub fn insert_registered_server(c: &Connection, row: &NewServerRow) -> StoreResult<()> {
    insert_server(c, row.org_id, &row.server, row.origin)
}

/// `LIKE` text that matches `q` literally anywhere.
fn contains_pattern(q: &str) -> String {
    let mut p = String::from("%");
    for ch in q.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p.push('%');
    p
}

pub fn servers_page(c: &Connection, org_id: Uuid, f: &ServerFilter) -> StoreResult<Vec<Server>> {
    let mut sql = format!("SELECT {SERVER_COLUMNS} FROM servers WHERE org_id = ?");
    let mut args: Vec<Value> = vec![Value::Text(org_id.to_string())];
    if let Some(q) = f.q.as_deref().filter(|q| !q.is_empty()) {
        sql.push_str(" AND (lower(name) LIKE ? ESCAPE '\\' OR lower(hostname) LIKE ? ESCAPE '\\')");
        let p = contains_pattern(&q.to_lowercase());
        args.push(Value::Text(p.clone()));
        args.push(Value::Text(p));
    }
    if let Some(env) = f.environment {
        sql.push_str(" AND environment = ?");
        args.push(Value::Text(env.as_str().into()));
    }
    match f.status {
        Some(ServerStatus::Online) => sql.push_str(" AND last_seen_at >= ?"),
        Some(ServerStatus::Offline) => sql.push_str(" AND last_seen_at < ?"),
        None => {}
    }
    if f.status.is_some() {
        args.push(Value::Integer(offline_before(f.now)));
    }
    if let Some(licensed) = f.licensed {
        sql.push_str(" AND licensed = ?");
        args.push(Value::Integer(i64::from(licensed)));
    }
    if let Some((name, id)) = &f.after {
        sql.push_str(" AND (name > ? OR (name = ? AND id > ?))");
        args.push(Value::Text(name.clone()));
        args.push(Value::Text(name.clone()));
        args.push(Value::Text(id.to_string()));
    }
    sql.push_str(" ORDER BY name, id LIMIT ?");
    args.push(Value::Integer(i64::from(f.limit)));
    let mut stmt = c.prepare_planned(&sql).map_err(db_err)?;
    let rows = stmt.query_map(params_from_iter(args), raw_server).map_err(db_err)?;
    rows.map(|r| Ok(server_of(r.map_err(db_err)?, f.now)?.0)).collect()
}

pub fn servers_silent(c: &Connection, q: &SilentQuery) -> StoreResult<Vec<SilentServer>> {
    let (after_seen, after_id) = q
        .after
        .map_or((i64::MIN, String::new()), |(t, id)| (ms(t), id.to_string()));
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {SERVER_COLUMNS} FROM servers
             WHERE last_seen_at < ?1 AND (?2 = 0 OR NOT offline_raised)
               AND (last_seen_at > ?3 OR (last_seen_at = ?3 AND id > ?4))
             ORDER BY last_seen_at, id LIMIT ?5"
        ))
        .map_err(db_err)?;
    let rows = stmt
        .query_map(
            params![ms(q.before), q.unraised_only, after_seen, after_id, q.limit],
            raw_server,
        )
        .map_err(db_err)?;
    rows.map(|r| {
        let (server, offline_raised, _, org_id) = server_of(r.map_err(db_err)?, q.now)?;
        Ok(SilentServer {
            org_id,
            server,
            offline_raised,
        })
    })
    .collect()
}

pub fn server_by_identity(
    c: &Connection,
    org_id: Uuid,
    name: &str,
    hostname: &str,
    now: Timestamp,
) -> StoreResult<Option<(Server, EnvironmentOrigin)>> {
    c.prepare_cached(&format!(
        "SELECT {SERVER_COLUMNS} FROM servers WHERE org_id = ?1 AND name = ?2 AND hostname = ?3"
    ))
    .map_err(db_err)?
    .query_row(params![org_id.to_string(), name, hostname], raw_server)
    .optional()
    .map_err(db_err)?
    .map(|raw| server_of(raw, now).map(|(s, _, o, _)| (s, o)))
    .transpose()
}

pub fn server(c: &Connection, org_id: Uuid, id: Uuid, now: Timestamp) -> StoreResult<Option<Server>> {
    c.prepare_cached(&format!(
        "SELECT {SERVER_COLUMNS} FROM servers WHERE org_id = ?1 AND id = ?2"
    ))
    .map_err(db_err)?
    .query_row(params![org_id.to_string(), id.to_string()], raw_server)
    .optional()
    .map_err(db_err)?
    .map(|raw| server_of(raw, now).map(|(s, ..)| s))
    .transpose()
}

pub fn update_registration(
    c: &Connection,
    id: Uuid,
    s: &Server,
    origin: EnvironmentOrigin,
    at: Timestamp,
) -> StoreResult<()> {
    c.prepare_cached(
        "UPDATE servers SET environment = ?2, language = ?3, agent_version = ?4, licensed = ?5, last_seen_at = ?6,
                            offline_raised = FALSE, environment_origin = ?7
         WHERE id = ?1",
    )
    .map_err(db_err)?
    .execute(params![
        id.to_string(),
        s.environment.as_str(),
        s.language,
        s.agent_version,
        s.licensed,
        ms(at),
        origin_str(origin)
    ])
    .map_err(db_err)?;
    Ok(())
}

pub fn beat(c: &Connection, id: Uuid, at: Timestamp, agent_version: Option<&str>) -> StoreResult<bool> {
    let raised: bool = c
        .prepare_cached("SELECT offline_raised FROM servers WHERE id = ?1")
        .map_err(db_err)?
        .query_row(params![id.to_string()], |r| r.get(0))
        .optional()
        .map_err(db_err)?
        .unwrap_or(false);
    c.prepare_cached(
        "UPDATE servers SET last_seen_at = CASE WHEN last_seen_at > ?2 THEN last_seen_at ELSE ?2 END, offline_raised = FALSE,
                            agent_version = COALESCE(?3, agent_version)
         WHERE id = ?1",
    )
    .map_err(db_err)?
    .execute(params![id.to_string(), ms(at), agent_version])
    .map_err(db_err)?;
    Ok(raised)
}

pub fn set_server_environment(c: &Connection, id: Uuid, env: Environment) -> StoreResult<()> {
    c.prepare_cached("UPDATE servers SET environment = ?2, environment_origin = 'admin' WHERE id = ?1")
        .map_err(db_err)?
        .execute(params![id.to_string(), env.as_str()])
        .map_err(db_err)?;
    Ok(())
}

pub fn set_server_licensed(c: &Connection, id: Uuid, licensed: bool) -> StoreResult<()> {
    c.prepare_cached("UPDATE servers SET licensed = ?2 WHERE id = ?1")
        .map_err(db_err)?
        .execute(params![id.to_string(), licensed])
        .map_err(db_err)?;
    Ok(())
}

pub fn set_application_licensed(c: &Connection, org_id: Uuid, id: Uuid, licensed: bool) -> StoreResult<bool> {
    c.prepare_cached("UPDATE applications SET licensed = ?3 WHERE org_id = ?1 AND id = ?2")
        .map_err(db_err)?
        .execute(params![org_id.to_string(), id.to_string(), licensed])
        .map(|n| n > 0)
        .map_err(db_err)
}

pub fn delete_server(c: &Connection, org_id: Uuid, id: Uuid) -> StoreResult<bool> {
    c.prepare_cached("DELETE FROM servers WHERE org_id = ?1 AND id = ?2")
        .map_err(db_err)?
        .execute(params![org_id.to_string(), id.to_string()])
        .map(|n| n > 0)
        .map_err(db_err)
}

pub fn mark_offline_raised(c: &Connection, id: Uuid, before: Timestamp) -> StoreResult<bool> {
    c.prepare_cached(
        "UPDATE servers SET offline_raised = TRUE WHERE id = ?1 AND NOT offline_raised AND last_seen_at < ?2",
    )
    .map_err(db_err)?
    .execute(params![id.to_string(), ms(before)])
    .map(|n| n > 0)
    .map_err(db_err)
}

// ---- libraries ----

fn date(text: Option<String>) -> StoreResult<Option<Date>> {
    text.map(|t| t.parse().map_err(corrupt)).transpose()
}

pub fn upsert_library(c: &Connection, org_id: Uuid, app: Uuid, l: &Library, at: Timestamp) -> StoreResult<()> {
    let cves = serde_json::to_string(&l.cves).map_err(|e| StoreError::Backend(Box::new(e)))?;
    c.prepare_cached(
        "INSERT INTO libraries (application_id, org_id, name, version, latest_version, released_on,
                                latest_released_on, versions_behind, cves, highest_cvss, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (application_id, name) DO UPDATE SET
             version = excluded.version, latest_version = excluded.latest_version,
             released_on = excluded.released_on, latest_released_on = excluded.latest_released_on,
             versions_behind = excluded.versions_behind, cves = excluded.cves,
             highest_cvss = excluded.highest_cvss, updated_at = excluded.updated_at",
    )
    .map_err(db_err)?
    .execute(params![
        app.to_string(),
        org_id.to_string(),
        l.name,
        l.version,
        l.latest_version,
        l.released_on.map(|d| d.to_string()),
        l.latest_released_on.map(|d| d.to_string()),
        l.versions_behind,
        cves,
        l.highest_cvss,
        ms(at)
    ])
    .map_err(db_err)?;
    Ok(())
}

const LIBRARY_COLUMNS: &str = "application_id, name, version, latest_version, released_on, latest_released_on, versions_behind, cves, highest_cvss";

/// A library row: its application, the library without its dates and CVEs, then those as stored.
type LibraryRow = (String, Library, Option<String>, Option<String>, String);

fn library_row(r: &Row) -> sql::Result<LibraryRow> {
    Ok((
        r.get(0)?,
        Library {
            name: r.get(1)?,
            version: r.get(2)?,
            latest_version: r.get(3)?,
            released_on: None,
            latest_released_on: None,
            versions_behind: r.get(6)?,
            cves: Vec::new(),
            highest_cvss: r.get(8)?,
        },
        r.get(4)?,
        r.get(5)?,
        r.get(7)?,
    ))
}

fn libraries_where(c: &Connection, filter: &str, args: &[&dyn sql::ToSql]) -> StoreResult<Vec<(Uuid, Library)>> {
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {LIBRARY_COLUMNS} FROM libraries WHERE {filter} ORDER BY application_id, name"
        ))
        .map_err(db_err)?;
    let rows = stmt.query_map(args, library_row).map_err(db_err)?;
    rows.map(|r| {
        let (app, mut lib, released, latest, cves) = r.map_err(db_err)?;
        lib.released_on = date(released)?;
        lib.latest_released_on = date(latest)?;
        lib.cves = serde_json::from_str(&cves).map_err(corrupt)?;
        Ok((uuid(&app)?, lib))
    })
    .collect()
}

pub fn libraries(c: &Connection, org_id: Uuid, app: Uuid) -> StoreResult<Option<Vec<Library>>> {
    if !application_exists(c, org_id, app)? {
        return Ok(None);
    }
    let rows = libraries_where(
        c,
        "org_id = ?1 AND application_id = ?2",
        &[&org_id.to_string(), &app.to_string()],
    )?;
    Ok(Some(rows.into_iter().map(|(_, l)| l).collect()))
}

pub fn all_libraries(c: &Connection, org_id: Uuid) -> StoreResult<Vec<(Uuid, Library)>> {
    libraries_where(c, "org_id = ?1", &[&org_id.to_string()])
}

fn application_exists(c: &Connection, org_id: Uuid, app: Uuid) -> StoreResult<bool> {
    c.prepare_cached("SELECT 1 FROM applications WHERE org_id = ?1 AND id = ?2")
        .map_err(db_err)?
        .exists(params![org_id.to_string(), app.to_string()])
        .map_err(db_err)
}

/// Every vulnerability of the application, with the comments reported on each (oldest first).
pub fn findings(c: &Connection, org_id: Uuid, app: Uuid) -> StoreResult<Vec<Finding>> {
    let args = params![org_id.to_string(), app.to_string()];
    let mut stmt = c
        .prepare_cached(&format!(
            "SELECT {VULNERABILITY_COLUMNS} FROM vulnerabilities WHERE org_id = ?1 AND application_id = ?2 ORDER BY id"
        ))
        .map_err(db_err)?;
    let mut out: Vec<Finding> = stmt
        .query_map(args, raw_vulnerability)
        .map_err(db_err)?
        .map(|r| {
            Ok(Finding {
                vulnerability: vulnerability_of(r.map_err(db_err)?)?,
                notes: Vec::new(),
            })
        })
        .collect::<StoreResult<_>>()?;
    let mut stmt = c
        .prepare_cached(
            "SELECT payload, received_at FROM agent_events
             WHERE org_id = ?1 AND application_id = ?2 AND type = 'new_comment' ORDER BY received_at, event_id",
        )
        .map_err(db_err)?;
    let rows = stmt
        .query_map(args, |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map_err(db_err)?;
    for row in rows {
        let (payload, received) = row.map_err(db_err)?;
        let event: AgentEvent = serde_json::from_str(&payload).map_err(corrupt)?;
        if let EventBody::NewComment(comment) = event.body
            && let Some(f) = out
                .iter_mut()
                .find(|f| f.vulnerability.event_id == comment.vulnerability)
        {
            f.notes.push(Note {
                author: comment.author,
                text: comment.text,
                at: event.occurred_at.map_or_else(|| ts(received), Ok)?,
            });
        }
    }
    Ok(out)
}

/// One application of the organization with its open vulnerability counts.
pub fn application(c: &Connection, org_id: Uuid, id: Uuid) -> StoreResult<Option<Application>> {
    Ok(super::applications_where(c, org_id, Some(id))?.into_iter().next())
}
