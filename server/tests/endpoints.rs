//! The router and the shared descriptions of the API (`orgdeck_shared::endpoint::all()`) agree both
//! ways; every endpoint's access rule holds over HTTP; the OpenAPI document the server answers describes
//! exactly those endpoints, and a real validator accepts it (when one is installed: `.ci/run` installs
//! `openapi-spec-validator`).

mod common;

use std::collections::BTreeSet;

use common::*;
use orgdeck_server::routes::routed;
use orgdeck_shared::{
    ApiError, ErrorCode,
    agents::NewAgentKey,
    api_keys::NewApiKey,
    auth::OrgRole,
    endpoint::{self, Access, Described, Method},
    openapi, routes,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

/// A path of `d` with stand-in parameters: a nil id (no such user, group or key), a real user action,
/// an unknown session.
fn stand_in_path(d: &Described) -> String {
    let mut path = d.template.to_string();
    for name in openapi::template_params(&d.template) {
        let value = match name {
            "action" => routes::user_action::ENABLE.to_owned(),
            "session_id" => "no-such-session".to_owned(),
            _ => Uuid::nil().to_string(),
        };
        path = path.replace(&format!("{{{name}}}"), &value);
    }
    path
}

fn method(m: Method) -> reqwest::Method {
    reqwest::Method::from_bytes(m.as_str().as_bytes()).unwrap()
}

/// `d` called with `token` (none: anonymous), no body.
async fn call(s: &TestServer, d: &Described, token: Option<&str>) -> (StatusCode, Value) {
    let resp = s
        .request(method(d.method), &stand_in_path(d), token)
        .await
        .send()
        .await
        .unwrap();
    let status = resp.status();
    // A live-update stream answers for as long as the client stays: its status is the answer.
    if is_event_stream(&resp) {
        return (status, Value::Null);
    }
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn is_event_stream(resp: &reqwest::Response) -> bool {
    resp.headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"))
}

fn described() -> BTreeSet<(Method, String)> {
    endpoint::all()
        .iter()
        .map(|d| (d.method, d.template.to_string()))
        .collect()
}

#[test]
fn the_router_routes_every_described_endpoint_and_nothing_else() {
    let routed_list = routed();
    let routed: BTreeSet<(Method, String)> = routed_list.iter().map(|r| (r.method, r.path.clone())).collect();
    assert_eq!(routed.len(), routed_list.len(), "a route is registered twice");
    let described = described();
    let unrouted: Vec<_> = described.difference(&routed).collect();
    assert!(unrouted.is_empty(), "described but not routed: {unrouted:?}");
    // The one kind of route that is not an endpoint: the rest of a declared path whose endpoint types fill
    // a parameter themselves (`settings/{area}`: names of no area answer 404).
    let families: BTreeSet<(Method, String)> = endpoint::all()
        .iter()
        .filter(|d| d.path != d.template)
        .map(|d| (d.method, d.path.to_owned()))
        .collect();
    let undescribed: Vec<_> = routed
        .iter()
        .filter(|r| !described.contains(r) && !families.contains(r))
        .collect();
    assert!(undescribed.is_empty(), "routed but not described: {undescribed:?}");
    assert!(described.len() >= 56, "{} endpoints", described.len());
}

/// Nothing reaches the router but through `routes::Api` (which records what it routes): no `.route(`
/// or nesting anywhere else in the server's code.
#[test]
fn every_route_goes_through_the_endpoint_router() {
    fn sources(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let api = src.join("routes/api.rs");
    let mut found = 0;
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // Unit tests build small routers of their own.
        let code = text.split("#[cfg(test)]").next().unwrap();
        for call in [".route(", ".route_service(", ".nest(", ".nest_service(", "routing::get"] {
            let n = code.matches(call).count();
            if file == api && call == ".route(" {
                found = n;
            } else {
                assert_eq!(
                    n,
                    0,
                    "{} calls {call}: register endpoints with routes::Api",
                    file.display()
                );
            }
        }
    }
    assert_eq!(found, 1, "Api::register is the one place that routes");
}

#[tokio::test]
async fn every_described_endpoint_answers_and_no_other_method_does() {
    let s = TestServer::start().await;
    let all = endpoint::all();
    for d in &all {
        let (status, body) = call(&s, d, None).await;
        let what = format!("{} {} answered {status} {body}", d.method, d.template);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{what}");
        assert!(
            !(status == StatusCode::NOT_FOUND && body["message"] == "no such route"),
            "{what}"
        );
        if d.access == Access::Public {
            assert_ne!(
                status,
                StatusCode::UNAUTHORIZED,
                "a public endpoint needs no credential: {what}"
            );
        } else {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}");
        }
    }
    // The methods no endpoint of a path has are refused there.
    let described = described();
    let templates: BTreeSet<&str> = all.iter().map(|d| d.template.as_ref()).collect();
    for template in templates {
        let d = all.iter().find(|d| d.template == template).unwrap();
        for m in [Method::Get, Method::Post, Method::Put, Method::Patch, Method::Delete] {
            if described.contains(&(m, template.to_owned())) {
                continue;
            }
            let resp = s
                .request(method(m), &stand_in_path(d), None)
                .await
                .send()
                .await
                .unwrap();
            let err = api_error(resp, StatusCode::METHOD_NOT_ALLOWED).await;
            assert_eq!(err.code, ErrorCode::MethodNotAllowed, "{m} {template}");
        }
    }
    s.handle.shutdown().await;
}

async fn own_key(s: &TestServer, session: &str) -> String {
    let resp = s.post(routes::API_KEYS, session, &json!({})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json::<NewApiKey>().await.unwrap().key.expose().to_owned()
}

/// A named agent key of the admin's organization.
async fn agent_key(s: &TestServer, admin_session: &str) -> String {
    let resp = s
        .post(routes::AGENT_KEYS, admin_session, &json!({ "name": "probe" }))
        .await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    resp.json::<NewAgentKey>().await.unwrap().key.expose().to_owned()
}

#[tokio::test]
async fn each_endpoint_admits_the_callers_its_access_names() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    s.add_user("viewer@acme.example", OrgRole::View);
    let viewer = s.login("viewer@acme.example", USER_PASSWORD).await;
    let viewer_key = own_key(&s, &viewer).await;
    let admin_key = own_key(&s, &admin).await;
    let agent = agent_key(&s, &admin).await;
    let forbidden = |status: StatusCode, body: &Value| {
        status == StatusCode::FORBIDDEN
            && serde_json::from_value::<ApiError>(body.clone()).is_ok_and(|e| e.code == ErrorCode::Forbidden)
    };
    let mut checked = [0; 6];
    for d in endpoint::all() {
        let what = |who: &str, status: StatusCode, body: &Value| {
            format!("{} {} as {who} answered {status} {body}", d.method, d.template)
        };
        match d.access {
            Access::Public => {
                let (status, body) = call(&s, &d, None).await;
                assert!(
                    ![401, 403].contains(&status.as_u16()),
                    "{}",
                    what("nobody", status, &body)
                );
                checked[0] += 1;
            }
            Access::Admin => {
                for (who, token) in [("a viewer's session", &viewer), ("a viewer's key", &viewer_key)] {
                    let (status, body) = call(&s, &d, Some(token)).await;
                    assert!(forbidden(status, &body), "{}", what(who, status, &body));
                }
                let (status, body) = call(&s, &d, Some(&admin_key)).await;
                assert!(
                    ![401, 403].contains(&status.as_u16()),
                    "{}",
                    what("an admin's key", status, &body)
                );
                checked[1] += 1;
            }
            Access::Session => {
                for (who, token) in [("a viewer's key", &viewer_key), ("an admin's key", &admin_key)] {
                    let (status, body) = call(&s, &d, Some(token)).await;
                    assert!(forbidden(status, &body), "{}", what(who, status, &body));
                }
                checked[2] += 1;
            }
            Access::User => {
                // Admitted: past the credential check (a write without its If-Match is then 428, which is
                // about the request, not who sent it).
                let (status, body) = call(&s, &d, Some(&viewer_key)).await;
                assert!(
                    ![401, 403].contains(&status.as_u16()) && !status.is_server_error(),
                    "{}",
                    what("a viewer's key", status, &body)
                );
                checked[3] += 1;
            }
            Access::AdminSession => {
                for (who, token) in [
                    ("a viewer's session", &viewer),
                    ("a viewer's key", &viewer_key),
                    ("an admin's key", &admin_key),
                ] {
                    let (status, body) = call(&s, &d, Some(token)).await;
                    assert!(forbidden(status, &body), "{}", what(who, status, &body));
                }
                let (status, body) = call(&s, &d, Some(&admin)).await;
                assert!(
                    ![401, 403].contains(&status.as_u16()),
                    "{}",
                    what("an admin's session", status, &body)
                );
                checked[4] += 1;
            }
            Access::Agent => {
                for (who, token) in [
                    ("an admin's session", &admin),
                    ("an admin's key", &admin_key),
                    ("a viewer's key", &viewer_key),
                ] {
                    let (status, body) = call(&s, &d, Some(token)).await;
                    assert!(forbidden(status, &body), "{}", what(who, status, &body));
                }
                let (status, body) = call(&s, &d, Some(&agent)).await;
                assert!(
                    ![401, 403].contains(&status.as_u16()),
                    "{}",
                    what("an agent key", status, &body)
                );
                checked[5] += 1;
            }
        }
    }
    assert!(
        checked.iter().all(|n| *n > 0),
        "every kind of access was tried: {checked:?}"
    );
    // Every refusal above left the callers as they were.
    assert_eq!(s.get(routes::ME, &viewer).await.status(), StatusCode::OK);
    assert_eq!(s.get(routes::ME, &admin_key).await.status(), StatusCode::OK);
    s.handle.shutdown().await;
}

/// An agent key (or the organization key) is no one's credential but an agent's: every route that is
/// not an agent route answers it 401, as it would an unknown token, and it never changes anything there.
#[tokio::test]
async fn an_agent_key_reaches_the_agent_routes_and_nothing_else() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let agent = agent_key(&s, &admin).await;
    let resp = s.post(routes::ORG_KEY_ROTATE, &admin, &json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let org_key = resp.json::<Value>().await.unwrap()["key"].as_str().unwrap().to_owned();
    let audit_before = s.audit(&admin).await.len();
    let mut refused = 0;
    for d in endpoint::all() {
        if matches!(d.access, Access::Public | Access::Agent) {
            continue;
        }
        for (who, token) in [("an agent key", &agent), ("the organization key", &org_key)] {
            let (status, body) = call(&s, &d, Some(token)).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{} {} as {who} answered {status} {body}",
                d.method,
                d.template
            );
            refused += 1;
        }
    }
    assert!(refused > 100, "{refused}");
    assert_eq!(s.audit(&admin).await.len(), audit_before, "nothing was done");
    s.handle.shutdown().await;
}

