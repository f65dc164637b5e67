//! Test (`POST integrations/{id}/test`): the real calls each kind's service answers, as the integrations
//! notes (sections 0 to 5) describe them, and what they say in a few words. Every call goes through the
//! outbound client ([`Transport`]), which refuses private targets and never follows a redirect; this module
//! only says what to send and reads the answers. Whatever it reports has the integration's secrets cut
//! out, since a remote error or a transport error may quote the request.

use std::collections::BTreeMap;

use async_trait::async_trait;
use base64::{Engine, engine::general_purpose::STANDARD};
use jiff::Timestamp;
use orgdeck_shared::integrations::{
    BugzillaAuthStyle, BugzillaSettings, Integration, IntegrationSettings, JiraAuth, JiraDeployment, JiraSettings,
    SerenaSettings, TestOutcome, WebhookSettings,
};
use serde_json::{Value, json};

use super::{
    messages::{self, base, encode},
    secrets::{SIGNING_SECRET, Secrets},
};

/// One request to a user-supplied URL.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

impl Outgoing {
    fn get(url: String) -> Self {
        Outgoing {
            method: "GET",
            url,
            headers: vec![("accept", "application/json".into())],
            body: None,
        }
    }

    pub(crate) fn post_json(url: String, body: &Value) -> Self {
        Outgoing {
            method: "POST",
            url,
            headers: vec![("content-type", "application/json".into())],
            body: Some(body.to_string().into_bytes()),
        }
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// What came back: the status and the start of the body (the client reads only so much).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

impl Answer {
    pub(crate) fn success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub(crate) fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// Sends what a probe asks for; `Err` is the local refusal or failure in words (an address the policy
/// refuses, a timeout, a connection refused).
#[async_trait]
pub trait Transport: Send + Sync {
    async fn send(&self, request: Outgoing) -> Result<Answer, String>;

    /// The Standard Webhooks signature header value (`v1,<base64>`) of `id.timestamp.body` under a
    /// `whsec_` secret.
    fn sign(&self, secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<String, String>;
}

/// What a Test found: the outcome to answer and, when it learnt something about the service, the settings
/// with it (JIRA's deployment, Bugzilla's way of sending the key).
#[derive(Debug, Clone)]
pub struct Probe {
    pub outcome: TestOutcome,
    pub settings: Option<IntegrationSettings>,
}

/// The longest message a Test answers (a remote error page is cut).
const MESSAGE_MAX: usize = 300;

/// The calls of one Test, and what they said.
struct Run<'a> {
    transport: &'a dyn Transport,
    secrets: &'a Secrets,
    /// Other secret forms to cut from messages (`email:token` of HTTP Basic).
    extra: Vec<String>,
    last_status: Option<u16>,
    detected: BTreeMap<String, String>,
}

/// Why a Test stopped: said to the admin as it is.
struct Stop(String);

impl Run<'_> {
    async fn send(&mut self, request: Outgoing) -> Result<Answer, Stop> {
        match self.transport.send(request).await {
            Ok(answer) => {
                self.last_status = Some(answer.status);
                if (300..400).contains(&answer.status) {
                    return Err(Stop(format!(
                        "the server answered HTTP {} (a redirect): redirects are never followed, so give the \
                         final URL",
                        answer.status
                    )));
                }
                Ok(answer)
            }
            Err(why) => Err(Stop(why)),
        }
    }

    fn finish(self, result: Result<String, Stop>, settings: Option<IntegrationSettings>) -> Probe {
        let extra: Vec<&str> = self.extra.iter().map(String::as_str).collect();
        let (ok, message) = match result {
            Ok(m) => (true, m),
            Err(Stop(m)) => (false, m),
        };
        let message = clip(&self.secrets.redact(&message, &extra));
        Probe {
            outcome: TestOutcome {
                ok,
                status: self.last_status,
                message,
                detected: self.detected,
            },
            settings,
        }
    }
}

/// One line, control characters out, at most [`MESSAGE_MAX`] characters.
pub(crate) fn clip(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if flat.chars().count() > MESSAGE_MAX {
        let mut cut: String = flat.chars().take(MESSAGE_MAX - 1).collect();
        cut.push('…');
        cut
    } else {
        flat
    }
}

/// What a failed answer says: the service's own error text when it has one (JIRA's `errorMessages` and
/// `errors`, Bugzilla's `message`, Slack's plain text), else the start of the body.
pub(crate) fn remote_error(answer: &Answer) -> String {
    let said = match answer.json() {
        Some(v) => {
            let mut parts: Vec<String> = Vec::new();
            if let Some(list) = v["errorMessages"].as_array() {
                parts.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
            }
            if let Some(map) = v["errors"].as_object() {
                parts.extend(
                    map.iter()
                        .map(|(k, m)| format!("{k}: {}", m.as_str().unwrap_or_default())),
                );
            }
            for key in ["message", "error", "error_description"] {
                if let Some(m) = v[key].as_str() {
                    parts.push(m.to_owned());
                }
            }
            if let Some(m) = v["error"]["message"].as_str() {
                parts.push(m.to_owned());
            }
            parts.join("; ")
        }
        None => answer.body.trim().to_owned(),
    };
    if said.is_empty() {
        format!("HTTP {}", answer.status)
    } else {
        format!("HTTP {}: {said}", answer.status)
    }
}

/// Runs the Test of `integration` with its opened `secrets`.
pub async fn run(transport: &dyn Transport, integration: &Integration, secrets: &Secrets, now: Timestamp) -> Probe {
    let mut run = Run {
        transport,
        secrets,
        extra: Vec::new(),
        last_status: None,
        detected: BTreeMap::new(),
    };
    let name = integration.name.as_str();
    match &integration.settings {
        IntegrationSettings::Jira(s) => {
            let mut s = s.clone();
            let result = jira(&mut run, &mut s).await;
            let changed =
                (IntegrationSettings::Jira(s.clone()) != integration.settings).then_some(IntegrationSettings::Jira(s));
            run.finish(result, changed)
        }
        IntegrationSettings::Bugzilla(s) => {
            let mut s = s.clone();
            let result = bugzilla(&mut run, &mut s).await;
            let changed = (IntegrationSettings::Bugzilla(s.clone()) != integration.settings)
                .then_some(IntegrationSettings::Bugzilla(s));
            run.finish(result, changed)
        }
        IntegrationSettings::Serena(s) => {
            let result = serena(&mut run, s).await;
            run.finish(result, None)
        }
        IntegrationSettings::Slack
        | IntegrationSettings::Mattermost
        | IntegrationSettings::Teams
        | IntegrationSettings::GoogleChat
        | IntegrationSettings::Hipchat(_) => {
            let result = channel(&mut run, &integration.settings, name).await;
            run.finish(result, None)
        }
        IntegrationSettings::Webhook(s) => {
            let result = webhook(&mut run, s, integration, now).await;
            run.finish(result, None)
        }
    }
}

fn secret<'a>(run: &Run<'a>, name: &str) -> Result<&'a str, Stop> {
    run.secrets
        .get(name)
        .ok_or_else(|| Stop(format!("no {name} is set: save one first")))
}

