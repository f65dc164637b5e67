//! Integrations (SETTINGS.md section 6): an organization's bug trackers and channels. Admins of the
//! organization only; another organization's id is not found. Secrets are write-only: sealed at rest,
//! answered only as set or not, recorded in the audit log only as `***`. Every change is audited under
//! the target kind `integration`, which is also how the live-update stream announces it.

pub mod deliveries;
pub mod issues;
pub mod messages;
pub mod probe;
pub mod secrets;

use std::collections::HashSet;

use jiff::Timestamp;
use orgdeck_shared::{
    FieldError,
    audit::{AuditTarget, FieldChange, REDACTED, diff_fields},
    integrations::{
        Applications, Integration, IntegrationCreated, IntegrationKind, IntegrationPatch, IntegrationSettings,
        IntegrationStatus, NewIntegration, NewSigningSecret, host_of,
    },
};
use serde_json::Value;
use uuid::Uuid;

pub use secrets::Secrets;

use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    state::AppState,
    store::{IntegrationRow, WriteTx, integration_name_key, uuid_v7_at},
};

/// The audit log's target kind (and the live-update stream's area) of integrations.
pub const AREA: &str = "integration";

pub(crate) fn audit(
    admin: &OrgAdmin,
    now: Timestamp,
    action: &str,
    id: Uuid,
    summary: impl Into<String>,
) -> crate::store::AuditRecord {
    crate::store::AuditRecord::new(
        Some(admin.org_id()),
        now,
        admin.user().actor(),
        action,
        AuditTarget::new(AREA, id.to_string()),
        summary,
    )
    .ip(admin.user().client_ip.to_string())
}

pub(crate) fn no_integration() -> AppError {
    AppError::NotFound("integration not found".into())
}

/// Where requests go: the host of the settings' URL, or of the secret URL for the channels whose URL is
/// the secret (the host alone is not).
fn target(settings: &IntegrationSettings, secrets: &Secrets) -> String {
    settings
        .url()
        .or_else(|| secrets.get("url"))
        .and_then(host_of)
        .unwrap_or_default()
}

/// An admin's switch and the server's: an integration the server disabled stays disabled, whatever the
/// switch says, until a Test succeeds (SETTINGS.md section 6).
fn status_for(enabled: bool, current: &IntegrationStatus) -> IntegrationStatus {
    match current {
        IntegrationStatus::Disabled { .. } => current.clone(),
        _ if enabled => IntegrationStatus::Active,
        _ => IntegrationStatus::Off,
    }
}

/// The audit entry's field changes between two views: every field but the bookkeeping ones (the secrets'
/// set-or-not map is replaced by one redacted change per secret written).
fn changes(before: &Integration, after: &Integration, written: &[&str]) -> Vec<FieldChange> {
    let mut out: Vec<FieldChange> = diff_fields(before, after, &[])
        .into_iter()
        .filter(|c| {
            !matches!(
                c.field.as_str(),
                "version" | "updated_at" | "created_at" | "secrets" | "id"
            )
        })
        .collect();
    for name in written {
        out.push(FieldChange {
            field: format!("secrets.{name}"),
            old: if before.secrets.get(*name).copied().unwrap_or(false) {
                Value::String(REDACTED.into())
            } else {
                Value::Null
            },
            new: Value::String(REDACTED.into()),
        });
    }
    out
}

/// Nothing yet: what a creation is compared with in its audit entry.
fn blank(of: &Integration) -> Integration {
    Integration {
        name: String::new(),
        enabled: false,
        applications: Applications::All,
        settings: of.kind.blank(),
        secrets: of.secrets.keys().map(|k| (k.clone(), false)).collect(),
        target: String::new(),
        status: IntegrationStatus::Active,
        failures: 0,
        ..of.clone()
    }
}

/// The rules that need the organization's data: a name no other integration has (case-insensitively),
/// and applications that exist.
async fn check_state(
    tx: &mut dyn WriteTx,
    org_id: Uuid,
    name: &str,
    applications: &Applications,
    this: Option<Uuid>,
) -> AppResult<Vec<FieldError>> {
    let mut errors = Vec::new();
    let key = integration_name_key(name);
    if tx
        .integrations_tx(org_id)
        .await?
        .iter()
        .any(|i| Some(i.id) != this && integration_name_key(&i.name) == key)
    {
        errors.push(FieldError::new("name", "another integration already has this name"));
    }
    if let Applications::Only(ids) = applications {
        let known: HashSet<Uuid> = tx.application_ids(org_id).await?.into_iter().collect();
        if let Some(bad) = ids.iter().find(|id| !known.contains(id)) {
            errors.push(FieldError::new(
                "applications",
                format!("no application {bad} in this organization"),
            ));
        }
    }
    Ok(errors)
}

