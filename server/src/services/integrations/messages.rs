//! What a channel is sent, in each service's own format (SETTINGS.md section 6, integrations notes sections
//! 3 and 4): Slack's `text` with Block Kit `blocks`, Mattermost's Slack-compatible `text`, a Teams Adaptive
//! Card in a message envelope, Google Chat's `text`, a HipChat room notification. Test's message and every
//! event's delivery are built here, so both reach a channel the same way; the webhook's payload is built by
//! the delivery itself (its template and signature).

use orgdeck_shared::{
    integrations::{HipchatSettings, IntegrationSettings},
    notifications::Severity,
};
use serde_json::{Value, json};

use super::{
    probe::{Answer, Outgoing},
    secrets::Secrets,
};

/// One message for a person in a channel.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    /// One line.
    pub title: &'a str,
    /// The details, plain text.
    pub text: &'a str,
    /// Labelled values shown under the text (`Application: Shop`).
    pub facts: Vec<(&'static str, String)>,
    pub severity: Option<Severity>,
}

/// Slack's limits: a header block's text, a section's text.
const SLACK_HEADER_MAX: usize = 150;
const SLACK_SECTION_MAX: usize = 3000;

/// Slack's mrkdwn needs `&`, `<` and `>` escaped in text people typed (else `<!channel>` pings everyone).
pub fn mrkdwn(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// At most `max` characters, an ellipsis marking a cut.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

fn facts_line(m: &Message<'_>) -> String {
    m.facts
        .iter()
        .map(|(label, value)| format!("{label}: {value}"))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Slack: `text` is what notifications and screen readers show; the blocks are what the channel shows.
pub fn slack(m: &Message<'_>) -> Value {
    let mut blocks = vec![
        json!({ "type": "header", "text": { "type": "plain_text", "text": cut(m.title, SLACK_HEADER_MAX) } }),
        json!({ "type": "section", "text": { "type": "mrkdwn", "text": cut(&mrkdwn(m.text), SLACK_SECTION_MAX) } }),
    ];
    if !m.facts.is_empty() {
        let elements: Vec<Value> = m
            .facts
            .iter()
            .map(|(label, value)| json!({ "type": "mrkdwn", "text": format!("*{label}:* {}", mrkdwn(value)) }))
            .collect();
        blocks.push(json!({ "type": "context", "elements": elements }));
    }
    json!({ "text": mrkdwn(m.title), "blocks": blocks })
}

/// Mattermost: the Slack-compatible `text` (Markdown).
pub fn mattermost(m: &Message<'_>) -> Value {
    let mut text = format!("**{}**\n{}", m.title, m.text);
    if !m.facts.is_empty() {
        text.push('\n');
        text.push_str(&facts_line(m));
    }
    json!({ "text": text, "username": "orgdeck" })
}

/// Teams (Workflows webhook): an Adaptive Card 1.4 in a message envelope.
pub fn teams(m: &Message<'_>) -> Value {
    let color = match m.severity {
        Some(Severity::Critical | Severity::High) => "Attention",
        Some(Severity::Medium) => "Warning",
        _ => "Default",
    };
    let mut body = vec![
        json!({ "type": "TextBlock", "text": m.title, "weight": "Bolder", "size": "Medium", "wrap": true, "color": color }),
        json!({ "type": "TextBlock", "text": m.text, "wrap": true }),
    ];
    if !m.facts.is_empty() {
        let facts: Vec<Value> = m
            .facts
            .iter()
            .map(|(label, value)| json!({ "title": label, "value": value }))
            .collect();
        body.push(json!({ "type": "FactSet", "facts": facts }));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
            },
        }],
    })
}

/// Google Chat: `text` with its own light markup (`*bold*`).
pub fn google_chat(m: &Message<'_>) -> Value {
    let mut text = format!("*{}*\n{}", m.title, m.text);
    if !m.facts.is_empty() {
        text.push('\n');
        text.push_str(&facts_line(m));
    }
    json!({ "text": text })
}

/// HipChat Server's v2 room notification (plain text); red for critical and high, yellow for medium.
pub fn hipchat(m: &Message<'_>) -> Value {
    let color = match m.severity {
        Some(Severity::Critical | Severity::High) => "red",
        Some(Severity::Medium) => "yellow",
        Some(_) => "gray",
        None => "green",
    };
    let mut message = format!("{}\n{}", m.title, m.text);
    if !m.facts.is_empty() {
        message.push('\n');
        message.push_str(&facts_line(m));
    }
    json!({
        "message": message,
        "message_format": "text",
        "color": color,
        "notify": m.severity.is_some_and(|s| matches!(s, Severity::Critical | Severity::High)),
        "from": "orgdeck",
    })
}

/// A base URL without its trailing slashes, so paths can follow it.
pub fn base(url: &str) -> &str {
    url.trim_end_matches('/')
}

