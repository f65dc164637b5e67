//! `POST integrations/{id}/issues`: a vulnerability sent to a bug tracker as an issue (JIRA REST v2, which
//! Cloud and Data Center both take with a plain-text description; a Bugzilla bug), the remote key kept
//! with the vulnerability. One issue per vulnerability and tracker: a claim row is written before the
//! call (two admins sending it at once make one issue; a claim a crash left behind expires), and becomes
//! the issue, or is dropped when the tracker refuses. Audited.

use jiff::SignedDuration;
use orgdeck_shared::{
    integrations::{
        BugzillaAuthStyle, BugzillaSettings, Integration, IntegrationSettings, IntegrationStatus, JiraSettings,
        NewTrackerIssue, TrackerIssue,
    },
    vulnerabilities::Vulnerability,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    Secrets, audit,
    messages::base,
    no_integration,
    probe::{Answer, Outgoing, Transport, clip, jira_auth, remote_error},
};
use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    state::AppState,
};

/// JIRA refuses a summary of 255 characters or more.
const SUMMARY_MAX: usize = 254;
/// A claim older than this was left by a crash: another request may take it over.
const CLAIM_EXPIRES: SignedDuration = SignedDuration::from_mins(2);

fn summary(v: &Vulnerability, application: &str) -> String {
    let text = format!("[{}] {} in {application}", v.severity.as_str(), v.title.trim());
    if text.chars().count() <= SUMMARY_MAX {
        return text;
    }
    let mut cut: String = text.chars().take(SUMMARY_MAX - 1).collect();
    cut.push('…');
    cut
}

/// The issue's plain-text description: what was found, where, and how to find it again in orgdeck.
fn description(v: &Vulnerability, application: &str) -> String {
    let mut text = format!(
        "{}\n\nSeverity: {}\nApplication: {application}\nRule: {}\n",
        v.title.trim(),
        v.severity.as_str(),
        v.rule
    );
    if let Some(route) = &v.route {
        text.push_str(&format!("Route: {route}\n"));
    }
    text.push_str(&format!("Found: {}\n", v.found_at.strftime("%Y-%m-%d %H:%M UTC")));
    if let Some(d) = v.description.as_deref().filter(|d| !d.trim().is_empty()) {
        text.push_str(&format!("\n{}\n", d.trim()));
    }
    text.push_str(&format!(
        "\nReported by orgdeck: vulnerability {}, agent event {}.\n",
        v.id, v.event_id
    ));
    text
}

/// A label JIRA takes (no spaces): the rule's letters, digits, `-` and `_`.
fn label(rule: &str) -> Option<String> {
    let l: String = rule
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let l = l.trim_matches('-').to_owned();
    (!l.is_empty()).then_some(l)
}

/// The request that makes the issue, and the secret forms a message must not show.
pub fn request(
    settings: &IntegrationSettings,
    secrets: &Secrets,
    v: &Vulnerability,
    application: &str,
) -> Result<(Outgoing, Vec<String>), String> {
    let missing = |name: &str| format!("no {name} is set: save one first");
    match settings {
        IntegrationSettings::Jira(s) => {
            let token = secrets.get("token").ok_or_else(|| missing("token"))?;
            let (auth, pair) = jira_auth(s, token);
            Ok((jira_request(s, &auth, v, application), pair.into_iter().collect()))
        }
        IntegrationSettings::Bugzilla(s) => {
            let key = secrets.get("api_key").ok_or_else(|| missing("api_key"))?;
            Ok((bugzilla_request(s, key, v, application), Vec::new()))
        }
        other => Err(format!(
            "{} cannot take issues from orgdeck: send them to JIRA or Bugzilla",
            other.kind().label()
        )),
    }
}

fn jira_request(s: &JiraSettings, auth: &str, v: &Vulnerability, application: &str) -> Outgoing {
    let mut labels = vec!["orgdeck".to_owned()];
    labels.extend(label(&v.rule));
    let body = json!({
        "fields": {
            "project": { "key": s.project_key },
            "issuetype": { "name": s.issue_type },
            "summary": summary(v, application),
            "description": description(v, application),
            "labels": labels,
        }
    });
    Outgoing::post_json(format!("{}/rest/api/2/issue", base(&s.url)), &body)
        .header("authorization", auth.to_owned())
        .header("accept", "application/json")
}

