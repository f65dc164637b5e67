//! Sessions: timeouts from `settings/sessions` on every request (existing sessions included), a password
//! change ending one's other sessions, admins listing and ending a user's sessions.

mod common;

use common::*;
use orgdeck_shared::{ErrorCode, auth::OrgRole, routes, security::ActiveSession};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const DANA: &str = "dana@acme.example";

async fn put_ok(s: &TestServer, token: &str, area: &str, body: Value) -> Value {
    let current: Value = s.get(&routes::settings(area), token).await.json().await.unwrap();
    let version = current["version"].as_i64().unwrap();
    let resp = s
        .send(Method::PUT, &routes::settings(area), token, Some(&body), Some(version))
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

async fn change_password(s: &TestServer, token: &str, current: &str, new: &str) -> reqwest::Response {
    s.post(routes::ME_PASSWORD, token, &json!({ "current": current, "new": new }))
        .await
}

async fn audit_actions(s: &TestServer, token: &str) -> Vec<orgdeck_shared::audit::AuditEntry> {
    s.audit(token).await
}

#[tokio::test]
async fn a_session_idle_past_the_orgs_setting_expires() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    s.add_user(DANA, OrgRole::View);
    let dana = s.login(DANA, USER_PASSWORD).await;
    // Opened under a 30-minute idle timeout; the change applies to it too.
    put_ok(
        &s,
        &token,
        "sessions",
        json!({ "idle_minutes": 5, "absolute_minutes": 60 }),
    )
    .await;
    s.advance_minutes(4);
    assert_eq!(s.get(routes::ME, &token).await.status(), StatusCode::OK);
    s.advance_minutes(2);
    let err = api_error(s.get(routes::ME, &dana).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(err.code, ErrorCode::SessionExpired);
    // The absolute timeout also follows the setting: active all along, still over after 60 minutes.
    assert_eq!(s.get(routes::ME, &token).await.status(), StatusCode::OK);
    for _ in 0..17 {
        s.advance_minutes(3);
        assert_eq!(s.get(routes::ME, &token).await.status(), StatusCode::OK);
    }
    s.advance_minutes(4);
    assert_eq!(s.get(routes::ME, &token).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn changing_ones_password_ends_the_other_sessions_but_not_this_one() {
    let s = TestServer::start().await;
    s.add_user(DANA, OrgRole::View);
    let laptop = s.login(DANA, USER_PASSWORD).await;
    let phone = s.login(DANA, USER_PASSWORD).await;
    let resp = change_password(&s, &laptop, USER_PASSWORD, "a brand new passphrase").await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.get(routes::ME, &laptop).await.status(), StatusCode::OK);
    assert_eq!(s.get(routes::ME, &phone).await.status(), StatusCode::UNAUTHORIZED);
    let token = s.admin_token().await;
    assert!(
        audit_actions(&s, &token)
            .await
            .iter()
            .any(|e| e.action == "session.end")
    );
}

#[tokio::test]
async fn an_admin_lists_and_ends_a_users_sessions() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let dana = s.add_user(DANA, OrgRole::View);
    let first = s.login(DANA, USER_PASSWORD).await;
    s.advance_minutes(1);
    let second = s.login(DANA, USER_PASSWORD).await;
    let third = s.login(DANA, USER_PASSWORD).await;
    let list: Vec<ActiveSession> = s.get(&routes::user_sessions(dana), &token).await.json().await.unwrap();
    assert_eq!(list.len(), 3);
    for session in &list {
        assert_eq!(session.id.len(), 32, "an opaque id, not a 64-hex token hash");
        assert_eq!(session.ip, "127.0.0.1");
        assert!(session.expires_at > session.created_at);
    }
    // Newest first: the oldest is the first login.
    let oldest = list.last().unwrap().id.clone();
    let resp = s
        .send(Method::DELETE, &routes::user_session(dana, &oldest), &token, None, None)
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.get(routes::ME, &first).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.get(routes::ME, &second).await.status(), StatusCode::OK);
    let resp = s
        .send(Method::DELETE, &routes::user_session(dana, &oldest), &token, None, None)
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let resp = s
        .send(Method::DELETE, &routes::user_sessions(dana), &token, None, None)
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    for t in [&second, &third] {
        assert_eq!(s.get(routes::ME, t).await.status(), StatusCode::UNAUTHORIZED);
    }
    let ends = audit_actions(&s, &token)
        .await
        .into_iter()
        .filter(|e| e.action == "session.end")
        .count();
    assert_eq!(ends, 2);
}
