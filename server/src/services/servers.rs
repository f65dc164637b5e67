//! Servers (SETTINGS.md section 7) and license allocation (section 1).
//!
//! An agent registers with an agent or organization key: one server per organization, name and
//! hostname (registering again updates it and keeps its license). Its environment is the one a limited
//! key stands for, else the one it names, else the one an admin moved it to, else the organization's
//! `default_environment`. A new server gets a protect license when auto-licensing covers its environment
//! and one is left; the answer says why when it does not. Agents beat; the watch ([`crate::watch`]) raises
//! `server_offline` after 15 silent minutes and removes servers silent past their environment's cleanup.
//!
//! Licenses are applied and removed by admins, each change audited under target kind `license` (so the
//! General area's bars follow at once). A license is refused when every unexpired one is in use.

use jiff::Timestamp;
use orgdeck_shared::{
    FieldError, Page, Versioned,
    audit::{AuditActor, AuditTarget, FieldChange},
    general::Environment,
    inventory::{Application, Server},
    licensing::{LicenseKind, LicensePool},
    servers::{
        AgentSettings, DevelopmentDefaults, EnvironmentOrigin, HEARTBEAT_SECONDS, Heartbeat, HeartbeatAnswer,
        LicenseOutcome, PAGE_MAX, ProductionDefaults, QaDefaults, RegisterAgent, Registration, ServerQuery,
        ServerSettings, ServerStatus, UpdateServer, effective,
    },
};
use uuid::Uuid;

use crate::{
    auth::{OrgAdmin, agent::AgentCaller},
    error::{AppError, AppResult},
    services::{licensing, settings},
    state::AppState,
    store::{AuditRecord, NewServerRow, ServerFilter, WriteTx},
};

fn no_server() -> AppError {
    AppError::NotFound("server not found".into())
}

fn no_application() -> AppError {
    AppError::NotFound("application not found".into())
}

fn admin_audit(admin: &OrgAdmin, now: Timestamp, action: &str, target: AuditTarget, summary: String) -> AuditRecord {
    let user = admin.user();
    AuditRecord::new(Some(user.org_id), now, user.actor(), action, target, summary).ip(user.client_ip.to_string())
}

fn agent_audit(agent: &AgentCaller, now: Timestamp, action: &str, id: Uuid, summary: String) -> AuditRecord {
    AuditRecord::new(
        Some(agent.org_id),
        now,
        agent.actor(),
        action,
        AuditTarget::new("server", id.to_string()),
        summary,
    )
    .ip(agent.client_ip.to_string())
}

fn plain<D: std::ops::Deref<Target = AgentSettings>>(v: Versioned<D>) -> Versioned<AgentSettings> {
    Versioned {
        version: v.version,
        value: v.value.clone(),
    }
}

/// An environment's default agent settings with their version, as `tx` sees them.
pub async fn defaults_tx(tx: &mut dyn WriteTx, org_id: Uuid, env: Environment) -> AppResult<Versioned<AgentSettings>> {
    Ok(match env {
        Environment::Development => plain(settings::doc_tx::<DevelopmentDefaults>(tx, org_id).await?),
        Environment::Qa => plain(settings::doc_tx::<QaDefaults>(tx, org_id).await?),
        Environment::Production => plain(settings::doc_tx::<ProductionDefaults>(tx, org_id).await?),
    })
}

/// An environment's default agent settings with their version.
pub async fn defaults(state: &AppState, org_id: Uuid, env: Environment) -> AppResult<Versioned<AgentSettings>> {
    Ok(match env {
        Environment::Development => plain(settings::doc::<DevelopmentDefaults>(state, org_id).await?),
        Environment::Qa => plain(settings::doc::<QaDefaults>(state, org_id).await?),
        Environment::Production => plain(settings::doc::<ProductionDefaults>(state, org_id).await?),
    })
}

fn today(now: Timestamp) -> jiff::civil::Date {
    now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}