fn test_text(name: &str) -> String {
    format!("Test message from orgdeck: the integration \"{name}\" can post here.")
}

// ---- JIRA (notes section 1) ----

/// JIRA's `Authorization` value: Basic `user:token` (Cloud) or a bearer token (Data Center's PAT); with
/// the Basic pair, which messages must not show either.
pub(crate) fn jira_auth(s: &JiraSettings, token: &str) -> (String, Option<String>) {
    match s.auth {
        JiraAuth::Basic => {
            let pair = format!("{}:{token}", s.user);
            (format!("Basic {}", STANDARD.encode(&pair)), Some(pair))
        }
        JiraAuth::Pat => (format!("Bearer {token}"), None),
    }
}

/// `serverInfo` (reachability, Cloud or Data Center), `myself` (the credentials), `project/{KEY}` (the
/// project exists and the account may browse it).
async fn jira(run: &mut Run<'_>, s: &mut JiraSettings) -> Result<String, Stop> {
    let token = secret(run, "token")?;
    let (auth, pair) = jira_auth(s, token);
    run.extra.extend(pair);
    let api = format!("{}/rest/api/2", base(&s.url));

    let info = run
        .send(Outgoing::get(format!("{api}/serverInfo")).header("authorization", auth.clone()))
        .await?;
    if !info.success() {
        return Err(Stop(format!("serverInfo: {}", remote_error(&info))));
    }
    let info = info.json().unwrap_or(Value::Null);
    let cloud_host = orgdeck_shared::integrations::host_of(&s.url).is_some_and(|h| h.ends_with(".atlassian.net"));
    let deployment = match info["deploymentType"].as_str() {
        Some(t) if t.eq_ignore_ascii_case("cloud") => JiraDeployment::Cloud,
        Some(_) => JiraDeployment::DataCenter,
        None if cloud_host => JiraDeployment::Cloud,
        None => JiraDeployment::DataCenter,
    };
    s.deployment = Some(deployment);
    run.detected.insert(
        "deployment".into(),
        match deployment {
            JiraDeployment::Cloud => "cloud",
            JiraDeployment::DataCenter => "data_center",
        }
        .into(),
    );
    if let Some(v) = info["version"].as_str() {
        run.detected.insert("server_version".into(), v.to_owned());
    }
    if deployment == JiraDeployment::Cloud && s.auth == JiraAuth::Pat {
        return Err(Stop(
            "this is JIRA Cloud, which takes an email and API token (basic), not a personal access token".into(),
        ));
    }

    let me = run
        .send(Outgoing::get(format!("{api}/myself")).header("authorization", auth.clone()))
        .await?;
    if !me.success() {
        let hint = if me.status == 401 {
            match s.auth {
                JiraAuth::Basic => " (the email and API token were refused)",
                JiraAuth::Pat => " (the personal access token was refused)",
            }
        } else {
            ""
        };
        return Err(Stop(format!("myself: {}{hint}", remote_error(&me))));
    }
    let me = me.json().unwrap_or(Value::Null);
    let who = me["displayName"]
        .as_str()
        .or(me["name"].as_str())
        .unwrap_or("an unnamed account")
        .to_owned();
    if s.auth == JiraAuth::Basic
        && let Some(email) = me["emailAddress"].as_str().filter(|e| !e.is_empty())
        && !email.eq_ignore_ascii_case(&s.user)
    {
        return Err(Stop(format!("the API token belongs to {email}, not to {}", s.user)));
    }

    let project = run
        .send(Outgoing::get(format!("{api}/project/{}", encode(&s.project_key))).header("authorization", auth))
        .await?;
    if project.status == 404 {
        return Err(Stop(format!(
            "project {}: not found, or {who} may not browse it (HTTP 404; keys are case-sensitive)",
            s.project_key
        )));
    }
    if !project.success() {
        return Err(Stop(format!("project {}: {}", s.project_key, remote_error(&project))));
    }
    let project_name = project.json().and_then(|p| p["name"].as_str().map(str::to_owned));
    let kind = match deployment {
        JiraDeployment::Cloud => "JIRA Cloud",
        JiraDeployment::DataCenter => "JIRA Data Center",
    };
    Ok(format!(
        "{kind}: authenticated as {who}; project {}{} found",
        s.project_key,
        project_name.map(|n| format!(" ({n})")).unwrap_or_default()
    ))
}

