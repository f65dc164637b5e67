//! Section 4 (Security), one test per rule, each trying to get around it.

mod common;

use common::*;
use orgdeck_shared::{
    ErrorCode,
    audit::AuditEntry,
    auth::OrgRole,
    routes::{self, user_action},
    security::ActiveSession,
    users::{User, UserStatus},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const DANA: &str = "dana@acme.example";

/// `PUT settings/{area}` over the version read just before.
async fn put_area(s: &TestServer, token: &str, area: &str, body: Value) -> reqwest::Response {
    let current: Value = s.get(&routes::settings(area), token).await.json().await.unwrap();
    let version = current["version"].as_i64().unwrap();
    s.send(Method::PUT, &routes::settings(area), token, Some(&body), Some(version))
        .await
}

async fn put_ok(s: &TestServer, token: &str, area: &str, body: Value) -> Value {
    let resp = put_area(s, token, area, body).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

fn custom_policy(extra: Value) -> Value {
    let mut p = json!({
        "strength": "custom", "min_length": 15, "min_upper": 0, "min_lower": 0, "min_digits": 0,
        "min_symbols": 0, "expiration_days": 0, "history": 0, "lockout_attempts": 10, "lockout_minutes": 10,
        "inactive_lock_days": 0, "block_common": true,
    });
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    p
}

async fn change_password(s: &TestServer, token: &str, current: &str, new: &str) -> reqwest::Response {
    s.post(routes::ME_PASSWORD, token, &json!({ "current": current, "new": new }))
        .await
}

async fn audit_actions(s: &TestServer, token: &str) -> Vec<AuditEntry> {
    s.audit(token).await
}

#[tokio::test]
async fn security_settings_are_versioned_documents_validated_and_audited() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    for area in ["password_policy", "sessions", "ip_restrictions", "two_step"] {
        let resp = s.get(&routes::settings(area), &token).await;
        assert_eq!(resp.status(), StatusCode::OK, "{area}");
        assert!(resp.headers().get("etag").is_some());
        let doc: Value = resp.json().await.unwrap();
        assert!(doc["version"].as_i64().unwrap() >= 1, "{area}");
        // Without If-Match: 428; with an old version: 412.
        let body = doc["value"].clone();
        let resp = s
            .send(Method::PUT, &routes::settings(area), &token, Some(&body), None)
            .await;
        assert_eq!(resp.status(), StatusCode::PRECONDITION_REQUIRED, "{area}");
        let resp = s
            .send(Method::PUT, &routes::settings(area), &token, Some(&body), Some(99))
            .await;
        assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED, "{area}");
    }
    // The defaults the server always enforced are what GET shows.
    let policy: Value = s
        .get(&routes::settings("password_policy"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(policy["value"]["lockout_attempts"], 10);
    let sessions: Value = s.get(&routes::settings("sessions"), &token).await.json().await.unwrap();
    assert_eq!(
        sessions["value"],
        json!({ "idle_minutes": 30, "absolute_minutes": 720 })
    );

    // 422 names each field.
    let err = api_error(
        put_area(
            &s,
            &token,
            "password_policy",
            custom_policy(json!({ "min_length": 3, "history": 99 })),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert!(
        fields.contains(&"min_length") && fields.contains(&"history"),
        "{fields:?}"
    );
    let err = api_error(
        put_area(
            &s,
            &token,
            "sessions",
            json!({ "idle_minutes": 1, "absolute_minutes": 30 }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(err.fields[0].field, "idle_minutes");
    let err = api_error(
        put_area(
            &s,
            &token,
            "ip_restrictions",
            json!({ "rules": [{ "cidr": "10.0.0.0/33" }] }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(err.fields[0].field, "rules[0].cidr");

    let saved = put_ok(
        &s,
        &token,
        "two_step",
        json!({ "enabled": true, "required": false, "methods": ["totp"] }),
    )
    .await;
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["value"]["enabled"], true);
    let saved = put_ok(&s, &token, "password_policy", custom_policy(json!({ "history": 5 }))).await;
    assert_eq!(saved["value"]["history"], 5);
    let entry = audit_actions(&s, &token)
        .await
        .into_iter()
        .find(|e| e.action == "settings.update" && e.target.id == "password_policy")
        .expect("policy change audited");
    let changed: Vec<&str> = entry.changes.iter().map(|c| c.field.as_str()).collect();
    assert!(
        changed.contains(&"history") && changed.contains(&"strength"),
        "{changed:?}"
    );
}

#[tokio::test]
async fn guessing_past_the_lockout_is_refused_even_with_the_right_password() {
    let s = TestServer::start().await;
    s.add_user(DANA, OrgRole::View);
    for _ in 0..10 {
        let err = api_error(
            s.login_raw(DANA, "wrong wrong wrong wrong").await,
            StatusCode::UNAUTHORIZED,
        )
        .await;
        assert_eq!(err.code, ErrorCode::InvalidCredentials);
    }
    let locked = api_error(s.login_raw(DANA, USER_PASSWORD).await, StatusCode::UNAUTHORIZED).await;
    let unknown = api_error(
        s.login_raw("nobody@acme.example", USER_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(locked, unknown, "a locked account answers like an unknown one");
    let token = s.admin_token().await;
    let audit = audit_actions(&s, &token).await;
    let lockout = audit
        .iter()
        .find(|e| e.action == "auth.lockout")
        .expect("lockout audited");
    assert!(lockout.summary.contains("10 failed logins"), "{}", lockout.summary);
    let failure = audit.iter().find(|e| e.action == "auth.login_failed").unwrap();
    assert_eq!(failure.ip.as_deref(), Some("127.0.0.1"));
    let login = audit.iter().find(|e| e.action == "auth.login").unwrap();
    assert_eq!(login.ip.as_deref(), Some("127.0.0.1"));
    // Nine minutes later still locked; after the lockout minutes the lock ends by itself, audited.
    s.advance_minutes(9);
    assert_eq!(
        s.login_raw(DANA, USER_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    s.advance_minutes(2);
    s.login(DANA, USER_PASSWORD).await;
    let token = s.admin_token().await;
    assert!(
        audit_actions(&s, &token)
            .await
            .iter()
            .any(|e| e.action == "auth.unlock")
    );
}

#[tokio::test]
async fn login_is_rate_limited_per_address() {
    let s = TestServer::start_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.login_attempts_per_minute = 5;
    })
    .await;
    let attempt = |from: &'static str| {
        s.http
            .post(s.url(routes::LOGIN))
            .header("x-forwarded-for", from)
            .json(&json!({ "email": "nobody@acme.example", "password": "whatever whatever" }))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(attempt("203.0.113.1").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let resp = attempt("203.0.113.1").await.unwrap();
    let retry: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let err = api_error(resp, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(err.code, ErrorCode::TooManyRequests);
    // Even the right password waits.
    let resp = s
        .http
        .post(s.url(routes::LOGIN))
        .header("x-forwarded-for", "203.0.113.1")
        .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another address is not limited.
    assert_eq!(attempt("203.0.113.2").await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // A minute later the address may try again.
    s.advance_minutes(1);
    assert_eq!(attempt("203.0.113.1").await.unwrap().status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_forged_x_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let me: Value = s
        .request(Method::GET, routes::ME, Some(&token))
        .await
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["client_ip"], "127.0.0.1");
    // An allow-list of the forged address does not let the forger in.
    put_ok(
        &s,
        &token,
        "ip_restrictions",
        json!({ "rules": [{ "cidr": "203.0.113.0/24", "label": "office" }], "confirm_self_lockout": true }),
    )
    .await;
    let resp = s
        .request(Method::GET, routes::ME, Some(&token))
        .await
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    let err = api_error(resp, StatusCode::FORBIDDEN).await;
    assert!(err.message.contains("127.0.0.1"), "{}", err.message);
}

#[tokio::test]
async fn ip_restrictions_block_login_and_existing_sessions() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    s.add_user(DANA, OrgRole::View);
    let dana = s.login(DANA, USER_PASSWORD).await;
    // A list that includes the caller's address needs no confirmation; everyone keeps working.
    put_ok(
        &s,
        &token,
        "ip_restrictions",
        json!({ "rules": [{ "cidr": "127.0.0.0/8", "label": "here" }] }),
    )
    .await;
    assert_eq!(s.get(routes::ME, &dana).await.status(), StatusCode::OK);
    // IPv6 rules coexist; the loopback v4 caller is not in them.
    put_ok(
        &s,
        &token,
        "ip_restrictions",
        json!({ "rules": [{ "cidr": "2001:db8::/32", "label": "v6 office" }], "confirm_self_lockout": true }),
    )
    .await;
    let err = api_error(s.get(routes::ME, &dana).await, StatusCode::FORBIDDEN).await;
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert!(err.message.contains("127.0.0.1"), "{}", err.message);
    // From there the right password answers exactly what a wrong one does: the list does not confirm
    // guessed passwords to the people it keeps out.
    let right = api_error(s.login_raw(DANA, USER_PASSWORD).await, StatusCode::UNAUTHORIZED).await;
    let wrong = api_error(
        s.login_raw(DANA, "wrong wrong wrong wrong").await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(right.code, ErrorCode::InvalidCredentials);
    assert_eq!(right, wrong);
}

#[tokio::test]
async fn saving_a_list_that_excludes_oneself_needs_confirmation() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let body = json!({ "rules": [{ "cidr": "10.0.0.0/8", "label": "vpn" }] });
    let err = api_error(
        put_area(&s, &token, "ip_restrictions", body).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(err.message.contains("127.0.0.1"), "{}", err.message);
    let doc: Value = s
        .get(&routes::settings("ip_restrictions"), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["value"]["rules"], json!([]), "nothing saved");
    let saved = put_ok(
        &s,
        &token,
        "ip_restrictions",
        json!({ "rules": [{ "cidr": "10.0.0.0/8", "label": "vpn" }], "confirm_self_lockout": true }),
    )
    .await;
    assert!(
        saved["value"].get("confirm_self_lockout").is_none(),
        "the confirmation is not stored"
    );
    // And it took effect at once: the admin's own session is refused now.
    assert_eq!(s.get(routes::ME, &token).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_expired_password_must_be_changed_before_anything_else() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    put_ok(
        &s,
        &token,
        "password_policy",
        custom_policy(json!({ "expiration_days": 30 })),
    )
    .await;
    s.advance_minutes(31 * 24 * 60);
    let token = s.admin_token().await;
    let me: Value = s.get(routes::ME, &token).await.json().await.unwrap();
    assert_eq!(me["must_change_password"], true);
    for path in [
        routes::USERS.to_owned(),
        routes::settings("general"),
        routes::AUDIT.to_owned(),
    ] {
        let err = api_error(s.get(&path, &token).await, StatusCode::FORBIDDEN).await;
        assert!(
            err.message.contains("password must be changed"),
            "{path}: {}",
            err.message
        );
    }
    let new = "a fresh passphrase for 2027";
    let resp = change_password(&s, &token, ADMIN_PASSWORD, new).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT, "{}", resp.text().await.unwrap());
    assert_eq!(s.get(routes::USERS, &token).await.status(), StatusCode::OK);
    let audit = audit_actions(&s, &token).await;
    assert!(audit.iter().any(|e| e.action == "auth.password_expired"));

    // An admin-forced reset blocks the same way.
    let dana = s.add_user(DANA, OrgRole::Admin);
    s.user_action(&token, dana, user_action::RESET_PASSWORD).await;
    let dana_token = s.login(DANA, USER_PASSWORD).await;
    assert_eq!(s.get(routes::GROUPS, &dana_token).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(s.get(routes::ME, &dana_token).await.status(), StatusCode::OK);
    let resp = change_password(&s, &dana_token, USER_PASSWORD, "her own new passphrase").await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.get(routes::GROUPS, &dana_token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_reused_password_is_refused() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    put_ok(&s, &token, "password_policy", custom_policy(json!({ "history": 3 }))).await;
    s.add_user(DANA, OrgRole::View);
    let dana = s.login(DANA, USER_PASSWORD).await;
    let (a, b, c) = (
        "first new passphrase 1",
        "second new passphrase 2",
        "third new passphrase 3",
    );
    assert_eq!(
        change_password(&s, &dana, USER_PASSWORD, a).await.status(),
        StatusCode::NO_CONTENT
    );
    // The current one and the ones before it are refused.
    for reused in [a, USER_PASSWORD] {
        let err = api_error(
            change_password(&s, &dana, a, reused).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(err.fields[0].field, "new");
        assert!(
            err.fields[0].message.contains("used recently"),
            "{}",
            err.fields[0].message
        );
    }
    assert_eq!(change_password(&s, &dana, a, b).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(change_password(&s, &dana, b, c).await.status(), StatusCode::NO_CONTENT);
    let err = api_error(change_password(&s, &dana, c, a).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(err.fields[0].message.contains("last 3"), "{}", err.fields[0].message);
}

#[tokio::test]
async fn accounts_unused_too_long_are_locked_at_login() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    put_ok(&s, &token, "password_policy", json!({ "inactive_lock_days": 30 })).await;
    let dana = s.add_user(DANA, OrgRole::View);
    s.advance_minutes(20 * 24 * 60);
    s.admin_token().await;
    s.advance_minutes(11 * 24 * 60);
    let err = api_error(s.login_raw(DANA, USER_PASSWORD).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(err.code, ErrorCode::InvalidCredentials);
    let token = s.admin_token().await;
    let user: User = s.get(&routes::user(dana), &token).await.json().await.unwrap();
    assert_eq!(user.status, UserStatus::Locked);
    let audit = audit_actions(&s, &token).await;
    let lockout = audit.iter().find(|e| e.action == "auth.lockout").expect("audited");
    assert!(
        lockout.summary.contains("no login for more than 30 days"),
        "{}",
        lockout.summary
    );
    // Unlocking lets them in (and is audited).
    s.user_action(&token, dana, user_action::UNLOCK).await;
    s.login(DANA, USER_PASSWORD).await;
    assert!(
        audit_actions(&s, &token)
            .await
            .iter()
            .any(|e| e.action == "user.unlock")
    );
}

#[tokio::test]
async fn common_passwords_and_the_email_name_are_refused() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    s.add_user(DANA, OrgRole::View);
    let dana = s.login(DANA, USER_PASSWORD).await;
    for bad in ["1qaz2wsx3edc4rfv", "i am dana and that is all", "acme is where I work"] {
        let err = api_error(
            change_password(&s, &dana, USER_PASSWORD, bad).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(err.fields[0].field, "new", "{bad}");
    }
    // The same rules when an admin sets a password.
    let mut body = new_user("erin@acme.example", "Erin", "E", "view");
    body["password"] = json!("erin erin erin erin");
    let resp = s.post(routes::USERS, &token, &body).await;
    let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(err.fields[0].field, "password");
}

#[tokio::test]
async fn non_admins_get_403_on_every_new_route() {
    let s = TestServer::start().await;
    let dana = s.add_user(DANA, OrgRole::Edit);
    let token = s.login(DANA, USER_PASSWORD).await;
    for area in ["password_policy", "sessions", "ip_restrictions", "two_step"] {
        assert_eq!(
            s.get(&routes::settings(area), &token).await.status(),
            StatusCode::FORBIDDEN
        );
        let resp = s
            .send(Method::PUT, &routes::settings(area), &token, Some(&json!({})), Some(1))
            .await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{area}");
    }
    assert_eq!(
        s.get(&routes::user_sessions(dana), &token).await.status(),
        StatusCode::FORBIDDEN
    );
    for path in [routes::user_sessions(dana), routes::user_session(dana, "x")] {
        let resp = s.send(Method::DELETE, &path, &token, None, None).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let export = format!("{}?format=csv", routes::AUDIT_EXPORT);
    assert_eq!(s.get(&export, &token).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(s.get(routes::AUDIT, &token).await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn organizations_do_not_see_each_others_sessions_settings_or_audit() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let dana = s.add_user(DANA, OrgRole::View);
    s.login(DANA, USER_PASSWORD).await;
    s.add_org("Globex", "admin@globex.example");
    let other = s.login("admin@globex.example", ADMIN_PASSWORD).await;
    assert_eq!(
        s.get(&routes::user_sessions(dana), &other).await.status(),
        StatusCode::NOT_FOUND
    );
    let resp = s
        .send(Method::DELETE, &routes::user_sessions(dana), &other, None, None)
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let list: Vec<ActiveSession> = s.get(&routes::user_sessions(dana), &token).await.json().await.unwrap();
    assert_eq!(list.len(), 1, "still there");
    // Acme locks itself to a network; Globex is not affected.
    put_ok(
        &s,
        &token,
        "ip_restrictions",
        json!({ "rules": [{ "cidr": "10.0.0.0/8" }], "confirm_self_lockout": true }),
    )
    .await;
    assert_eq!(s.get(routes::ME, &other).await.status(), StatusCode::OK);
    let doc: Value = s
        .get(&routes::settings("ip_restrictions"), &other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(doc["value"]["rules"], json!([]));
    let audit = audit_actions(&s, &other).await;
    assert!(audit.iter().all(|e| !e.summary.contains("dana")), "no Acme entries");
    let body = s
        .get(&format!("{}?format=jsonl&q=dana", routes::AUDIT_EXPORT), &other)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(body, "");
}
