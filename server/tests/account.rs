//! One's own account over real HTTP, every role: the password policy while a change is required, one's
//! sessions with this one marked, ending one's own (and only one's own).

mod common;

use common::*;
use orgdeck_shared::{
    ErrorCode,
    account::MySession,
    auth::OrgRole,
    password::PasswordPolicy,
    routes::{self, user_action},
};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_user_who_must_change_the_password_reads_the_rules_but_nothing_else() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let dana = s.add_user("dana@acme.example", OrgRole::View);
    s.user_action(&admin, dana, user_action::RESET_PASSWORD).await;
    let token = s.login("dana@acme.example", USER_PASSWORD).await;
    // The rules of the new password answer; anything else says what must happen first, by its own code.
    let resp = s.get(routes::ME_PASSWORD_POLICY, &token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let policy: PasswordPolicy = resp.json().await.unwrap();
    assert_eq!(policy, PasswordPolicy::default());
    let err = api_error(s.get(routes::ME_SESSIONS, &token).await, StatusCode::FORBIDDEN).await;
    assert_eq!(err.code, ErrorCode::PasswordChangeRequired);
    // A viewer reads the policy of their own password, never the settings document.
    let resp = s
        .post(
            routes::ME_PASSWORD,
            &token,
            &json!({"current": USER_PASSWORD, "new": "a brand new long passphrase"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.get(routes::ME_PASSWORD_POLICY, &token).await.status(), StatusCode::OK);
    let err = api_error(
        s.get(&routes::settings(routes::area::PASSWORD_POLICY), &token).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(err.code, ErrorCode::Forbidden);
}

#[tokio::test]
async fn my_sessions_mark_this_one_and_ending_another_logs_only_it_out() {
    let s = TestServer::start().await;
    let _admin = s.admin_token().await;
    s.add_user("eve@acme.example", OrgRole::Edit);
    let first = s.login("eve@acme.example", USER_PASSWORD).await;
    s.advance_minutes(1);
    let second = s.login("eve@acme.example", USER_PASSWORD).await;
    let mine: Vec<MySession> = s.get(routes::ME_SESSIONS, &second).await.json().await.unwrap();
    assert_eq!(mine.len(), 2, "{mine:?}");
    assert!(
        mine[0].current && !mine[1].current,
        "newest first, this one marked: {mine:?}"
    );
    let other = mine[1].id.clone();
    let resp = s
        .send(
            Method::DELETE,
            &routes::ME_SESSION.replace("{session_id}", &other),
            &second,
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.get(routes::ME, &first).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.get(routes::ME, &second).await.status(), StatusCode::OK);
    let audit = s.audit(&s.admin_token().await).await;
    assert!(
        audit
            .iter()
            .any(|e| e.action == "session.end" && e.summary.contains("eve@acme.example ended another session")),
        "{audit:?}"
    );
    // Ending this one is logging out.
    let this = mine[0].id.clone();
    let resp = s
        .send(
            Method::DELETE,
            &routes::ME_SESSION.replace("{session_id}", &this),
            &second,
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.get(routes::ME, &second).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn another_users_session_or_another_orgs_is_not_found_and_stays() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    s.add_user("eve@acme.example", OrgRole::Edit);
    let eve = s.login("eve@acme.example", USER_PASSWORD).await;
    let admins: Vec<MySession> = s.get(routes::ME_SESSIONS, &admin).await.json().await.unwrap();
    let theirs = &admins[0].id;
    let resp = s
        .send(
            Method::DELETE,
            &routes::ME_SESSION.replace("{session_id}", theirs),
            &eve,
            None,
            None,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        s.get(routes::ME, &admin).await.status(),
        StatusCode::OK,
        "the admin's session stays"
    );
    // Without a credential: nothing.
    let resp = s
        .request(Method::GET, routes::ME_SESSIONS, None)
        .await
        .send()
        .await
        .unwrap();
    let err = api_error(resp, StatusCode::UNAUTHORIZED).await;
    assert_eq!(err.code, ErrorCode::Unauthorized);
}