/// The pool of `kind` as `tx` sees it now.
async fn pool(tx: &mut dyn WriteTx, org_id: Uuid, kind: LicenseKind, now: Timestamp) -> AppResult<LicensePool> {
    let facts = tx.license_facts(org_id).await?;
    let summary = licensing::summarize(&facts, today(now));
    Ok(summary.pool(kind).clone())
}

/// Why a license cannot be given: every unexpired one is in use.
fn exhausted(kind: LicenseKind, pool: &LicensePool) -> String {
    let what = kind.as_str();
    if pool.total == 0 {
        format!("the organization has no unexpired {what} license; the server operator adds licenses")
    } else {
        format!(
            "no {what} license left: {} of {} in use; remove one from another {} first, or ask the server operator for more",
            pool.used,
            pool.total,
            match kind {
                LicenseKind::Assess => "application",
                LicenseKind::Protect => "server",
            }
        )
    }
}

/// Whether a new server in `env` gets a protect license, and why (not).
async fn auto_license(
    tx: &mut dyn WriteTx,
    org_id: Uuid,
    env: Environment,
    now: Timestamp,
) -> AppResult<LicenseOutcome> {
    let general = tx.general_settings(org_id).await?.value;
    if !general.auto_license_new_servers {
        return Ok(LicenseOutcome {
            licensed: false,
            reason: "auto-licensing of new servers is off: an admin applies a protect license in the Servers area"
                .into(),
        });
    }
    if !general.auto_license_environments.contains(&env) {
        let covered: Vec<&str> = general.auto_license_environments.iter().map(|e| e.as_str()).collect();
        return Ok(LicenseOutcome {
            licensed: false,
            reason: format!(
                "auto-licensing covers {} only, not {env}: an admin applies a protect license in the Servers area",
                covered.join(", ")
            ),
        });
    }
    let pool = pool(tx, org_id, LicenseKind::Protect, now).await?;
    if pool.available == 0 {
        return Ok(LicenseOutcome {
            licensed: false,
            reason: exhausted(LicenseKind::Protect, &pool),
        });
    }
    Ok(LicenseOutcome {
        licensed: true,
        reason: format!(
            "auto-licensing covers {env}: a protect license was applied ({} left)",
            pool.available - 1
        ),
    })
}