pub fn encode(part: &str) -> String {
    form_urlencoded::byte_serialize(part.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn hipchat_request(s: &HipchatSettings, token: &str, body: &Value) -> Outgoing {
    let url = format!("{}/v2/room/{}/notification", base(&s.server_url), encode(&s.room));
    Outgoing::post_json(url, body).header("authorization", format!("Bearer {token}"))
}

/// The request that posts `m` to a channel; `Err` names the secret that is missing. A bug tracker is no
/// channel (`Err` too).
pub fn channel_request(settings: &IntegrationSettings, secrets: &Secrets, m: &Message<'_>) -> Result<Outgoing, String> {
    let url = || {
        secrets
            .get("url")
            .map(str::to_owned)
            .ok_or_else(|| "no url is set: save one first".to_owned())
    };
    Ok(match settings {
        IntegrationSettings::Slack => Outgoing::post_json(url()?, &slack(m)),
        IntegrationSettings::Mattermost => Outgoing::post_json(url()?, &mattermost(m)),
        IntegrationSettings::Teams => Outgoing::post_json(url()?, &teams(m)),
        IntegrationSettings::GoogleChat => Outgoing::post_json(url()?, &google_chat(m)),
        IntegrationSettings::Hipchat(s) => {
            let token = secrets
                .get("token")
                .ok_or_else(|| "no token is set: save one first".to_owned())?;
            hipchat_request(s, token, &hipchat(m))
        }
        other => return Err(format!("{} is not a channel", other.kind().label())),
    })
}

/// Whether a channel took a message: Slack and Mattermost answer 200 with the body `ok`; the others any
/// 2xx (Teams 202, HipChat 204).
pub fn accepted(settings: &IntegrationSettings, answer: &Answer) -> bool {
    match settings {
        IntegrationSettings::Slack | IntegrationSettings::Mattermost => {
            answer.status == 200 && answer.body.trim() == "ok"
        }
        _ => (200..300).contains(&answer.status),
    }
}

/// A destination that is gone for good (SETTINGS.md section 6): HTTP 410, or Slack's `no_service` (the
/// webhook was removed) and `channel_is_archived`. Its delivery fails at once, without the retries.
pub fn dead_destination(settings: &IntegrationSettings, answer: &Answer) -> bool {
    answer.status == 410
        || (matches!(settings, IntegrationSettings::Slack | IntegrationSettings::Mattermost)
            && matches!(answer.body.trim(), "no_service" | "channel_is_archived"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> Message<'static> {
        Message {
            title: "High vulnerability in Shop: <!channel> SQL injection",
            text: "new_vulnerability e-1: \"SQL injection\" & more",
            facts: vec![("Application", "Shop".into()), ("Severity", "high".into())],
            severity: Some(Severity::High),
        }
    }

    #[test]
    fn slack_escapes_mentions_and_keeps_a_text_fallback() {
        let body = slack(&message());
        assert_eq!(
            body["text"],
            "High vulnerability in Shop: &lt;!channel&gt; SQL injection"
        );
        assert_eq!(body["blocks"][0]["type"], "header");
        // A header is plain text: shown as typed, never interpreted.
        assert_eq!(
            body["blocks"][0]["text"]["text"],
            "High vulnerability in Shop: <!channel> SQL injection"
        );
        assert_eq!(
            body["blocks"][1]["text"]["text"],
            "new_vulnerability e-1: \"SQL injection\" &amp; more"
        );
        assert_eq!(body["blocks"][2]["elements"][1]["text"], "*Severity:* high");
        let long = "x".repeat(400);
        let body = slack(&Message {
            title: &long,
            ..message()
        });
        assert_eq!(body["blocks"][0]["text"]["text"].as_str().unwrap().chars().count(), 150);
    }

    #[test]
    fn teams_is_an_adaptive_card_with_the_facts() {
        let body = teams(&message());
        let card = &body["attachments"][0];
        assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
        assert_eq!(card["content"]["type"], "AdaptiveCard");
        assert_eq!(card["content"]["body"][0]["color"], "Attention");
        assert_eq!(card["content"]["body"][2]["facts"][0]["title"], "Application");
        assert_eq!(card["content"]["body"][2]["facts"][0]["value"], "Shop");
    }

    #[test]
    fn success_and_dead_destinations_follow_each_service() {
        let answer = |status: u16, body: &str| Answer {
            status,
            body: body.into(),
        };
        let slack = IntegrationSettings::Slack;
        assert!(accepted(&slack, &answer(200, "ok")));
        assert!(!accepted(&slack, &answer(200, "invalid_payload")));
        assert!(!accepted(&slack, &answer(204, "")));
        assert!(dead_destination(&slack, &answer(404, "no_service")));
        assert!(dead_destination(&slack, &answer(410, "channel_is_archived")));
        assert!(!dead_destination(&slack, &answer(500, "rollup_error")));
        assert!(accepted(&IntegrationSettings::Teams, &answer(202, "")));
        assert!(dead_destination(&IntegrationSettings::Teams, &answer(410, "")));
        assert!(!dead_destination(
            &IntegrationSettings::Teams,
            &answer(404, "no_service")
        ));
    }
}
