//! Channel deliveries (SETTINGS.md section 6): each event's message to each channel its notification
//! settings name, written as an outbox row in the event's transaction ([`crate::services::fanout`]) and
//! sent after the commit by the [`worker`]. This module says what an attempt sends (the channel's own
//! format, or the webhook's payload, signed) and what its answer means; the worker does the rest.
//!
//! - Each attempt is bounded by the outbound client's timeout (10 s) and goes through its checks.
//! - Attempts at 0, 5 s, 5 min, 30 min and 2 h (each wait up to 10 % longer at random, so failed
//!   deliveries do not all come back at once), or later when the answer's `Retry-After` says so.
//! - Success is a 2xx answer (Slack and Mattermost: 200 with the body `ok`); a redirect is a failure
//!   (never followed). A dead destination (410, Slack `no_service`, `channel_is_archived`) fails the
//!   delivery at once.
//! - A failed delivery counts against its integration; 5 in a row disable it (with the reason, audited,
//!   the admins told in-app and by email); it is enabled again only by a successful Test.
//! - Nothing is lost or sent twice across a restart: a delivery is an outbox row until its attempt is
//!   recorded, and every attempt and redelivery carries the same `webhook-id`, so a receiver can drop the
//!   one duplicate a crash between sending and recording can cause.

pub mod worker;

use std::time::Duration;

use jiff::Timestamp;
use orgdeck_shared::{
    inbox::InboxEntry,
    integrations::{DeliveryAttempt, Integration, IntegrationSettings, WebhookSettings},
};
use rand::RngExt;
use serde_json::json;

use crate::{
    outbound::{
        OutboundError, OutboundRequest, OutboundResponse, Redactor,
        signing::{self, MessageId, WebhookSecret},
        template::{PayloadTemplate, TemplateValues},
    },
    services::integrations::{
        Secrets,
        messages::{self, Message},
        probe::{Answer, Outgoing},
        secrets::SIGNING_SECRET,
        to_request,
    },
    store::DeliveryRow,
};

/// How deliveries are scheduled and kept.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryConfig {
    /// Whether this instance runs the worker (`delivery_worker` in the configuration file). An instance
    /// without it still queues deliveries; another instance, or its next start with the worker, sends them.
    pub worker: bool,
    /// The waits before the second, third... attempt; one attempt more than waits in all.
    pub schedule: Vec<Duration>,
    /// Each wait grows by a random part up to this fraction of it.
    pub jitter: f64,
    /// The longest the worker waits before looking at the outbox again when nothing wakes it sooner (a
    /// safety net: it is woken by every commit that queues deliveries and sleeps until the next due one).
    pub poll: Duration,
    /// Deliveries in flight at once.
    pub concurrency: usize,
    /// Failed deliveries in a row that disable an integration.
    pub disable_after: u32,
    /// Finished deliveries are kept this long in the log, and at least the newest `keep` per integration.
    pub retention: Duration,
    pub keep: u32,
    /// The longest `Retry-After` honoured (a longer one is cut to this).
    pub max_retry_after: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            worker: true,
            schedule: vec![
                Duration::from_secs(5),
                Duration::from_secs(5 * 60),
                Duration::from_secs(30 * 60),
                Duration::from_secs(2 * 60 * 60),
            ],
            jitter: 0.1,
            poll: Duration::from_secs(60),
            concurrency: 16,
            disable_after: 5,
            retention: Duration::from_secs(3 * 24 * 60 * 60),
            keep: 1000,
            max_retry_after: Duration::from_secs(24 * 60 * 60),
        }
    }
}

impl DeliveryConfig {
    /// The wait after the `tries`-th failed attempt (counting from 1), or `None` when the attempts are
    /// exhausted; never shorter than what the remote asked (`retry_after`).
    pub fn wait_after(&self, tries: u32, retry_after: Option<Duration>) -> Option<Duration> {
        let base = *self.schedule.get(tries.checked_sub(1)? as usize)?;
        let jitter = if self.jitter > 0.0 {
            base.mul_f64(rand::rng().random_range(0.0..self.jitter))
        } else {
            Duration::ZERO
        };
        let asked = retry_after.unwrap_or_default().min(self.max_retry_after);
        Some((base + jitter).max(asked))
    }
}

/// What an answer (or its absence) means for a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// Try again by the schedule, not before `after` when the remote said (`Retry-After`).
    Retry {
        after: Option<Duration>,
    },
    /// The destination is gone: no more attempts.
    Dead,
}

/// The message a delivery carries, as a channel shows it.
fn message(notice: &InboxEntry) -> Message<'_> {
    let mut facts = Vec::new();
    if let Some(app) = &notice.application {
        facts.push(("Application", app.name.clone()));
    }
    if let Some(server) = &notice.server {
        facts.push(("Server", server.name.clone()));
    }
    if let Some(integration) = &notice.integration {
        facts.push(("Integration", integration.name.clone()));
    }
    if let Some(severity) = notice.severity {
        facts.push(("Severity", severity.as_str().to_owned()));
    }
    Message {
        title: &notice.title,
        text: &notice.message,
        facts,
        severity: notice.severity,
    }
}