// ---- Bugzilla (notes section 2) ----

fn bugzilla_request(url: String, style: BugzillaAuthStyle, key: &str) -> Outgoing {
    match style {
        BugzillaAuthStyle::Header => Outgoing::get(url).header("x-bugzilla-api-key", key),
        BugzillaAuthStyle::Parameter => {
            let sep = if url.contains('?') { '&' } else { '?' };
            Outgoing::get(format!("{url}{sep}api_key={}", encode(key)))
        }
    }
}

/// `version` (no login needed), then the key: `whoami` with the `X-BUGZILLA-API-KEY` header (6.x,
/// bugzilla.mozilla.org), else with the `api_key` parameter; a server without `whoami` (5.0, 5.2 answer
/// 404) is asked for the product with the key as a parameter, which Bugzilla refuses with its error 306
/// when the key is not valid. Then the product, its component and version, active.
async fn bugzilla(run: &mut Run<'_>, s: &mut BugzillaSettings) -> Result<String, Stop> {
    let key = secret(run, "api_key")?;
    let rest = format!("{}/rest", base(&s.url));

    let version = run.send(Outgoing::get(format!("{rest}/version"))).await?;
    if !version.success() {
        return Err(Stop(format!(
            "no Bugzilla REST API at {rest}/version: {}",
            remote_error(&version)
        )));
    }
    let server_version = version.json().and_then(|v| v["version"].as_str().map(str::to_owned));
    if let Some(v) = &server_version {
        run.detected.insert("server_version".into(), v.clone());
    }

    let mut who: Option<String> = None;
    let mut style: Option<BugzillaAuthStyle> = None;
    let mut refusal: Option<String> = None;
    for tried in [BugzillaAuthStyle::Header, BugzillaAuthStyle::Parameter] {
        let answer = run.send(bugzilla_request(format!("{rest}/whoami"), tried, key)).await?;
        if answer.success() {
            let v = answer.json().unwrap_or(Value::Null);
            who = v["real_name"]
                .as_str()
                .filter(|n| !n.is_empty())
                .or(v["name"].as_str())
                .map(str::to_owned);
            style = Some(tried);
            break;
        }
        if answer.status != 404 {
            refusal.get_or_insert_with(|| remote_error(&answer));
        }
    }

    let names = encode(&s.product);
    let product_url = format!(
        "{rest}/product?names={names}&include_fields=name,is_active,components.name,components.is_active,\
         versions.name,versions.is_active"
    );
    let product = match style {
        Some(style) => run.send(bugzilla_request(product_url, style, key)).await?,
        None => {
            if let Some(refusal) = refusal {
                return Err(Stop(format!(
                    "the API key was refused both in the X-BUGZILLA-API-KEY header and as the api_key parameter: \
                     {refusal}"
                )));
            }
            // No whoami (Bugzilla 5.0 and 5.2): those read the key only as a parameter, and refuse a key that
            // is not valid on any call.
            let answer = run
                .send(bugzilla_request(product_url, BugzillaAuthStyle::Parameter, key))
                .await?;
            if answer.success() {
                style = Some(BugzillaAuthStyle::Parameter);
            }
            answer
        }
    };
    if !product.success() {
        return Err(Stop(format!("product {}: {}", s.product, remote_error(&product))));
    }
    if let Some(style) = style {
        s.auth_style = Some(style);
        run.detected.insert(
            "auth_style".into(),
            match style {
                BugzillaAuthStyle::Header => "header",
                BugzillaAuthStyle::Parameter => "parameter",
            }
            .into(),
        );
    }
    let body = product.json().unwrap_or(Value::Null);
    let Some(found) = body["products"]
        .as_array()
        .and_then(|list| list.iter().find(|p| p["name"].as_str() == Some(s.product.as_str())))
    else {
        return Err(Stop(format!(
            "product {}: not found, or the key's account cannot see it",
            s.product
        )));
    };
    if found["is_active"] == Value::Bool(false) {
        return Err(Stop(format!("product {} is closed for new bugs", s.product)));
    }
    let listed = |list: &str, name: &str| -> Option<bool> {
        found[list]
            .as_array()?
            .iter()
            .find(|c| c["name"].as_str() == Some(name))
            .map(|c| c["is_active"] != Value::Bool(false))
    };
    match listed("components", &s.component) {
        None => return Err(Stop(format!("product {} has no component {}", s.product, s.component))),
        Some(false) => return Err(Stop(format!("component {} is not active", s.component))),
        Some(true) => {}
    }
    match listed("versions", &s.version) {
        None => return Err(Stop(format!("product {} has no version {}", s.product, s.version))),
        Some(false) => return Err(Stop(format!("version {} is not active", s.version))),
        Some(true) => {}
    }
    Ok(format!(
        "Bugzilla{}: {}; product {}, component {} and version {} found",
        server_version.map(|v| format!(" {v}")).unwrap_or_default(),
        match &who {
            Some(w) => format!("authenticated as {w}"),
            None => "the API key was accepted".to_owned(),
        },
        s.product,
        s.component,
        s.version
    ))
}