fn refuse(errors: Vec<FieldError>) -> AppResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// Where an integration will send, checked when it is saved: each URL's form and, when its host is an IP
/// literal in any spelling, that address (loopback, private, link-local, metadata... unless the server's
/// configuration allows them); a webhook's payload template. Host names are not resolved here: an answer
/// could change before the first send, so the outbound client checks every resolved address at each
/// connection instead, and a save does not wait on DNS. A secret URL (Slack's) is named by its field and
/// never quoted; the policy's reasons name only the host or address.
fn check_outbound(
    policy: &crate::outbound::OutboundPolicy,
    settings: &IntegrationSettings,
    secret_url: Option<&str>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(url) = settings.url() {
        let field = match settings {
            IntegrationSettings::Hipchat(_) => "settings.server_url",
            _ => "settings.url",
        };
        if let Err(why) = policy.parse_url(url) {
            errors.push(FieldError::new(field, why.to_string()));
        }
    }
    if let Some(url) = secret_url.filter(|u| !u.trim().is_empty())
        && let Err(why) = policy.parse_url(url)
    {
        let why = match why {
            // The parser's message may quote the URL.
            crate::outbound::Refused::InvalidUrl(_) | crate::outbound::Refused::ControlCharacters => {
                "is not a valid URL".to_owned()
            }
            other => other.to_string(),
        };
        errors.push(FieldError::new("secrets.url", why));
    }
    if let IntegrationSettings::Webhook(w) = settings
        && let Some(template) = &w.payload_template
        && let Err(why) = crate::outbound::template::validate(template)
    {
        errors.push(FieldError::new("settings.payload_template", why.to_string()));
    }
    errors
}

pub async fn list(state: &AppState, admin: &OrgAdmin) -> AppResult<Vec<Integration>> {
    Ok(state.store.integrations(admin.org_id()).await?)
}

pub async fn get(state: &AppState, admin: &OrgAdmin, id: Uuid) -> AppResult<Integration> {
    Ok(state
        .store
        .integration(admin.org_id(), id)
        .await?
        .ok_or_else(no_integration)?
        .view)
}

