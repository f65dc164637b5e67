//! The demo organization from `assets/demo.json`, loaded into a fresh data directory, and the
//! configuration the demo is served with (mail into the demo directory's file outbox).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
};

use jiff::{SignedDuration, Timestamp};
use orgdeck_shared::{
    FieldError,
    audit::{AuditActor, AuditTarget, FieldChange},
    auth::OrgRole,
    general::{DateFormat, Environment, GeneralSettings, TimeFormat},
    inventory::{Application, Library, Server},
    licensing::LicenseKind,
    vulnerabilities::{Severity, Vulnerability, VulnerabilityStatus},
};
use serde::Deserialize;
use uuid::Uuid;

use crate::{
    auth::password::{self, PasswordError},
    clock::Clock,
    orgs::{self, OrgError, WriteError},
    store::{
        AuditRecord, NewAgentEventRow, NewVulnerabilityRow, StoreError, UserStatus,
        sqlite::{self, ops},
        uuid_v7_at,
    },
};

const DEMO_JSON: &str = include_str!("../../assets/demo.json");

/// Why the demo organization could not be created.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("assets/demo.json does not parse")]
    Parse(#[source] serde_json::Error),
    #[error("{} already holds a database; the demo needs a fresh data directory", .0.display())]
    NotFresh(PathBuf),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("cannot load the demo organization")]
    Load(#[source] DemoDataError),
}

/// What in the demo data could not be written (inside its one transaction).
#[derive(Debug, thiserror::Error)]
pub enum DemoDataError {
    #[error("demo organization: {0:?}")]
    Settings(Vec<FieldError>),
    #[error("demo user {email}")]
    User { email: String, source: StoreError },
    #[error("demo application {name}")]
    Application { name: String, source: StoreError },
    #[error("group {group}: applications {value:?} is not \"all\"")]
    NotAll { group: String, value: String },
    #[error("group {group}: no application {name}")]
    NoApplication { group: String, name: String },
    #[error("group {group}: no user {email}")]
    NoMember { group: String, email: String },
    #[error(transparent)]
    Time(#[from] jiff::Error),
    #[error(transparent)]
    Org(#[from] OrgError),
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// How to log in to the demo organization, and what its stand-in agents need.
pub struct DemoLogin {
    pub email: String,
    pub password: String,
    /// The demo's agent key "demo agents" (made with the demo; only its hash is stored).
    pub agent_key: orgdeck_shared::auth::Secret,
    /// The servers that were online when the demo was made: [`run_agents`] keeps them beating.
    pub beating: Vec<Uuid>,
}

/// The demo's stand-in for its agents: every minute, a heartbeat over HTTP (`POST agent/heartbeat`
/// with the demo's agent key) for each server that was online when the demo was made, so they stay
/// online while the demo runs and the silent ones stay offline. Runs until dropped (abort the handle).
pub fn run_agents(
    base_url: String,
    key: orgdeck_shared::auth::Secret,
    servers: Vec<Uuid>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = reqwest::Client::new();
        let url = format!("{base_url}{}", orgdeck_shared::routes::AGENT_HEARTBEAT);
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            for id in &servers {
                let beat = orgdeck_shared::servers::Heartbeat {
                    server_id: *id,
                    agent_version: None,
                };
                let sent = client.post(&url).bearer_auth(key.expose()).json(&beat).send().await;
                if let Err(e) = sent.and_then(|r| r.error_for_status()) {
                    tracing::debug!(error = %e, "a demo agent's heartbeat failed");
                }
            }
        }
    })
}

#[derive(Deserialize)]
struct Demo {
    organization: DemoOrg,
    admin: DemoAdmin,
    user_password: String,
    licenses: Vec<DemoLicense>,
    applications: Vec<DemoApplication>,
    servers: Vec<DemoServer>,
    groups: Vec<DemoGroup>,
    users: Vec<DemoUser>,
    audit: Vec<DemoAudit>,
}

#[derive(Deserialize)]
struct DemoOrg {
    name: String,
    date_format: DateFormat,
    time_format: TimeFormat,
    timezone: String,
    created_days_ago: i64,
}

#[derive(Deserialize)]
struct DemoAdmin {
    email: String,
    first_name: String,
    last_name: String,
    password: String,
}

#[derive(Deserialize)]
struct DemoLicense {
    kind: LicenseKind,
    count: u32,
    expires_in_days: i64,
}

#[derive(Deserialize)]
struct DemoApplication {
    name: String,
    language: String,
    environment: Environment,
    licensed: bool,
    #[serde(default)]
    vulnerabilities: Vec<DemoVulnerability>,
    #[serde(default)]
    libraries: Vec<DemoLibrary>,
}

