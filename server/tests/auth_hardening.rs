//! The holes found by trying to break authentication, each tried over HTTP the way an attacker would:
//! racing a single-use code, guessing codes against one challenge, a challenge answered from an address
//! the organization does not allow, a stolen session taking over the second factor, guessing the
//! password through `me/password`, an API key managing keys, and taking away the last admin.

mod common;

use common::{mail::*, *};
use orgdeck_shared::{
    ErrorCode,
    auth::{BackupCodes, BackupCodesLeft, OrgRole, ReauthGranted},
    routes,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

const BOB: &str = "bob@acme.example";
const CAROL: &str = "carol@acme.example";

async fn put_area(s: &TestServer, token: &str, area: &str, body: Value) -> reqwest::Response {
    let path = routes::settings(area);
    let current: Value = s.get(&path, token).await.json().await.unwrap();
    let version = current["version"].as_i64().unwrap();
    s.send(Method::PUT, &path, token, Some(&body), Some(version)).await
}

/// `POST me/two_step/reauth` with the password and, when given, a code.
async fn reauth(s: &TestServer, token: &str, password: &str, code: Option<&str>) -> reqwest::Response {
    let body = match code {
        Some(code) => json!({ "password": password, "code": code }),
        None => json!({ "password": password }),
    };
    s.post(routes::ME_REAUTH, token, &body).await
}

/// The field a 422 names first.
async fn refused_field(resp: reqwest::Response) -> String {
    api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await.fields[0]
        .field
        .clone()
}

async fn audit_actions(s: &TestServer, admin: &str) -> Vec<String> {
    s.audit(admin).await.into_iter().map(|e| e.action).collect()
}

/// Bob, enrolled in email codes, asked for a login code: his challenge and the code from the outbox.
async fn bob_email_challenge() -> (TestServer, String, String, String) {
    let s = TestServer::start_with(|c| c.login_attempts_per_minute = 1000).await;
    let admin = s.admin_token().await;
    set_two_step(
        &s,
        &admin,
        json!({ "enabled": true, "required": false, "methods": ["email"] }),
    )
    .await;
    s.add_user(BOB, OrgRole::Edit);
    let bob = s.login(BOB, USER_PASSWORD).await;
    assert_eq!(
        s.post(routes::ME_EMAIL_CODE, &bob, &json!({})).await.status(),
        StatusCode::OK
    );
    let enrol_code = code_in(&wait_for_outbox(s.dir.path(), 1).await[0]);
    let resp = s
        .post(routes::ME_EMAIL_CONFIRM, &bob, &json!({ "code": enrol_code }))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = s.login_raw(BOB, USER_PASSWORD).await;
    let body: Value = resp.json().await.unwrap();
    let challenge = body["challenge"].as_str().unwrap().to_owned();
    let code = code_in(&wait_for_outbox(s.dir.path(), 2).await[1]);
    (s, admin, challenge, code)
}

#[tokio::test]
async fn an_emailed_login_code_opens_one_session_when_requests_race() {
    let (s, admin, challenge, code) = bob_email_challenge().await;
    let attempts = (0..16).map(|_| mfa(&s, &challenge, &code));
    let answers = futures_util::future::join_all(attempts).await;
    let granted = answers.iter().filter(|r| r.status() == StatusCode::OK).count();
    let refused = answers
        .iter()
        .filter(|r| r.status() == StatusCode::UNAUTHORIZED)
        .count();
    assert_eq!((granted, refused), (1, 15), "one session, every other request refused");
    let logins = audit_actions(&s, &admin)
        .await
        .into_iter()
        .filter(|a| a == "auth.mfa")
        .count();
    assert_eq!(logins, 1);
}

#[tokio::test]
async fn a_challenge_ends_after_five_wrong_codes_even_for_the_right_one() {
    let (s, admin, challenge, code) = bob_email_challenge().await;
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    for _ in 0..5 {
        refused(mfa(&s, &challenge, &wrong).await).await;
    }
    refused(mfa(&s, &challenge, &code).await).await;
    let failed = s
        .audit(&admin)
        .await
        .into_iter()
        .find(|e| e.action == "auth.mfa_failed" && e.summary.contains("5 wrong codes"));
    assert!(failed.is_some(), "the end of the challenge is audited");
    // The account is not locked (the policy allows ten): a new login works.
    let resp = s.login_raw(BOB, USER_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn auth_mfa_refuses_an_address_the_organization_does_not_allow_whatever_the_code() {
    let (s, admin, challenge, code) = bob_email_challenge().await;
    let resp = put_area(
        &s,
        &admin,
        "ip_restrictions",
        json!({ "rules": [{ "cidr": "192.0.2.0/24", "label": "office" }], "confirm_self_lockout": true }),
    )
    .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    let right = api_error(mfa(&s, &challenge, &code).await, StatusCode::UNAUTHORIZED).await;
    let guessed = api_error(mfa(&s, &challenge, &wrong).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(right, guessed, "the refusal does not depend on the code");
    assert_eq!(right.code, ErrorCode::InvalidCredentials);
}

#[tokio::test]
async fn a_wrong_password_from_a_refused_address_counts_toward_the_lockout() {
    let s = TestServer::start_with(|c| {
        c.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        c.login_attempts_per_minute = 1000;
    })
    .await;
    let from = |ip: &'static str, email: &'static str, password: &'static str| {
        s.http
            .post(s.url(routes::LOGIN))
            .header("x-forwarded-for", ip)
            .json(&json!({ "email": email, "password": password }))
            .send()
    };
    let resp = from("192.0.2.5", ADMIN_EMAIL, ADMIN_PASSWORD).await.unwrap();
    let admin = resp.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();
    s.add_user(BOB, OrgRole::View);
    let path = routes::settings("ip_restrictions");
    let version = s
        .request(Method::GET, &path, Some(&admin))
        .await
        .header("x-forwarded-for", "192.0.2.5")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["version"]
        .as_i64()
        .unwrap();
    let resp = s
        .request(Method::PUT, &path, Some(&admin))
        .await
        .header("x-forwarded-for", "192.0.2.5")
        .header("if-match", orgdeck_shared::etag_for(version))
        .json(&json!({ "rules": [{ "cidr": "192.0.2.0/24", "label": "office" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    // From outside the list: ten guesses, each refused like any wrong password.
    for _ in 0..10 {
        refused(from("203.0.113.9", BOB, "guess guess guess guess").await.unwrap()).await;
    }
    // From the office, Bob's right password no longer works: the guesses locked the account.
    refused(from("192.0.2.5", BOB, USER_PASSWORD).await.unwrap()).await;
}

/// Bob enrolled in an authenticator app; answers his token (logged in at enrolment), his secret and codes.
async fn bob_with_totp(s: &TestServer) -> (String, String, Vec<String>) {
    let admin = s.admin_token().await;
    set_two_step(
        s,
        &admin,
        json!({ "enabled": true, "required": false, "methods": ["totp", "email"] }),
    )
    .await;
    s.add_user(BOB, OrgRole::Edit);
    let bob = s.login(BOB, USER_PASSWORD).await;
    let (secret, codes) = enrol_totp(s, &bob).await;
    (bob, secret, codes)
}

#[tokio::test]
async fn a_stolen_session_cannot_change_the_second_factor_without_fresh_proof() {
    let s = TestServer::start_with(|c| c.login_attempts_per_minute = 1000).await;
    let (bob, secret, _) = bob_with_totp(&s).await;
    let backup: BackupCodes = s
        .post(routes::ME_BACKUP_CODES, &bob, &json!({}))
        .await
        .json()
        .await
        .unwrap();
    // Within five minutes of the login, changes are allowed (the login was the proof): above, new codes.
    s.advance_minutes(6);
    // Later, a token alone is not enough for any change of the second factor.
    for path in [routes::ME_TOTP, routes::ME_EMAIL_CODE, routes::ME_BACKUP_CODES] {
        let err = api_error(s.post(path, &bob, &json!({})).await, StatusCode::FORBIDDEN).await;
        assert_eq!(err.code, ErrorCode::ReauthRequired, "{path}");
    }
    // Wrong password, then no code, then a wrong code: refused, naming the field.
    let resp = reauth(&s, &bob, "not it at all", Some(&*totp_code(&s, &secret, 0))).await;
    assert_eq!(refused_field(resp).await, "password");
    let resp = reauth(&s, &bob, USER_PASSWORD, None).await;
    assert_eq!(refused_field(resp).await, "code");
    let resp = reauth(&s, &bob, USER_PASSWORD, Some("000000")).await;
    assert_eq!(refused_field(resp).await, "code");
    assert_eq!(
        api_error(s.post(routes::ME_TOTP, &bob, &json!({})).await, StatusCode::FORBIDDEN)
            .await
            .code,
        ErrorCode::ReauthRequired
    );
    // Password and a current code: fresh for five minutes.
    let resp = reauth(&s, &bob, USER_PASSWORD, Some(&*totp_code(&s, &secret, 0))).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let fresh: ReauthGranted = resp.json().await.unwrap();
    assert!(fresh.fresh_until > orgdeck_server::Clock::now(&s.clock));
    let resp = s.post(routes::ME_BACKUP_CODES, &bob, &json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let new_codes: BackupCodes = resp.json().await.unwrap();
    assert_eq!(new_codes.backup_codes.len(), 10);
    let left: BackupCodesLeft = s.get(routes::ME_BACKUP_CODES, &bob).await.json().await.unwrap();
    assert_eq!(left.remaining, 10);
    // The earlier backup codes no longer work, the new ones do.
    let resp = s.login_raw(BOB, USER_PASSWORD).await;
    let challenge = resp.json::<Value>().await.unwrap()["challenge"]
        .as_str()
        .unwrap()
        .to_owned();
    refused(mfa(&s, &challenge, backup.backup_codes[0].expose()).await).await;
    mfa_token(&s, &challenge, new_codes.backup_codes[0].expose()).await;
    // Five minutes on, the proof has lapsed again.
    s.advance_minutes(6);
    let err = api_error(s.post(routes::ME_TOTP, &bob, &json!({})).await, StatusCode::FORBIDDEN).await;
    assert_eq!(err.code, ErrorCode::ReauthRequired);
}

#[tokio::test]
async fn an_email_only_user_gives_fresh_proof_with_an_emailed_code_used_once() {
    let (s, _admin, challenge, code) = bob_email_challenge().await;
    let bob = mfa_token(&s, &challenge, &code).await;
    s.advance_minutes(6);
    let err = api_error(
        s.post(routes::ME_BACKUP_CODES, &bob, &json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(err.code, ErrorCode::ReauthRequired);
    // Without a code asked for, a six-digit guess is refused like any wrong code.
    let resp = reauth(&s, &bob, USER_PASSWORD, Some("123456")).await;
    assert_eq!(refused_field(resp).await, "code");
    assert_eq!(
        s.post(routes::ME_REAUTH_EMAIL, &bob, &json!({})).await.status(),
        StatusCode::OK
    );
    let mails = wait_for_outbox(s.dir.path(), 3).await;
    let emailed = code_in(&mails[2]);
    // A second code within the minute is refused; the first stays the one.
    assert_eq!(
        s.post(routes::ME_REAUTH_EMAIL, &bob, &json!({})).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // The code alone is not enough: the password must be right too.
    let resp = reauth(&s, &bob, "not it at all", Some(&*emailed)).await;
    assert_eq!(refused_field(resp).await, "password");
    let resp = reauth(&s, &bob, USER_PASSWORD, Some(&*emailed)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        s.post(routes::ME_BACKUP_CODES, &bob, &json!({})).await.status(),
        StatusCode::OK
    );
    // Used once: the same code again is refused.
    s.advance_minutes(6);
    let resp = reauth(&s, &bob, USER_PASSWORD, Some(&*emailed)).await;
    assert_eq!(refused_field(resp).await, "code");

    // A code for another session (another login of Bob's) does not prove this one.
    let other_login = s.login_raw(BOB, USER_PASSWORD).await.json::<Value>().await.unwrap();
    let other_challenge = other_login["challenge"].as_str().unwrap().to_owned();
    let other_code = code_in(&wait_for_outbox(s.dir.path(), 4).await[3]);
    let other = mfa_token(&s, &other_challenge, &other_code).await;
    s.advance_minutes(2);
    assert_eq!(
        s.post(routes::ME_REAUTH_EMAIL, &other, &json!({})).await.status(),
        StatusCode::OK
    );
    let for_other = code_in(&wait_for_outbox(s.dir.path(), 5).await[4]);
    let resp = reauth(&s, &bob, USER_PASSWORD, Some(&*for_other)).await;
    assert_eq!(refused_field(resp).await, "code");

    // Five wrong codes end the emailed code: the right one no longer works.
    assert_eq!(
        s.post(routes::ME_REAUTH_EMAIL, &bob, &json!({})).await.status(),
        StatusCode::OK
    );
    let right = code_in(&wait_for_outbox(s.dir.path(), 6).await[5]);
    for _ in 0..5 {
        let wrong = if right == "000000" { "111111" } else { "000000" };
        let resp = reauth(&s, &bob, USER_PASSWORD, Some(wrong)).await;
        assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let resp = reauth(&s, &bob, USER_PASSWORD, Some(&*right)).await;
    assert_eq!(refused_field(resp).await, "code");
}

#[tokio::test]
async fn a_user_without_email_codes_cannot_ask_for_an_emailed_reauth_code() {
    let s = TestServer::start_with(|c| c.login_attempts_per_minute = 1000).await;
    let (bob, _, _) = bob_with_totp(&s).await;
    let resp = s.post(routes::ME_REAUTH_EMAIL, &bob, &json!({})).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert!(
        outbox_rows(&s).is_empty(),
        "no mail for a user who does not verify by email"
    );
}

#[tokio::test]
async fn wrong_current_passwords_at_me_password_count_toward_lockout_and_are_audited() {
    let s = TestServer::start_with(|c| c.login_attempts_per_minute = 1000).await;
    let admin = s.admin_token().await;
    s.add_user(BOB, OrgRole::Edit);
    let bob = s.login(BOB, USER_PASSWORD).await;
    let change = |current: &str| json!({ "current": current, "new": "a brand new passphrase 2027" });
    for _ in 0..9 {
        let resp = s.post(routes::ME_PASSWORD, &bob, &change("guess guess guess")).await;
        assert_eq!(refused_field(resp).await, "current");
    }
    // The tenth locks the account (the policy's ten), which ends this session too.
    let resp = s.post(routes::ME_PASSWORD, &bob, &change("guess guess guess")).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.get(routes::ME, &bob).await.status(), StatusCode::UNAUTHORIZED);
    refused(s.login_raw(BOB, USER_PASSWORD).await).await;
    let actions = audit_actions(&s, &admin).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "user.change_password_failed").count(),
        10,
        "{actions:?}"
    );
    assert!(actions.iter().any(|a| a == "auth.lockout"), "{actions:?}");
}

#[tokio::test]
async fn me_password_is_rate_limited_per_address() {
    let s = TestServer::start_with(|c| c.login_attempts_per_minute = 3).await;
    s.add_user(BOB, OrgRole::Edit);
    let bob = s.login(BOB, USER_PASSWORD).await;
    let body = json!({ "current": "guess guess guess", "new": "a brand new passphrase 2027" });
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(s.post(routes::ME_PASSWORD, &bob, &body).await.status());
    }
    assert_eq!(statuses.last(), Some(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}

async fn key_for(s: &TestServer, token: &str, body: Value) -> reqwest::Response {
    s.post(routes::API_KEYS, token, &body).await
}

#[tokio::test]
async fn an_api_key_never_manages_keys() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let resp = key_for(&s, &admin, json!({})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let mine: Value = resp.json().await.unwrap();
    let key = mine["key"].as_str().unwrap().to_owned();
    let id: Uuid = mine["info"]["id"].as_str().unwrap().parse().unwrap();
    let mut body = new_user("ci-bot@acme.example", "CI", "Bot", "edit");
    body["api_only"] = json!(true);
    let bot = s.create_user_api(&admin, body).await;
    // With the admin's own key: no new key for anyone, no rotation, no email, no revocation.
    let tries = [
        (
            Method::POST,
            routes::API_KEYS.to_owned(),
            Some(json!({ "user_id": bot.user.id })),
        ),
        (
            Method::POST,
            routes::api_key_rotate(id),
            Some(json!({ "grace_minutes": 0 })),
        ),
        (Method::POST, routes::api_key_email(id), Some(json!({}))),
        (Method::DELETE, routes::api_key(id), None),
    ];
    for (method, path, body) in tries {
        let resp = s.send(method.clone(), &path, &key, body.as_ref(), None).await;
        let err = api_error(resp, StatusCode::FORBIDDEN).await;
        assert!(err.message.contains("session"), "{method} {path}: {}", err.message);
    }
    // The key still works: nothing was rotated or revoked.
    assert_eq!(s.get(routes::ME, &key).await.status(), StatusCode::OK);
    // From a session, the admin makes the API-only user's key.
    assert_eq!(
        key_for(&s, &admin, json!({ "user_id": bot.user.id })).await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn no_key_for_a_user_who_has_not_activated_their_account() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let mut body = new_user("pending-bot@acme.example", "Pending", "Bot", "edit");
    body["api_only"] = json!(true);
    body.as_object_mut().unwrap().remove("password");
    let pending = s.create_user_api(&admin, body).await;
    let err = api_error(
        key_for(&s, &admin, json!({ "user_id": pending.user.id })).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(err.message.contains("activated"), "{}", err.message);
}

#[tokio::test]
async fn the_only_admin_cannot_make_themselves_api_only() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let me: Value = s.get(routes::ME, &admin).await.json().await.unwrap();
    let id: Uuid = me["user"]["id"].as_str().unwrap().parse().unwrap();
    let user: Value = s.get(&routes::user(id), &admin).await.json().await.unwrap();
    let version = user["version"].as_i64().unwrap();
    let resp = s
        .send(
            Method::PATCH,
            &routes::user(id),
            &admin,
            Some(&json!({ "api_only": true })),
            Some(version),
        )
        .await;
    let err = api_error(resp, StatusCode::CONFLICT).await;
    assert!(err.message.contains("last admin"), "{}", err.message);
    // Still an admin who can log in.
    s.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn an_admin_who_cannot_log_in_does_not_count_as_the_last_admin() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    // An API-only "admin" (a machine) is made; the real admin still may not step down.
    let mut body = new_user("robot@acme.example", "Robot", "Admin", "admin");
    body["api_only"] = json!(true);
    s.create_user_api(&admin, body).await;
    let me: Value = s.get(routes::ME, &admin).await.json().await.unwrap();
    let id: Uuid = me["user"]["id"].as_str().unwrap().parse().unwrap();
    let resp = s.user_action(&admin, id, "disable").await;
    let err = api_error(resp, StatusCode::CONFLICT).await;
    assert!(err.message.contains("last admin"), "{}", err.message);
}

#[tokio::test]
async fn two_admins_demoting_each_other_at_once_leave_one() {
    for round in 0..5 {
        let s = TestServer::start().await;
        let admin = s.admin_token().await;
        let carol_id = s.add_user(CAROL, OrgRole::Admin);
        let carol = s.login(CAROL, USER_PASSWORD).await;
        let me: Value = s.get(routes::ME, &admin).await.json().await.unwrap();
        let admin_id: Uuid = me["user"]["id"].as_str().unwrap().parse().unwrap();
        let version = |id: Uuid| {
            let s = &s;
            let admin = admin.clone();
            async move {
                let user: Value = s.get(&routes::user(id), &admin).await.json().await.unwrap();
                user["version"].as_i64().unwrap()
            }
        };
        let (carol_v, admin_v) = (version(carol_id).await, version(admin_id).await);
        let demote = |token: &str, id: Uuid, v: i64| {
            let body = json!({ "default_group": "view" });
            let token = token.to_owned();
            let s = &s;
            async move {
                s.send(Method::PATCH, &routes::user(id), &token, Some(&body), Some(v))
                    .await
            }
        };
        let (a, b) = tokio::join!(demote(&admin, carol_id, carol_v), demote(&carol, admin_id, admin_v));
        assert!(
            !(a.status() == StatusCode::OK && b.status() == StatusCode::OK),
            "round {round}: both demotions went through"
        );
        // Whatever the order, one admin who can log in is left.
        let admins = [(ADMIN_EMAIL, ADMIN_PASSWORD), (CAROL, USER_PASSWORD)];
        let mut left = 0;
        for (email, password) in admins {
            let token = s.login(email, password).await;
            let me: Value = s.get(routes::ME, &token).await.json().await.unwrap();
            if me["role"] == "admin" {
                left += 1;
            }
        }
        assert!(left >= 1, "round {round}: no admin left");
    }
}

/// Sets fields of the password policy (a custom one).
async fn set_policy(s: &TestServer, admin: &str, fields: Value) {
    let path = routes::settings("password_policy");
    let doc: Value = s.get(&path, admin).await.json().await.unwrap();
    let mut policy = doc["value"].clone();
    for (k, v) in fields.as_object().unwrap() {
        policy[k] = v.clone();
    }
    let resp = s
        .send(Method::PUT, &path, admin, Some(&policy), doc["version"].as_i64())
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
}

#[tokio::test]
async fn guesses_never_lock_the_last_admin_out_for_good() {
    let s = TestServer::start_with(|c| c.login_attempts_per_minute = 1000).await;
    let admin = s.admin_token().await;
    s.add_user(BOB, OrgRole::View);
    // Locks last until an admin unlocks.
    set_policy(&s, &admin, json!({ "lockout_minutes": 0 })).await;
    for email in [ADMIN_EMAIL, BOB] {
        for _ in 0..10 {
            refused(s.login_raw(email, "guess guess guess guess").await).await;
        }
    }
    s.advance_minutes(59);
    refused(s.login_raw(ADMIN_EMAIL, ADMIN_PASSWORD).await).await;
    // The only admin's lock ends after an hour; Bob's waits for an admin.
    s.advance_minutes(2);
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    refused(s.login_raw(BOB, USER_PASSWORD).await).await;
    let audit = s.audit(&admin).await;
    assert!(
        audit.iter().any(|e| e.action == "auth.unlock"),
        "the end of the lock is audited"
    );
}

#[tokio::test]
async fn inactivity_does_not_lock_the_last_admin() {
    let s = TestServer::start_with(|c| c.login_attempts_per_minute = 1000).await;
    let admin = s.admin_token().await;
    s.add_user(BOB, OrgRole::View);
    s.add_user(CAROL, OrgRole::Admin);
    set_policy(&s, &admin, json!({ "inactive_lock_days": 30 })).await;
    s.advance_minutes(31 * 24 * 60);
    // Two admins: an inactive one is locked like anyone.
    refused(s.login_raw(CAROL, USER_PASSWORD).await).await;
    refused(s.login_raw(BOB, USER_PASSWORD).await).await;
    // Now the first admin is the last one who can log in: not locked for inactivity.
    s.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn wrong_passwords_that_cross_the_limit_together_lock_the_account_once() {
    let s = TestServer::start_with(|c| c.login_attempts_per_minute = 1000).await;
    let admin = s.admin_token().await;
    s.add_user(BOB, OrgRole::Edit);
    // Nine wrong passwords; then eight at once, each seeing nine failures before it.
    for _ in 0..9 {
        refused(s.login_raw(BOB, "guess guess guess").await).await;
    }
    let together = (0..8).map(|_| s.login_raw(BOB, "guess guess guess"));
    for resp in futures_util::future::join_all(together).await {
        refused(resp).await;
    }
    refused(s.login_raw(BOB, USER_PASSWORD).await).await;
    let actions = audit_actions(&s, &admin).await;
    assert_eq!(
        actions.iter().filter(|a| *a == "auth.lockout").count(),
        1,
        "locked and audited once: {actions:?}"
    );
}