/// `POST agent/register`.
pub async fn register(state: &AppState, agent: &AgentCaller, req: RegisterAgent) -> AppResult<Registration> {
    req.validate().map_err(AppError::Validation)?;
    let org_id = agent.org_id;
    let name = req.name.trim().to_owned();
    let hostname = req.hostname.trim().to_ascii_lowercase();
    if let (Some(limit), Some(asked)) = (agent.environment, req.environment)
        && limit != asked
    {
        return Err(AppError::Forbidden(format!(
            "this agent key registers servers in {limit} only, not {asked}"
        )));
    }
    let now =
        Timestamp::from_millisecond(state.clock.now().as_millisecond()).map_err(|e| AppError::Internal(e.into()))?;
    let mut tx = state.store.begin().await?;
    let existing = tx.server_by_identity(org_id, &name, &hostname, now).await?;
    let (environment, origin) = match (agent.environment, req.environment, &existing) {
        (Some(limit), _, _) => (limit, EnvironmentOrigin::AgentKey),
        (None, Some(asked), _) => (asked, EnvironmentOrigin::Agent),
        (None, None, Some((s, EnvironmentOrigin::Admin))) => (s.environment, EnvironmentOrigin::Admin),
        (None, None, _) => {
            let doc = settings::doc_tx::<ServerSettings>(tx.as_mut(), org_id).await?;
            (doc.value.default_environment, EnvironmentOrigin::DefaultEnvironment)
        }
    };
    let (server, license, registered_before) = match existing {
        Some((old, _)) => {
            let license = LicenseOutcome {
                licensed: old.licensed,
                reason: if old.licensed {
                    "registered before: it keeps its protect license".into()
                } else {
                    "registered before without a protect license: an admin applies one in the Servers area".into()
                },
            };
            let server = Server {
                environment,
                language: req.language.trim().to_owned(),
                agent_version: req.agent_version.trim().to_owned(),
                status: ServerStatus::Online,
                last_seen_at: now,
                ..old
            };
            tx.update_registration(server.id, &server, origin, now).await?;
            (server, license, true)
        }
        None => {
            let license = auto_license(tx.as_mut(), org_id, environment, now).await?;
            let server = Server {
                id: Uuid::now_v7(),
                name: name.clone(),
                hostname: hostname.clone(),
                environment,
                language: req.language.trim().to_owned(),
                agent_version: req.agent_version.trim().to_owned(),
                licensed: license.licensed,
                status: ServerStatus::Online,
                last_seen_at: now,
                registered_at: now,
            };
            tx.insert_registered_server(&NewServerRow {
                org_id,
                server: server.clone(),
                origin,
            })
            .await
            .map_err(|e| match e {
                // Two registrations of one server at once: the first made it.
                crate::store::StoreError::Conflict(_) => {
                    AppError::Conflict(format!("server {name} on {hostname} is being registered; try again"))
                }
                other => other.into(),
            })?;
            (server, license, false)
        }
    };
    let defaults = defaults_tx(tx.as_mut(), org_id, environment).await?;
    tx.append_audit(&agent_audit(
        agent,
        now,
        "server.register",
        server.id,
        format!(
            "Server {name} ({hostname}, {} agent {}) {} in {environment}; {}",
            server.language,
            server.agent_version,
            if registered_before {
                "registered again"
            } else {
                "registered"
            },
            license.reason
        ),
    ))
    .await?;
    tx.commit().await?;
    tracing::info!(org = %org_id, server = %server.id, %environment, licensed = server.licensed, "agent registered");
    Ok(Registration {
        effective: effective(&defaults.value),
        settings: defaults.value,
        settings_version: defaults.version,
        server,
        registered_before,
        environment_origin: origin,
        license,
        heartbeat_seconds: HEARTBEAT_SECONDS,
    })
}

/// `POST agent/heartbeat`: the server is heard from; a server that was announced offline is back
/// (audited, so consoles see it).
pub async fn heartbeat(state: &AppState, agent: &AgentCaller, beat: Heartbeat) -> AppResult<HeartbeatAnswer> {
    if let Some(v) = &beat.agent_version
        && let Err(e) = orgdeck_shared::validate::validate_display_name("agent_version", v, 40)
    {
        return Err(AppError::Validation(vec![e]));
    }
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let server = tx
        .server(agent.org_id, beat.server_id, now)
        .await?
        .ok_or_else(no_server)?;
    if let Some(limit) = agent.environment
        && limit != server.environment
    {
        return Err(AppError::Forbidden(format!(
            "this agent key stands for {limit} servers only; server {} is in {}",
            server.name, server.environment
        )));
    }
    let was_offline = tx
        .beat(server.id, now, beat.agent_version.as_deref().map(str::trim))
        .await?;
    if was_offline {
        tx.append_audit(&agent_audit(
            agent,
            now,
            "server.online",
            server.id,
            format!("Server {} ({}) is back online", server.name, server.hostname),
        ))
        .await?;
    }
    let version = defaults_tx(tx.as_mut(), agent.org_id, server.environment)
        .await?
        .version;
    tx.commit().await?;
    Ok(HeartbeatAnswer {
        environment: server.environment,
        licensed: server.licensed,
        settings_version: version,
        heartbeat_seconds: HEARTBEAT_SECONDS,
    })
}

/// A cursor is the last server's id and name: `{uuid}:{name}`.
fn cursor_of(s: &Server) -> String {
    format!("{}:{}", s.id, s.name)
}