// ---- Serena Business Manager (notes section 4.2) ----

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The texts of every element named `local` (whatever its namespace prefix).
fn xml_texts(xml: &str, local: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let Some(end) = rest.find('>') else { break };
        let tag = &rest[..end];
        let name = tag.split_whitespace().next().unwrap_or("");
        let bare = name.rsplit(':').next().unwrap_or(name);
        if bare == local && !tag.starts_with('/') && !tag.ends_with('/') {
            let body = &rest[end + 1..];
            if let Some(close) = body.find("</") {
                out.push(
                    body[..close]
                        .replace("&lt;", "<")
                        .replace("&gt;", ">")
                        .replace("&quot;", "\"")
                        .replace("&apos;", "'")
                        .replace("&amp;", "&")
                        .trim()
                        .to_owned(),
                );
            }
        }
        rest = &rest[end + 1..];
    }
    out
}

/// The SBM Application Web Services endpoint of a server URL (a URL that already names it is kept).
fn serena_endpoint(url: &str) -> String {
    if url.contains("sbmappservices72") {
        url.to_owned()
    } else {
        format!("{}/gsoap/gsoap_ssl.dll?sbmappservices72", base(url))
    }
}

/// `GetSubmitProjects` with the user's credentials in its `auth` element: HTTP 200 without a SOAP Fault
/// proves the login, and the project must be among those the user may submit into.
async fn serena(run: &mut Run<'_>, s: &SerenaSettings) -> Result<String, Stop> {
    let password = secret(run, "password")?;
    let host = orgdeck_shared::integrations::host_of(&s.url).unwrap_or_default();
    let envelope = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:urn=\"urn:sbmappservices72\">\
<soapenv:Header/><soapenv:Body><urn:GetSubmitProjects><urn:auth>\
<urn:userId>{}</urn:userId><urn:password>{}</urn:password><urn:hostname>{}</urn:hostname>\
<urn:loginAsUserId></urn:loginAsUserId></urn:auth></urn:GetSubmitProjects></soapenv:Body></soapenv:Envelope>",
        xml_escape(&s.user),
        xml_escape(password),
        xml_escape(&host),
    );
    run.extra.push(xml_escape(password));
    let request = Outgoing {
        method: "POST",
        url: serena_endpoint(&s.url),
        headers: vec![
            ("content-type", "text/xml; charset=utf-8".into()),
            ("soapaction", "\"\"".into()),
        ],
        body: Some(envelope.into_bytes()),
    };
    let answer = run.send(request).await?;
    let fault = xml_texts(&answer.body, "faultstring")
        .into_iter()
        .chain(xml_texts(&answer.body, "Text"))
        .next();
    let is_fault = answer.body.contains(":Fault>") || answer.body.contains("<Fault>") || fault.is_some();
    if is_fault {
        return Err(Stop(format!(
            "SOAP Fault (HTTP {}): {}",
            answer.status,
            fault.unwrap_or_else(|| "no fault string".into())
        )));
    }
    if answer.status != 200 {
        return Err(Stop(remote_error(&answer)));
    }
    let ids = xml_texts(&answer.body, "id");
    let names = xml_texts(&answer.body, "internalName");
    let uuids = xml_texts(&answer.body, "uuid");
    if !ids.iter().chain(&names).chain(&uuids).any(|v| v == &s.project_id) {
        return Err(Stop(format!(
            "logged in as {}, but project {} is not among the projects this user may submit into",
            s.user, s.project_id
        )));
    }
    Ok(format!(
        "Serena Business Manager: logged in as {}; project {} found",
        s.user, s.project_id
    ))
}