#[derive(Deserialize)]
struct DemoVulnerability {
    title: String,
    severity: Severity,
    rule: String,
    route: String,
    status: VulnerabilityStatus,
    days_ago: i64,
    notes: Vec<DemoNote>,
}

#[derive(Deserialize)]
struct DemoNote {
    author: String,
    text: String,
}

#[derive(Deserialize)]
struct DemoLibrary {
    name: String,
    version: String,
    latest_version: String,
    released_days_ago: i64,
    latest_released_days_ago: i64,
    versions_behind: u32,
    cves: Vec<String>,
    cvss: Option<f64>,
}

/// The application's vulnerabilities (each as the `new_vulnerability` event an agent would have sent,
/// reported with the organization key), their notes (`new_comment` events), and its libraries.
fn findings(
    c: &crate::store::sql::Connection,
    org_id: Uuid,
    app: &Application,
    demo: &DemoApplication,
    now: Timestamp,
) -> Result<(), DemoDataError> {
    use orgdeck_shared::agents::{AgentEvent, EventBody, NewComment, NewVulnerability};
    let Some((key_id, _)) = ops::org_key(c, org_id)? else {
        return Ok(());
    };
    let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
    let day = |days_ago: i64| today.checked_sub(jiff::Span::new().days(days_ago));
    for (i, v) in demo.vulnerabilities.iter().enumerate() {
        let found_at = now.checked_sub(SignedDuration::from_hours(24 * v.days_ago))?;
        let event_id = format!("demo:{}:{i}", app.name);
        let event = AgentEvent {
            id: event_id.clone(),
            occurred_at: Some(found_at),
            body: EventBody::NewVulnerability(NewVulnerability {
                application: app.name.clone(),
                language: Some(app.language.clone()),
                title: v.title.clone(),
                severity: v.severity,
                rule: v.rule.clone(),
                route: Some(v.route.clone()),
                description: None,
            }),
        };
        let row = |event: AgentEvent, at: Timestamp| NewAgentEventRow {
            org_id,
            severity: event.body.severity(),
            event,
            application_id: app.id,
            environment: app.environment,
            key_id,
            reported_by: "demo agent".into(),
            received_at: at,
        };
        ops::insert_agent_event(c, &row(event, found_at))?;
        ops::insert_vulnerability(
            c,
            &NewVulnerabilityRow {
                org_id,
                vulnerability: Vulnerability {
                    id: uuid_v7_at(found_at),
                    application_id: app.id,
                    title: v.title.clone(),
                    severity: v.severity,
                    rule: v.rule.clone(),
                    route: Some(v.route.clone()),
                    description: None,
                    status: v.status,
                    event_id: event_id.clone(),
                    found_at,
                    issues: Vec::new(),
                },
                created_at: found_at,
            },
        )?;
        for (k, note) in v.notes.iter().enumerate() {
            let at = found_at.checked_add(SignedDuration::from_hours(6 * (k as i64 + 1)))?;
            let comment = AgentEvent {
                id: format!("{event_id}:note:{k}"),
                occurred_at: Some(at),
                body: EventBody::NewComment(NewComment {
                    application: app.name.clone(),
                    vulnerability: event_id.clone(),
                    author: note.author.clone(),
                    text: note.text.clone(),
                }),
            };
            ops::insert_agent_event(c, &row(comment, at))?;
        }
    }
    for l in &demo.libraries {
        let library = Library {
            name: l.name.clone(),
            version: l.version.clone(),
            latest_version: Some(l.latest_version.clone()),
            released_on: Some(day(l.released_days_ago)?),
            latest_released_on: Some(day(l.latest_released_days_ago)?),
            versions_behind: l.versions_behind,
            cves: l.cves.clone(),
            highest_cvss: l.cvss,
        };
        ops::upsert_library(c, org_id, app.id, &library, now)?;
    }
    Ok(())
}

#[derive(Deserialize)]
struct DemoServer {
    name: String,
    hostname: String,
    environment: Environment,
    language: String,
    agent_version: String,
    licensed: bool,
    /// Offline when more than 15.
    last_seen_minutes_ago: i64,
}

#[derive(Deserialize)]
struct DemoGroup {
    name: String,
    app_access: Vec<DemoAppAccess>,
    members: Vec<String>,
}