/// A webhook's body: its payload template filled in, or the event as JSON (`type`, `timestamp`, `data`).
fn webhook_body(settings: &WebhookSettings, notice: &InboxEntry) -> Result<(Vec<u8>, &'static str), String> {
    if let Some(template) = settings.payload_template.as_deref().filter(|t| !t.trim().is_empty()) {
        let template = PayloadTemplate::parse(template).map_err(|e| format!("the payload template: {e}"))?;
        let values = TemplateValues {
            title: &notice.title,
            message: &notice.message,
            event_type: notice.event_type.as_str(),
            severity: notice.severity.map_or("", |s| s.as_str()),
            application_name: notice.application.as_ref().map_or("", |a| a.name.as_str()),
        };
        return Ok((template.render(&values).into_bytes(), template.kind().content_type()));
    }
    let subject =
        |s: &Option<orgdeck_shared::inbox::Subject>| s.as_ref().map(|s| json!({ "id": s.id, "name": s.name }));
    let body = json!({
        "type": notice.event_type.as_str(),
        "timestamp": notice.created_at.to_string(),
        "data": {
            "title": notice.title,
            "message": notice.message,
            "severity": notice.severity.map(|s| s.as_str()),
            "application": subject(&notice.application),
            "server": subject(&notice.server),
            "integration": subject(&notice.integration),
            "vulnerability_id": notice.vulnerability_id,
        },
    });
    Ok((body.to_string().into_bytes(), "application/json"))
}

/// The request of one attempt of `row` to `integration`, at `now` (a webhook's `webhook-timestamp`).
/// `Err` says why nothing can be sent (a secret missing, a template that no longer parses).
pub fn request(
    row: &DeliveryRow,
    integration: &Integration,
    secrets: &Secrets,
    now: Timestamp,
) -> Result<OutboundRequest, String> {
    let IntegrationSettings::Webhook(s) = &integration.settings else {
        return to_request(messages::channel_request(
            &integration.settings,
            secrets,
            &message(&row.notice),
        )?);
    };
    let (body, content_type) = webhook_body(s, &row.notice)?;
    let id = MessageId::parse(&row.view.message_id).map_err(|e| e.to_string())?;
    let keys = match secrets.get(SIGNING_SECRET) {
        Some(secret) => {
            vec![WebhookSecret::parse(secret).map_err(|_| "the stored signing secret is not valid".to_owned())?]
        }
        None => Vec::new(),
    };
    let signed = signing::headers(&keys, &id, now.as_second(), &body);
    let mut request = to_request(Outgoing {
        method: "POST",
        url: s.url.clone(),
        headers: vec![("content-type", content_type.to_owned())],
        body: Some(body),
    })?;
    request.headers.extend(signed);
    Ok(request)
}

/// The longest answer excerpt a delivery's log keeps.
const EXCERPT_MAX: usize = 500;

/// What one attempt's answer means, and the attempt as the log keeps it (the answer's start or the
/// failure, with the integration's secrets cut out).
pub fn judge(
    settings: &IntegrationSettings,
    secrets: &Secrets,
    result: &Result<OutboundResponse, OutboundError>,
    at: Timestamp,
    duration: Duration,
) -> (Verdict, DeliveryAttempt) {
    let excerpt = |text: &str| Redactor::default().excerpt(secrets.redact(text, &[]).as_bytes(), EXCERPT_MAX);
    let (verdict, status, message) = match result {
        Ok(response) => {
            let answer = Answer {
                status: response.status.as_u16(),
                body: String::from_utf8_lossy(&response.body).into_owned(),
            };
            let verdict = if messages::accepted(settings, &answer) {
                Verdict::Delivered
            } else if messages::dead_destination(settings, &answer) {
                Verdict::Dead
            } else {
                Verdict::Retry {
                    after: response.retry_after,
                }
            };
            (verdict, Some(answer.status), excerpt(&answer.body))
        }
        Err(OutboundError::Redirect { status, .. }) => (
            Verdict::Retry { after: None },
            Some(status.as_u16()),
            excerpt(&result.as_ref().err().map(ToString::to_string).unwrap_or_default()),
        ),
        Err(e) => (Verdict::Retry { after: None }, None, excerpt(&e.to_string())),
    };
    (
        verdict,
        DeliveryAttempt {
            at,
            duration_ms: u32::try_from(duration.as_millis()).unwrap_or(u32::MAX),
            status,
            message,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_five_attempts_with_bounded_jitter_and_retry_after() {
        let config = DeliveryConfig::default();
        let expected = [5, 300, 1800, 7200];
        for (i, base) in expected.iter().enumerate() {
            for _ in 0..50 {
                let wait = config.wait_after(i as u32 + 1, None).unwrap();
                let base = Duration::from_secs(*base);
                assert!(
                    wait >= base && wait <= base.mul_f64(1.1),
                    "{wait:?} after try {}",
                    i + 1
                );
            }
        }
        assert_eq!(config.wait_after(5, None), None, "five attempts in all");
        assert_eq!(config.wait_after(0, None), None);
        let wait = config.wait_after(1, Some(Duration::from_secs(60))).unwrap();
        assert_eq!(wait, Duration::from_secs(60), "Retry-After wins over a shorter wait");
        let wait = config.wait_after(1, Some(Duration::from_secs(10 * 24 * 3600))).unwrap();
        assert_eq!(wait, config.max_retry_after, "an absurd Retry-After is cut");
        let still = DeliveryConfig {
            jitter: 0.0,
            ..DeliveryConfig::default()
        };
        assert_eq!(still.wait_after(2, None), Some(Duration::from_secs(300)));
    }
}