pub async fn create(state: &AppState, admin: &OrgAdmin, new: NewIntegration) -> AppResult<IntegrationCreated> {
    let new = NewIntegration {
        name: new.name.trim().to_owned(),
        ..new
    };
    new.validate().map_err(AppError::Validation)?;
    refuse(check_outbound(
        state.outbound.policy(),
        &new.settings,
        new.secrets.get("url").map(|u| u.expose()),
    ))?;
    let kind = new.settings.kind();
    let mut secrets = Secrets::default();
    for (name, value) in &new.secrets {
        secrets.set(name, value.clone());
    }
    let mut written: Vec<&str> = new.secrets.keys().map(String::as_str).collect();
    let signing_secret = new.sign.then(secrets::new_signing_secret);
    if let Some(s) = &signing_secret {
        secrets.set(secrets::SIGNING_SECRET, s.clone());
        written.push(secrets::SIGNING_SECRET);
    }

    let now = state.clock.now();
    let org_id = admin.org_id();
    let mut tx = state.store.begin().await?;
    refuse(check_state(tx.as_mut(), org_id, &new.name, &new.applications, None).await?)?;
    let id = uuid_v7_at(now);
    let view = Integration {
        id,
        name: new.name,
        kind,
        enabled: new.enabled,
        applications: new.applications,
        target: target(&new.settings, &secrets),
        settings: new.settings,
        secrets: secrets.which_set(kind),
        status: status_for(new.enabled, &IntegrationStatus::Active),
        failures: 0,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let row = IntegrationRow {
        sealed_secrets: secrets.seal(&state.secret_box, id)?,
        view,
    };
    tx.insert_integration(org_id, &row).await?;
    let view = row.view;
    let summary = format!("{} integration {} created", kind.label(), view.name);
    tx.append_audit(&audit(admin, now, "integration.create", id, summary).changes(changes(
        &blank(&view),
        &view,
        &written,
    )))
    .await?;
    tx.commit().await?;
    Ok(IntegrationCreated {
        integration: view,
        signing_secret,
    })
}

/// Settings written over stored ones keep what Test detected (JIRA's deployment, Bugzilla's way of
/// sending the key) when the patch leaves it out and the URL stays: it belongs to that server.
fn keep_detected(before: &IntegrationSettings, mut after: IntegrationSettings) -> IntegrationSettings {
    match (before, &mut after) {
        (IntegrationSettings::Jira(b), IntegrationSettings::Jira(a)) if a.url == b.url && a.deployment.is_none() => {
            a.deployment = b.deployment;
        }
        (IntegrationSettings::Bugzilla(b), IntegrationSettings::Bugzilla(a))
            if a.url == b.url && a.auth_style.is_none() =>
        {
            a.auth_style = b.auth_style;
        }
        _ => {}
    }
    after
}

pub async fn update(
    state: &AppState,
    admin: &OrgAdmin,
    id: Uuid,
    expected: i64,
    patch: IntegrationPatch,
) -> AppResult<Integration> {
    let org_id = admin.org_id();
    let current = state.store.integration(org_id, id).await?.ok_or_else(no_integration)?;
    let kind = current.view.kind;
    let patch = IntegrationPatch {
        name: patch.name.map(|n| n.trim().to_owned()),
        ..patch
    };
    patch.validate(kind).map_err(AppError::Validation)?;
    let settings = match patch.settings.clone() {
        Some(s) => keep_detected(&current.view.settings, s),
        None => current.view.settings.clone(),
    };
    let mut secrets = Secrets::open(&state.secret_box, id, current.sealed_secrets.as_deref())?;
    for (name, value) in &patch.secrets {
        secrets.set(name, value.clone());
    }
    let written: Vec<&str> = patch.secrets.keys().map(String::as_str).collect();
    refuse(check_outbound(
        state.outbound.policy(),
        &settings,
        patch.secrets.get("url").map(|u| u.expose()),
    ))?;

    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let before = tx.integration_tx(org_id, id).await?.ok_or_else(no_integration)?;
    if before.view.version != expected {
        return Err(AppError::VersionMismatch {
            current: before.view.version,
        });
    }
    // Read again under the writer: what the checks above saw is what is written over.
    if before.view.version != current.view.version {
        return Err(AppError::VersionMismatch {
            current: before.view.version,
        });
    }
    let name = patch.name.clone().unwrap_or_else(|| before.view.name.clone());
    let applications = patch
        .applications
        .clone()
        .unwrap_or_else(|| before.view.applications.clone());
    if patch.name.is_some() || patch.applications.is_some() {
        refuse(check_state(tx.as_mut(), org_id, &name, &applications, Some(id)).await?)?;
    }
    let enabled = patch.enabled.unwrap_or(before.view.enabled);
    let mut after = Integration {
        name,
        enabled,
        applications,
        target: target(&settings, &secrets),
        settings,
        secrets: secrets.which_set(kind),
        status: status_for(enabled, &before.view.status),
        updated_at: now,
        ..before.view.clone()
    };
    let changed = changes(&before.view, &after, &written);
    if changed.is_empty() {
        return Ok(before.view);
    }
    let row = IntegrationRow {
        sealed_secrets: secrets.seal(&state.secret_box, id)?,
        view: after.clone(),
    };
    after.version = tx.save_integration(org_id, &row, expected).await?;
    let names: Vec<&str> = changed.iter().map(|c| c.field.as_str()).collect();
    let summary = format!("Integration {} changed: {}", after.name, names.join(", "));
    tx.append_audit(&audit(admin, now, "integration.update", id, summary).changes(changed))
        .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn delete(state: &AppState, admin: &OrgAdmin, id: Uuid, expected: Option<i64>) -> AppResult<()> {
    let org_id = admin.org_id();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let before = tx.integration_tx(org_id, id).await?.ok_or_else(no_integration)?;
    if let Some(expected) = expected
        && before.view.version != expected
    {
        return Err(AppError::VersionMismatch {
            current: before.view.version,
        });
    }
    if !tx.delete_integration(org_id, id).await? {
        return Err(no_integration());
    }
    let view = before.view;
    let named = crate::services::settings::forget_channel(tx.as_mut(), org_id, id, now).await?;
    let mut summary = format!("{} integration {} deleted", view.kind.label(), view.name);
    if !named.is_empty() {
        let names: Vec<&str> = named.iter().map(|e| e.as_str()).collect();
        summary.push_str(&format!("; no longer a channel of {}", names.join(", ")));
    }
    let changes = changes(&view, &blank(&view), &[]);
    tx.append_audit(&audit(admin, now, "integration.delete", id, summary).changes(changes))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// `POST integrations/{id}/signing_secret`: a webhook's new signing secret, answered this once; the old
/// one stops signing at once.
pub async fn rotate_signing_secret(state: &AppState, admin: &OrgAdmin, id: Uuid) -> AppResult<NewSigningSecret> {
    let org_id = admin.org_id();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let before = tx.integration_tx(org_id, id).await?.ok_or_else(no_integration)?;
    if before.view.kind != IntegrationKind::Webhook {
        return Err(AppError::Conflict(format!(
            "{} integrations are not signed: only webhooks have a signing secret",
            before.view.kind.label()
        )));
    }
    let mut secrets = Secrets::open(&state.secret_box, id, before.sealed_secrets.as_deref())?;
    let signing_secret = secrets::new_signing_secret();
    secrets.set(secrets::SIGNING_SECRET, signing_secret.clone());
    let after = Integration {
        secrets: secrets.which_set(before.view.kind),
        updated_at: now,
        ..before.view.clone()
    };
    let row = IntegrationRow {
        sealed_secrets: secrets.seal(&state.secret_box, id)?,
        view: after,
    };
    tx.save_integration(org_id, &row, before.view.version).await?;
    let changes = changes(&before.view, &row.view, &[secrets::SIGNING_SECRET]);
    let summary = format!("Webhook {}: new signing secret", before.view.name);
    tx.append_audit(&audit(admin, now, "integration.rotate_secret", id, summary).changes(changes))
        .await?;
    tx.commit().await?;
    Ok(NewSigningSecret { signing_secret })
}

/// `POST integrations/{id}/test`: the real call through `transport`, then, in one transaction, what it
/// learnt (JIRA's deployment, Bugzilla's way of sending the key) stored in the settings and a server-disabled
/// integration enabled again after a success; both only when nobody saved the integration meanwhile (the
/// test proved nothing about a newer version). Always audited, with the outcome and without secrets.
pub async fn test_with(
    state: &AppState,
    admin: &OrgAdmin,
    id: Uuid,
    transport: &dyn probe::Transport,
) -> AppResult<orgdeck_shared::integrations::TestOutcome> {
    let org_id = admin.org_id();
    let tested = state.store.integration(org_id, id).await?.ok_or_else(no_integration)?;
    let secrets = Secrets::open(&state.secret_box, id, tested.sealed_secrets.as_deref())?;
    // The call happens outside any transaction: a slow service must not hold the writer.
    let probe = probe::run(transport, &tested.view, &secrets, state.clock.now()).await;
    let outcome = probe.outcome;

    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let before = tx.integration_tx(org_id, id).await?.ok_or_else(no_integration)?;
    let mut after = before.view.clone();
    let unchanged = before.view.version == tested.view.version;
    let mut reenabled = false;
    if unchanged {
        if let Some(settings) = probe.settings {
            after.settings = settings;
        }
        if outcome.ok && matches!(after.status, IntegrationStatus::Disabled { .. }) {
            after.status = status_for(after.enabled, &IntegrationStatus::Active);
            after.failures = 0;
            reenabled = true;
        }
    }
    let changed = changes(&before.view, &after, &[]);
    if !changed.is_empty() {
        after.updated_at = now;
        let row = IntegrationRow {
            view: after.clone(),
            sealed_secrets: before.sealed_secrets.clone(),
        };
        tx.save_integration(org_id, &row, before.view.version).await?;
    }
    let status = outcome.status.map(|s| format!(" (HTTP {s})")).unwrap_or_default();
    let mut summary = if outcome.ok {
        format!("Integration {} tested: success{status}", after.name)
    } else {
        format!("Integration {} tested: failed{status}: {}", after.name, outcome.message)
    };
    if reenabled {
        summary.push_str("; enabled again after being disabled by the server");
    }
    tx.append_audit(&audit(admin, now, "integration.test", id, summary).changes(changed))
        .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// The outbound client's request for `request`; `Err` names what is wrong with it (a header value is
/// never quoted: it may be a secret).
pub fn to_request(request: probe::Outgoing) -> Result<crate::outbound::OutboundRequest, String> {
    use reqwest::header::{HeaderName, HeaderValue};
    let url = url::Url::parse(&request.url).map_err(|e| format!("the URL is not valid: {e}"))?;
    let method = reqwest::Method::from_bytes(request.method.as_bytes())
        .map_err(|_| format!("{} is not an HTTP method", request.method))?;
    let mut out = crate::outbound::OutboundRequest::new(method, url);
    for (name, value) in request.headers {
        let value = HeaderValue::from_str(&value).map_err(|_| format!("the {name} header is not valid"))?;
        out.headers.append(HeaderName::from_static(name), value);
    }
    out.body = request.body;
    Ok(out)
}

/// Test's calls go through the server's one outbound client: the policy checks the URL and every address
/// it resolves to, the socket connects only to checked addresses, no proxy, no redirect.
#[async_trait::async_trait]
impl probe::Transport for crate::outbound::Outbound {
    async fn send(&self, request: probe::Outgoing) -> Result<probe::Answer, String> {
        let answer = match crate::outbound::Outbound::send(self, to_request(request)?).await {
            Ok(answer) => answer,
            // Not followed; the probe reports the redirect with its status.
            Err(crate::outbound::OutboundError::Redirect { response, .. }) => *response,
            Err(e) => return Err(e.to_string()),
        };
        Ok(probe::Answer {
            status: answer.status.as_u16(),
            body: String::from_utf8_lossy(&answer.body).into_owned(),
        })
    }

    fn sign(&self, secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, String> {
        use crate::outbound::signing::{MessageId, WebhookSecret};
        let secret = WebhookSecret::parse(secret).map_err(|_| "the stored signing secret is not valid".to_owned())?;
        let id = MessageId::parse(id).map_err(|e| e.to_string())?;
        Ok(secret.sign(&id, timestamp, body))
    }
}

/// `POST integrations/{id}/test` through the server's outbound client.
pub async fn test(
    state: &AppState,
    admin: &OrgAdmin,
    id: Uuid,
) -> AppResult<orgdeck_shared::integrations::TestOutcome> {
    test_with(state, admin, id, &state.outbound).await
}

#[cfg(test)]
mod tests {
    use orgdeck_shared::integrations::{BugzillaAuthStyle, BugzillaSettings, JiraDeployment, JiraSettings};

    use super::*;

    #[test]
    fn only_a_test_lifts_the_servers_disabling() {
        let disabled = IntegrationStatus::Disabled {
            reason: "5 failures".into(),
            at: Timestamp::UNIX_EPOCH,
        };
        assert_eq!(status_for(true, &disabled), disabled);
        assert_eq!(status_for(false, &disabled), disabled);
        assert_eq!(status_for(false, &IntegrationStatus::Active), IntegrationStatus::Off);
        assert_eq!(status_for(true, &IntegrationStatus::Off), IntegrationStatus::Active);
    }

    #[test]
    fn what_test_detected_stays_while_the_url_does() {
        let jira = |url: &str, deployment| {
            IntegrationSettings::Jira(JiraSettings {
                url: url.into(),
                deployment,
                ..Default::default()
            })
        };
        let before = jira("https://jira.acme.test", Some(JiraDeployment::DataCenter));
        assert_eq!(keep_detected(&before, jira("https://jira.acme.test", None)), before);
        let moved = jira("https://jira2.acme.test", None);
        assert_eq!(keep_detected(&before, moved.clone()), moved);
        let bz = |url: &str, style| {
            IntegrationSettings::Bugzilla(BugzillaSettings {
                url: url.into(),
                auth_style: style,
                ..Default::default()
            })
        };
        let header = bz("https://bz.test", Some(BugzillaAuthStyle::Header));
        assert_eq!(keep_detected(&header, bz("https://bz.test", None)), header);
    }
}