#[derive(Deserialize)]
struct DemoAppAccess {
    applications: DemoApps,
    role: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum DemoApps {
    All(String),
    Names(Vec<String>),
}

#[derive(Deserialize)]
struct DemoUser {
    email: String,
    first_name: String,
    last_name: String,
    default_group: OrgRole,
    enabled: bool,
    api_only: bool,
    status: UserStatus,
    last_login_days_ago: Option<i64>,
    last_login_ip: Option<String>,
}

#[derive(Deserialize)]
struct DemoAudit {
    minutes_ago: i64,
    actor_email: String,
    action: String,
    target_kind: String,
    target_id: String,
    ip: Option<String>,
    summary: String,
    #[serde(default)]
    changes: Vec<FieldChange>,
}

fn days_ago(now: Timestamp, days: i64) -> Result<Timestamp, jiff::Error> {
    now.checked_sub(SignedDuration::from_hours(24 * days))
}

/// How `orgdeck --demo` serves the demo: on loopback at any free port, with mail (two-step codes) written
/// to the file outbox of the demo's data directory, so nothing leaves the machine, and integrations allowed
/// to reach private addresses (a local receiver).
pub fn server_config(data_dir: &Path) -> crate::ServerConfig {
    let mut config = crate::ServerConfig::new(data_dir);
    config.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    config.mail.transport = crate::mail::MailTransport::Outbox;
    config.outbound.allow_private_targets = true;
    config
}

/// Creates the database in `data_dir` (which must hold none yet) with the demo organization.
pub fn seed(data_dir: &Path, clock: &dyn Clock) -> Result<DemoLogin, DemoError> {
    let demo: Demo = serde_json::from_str(DEMO_JSON).map_err(DemoError::Parse)?;
    if sqlite::db_path(data_dir).exists() {
        return Err(DemoError::NotFresh(data_dir.to_owned()));
    }
    let now = clock.now();
    // Hashing is the slow part: one hash for the admin, one shared by every other demo user.
    let admin_hash = password::hash(&demo.admin.password)?;
    let user_hash = password::hash(&demo.user_password)?;
    let org_id = Uuid::new_v4();
    let mut key = None;
    let mut beating = Vec::new();
    orgs::write(&data_dir.into(), now, |c| -> Result<(), DemoDataError> {
        let o = &demo.organization;
        let created_at = days_ago(now, o.created_days_ago)?;
        let mut settings = GeneralSettings::new(org_id, o.name.clone(), created_at);
        settings.date_format = o.date_format;
        settings.time_format = o.time_format;
        settings.timezone = o.timezone.clone();
        settings.validate().map_err(DemoDataError::Settings)?;
        orgs::insert_org(c, &settings, created_at)?;

        let mut user_ids: HashMap<String, Uuid> = HashMap::new();
        let admin_id = Uuid::new_v4();
        let admin_email = demo.admin.email.to_lowercase();
        ops::insert_user(
            c,
            &ops::NewUser {
                id: admin_id,
                org_id,
                email: admin_email.clone(),
                first_name: demo.admin.first_name.clone(),
                last_name: demo.admin.last_name.clone(),
                password_hash: Some(admin_hash),
                role: OrgRole::Admin,
                enabled: true,
                api_only: false,
                status: UserStatus::Active,
                last_login_at: None,
                last_login_ip: None,
                created_at,
            },
        )?;
        user_ids.insert(admin_email, admin_id);
        for u in &demo.users {
            let id = Uuid::new_v4();
            let email = u.email.to_lowercase();
            let last_login_at = u.last_login_days_ago.map(|d| days_ago(now, d)).transpose()?;
            ops::insert_user(
                c,
                &ops::NewUser {
                    id,
                    org_id,
                    email: email.clone(),
                    first_name: u.first_name.clone(),
                    last_name: u.last_name.clone(),
                    // A pending user has not accepted the invitation: no password yet.
                    password_hash: (u.status != UserStatus::Pending).then(|| user_hash.clone()),
                    role: u.default_group,
                    enabled: u.enabled,
                    api_only: u.api_only,
                    status: u.status,
                    last_login_at,
                    last_login_ip: u.last_login_ip.clone(),
                    created_at: last_login_at.map_or(created_at, |t| t.min(now).max(created_at)),
                },
            )
            .map_err(|source| DemoDataError::User {
                email: email.clone(),
                source,
            })?;
            user_ids.insert(email, id);
        }

        for l in &demo.licenses {
            let expires_on = now
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .date()
                .checked_add(SignedDuration::from_hours(24 * l.expires_in_days))?;
            ops::insert_license(c, org_id, l.kind, l.count, expires_on, created_at)?;
        }
        let mut app_ids: HashMap<String, Uuid> = HashMap::new();
        for a in &demo.applications {
            let app = Application {
                id: Uuid::new_v4(),
                name: a.name.clone(),
                language: a.language.clone(),
                environment: a.environment,
                licensed: a.licensed,
                open_vulnerabilities: Default::default(),
                score: None,
            };
            ops::insert_application(c, org_id, &app, created_at).map_err(|source| DemoDataError::Application {
                name: a.name.clone(),
                source,
            })?;
            app_ids.insert(a.name.clone(), app.id);
            findings(c, org_id, &app, a, now)?;
        }
        let (agent_key, key_hash, prefix) = crate::services::api_keys::new_key();
        ops::insert_agent_key(
            c,
            &crate::store::NewAgentKeyRow {
                id: Uuid::new_v4(),
                org_id,
                kind: crate::store::AgentKeyKind::Agent,
                name: Some("demo agents".into()),
                environment: None,
                key_hash,
                prefix,
                issued: true,
                at: created_at,
            },
        )?;
        key = Some(agent_key);
        for s in &demo.servers {
            let last_seen_at = now.checked_sub(SignedDuration::from_mins(s.last_seen_minutes_ago))?;
            let server = Server {
                id: Uuid::new_v4(),
                name: s.name.clone(),
                hostname: s.hostname.clone(),
                environment: s.environment,
                language: s.language.clone(),
                agent_version: s.agent_version.clone(),
                licensed: s.licensed,
                status: orgdeck_shared::servers::ServerStatus::at(last_seen_at, now),
                last_seen_at,
                registered_at: created_at.min(last_seen_at),
            };
            ops::insert_server(c, org_id, &server, orgdeck_shared::servers::EnvironmentOrigin::Agent)?;
            if server.status == orgdeck_shared::servers::ServerStatus::Online {
                beating.push(server.id);
            }
        }
        for g in &demo.groups {
            let group_id = Uuid::new_v4();
            let mut access = Vec::new();
            for grant in &g.app_access {
                let applications = match &grant.applications {
                    DemoApps::All(all) if all == "all" => serde_json::json!("all"),
                    DemoApps::All(other) => {
                        return Err(DemoDataError::NotAll {
                            group: g.name.clone(),
                            value: other.clone(),
                        });
                    }
                    DemoApps::Names(names) => {
                        let ids = names
                            .iter()
                            .map(|n| {
                                app_ids.get(n).copied().ok_or_else(|| DemoDataError::NoApplication {
                                    group: g.name.clone(),
                                    name: n.clone(),
                                })
                            })
                            .collect::<Result<Vec<Uuid>, _>>()?;
                        serde_json::json!(ids)
                    }
                };
                access.push(serde_json::json!({ "applications": applications, "role": grant.role }));
            }
            ops::insert_group(
                c,
                group_id,
                org_id,
                &g.name,
                None,
                &serde_json::to_string(&access)?,
                created_at,
            )?;
            for m in &g.members {
                let user = user_ids.get(&m.to_lowercase()).ok_or_else(|| DemoDataError::NoMember {
                    group: g.name.clone(),
                    email: m.clone(),
                })?;
                ops::insert_group_member(c, group_id, *user)?;
            }
        }

        for a in &demo.audit {
            let at = now.checked_sub(SignedDuration::from_mins(a.minutes_ago))?;
            let actor = match a.actor_email.as_str() {
                "system" => AuditActor::system(),
                email => AuditActor {
                    user_id: user_ids.get(&email.to_lowercase()).copied(),
                    email: email.to_owned(),
                },
            };
            // Targets that are demo users are stored by id, as real entries are.
            let target_id = match (a.target_kind.as_str(), user_ids.get(&a.target_id.to_lowercase())) {
                ("user", Some(id)) => id.to_string(),
                _ => a.target_id.clone(),
            };
            let mut rec = AuditRecord::new(
                Some(org_id),
                at,
                actor,
                &a.action,
                AuditTarget::new(a.target_kind.clone(), target_id),
                a.summary.clone(),
            )
            .changes(a.changes.clone());
            rec.entry.id = uuid_v7_at(at);
            if let Some(ip) = &a.ip {
                rec = rec.ip(ip.clone());
            }
            ops::append_audit(c, &rec)?;
        }
        Ok(())
    })
    .map_err(DemoError::Load)?;
    Ok(DemoLogin {
        email: demo.admin.email.to_lowercase(),
        password: demo.admin.password,
        agent_key: key.expect("the demo's agent key is made with it"),
        beating,
    })
}