/// A cursor: `{uuid}:{name}` (the name may hold anything, `:` too; the id never does).
fn parse_cursor(text: &str) -> AppResult<(String, Uuid)> {
    let bad = || AppError::Validation(vec![FieldError::new("cursor", "is not a cursor this server gave")]);
    let (id, name) = text.split_once(':').ok_or_else(bad)?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((name.to_owned(), id))
}

/// `GET servers`: one page by name.
pub async fn list(state: &AppState, admin: &OrgAdmin, q: ServerQuery) -> AppResult<Page<Server>> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(AppError::Validation(vec![FieldError::new(
            "limit",
            format!("must be from 1 to {PAGE_MAX}"),
        )]));
    }
    let text = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    if let Some(t) = text
        && t.chars().count() > 200
    {
        return Err(AppError::Validation(vec![FieldError::new(
            "q",
            "at most 200 characters",
        )]));
    }
    let filter = ServerFilter {
        q: text.map(str::to_lowercase),
        environment: q.environment,
        status: q.status,
        licensed: q.licensed,
        after: q.cursor.as_deref().map(parse_cursor).transpose()?,
        limit: limit + 1,
        now: state.clock.now(),
    };
    let mut items = state.store.servers_page(admin.org_id(), &filter).await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(cursor_of)
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

/// `PATCH servers/{id}`: move it to another environment (its agent gets that environment's settings at
/// its next heartbeat, which carries their version).
pub async fn update(state: &AppState, admin: &OrgAdmin, id: Uuid, req: UpdateServer) -> AppResult<Server> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let mut server = tx.server(admin.org_id(), id, now).await?.ok_or_else(no_server)?;
    if server.environment == req.environment {
        return Ok(server);
    }
    tx.set_server_environment(id, req.environment).await?;
    tx.append_audit(
        &admin_audit(
            admin,
            now,
            "server.update",
            AuditTarget::new("server", id.to_string()),
            format!(
                "Server {} moved from {} to {}",
                server.name, server.environment, req.environment
            ),
        )
        .changes(vec![FieldChange {
            field: "environment".into(),
            old: server.environment.as_str().into(),
            new: req.environment.as_str().into(),
        }]),
    )
    .await?;
    tx.commit().await?;
    server.environment = req.environment;
    Ok(server)
}

/// `DELETE servers/{id}`: removed from the list, its license freed. An agent still running registers it
/// again (unlicensed unless auto-licensing applies).
pub async fn remove(state: &AppState, admin: &OrgAdmin, id: Uuid) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let server = tx.server(admin.org_id(), id, now).await?.ok_or_else(no_server)?;
    tx.delete_server(admin.org_id(), id).await?;
    let freed = if server.licensed {
        "; its protect license is free"
    } else {
        ""
    };
    tx.append_audit(&admin_audit(
        admin,
        now,
        "server.remove",
        AuditTarget::new("server", id.to_string()),
        format!("Server {} ({}) removed{freed}", server.name, server.hostname),
    ))
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes, as the system, a server silent past its environment's cleanup (called by the watch).
pub async fn clean_up(state: &AppState, org_id: Uuid, server: &Server, days: u32) -> AppResult<bool> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    // Heard from since it was found silent: keep it.
    let Some(current) = tx.server(org_id, server.id, now).await? else {
        return Ok(false);
    };
    if current.last_seen_at != server.last_seen_at {
        return Ok(false);
    }
    tx.delete_server(org_id, server.id).await?;
    let freed = if server.licensed {
        "; its protect license is free"
    } else {
        ""
    };
    tx.append_audit(&AuditRecord::new(
        Some(org_id),
        now,
        AuditActor::system(),
        "server.cleanup",
        AuditTarget::new("server", server.id.to_string()),
        format!(
            "Server {} ({}) removed: silent for more than {days} days ({} cleanup){freed}",
            server.name, server.hostname, server.environment
        ),
    ))
    .await?;
    tx.commit().await?;
    Ok(true)
}