#[tokio::test]
async fn the_openapi_document_is_public_and_describes_every_endpoint() {
    let s = TestServer::start().await;
    let resp = s.http.get(s.url(routes::OPENAPI)).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "application/json");
    let text = resp.text().await.unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc,
        openapi::document().to_value(),
        "the server answers the generated document"
    );
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );

    let all = endpoint::all();
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, all.len(), "one operation per endpoint");
    for d in &all {
        let op = &doc["paths"][d.template.as_ref()][d.method.as_str().to_lowercase()];
        assert!(op.is_object(), "{} {} is in the document", d.method, d.template);
        let security = op["security"].as_array().unwrap();
        assert_eq!(security.is_empty(), d.access == Access::Public, "{}", d.name);
        let path_params = op["parameters"]
            .as_array()
            .map(|ps| ps.iter().filter(|p| p["in"] == "path").count())
            .unwrap_or(0);
        assert_eq!(path_params, openapi::template_params(&d.template).len(), "{}", d.name);
    }
    for reference in openapi::refs(&doc) {
        let pointer = reference.strip_prefix('#').expect("a local reference");
        assert!(doc.pointer(pointer).is_some(), "{reference} resolves");
    }

    validate_with_openapi_spec_validator(&text, s.dir.path());
    s.handle.shutdown().await;
}

/// Runs `openapi-spec-validator` (Python) on the document when it is installed; says so when not.
fn validate_with_openapi_spec_validator(document: &str, dir: &std::path::Path) {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let available = std::process::Command::new(&python)
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        eprintln!("openapi-spec-validator is not installed: the document was not checked by it");
        return;
    }
    let file = dir.join("openapi.json");
    std::fs::write(&file, document).unwrap();
    let out = std::process::Command::new(&python)
        .args(["-m", "openapi_spec_validator", "--schema", "3.1"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openapi-spec-validator refused the document:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
