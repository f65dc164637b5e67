//! `POST agent/events`: what agents found, stored in their organization.
//!
//! A batch is all or nothing, as a CSV import is: every event is read and checked on its own (so each
//! problem names `events[i].field`), then all are written in one transaction with an audit entry each
//! (which the live-update stream reads), or none is. An event id the organization stored before answers
//! `already_stored` with what was stored, when the event is the same (an agent retrying after a lost
//! answer), and refuses the batch with 409 when it is not. Each event is filed under its application,
//! made when the organization has not seen it yet; a `new_vulnerability` becomes a vulnerability of it.
//!
//! Each stored event fans out (SETTINGS.md section 8: inbox entries, mail, channel deliveries) in the
//! same transaction ([`crate::services::fanout`]); the workers are woken after the commit.

use jiff::Timestamp;
use orgdeck_shared::{
    FieldError,
    agents::{
        AgentEvent, AgentEventType, ApplicationAttacked, EventBody, EventOutcome, EventReceipt, EventsReceived,
        NewAsset, NewComment, NewVulnerability, ReportEvents, StoredEvent, VulnerableLibrary, check_batch_len,
    },
    audit::AuditTarget,
    general::Environment,
    inbox::{InboxEntry, Subject},
    vulnerabilities::{Vulnerability, VulnerabilityStatus},
};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    auth::agent::AgentCaller,
    error::{AppError, AppResult},
    services::licensing,
    state::AppState,
    store::{AuditRecord, NewAgentEventRow, NewApplicationRow, NewVulnerabilityRow, WriteTx, uuid_v7_at},
};

/// The body as first read: each event kept as JSON, so that each is read on its own and a wrong value
/// is named by its place (`events[3].severity`), not only the first one in the body.
#[derive(Debug, Deserialize)]
pub struct RawReport {
    #[serde(default)]
    pub environment: Option<Environment>,
    pub events: Vec<Value>,
}

/// The language of an application an agent reported without saying it.
const UNKNOWN_LANGUAGE: &str = "unknown";

/// A wrong value of `events[i]`, named by its path below `prefix`.
fn field_error(prefix: &str, e: serde_path_to_error::Error<serde_json::Error>) -> FieldError {
    let path = e.path().to_string();
    let message = e.into_inner().to_string();
    let below = match message
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
    {
        Some(missing) if path == "." => Some(missing.to_owned()),
        Some(missing) => Some(format!("{path}.{missing}")),
        None if path == "." => None,
        None => Some(path),
    };
    match below {
        Some(below) => FieldError::new(format!("{prefix}.{below}"), message),
        None => FieldError::new(prefix, message),
    }
}

fn read<T: DeserializeOwned>(prefix: &str, value: &Value) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(value).map_err(|e| field_error(prefix, e))
}

/// What every event has, whatever its type.
#[derive(Deserialize)]
struct Head {
    id: String,
    #[serde(default)]
    occurred_at: Option<Timestamp>,
    #[serde(rename = "type")]
    event_type: AgentEventType,
}

/// Reads `events[i]`: its id, time and type first, then the fields of that type.
fn read_event(prefix: &str, value: &Value) -> Result<AgentEvent, FieldError> {
    let head: Head = read(prefix, value)?;
    let body = match head.event_type {
        AgentEventType::NewVulnerability => EventBody::NewVulnerability(read::<NewVulnerability>(prefix, value)?),
        AgentEventType::ApplicationAttacked => {
            EventBody::ApplicationAttacked(read::<ApplicationAttacked>(prefix, value)?)
        }
        AgentEventType::VulnerableLibrary => EventBody::VulnerableLibrary(read::<VulnerableLibrary>(prefix, value)?),
        AgentEventType::NewAsset => EventBody::NewAsset(read::<NewAsset>(prefix, value)?),
        AgentEventType::NewComment => EventBody::NewComment(read::<NewComment>(prefix, value)?),
    };
    Ok(AgentEvent {
        id: head.id,
        occurred_at: head.occurred_at,
        body,
    })
}