fn license_target(kind: LicenseKind, id: Uuid) -> AuditTarget {
    AuditTarget::new("license", format!("{}:{id}", kind.as_str()))
}

/// `POST licenses/protect`: refused when every unexpired protect license is in use.
pub async fn license_server(state: &AppState, admin: &OrgAdmin, id: Uuid) -> AppResult<Server> {
    set_server_license(state, admin, id, true).await
}

/// `DELETE licenses/protect/{id}`.
pub async fn unlicense_server(state: &AppState, admin: &OrgAdmin, id: Uuid) -> AppResult<Server> {
    set_server_license(state, admin, id, false).await
}

async fn set_server_license(state: &AppState, admin: &OrgAdmin, id: Uuid, licensed: bool) -> AppResult<Server> {
    let now = state.clock.now();
    let org_id = admin.org_id();
    let mut tx = state.store.begin().await?;
    let mut server = tx.server(org_id, id, now).await?.ok_or_else(no_server)?;
    if server.licensed == licensed {
        return Ok(server);
    }
    if licensed {
        let pool = pool(tx.as_mut(), org_id, LicenseKind::Protect, now).await?;
        if pool.available == 0 {
            return Err(AppError::Conflict(exhausted(LicenseKind::Protect, &pool)));
        }
    }
    tx.set_server_licensed(id, licensed).await?;
    let (action, summary) = if licensed {
        (
            "license.apply",
            format!("Protect license applied to server {}", server.name),
        )
    } else {
        (
            "license.remove",
            format!("Protect license removed from server {}", server.name),
        )
    };
    tx.append_audit(&admin_audit(
        admin,
        now,
        action,
        license_target(LicenseKind::Protect, id),
        summary,
    ))
    .await?;
    tx.commit().await?;
    server.licensed = licensed;
    Ok(server)
}

/// `POST licenses/assess`: refused when every unexpired assess license is in use.
pub async fn license_application(state: &AppState, admin: &OrgAdmin, id: Uuid) -> AppResult<Application> {
    set_application_license(state, admin, id, true).await
}

/// `DELETE licenses/assess/{id}`.
pub async fn unlicense_application(state: &AppState, admin: &OrgAdmin, id: Uuid) -> AppResult<Application> {
    set_application_license(state, admin, id, false).await
}

async fn set_application_license(
    state: &AppState,
    admin: &OrgAdmin,
    id: Uuid,
    licensed: bool,
) -> AppResult<Application> {
    let now = state.clock.now();
    let org_id = admin.org_id();
    let mut tx = state.store.begin().await?;
    let mut app = tx.application_tx(org_id, id).await?.ok_or_else(no_application)?;
    if app.licensed == licensed {
        return Ok(app);
    }
    if licensed {
        let pool = pool(tx.as_mut(), org_id, LicenseKind::Assess, now).await?;
        if pool.available == 0 {
            return Err(AppError::Conflict(exhausted(LicenseKind::Assess, &pool)));
        }
    }
    tx.set_application_licensed(org_id, id, licensed).await?;
    let (action, summary) = if licensed {
        (
            "license.apply",
            format!("Assess license applied to application {}", app.name),
        )
    } else {
        (
            "license.remove",
            format!("Assess license removed from application {}", app.name),
        )
    };
    tx.append_audit(&admin_audit(
        admin,
        now,
        action,
        license_target(LicenseKind::Assess, id),
        summary,
    ))
    .await?;
    tx.commit().await?;
    app.licensed = licensed;
    Ok(app)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_anything_else_is_refused_without_a_panic() {
        let id = Uuid::new_v4();
        assert_eq!(
            parse_cursor(&format!("{id}:web:01")).unwrap(),
            ("web:01".to_owned(), id)
        );
        for bad in [
            "",
            ":",
            "x",
            "é🚀é🚀é🚀é🚀é🚀é🚀é🚀é🚀é🚀é🚀é🚀é🚀é🚀é🚀é🚀",
            &format!("{id}é"),
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }
}