// ---- channels (notes sections 3, 4.1, 4.3) ----

/// The test message, in the channel's own format ([`messages`]), and what the channel answered.
async fn channel(run: &mut Run<'_>, settings: &IntegrationSettings, name: &str) -> Result<String, Stop> {
    let title = format!("orgdeck test message for {name}");
    let text = test_text(name);
    let message = messages::Message {
        title: &title,
        text: &text,
        facts: Vec::new(),
        severity: None,
    };
    let request = messages::channel_request(settings, run.secrets, &message).map_err(Stop)?;
    let answer = run.send(request).await?;
    let service = settings.kind().label();
    if !messages::accepted(settings, &answer) {
        return Err(Stop(format!("{service}: {}", remote_error(&answer))));
    }
    Ok(match settings {
        // Teams' 202 says the flow took it, which does not prove it was posted.
        IntegrationSettings::Teams => format!(
            "Teams accepted the test message (HTTP {}): the workflow took it; check the channel to see it posted",
            answer.status
        ),
        IntegrationSettings::Hipchat(s) => format!("HipChat posted the test message to room {}", s.room),
        _ => format!("{service} accepted the test message"),
    })
}

/// A `test.ping` event, signed per Standard Webhooks when the webhook has a signing secret: `webhook-id`,
/// `webhook-timestamp`, `webhook-signature` and `X-Orgdeck-Signature` with the same value.
async fn webhook(
    run: &mut Run<'_>,
    s: &WebhookSettings,
    integration: &Integration,
    now: Timestamp,
) -> Result<String, Stop> {
    let id = format!("msg_{}", crate::store::uuid_v7_at(now).simple());
    let body = json!({
        "type": "test.ping",
        "timestamp": now.to_string(),
        "data": {
            "integration": integration.name,
            "integration_id": integration.id,
            "message": test_text(&integration.name),
        },
    })
    .to_string()
    .into_bytes();
    let timestamp = now.as_second();
    let mut request = Outgoing {
        method: "POST",
        url: s.url.clone(),
        headers: vec![
            ("content-type", "application/json".into()),
            ("webhook-id", id.clone()),
            ("webhook-timestamp", timestamp.to_string()),
        ],
        body: None,
    };
    let signed = match run.secrets.get(SIGNING_SECRET) {
        Some(secret) => {
            let signature = run.transport.sign(secret, &id, timestamp, &body).map_err(Stop)?;
            request = request
                .header("webhook-signature", signature.clone())
                .header("x-orgdeck-signature", signature);
            true
        }
        None => false,
    };
    request.body = Some(body);
    let answer = run.send(request).await?;
    if answer.success() {
        Ok(format!(
            "the webhook accepted the {} test.ping event (HTTP {})",
            if signed { "signed" } else { "unsigned" },
            answer.status
        ))
    } else {
        Err(Stop(format!("webhook: {}", remote_error(&answer))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_and_clipped() {
        assert_eq!(clip("a\n\tb  c"), "a b c");
        let long = "x".repeat(400);
        assert_eq!(clip(&long).chars().count(), MESSAGE_MAX);
    }

    #[test]
    fn remote_errors_read_each_services_shape() {
        let jira = Answer {
            status: 400,
            body: r#"{"errorMessages":["Bad"],"errors":{"summary":"required"}}"#.into(),
        };
        assert_eq!(remote_error(&jira), "HTTP 400: Bad; summary: required");
        let bugzilla = Answer {
            status: 400,
            body: r#"{"error":true,"code":306,"message":"The API key you specified is invalid."}"#.into(),
        };
        assert_eq!(
            remote_error(&bugzilla),
            "HTTP 400: The API key you specified is invalid."
        );
        let slack = Answer {
            status: 400,
            body: "invalid_payload".into(),
        };
        assert_eq!(remote_error(&slack), "HTTP 400: invalid_payload");
    }

    #[test]
    fn soap_texts_are_found_under_any_prefix() {
        let xml = "<s:Envelope><s:Body><ns:GetSubmitProjectsResponse><ns:return><ns:project>\
                   <ns:id>12</ns:id><ns:internalName>SEC</ns:internalName></ns:project></ns:return>\
                   </ns:GetSubmitProjectsResponse></s:Body></s:Envelope>";
        assert_eq!(xml_texts(xml, "id"), ["12"]);
        assert_eq!(xml_texts(xml, "internalName"), ["SEC"]);
        assert_eq!(
            serena_endpoint("https://sbm.acme.test/"),
            "https://sbm.acme.test/gsoap/gsoap_ssl.dll?sbmappservices72"
        );
    }
}