/// The typed, checked batch, or every problem found in it (each event read and checked on its own, so
/// one unreadable event does not hide the problems of the others).
pub fn parse(raw: RawReport) -> AppResult<ReportEvents> {
    check_batch_len(raw.events.len()).map_err(|e| AppError::Validation(vec![e]))?;
    let mut errors = Vec::new();
    let mut events = Vec::with_capacity(raw.events.len());
    for (i, value) in raw.events.iter().enumerate() {
        let prefix = format!("events[{i}]");
        match read_event(&prefix, value) {
            Ok(event) => {
                if let Err(fields) = event.validate() {
                    errors.extend(
                        fields
                            .into_iter()
                            .map(|f| FieldError::new(format!("{prefix}.{}", f.field), f.message)),
                    );
                }
                events.push(event);
            }
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(ReportEvents {
            environment: raw.environment,
            events,
        })
    } else {
        Err(AppError::Validation(errors))
    }
}

/// The environment a batch reports for: a limited key's own (another is refused); otherwise the one
/// asked, or `development` (the default environment of SETTINGS.md section 7).
fn environment_of(agent: &AgentCaller, asked: Option<Environment>) -> AppResult<Environment> {
    match (agent.environment, asked) {
        (Some(limit), Some(asked)) if limit != asked => Err(AppError::Forbidden(format!(
            "this agent key reports for {limit} only, not {asked}"
        ))),
        (Some(limit), _) => Ok(limit),
        (None, Some(asked)) => Ok(asked),
        (None, None) => Ok(Environment::Development),
    }
}

fn audit(agent: &AgentCaller, now: Timestamp, action: &str, target: AuditTarget, summary: String) -> AuditRecord {
    AuditRecord::new(Some(agent.org_id), now, agent.actor(), action, target, summary).ip(agent.client_ip.to_string())
}

/// One line for the audit log: what the event says, never more than its fields.
fn describe(event: &AgentEvent, application: &str) -> String {
    let what = match &event.body {
        EventBody::NewVulnerability(v) => format!("{:?} ({}, {}) in {application}", v.title, v.severity, v.rule),
        EventBody::ApplicationAttacked(a) => {
            format!(
                "{} from {}, {}, on {application}",
                a.rule,
                a.source_ip,
                a.outcome.as_str()
            )
        }
        EventBody::VulnerableLibrary(l) => {
            format!("{} {} ({}) in {application}", l.library, l.version, l.cves.join(", "))
        }
        EventBody::NewAsset(a) => match &a.name {
            Some(name) => format!("{} {name} of {application}", a.asset.as_str()),
            None => format!("application {application}"),
        },
        EventBody::NewComment(c) => format!(
            "by {} on the vulnerability of event {} in {application}",
            c.author, c.vulnerability
        ),
    };
    format!("{} {}: {what}", event.event_type(), event.id)
}

/// The inbox entry of a stored event: one line for lists, the details as the audit log words them.
fn inbox_entry(
    event: &AgentEvent,
    application_id: Uuid,
    application: &str,
    vulnerability_id: Option<Uuid>,
    now: Timestamp,
) -> InboxEntry {
    let title = match &event.body {
        EventBody::NewVulnerability(v) => {
            let severity = v.severity.as_str();
            let mut chars = severity.chars();
            let severity: String = chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default();
            format!("{severity} vulnerability in {application}: {}", v.title.trim())
        }
        EventBody::ApplicationAttacked(a) => {
            format!(
                "{application} attacked: {} from {} ({})",
                a.rule,
                a.source_ip,
                a.outcome.as_str()
            )
        }
        EventBody::VulnerableLibrary(l) => format!("Vulnerable library in {application}: {} {}", l.library, l.version),
        EventBody::NewAsset(a) => match &a.name {
            Some(name) => format!("New {} in {application}: {name}", a.asset.as_str()),
            None => format!("New application: {application}"),
        },
        EventBody::NewComment(c) => format!("New comment by {} in {application}", c.author),
    };
    InboxEntry {
        id: uuid_v7_at(now),
        event_type: event.event_type().into(),
        title,
        message: describe(event, application),
        severity: event.body.severity(),
        application: Some(Subject {
            id: application_id,
            name: application.to_owned(),
        }),
        server: None,
        integration: None,
        vulnerability_id,
        created_at: now,
        read_at: None,
    }
}

/// The id of the application `event` is about, made (and audited) when the organization has none of
/// that name; it gets an `assess` license when the organization licenses new applications automatically
/// and one is free.
async fn application_for(
    tx: &mut dyn WriteTx,
    agent: &AgentCaller,
    event: &AgentEvent,
    environment: Environment,
    now: Timestamp,
) -> AppResult<Uuid> {
    let org_id = agent.org_id;
    let name = event.body.application().trim();
    if let Some(id) = tx.application_id(org_id, name).await? {
        return Ok(id);
    }
    let general = tx.general_settings(org_id).await?.value;
    let licensed = general.auto_license_new_applications && {
        let facts = tx.license_facts(org_id).await?;
        let today = now.to_zoned_datetime(jiff::tz::TimeZone::UTC).date();
        licensing::summarize(&facts, today).assess.available > 0
    };
    let id = Uuid::now_v7();
    tx.insert_reported_application(&NewApplicationRow {
        id,
        org_id,
        name: name.to_owned(),
        language: event.body.language().map_or(UNKNOWN_LANGUAGE, str::trim).to_owned(),
        environment,
        licensed,
        at: now,
    })
    .await?;
    let license = if licensed {
        "with an assess license"
    } else {
        "unlicensed"
    };
    tx.append_audit(&audit(
        agent,
        now,
        "application.create",
        AuditTarget::new("application", id.to_string()),
        format!(
            "Application {name} ({environment}) first reported by event {}; {license}",
            event.id
        ),
    ))
    .await?;
    Ok(id)
}

/// `POST agent/events`.
pub async fn report(state: &AppState, agent: &AgentCaller, raw: RawReport) -> AppResult<EventsReceived> {
    let environment = environment_of(agent, raw.environment)?;
    let report = parse(raw)?;
    let org_id = agent.org_id;
    let reported_by = agent.reported_by();
    // Whole milliseconds, as stored: a retry is answered the very time the first report was.
    let now =
        Timestamp::from_millisecond(state.clock.now().as_millisecond()).map_err(|e| AppError::Internal(e.into()))?;
    // Who and what the events reach, read before the transaction (the fan-out is written inside it).
    let fanout = crate::services::fanout::Fanout::read(state, org_id).await?;
    let mut queued = crate::services::fanout::Queued::default();
    let mut tx = state.store.begin().await?;
    let mut results = Vec::with_capacity(report.events.len());
    let mut conflicts = Vec::new();
    let mut refused = Vec::new();
    for (i, event) in report.events.into_iter().enumerate() {
        if let Some(stored) = tx.agent_event(org_id, &event.id).await? {
            if stored.event == event {
                results.push(EventReceipt {
                    id: event.id,
                    outcome: EventOutcome::AlreadyStored,
                    stored,
                });
            } else {
                conflicts.push(format!("events[{i}] ({:?})", event.id));
            }
            continue;
        }
        let (application_id, application) = match &event.body {
            // A comment belongs to a vulnerability already reported, and to its application.
            EventBody::NewComment(c) => match tx.vulnerability_of_event(org_id, &c.vulnerability).await? {
                Some(v) if v.application == c.application.trim() => (v.application_id, v.application),
                Some(v) => {
                    refused.push(FieldError::new(
                        format!("events[{i}].application"),
                        format!(
                            "the vulnerability of event {} is in application {}",
                            c.vulnerability, v.application
                        ),
                    ));
                    continue;
                }
                None => {
                    refused.push(FieldError::new(
                        format!("events[{i}].vulnerability"),
                        format!("no vulnerability was reported by an event with id {}", c.vulnerability),
                    ));
                    continue;
                }
            },
            _ => (
                application_for(tx.as_mut(), agent, &event, environment, now).await?,
                event.body.application().trim().to_owned(),
            ),
        };
        tx.insert_agent_event(&NewAgentEventRow {
            org_id,
            event: event.clone(),
            application_id,
            severity: event.body.severity(),
            environment,
            key_id: agent.key_id,
            reported_by: reported_by.clone(),
            received_at: now,
        })
        .await?;
        let vulnerability_id = match &event.body {
            EventBody::NewVulnerability(v) => {
                let id = uuid_v7_at(now);
                tx.insert_vulnerability(&NewVulnerabilityRow {
                    org_id,
                    vulnerability: Vulnerability {
                        id,
                        application_id,
                        title: v.title.trim().to_owned(),
                        severity: v.severity,
                        rule: v.rule.trim().to_owned(),
                        route: v.route.as_deref().map(|r| r.trim().to_owned()),
                        description: v.description.clone(),
                        status: VulnerabilityStatus::Reported,
                        event_id: event.id.clone(),
                        found_at: event.occurred_at.unwrap_or(now),
                        issues: Vec::new(),
                    },
                    created_at: now,
                })
                .await?;
                Some(id)
            }
            EventBody::VulnerableLibrary(l) => {
                // What the application's library score is made of: the latest report of each library.
                let library = orgdeck_shared::inventory::Library {
                    name: l.library.trim().to_owned(),
                    version: l.version.trim().to_owned(),
                    latest_version: l.latest_version.as_deref().map(|v| v.trim().to_owned()),
                    released_on: l.released_on,
                    latest_released_on: l.latest_released_on,
                    versions_behind: l.versions_behind.unwrap_or(0),
                    cves: l.cves.clone(),
                    highest_cvss: l.cvss,
                };
                tx.upsert_library(org_id, application_id, &library, now).await?;
                None
            }
            _ => None,
        };
        let entry = inbox_entry(&event, application_id, &application, vulnerability_id, now);
        queued += fanout.write(tx.as_mut(), &state.secret_box, &entry, now, None).await?;
        tx.append_audit(&audit(
            agent,
            now,
            &format!("agent_event.{}", event.event_type()),
            AuditTarget::new("application", application_id.to_string()),
            format!("{} [{environment}]", describe(&event, &application)),
        ))
        .await?;
        results.push(EventReceipt {
            id: event.id.clone(),
            outcome: EventOutcome::Stored,
            stored: StoredEvent {
                event,
                environment,
                application_id,
                vulnerability_id,
                reported_by: reported_by.clone(),
                received_at: now,
            },
        });
    }
    if !conflicts.is_empty() {
        return Err(AppError::Conflict(format!(
            "event ids already used for other events: {}; a retry sends the same event, a new event needs a new id",
            conflicts.join(", ")
        )));
    }
    if !refused.is_empty() {
        return Err(AppError::Validation(refused));
    }
    tx.commit().await?;
    queued.wake(state);
    let stored = results.iter().filter(|r| r.outcome == EventOutcome::Stored).count();
    tracing::info!(org = %org_id, key = %agent.prefix, stored, received = results.len(), "agent events");
    Ok(EventsReceived { results })
}