/// A bug with the product, component and version of the settings and the optional fields set there; the
/// key as the server takes it (Test found out): in the header for 6.x and bugzilla.mozilla.org, in the
/// body for 5.0 and 5.2 (never in the URL, which logs keep).
fn bugzilla_request(s: &BugzillaSettings, key: &str, v: &Vulnerability, application: &str) -> Outgoing {
    let mut body = json!({
        "product": s.product,
        "component": s.component,
        "version": s.version,
        "summary": summary(v, application),
        "description": description(v, application),
    });
    for (name, value) in [
        ("op_sys", &s.op_sys),
        ("platform", &s.platform),
        ("priority", &s.priority),
        ("severity", &s.severity),
    ] {
        if !value.trim().is_empty() {
            body[name] = Value::String(value.clone());
        }
    }
    let header = s.auth_style == Some(BugzillaAuthStyle::Header);
    if !header {
        body["api_key"] = Value::String(key.to_owned());
    }
    let out = Outgoing::post_json(format!("{}/rest/bug", base(&s.url)), &body).header("accept", "application/json");
    if header {
        out.header("x-bugzilla-api-key", key.to_owned())
    } else {
        out
    }
}

/// The remote key and where to open it, from the tracker's answer.
pub fn created(settings: &IntegrationSettings, answer: &Answer) -> Result<(String, String), String> {
    match settings {
        IntegrationSettings::Jira(s) if answer.status == 201 => {
            let key = answer
                .json()
                .and_then(|v| v["key"].as_str().map(str::to_owned))
                .ok_or("JIRA answered 201 without an issue key")?;
            Ok((key.clone(), format!("{}/browse/{key}", base(&s.url))))
        }
        IntegrationSettings::Jira(_) => {
            let said = remote_error(answer);
            // A missing Create issues permission (or a mangled credential) reads as fields that "cannot
            // be set" (JRASERVER-44003): say what to check first.
            if answer.status == 400 && said.contains("cannot be set") {
                Err(format!(
                    "JIRA: {said}. Check the credentials and the Create issues permission in the project first"
                ))
            } else {
                Err(format!("JIRA: {said}"))
            }
        }
        IntegrationSettings::Bugzilla(s) if answer.success() => {
            let json = answer.json().unwrap_or(Value::Null);
            if json["error"].as_bool() == Some(true) {
                return Err(format!("Bugzilla: {}", remote_error(answer)));
            }
            let id = json["id"]
                .as_u64()
                .ok_or("Bugzilla answered without a bug id")?
                .to_string();
            Ok((id.clone(), format!("{}/show_bug.cgi?id={id}", base(&s.url))))
        }
        IntegrationSettings::Bugzilla(_) => Err(format!("Bugzilla: {}", remote_error(answer))),
        other => Err(format!("{} takes no issues", other.kind().label())),
    }
}

/// Whether `integration` may take an issue now.
fn check_usable(integration: &Integration) -> AppResult<()> {
    if !integration.kind.tracker() {
        return Err(AppError::Conflict(format!(
            "{} is a channel, not a bug tracker",
            integration.name
        )));
    }
    match &integration.status {
        IntegrationStatus::Disabled { .. } => Err(AppError::Conflict(format!(
            "{} was disabled after failures: run its Test first",
            integration.name
        ))),
        IntegrationStatus::Off => Err(AppError::Conflict(format!(
            "{} is switched off: switch it on first",
            integration.name
        ))),
        IntegrationStatus::Active => Ok(()),
    }
}

/// `POST integrations/{id}/issues` through `transport`.
pub async fn create_with(
    state: &AppState,
    admin: &OrgAdmin,
    id: Uuid,
    new: NewTrackerIssue,
    transport: &dyn Transport,
) -> AppResult<TrackerIssue> {
    let org_id = admin.org_id();
    let row = state.store.integration(org_id, id).await?.ok_or_else(no_integration)?;
    let integration = row.view;
    check_usable(&integration)?;
    let (vulnerability, application) = state
        .store
        .vulnerability(org_id, new.vulnerability_id)
        .await?
        .ok_or_else(|| AppError::NotFound("vulnerability not found".into()))?;
    let secrets = Secrets::open(&state.secret_box, id, row.sealed_secrets.as_deref())?;
    let (request, extra) =
        request(&integration.settings, &secrets, &vulnerability, &application).map_err(AppError::Conflict)?;

    // The claim: one issue per vulnerability and tracker, even when two admins send it at once.
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    if let Some((key, url, at)) = tx.tracker_issue_claim(vulnerability.id, id).await? {
        if !key.is_empty() {
            return Err(AppError::Conflict(format!(
                "already sent to {} as {key} ({url})",
                integration.name
            )));
        }
        if at + CLAIM_EXPIRES > now {
            return Err(AppError::Conflict(format!(
                "it is being sent to {} right now",
                integration.name
            )));
        }
    }
    let claim = TrackerIssue {
        integration_id: id,
        kind: integration.kind,
        key: String::new(),
        url: String::new(),
        created_at: now,
    };
    tx.put_tracker_issue(org_id, vulnerability.id, &claim).await?;
    tx.commit().await?;

    // The call, outside any transaction.
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    let outcome = match transport.send(request).await {
        Ok(answer) => created(&integration.settings, &answer),
        Err(why) => Err(why),
    }
    .map_err(|why| clip(&secrets.redact(&why, &extra)));

    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    match outcome {
        Ok((key, url)) => {
            let issue = TrackerIssue {
                key,
                url,
                created_at: now,
                ..claim
            };
            tx.put_tracker_issue(org_id, vulnerability.id, &issue).await?;
            tx.append_audit(&audit(
                admin,
                now,
                "integration.issue",
                id,
                format!(
                    "Vulnerability {:?} of {application} sent to {} as {} ({})",
                    vulnerability.title, integration.name, issue.key, issue.url
                ),
            ))
            .await?;
            tx.commit().await?;
            Ok(issue)
        }
        Err(why) => {
            tx.drop_tracker_claim(vulnerability.id, id).await?;
            tx.append_audit(&audit(
                admin,
                now,
                "integration.issue",
                id,
                format!(
                    "Vulnerability {:?} of {application} not sent to {}: {why}",
                    vulnerability.title, integration.name
                ),
            ))
            .await?;
            tx.commit().await?;
            Err(AppError::Remote(why))
        }
    }
}

