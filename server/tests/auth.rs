//! Logging in and out, sessions and their timeouts, over real HTTP.

mod common;

use common::*;
use orgdeck_shared::{
    ErrorCode, Page,
    audit::AuditEntry,
    auth::{Me, OrgRole, SessionGrant},
    routes,
};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn an_admin_logs_in_and_sees_who_they_are() {
    let s = TestServer::start().await;
    let resp = s.login_raw("  Admin@ACME.example ", ADMIN_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let grant: SessionGrant = resp.json().await.unwrap();
    assert!(grant.token.expose().len() >= 22, "at least 128 bits");
    assert_eq!(grant.expires_at, start_time() + jiff::SignedDuration::from_hours(12));

    let me: Me = s.get(routes::ME, grant.token.expose()).await.json().await.unwrap();
    assert_eq!(me.user.email, ADMIN_EMAIL);
    assert_eq!(me.org.name, "Acme");
    assert_eq!(me.org.id, s.org.org_id);
    assert_eq!(me.role, OrgRole::Admin);
    let session = me.session.expect("a session caller");
    assert_eq!(session.expires_at, grant.expires_at);
    assert_eq!(me.api_key, None);
    assert_eq!(
        session.idle_expires_at,
        start_time() + jiff::SignedDuration::from_mins(30)
    );
    assert_eq!(me.client_ip, "127.0.0.1");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let s = TestServer::start().await;
    let wrong = s.login_raw(ADMIN_EMAIL, "not the password at all").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong = wrong.text().await.unwrap();
    let unknown = s.login_raw("nobody@acme.example", "not the password at all").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong, unknown.text().await.unwrap());
    let err: orgdeck_shared::ApiError = serde_json::from_str(&wrong).unwrap();
    assert_eq!(err.code, ErrorCode::InvalidCredentials);
}

#[tokio::test]
async fn a_disabled_user_cannot_log_in_and_loses_their_sessions() {
    let s = TestServer::start().await;
    let user = s.add_user("dana@acme.example", OrgRole::Edit);
    let token = s.login("dana@acme.example", USER_PASSWORD).await;
    orgdeck_server::orgs::disable_user(&s.db, user, &s.clock).unwrap();

    let resp = s.login_raw("dana@acme.example", USER_PASSWORD).await;
    let err = api_error(resp, StatusCode::UNAUTHORIZED).await;
    assert_eq!(err.code, ErrorCode::InvalidCredentials);
    let err = api_error(s.get(routes::ME, &token).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(err.code, ErrorCode::Unauthorized);
}

/// The server keeps what every request reads between writes; a write by another process (the operator's
/// command line) must still count from the very next request.
#[tokio::test]
async fn a_user_disabled_from_the_command_line_is_refused_on_the_next_request() {
    let s = TestServer::start().await;
    let user = s.add_user("dana@acme.example", OrgRole::Edit);
    let token = s.login("dana@acme.example", USER_PASSWORD).await;
    for _ in 0..3 {
        assert_eq!(s.get(routes::ME, &token).await.status(), StatusCode::OK);
    }
    orgdeck_server::orgs::disable_user(&s.db, user, &s.clock).unwrap();
    let err = api_error(s.get(routes::ME, &token).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(err.code, ErrorCode::Unauthorized);
}

#[tokio::test]
async fn a_session_idle_for_30_minutes_expires() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    s.advance_minutes(29);
    assert_eq!(s.get(routes::ME, &token).await.status(), StatusCode::OK);
    s.advance_minutes(29);
    assert_eq!(
        s.get(routes::ME, &token).await.status(),
        StatusCode::OK,
        "the request 29 minutes ago kept it alive"
    );
    s.advance_minutes(31);
    let err = api_error(s.get(routes::ME, &token).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(err.code, ErrorCode::SessionExpired);
}

#[tokio::test]
async fn an_active_session_still_ends_after_12_hours() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    for _ in 0..(12 * 60 / 20 - 1) {
        s.advance_minutes(20);
        assert_eq!(s.get(routes::ME, &token).await.status(), StatusCode::OK);
    }
    s.advance_minutes(20);
    let err = api_error(s.get(routes::ME, &token).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(err.code, ErrorCode::SessionExpired);
    // A new login works.
    let token = s.admin_token().await;
    assert_eq!(s.get(routes::ME, &token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let resp = s
        .request(Method::POST, routes::LOGOUT, Some(&token))
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let err = api_error(s.get(routes::ME, &token).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(err.code, ErrorCode::Unauthorized);
}

#[tokio::test]
async fn requests_without_a_valid_token_are_unauthorized() {
    let s = TestServer::start().await;
    let resp = s.request(Method::GET, routes::ME, None).await.send().await.unwrap();
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    assert_eq!(
        api_error(resp, StatusCode::UNAUTHORIZED).await.code,
        ErrorCode::Unauthorized
    );
    let resp = s.get(routes::ME, "made-up-token").await;
    assert_eq!(
        api_error(resp, StatusCode::UNAUTHORIZED).await.code,
        ErrorCode::Unauthorized
    );
    let resp = s.get(&routes::settings("general"), "made-up-token").await;
    assert_eq!(
        api_error(resp, StatusCode::UNAUTHORIZED).await.code,
        ErrorCode::Unauthorized
    );
}

#[tokio::test]
async fn an_unknown_two_step_challenge_is_refused() {
    let s = TestServer::start().await;
    let resp = s
        .request(Method::POST, routes::MFA, None)
        .await
        .json(&serde_json::json!({"challenge": "c", "code": "123456"}))
        .send()
        .await
        .unwrap();
    let err = api_error(resp, StatusCode::UNAUTHORIZED).await;
    assert_eq!(err.code, ErrorCode::InvalidCredentials);
}

#[tokio::test]
async fn the_session_token_is_stored_only_as_a_hash() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let hashes: Vec<String> = s.sql(|c| {
        Ok(c.prepare("SELECT token_hash FROM sessions")?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?)
    });
    assert_eq!(hashes.len(), 1);
    assert_eq!(hashes[0].len(), 64, "hex SHA-256");
    assert_ne!(hashes[0], token);
    // Nothing in the database, nor any file of the data directory, holds the token or the password.
    let stored = String::from_utf8_lossy(&s.stored_bytes()).into_owned();
    assert!(!stored.contains(&token));
    assert!(!stored.contains(ADMIN_PASSWORD));
    for entry in std::fs::read_dir(s.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            continue;
        }
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&token));
        assert!(!text.contains(ADMIN_PASSWORD));
    }
}

#[tokio::test]
async fn logins_and_failures_are_audited_in_the_users_organization() {
    let s = TestServer::start().await;
    assert_eq!(
        s.login_raw(ADMIN_EMAIL, "wrong password here").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        s.login_raw("ghost@elsewhere.example", "some password").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let token = s.admin_token().await;
    let resp = s
        .request(Method::POST, routes::LOGOUT, Some(&token))
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let token = s.admin_token().await;
    let page: Page<AuditEntry> = s.get(routes::AUDIT, &token).await.json().await.unwrap();
    let actions: Vec<&str> = page.items.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        &actions[..4],
        ["auth.login", "auth.logout", "auth.login", "auth.login_failed"]
    );
    let failed = &page.items[3];
    assert_eq!(failed.actor.email, ADMIN_EMAIL);
    assert_eq!(failed.ip.as_deref(), Some("127.0.0.1"));
    assert!(!serde_json::to_string(&page).unwrap().contains("wrong password here"));
    // A failure with an unknown email belongs to no organization.
    assert!(page.items.iter().all(|e| !e.actor.email.contains("ghost")));
}