/// `POST integrations/{id}/issues` through the server's outbound client.
pub async fn create(state: &AppState, admin: &OrgAdmin, id: Uuid, new: NewTrackerIssue) -> AppResult<TrackerIssue> {
    create_with(state, admin, id, new, &state.outbound).await
}

#[cfg(test)]
mod tests {
    use orgdeck_shared::vulnerabilities::{Severity, VulnerabilityStatus};

    use super::*;

    fn vulnerability(title: &str) -> Vulnerability {
        Vulnerability {
            id: Uuid::from_u128(7),
            application_id: Uuid::from_u128(8),
            title: title.into(),
            severity: Severity::High,
            rule: "sql injection".into(),
            route: Some("POST /login".into()),
            description: Some("The login form concatenates input into SQL.".into()),
            status: VulnerabilityStatus::Reported,
            event_id: "ev-1".into(),
            found_at: "2026-11-28T10:00:00Z".parse().unwrap(),
            issues: Vec::new(),
        }
    }

    #[test]
    fn summaries_fit_jira_and_descriptions_say_everything_known() {
        let v = vulnerability("SQL injection in login");
        assert_eq!(summary(&v, "Shop"), "[high] SQL injection in login in Shop");
        let long = vulnerability(&"x".repeat(400));
        assert_eq!(summary(&long, "Shop").chars().count(), SUMMARY_MAX);
        let d = description(&v, "Shop");
        for part in [
            "Severity: high",
            "Application: Shop",
            "Rule: sql injection",
            "Route: POST /login",
            "Found: 2026-11-28 10:00 UTC",
            "concatenates",
            "agent event ev-1",
        ] {
            assert!(d.contains(part), "{part} in {d}");
        }
        assert_eq!(label("sql injection").as_deref(), Some("sql-injection"));
        assert_eq!(label("  ").as_deref(), None);
    }

    #[test]
    fn answers_give_the_key_and_link_or_the_trackers_own_words() {
        let jira = IntegrationSettings::Jira(JiraSettings {
            url: "https://acme.atlassian.net/".into(),
            deployment: None,
            auth: orgdeck_shared::integrations::JiraAuth::Basic,
            user: "bot@acme.example".into(),
            project_key: "SEC".into(),
            issue_type: "Bug".into(),
        });
        let answer = |status: u16, body: Value| Answer {
            status,
            body: body.to_string(),
        };
        assert_eq!(
            created(
                &jira,
                &answer(201, json!({ "id": "10000", "key": "SEC-24", "self": "x" }))
            ),
            Ok(("SEC-24".into(), "https://acme.atlassian.net/browse/SEC-24".into()))
        );
        let refused = created(
            &jira,
            &answer(400, json!({ "errorMessages": [], "errors": { "summary": "Field 'summary' cannot be set. It is not on the appropriate screen, or unknown." } })),
        )
        .unwrap_err();
        assert!(refused.contains("Create issues permission"), "{refused}");
        let bugzilla = IntegrationSettings::Bugzilla(BugzillaSettings {
            url: "https://bugs.acme.example".into(),
            product: "Shop".into(),
            component: "Security".into(),
            version: "unspecified".into(),
            op_sys: String::new(),
            platform: String::new(),
            priority: String::new(),
            severity: String::new(),
            auth_style: None,
        });
        assert_eq!(
            created(&bugzilla, &answer(200, json!({ "id": 1234 }))),
            Ok(("1234".into(), "https://bugs.acme.example/show_bug.cgi?id=1234".into()))
        );
        let refused = created(
            &bugzilla,
            &answer(
                400,
                json!({ "error": true, "code": 106, "message": "You are not allowed to file bugs in Shop" }),
            ),
        )
        .unwrap_err();
        assert!(refused.contains("not allowed to file bugs"), "{refused}");
    }
}
