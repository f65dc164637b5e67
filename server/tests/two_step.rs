//! Two-step verification over HTTP with a manual clock: enrolment, the second login step, replay and
//! skew refusals, backup codes, lockout, required enrolment and the admin reset.

mod common;

use common::*;
use orgdeck_shared::{auth::OrgRole, routes};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn enable(s: &TestServer, admin: &str, required: bool) {
    set_two_step(
        s,
        admin,
        json!({ "enabled": true, "required": required, "methods": ["totp"] }),
    )
    .await;
}

fn code(s: &TestServer, secret: &str, offset_steps: i64) -> String {
    totp_code(s, secret, offset_steps)
}

async fn enrol(s: &TestServer, token: &str) -> (String, Vec<String>) {
    enrol_totp(s, token).await
}

/// Logs in with a password and expects a challenge.
async fn challenge(s: &TestServer, email: &str, password: &str) -> String {
    let resp = s.login_raw(email, password).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert_eq!(body["methods"], json!(["totp", "backup_code"]));
    assert!(body.get("token").is_none());
    body["challenge"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn enrol_then_log_in_in_two_steps_and_codes_do_not_replay() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    enable(&s, &admin, false).await;
    let (secret, _) = enrol(&s, &admin).await;
    logout(&s, &admin).await;

    s.advance_minutes(1);
    let c = challenge(&s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let used = code(&s, &secret, 0);
    let token = mfa_token(&s, &c, &used).await;
    assert_eq!(s.get(routes::ME, &token).await.status(), StatusCode::OK);

    // The challenge is single-use; the same code under a new challenge is a replay.
    refused(mfa(&s, &c, &code(&s, &secret, 1)).await).await;
    let c = challenge(&s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    refused(mfa(&s, &c, &used).await).await;
    // Two steps away is refused; one step ahead is accepted.
    refused(mfa(&s, &c, &code(&s, &secret, 2)).await).await;
    mfa_token(&s, &c, &code(&s, &secret, 1)).await;

    let actions: Vec<String> = s.audit(&token).await.into_iter().map(|e| e.action).collect();
    for a in ["two_step.enrol", "auth.mfa", "auth.mfa_failed", "auth.mfa_challenge"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
}

#[tokio::test]
async fn a_backup_code_works_once() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    enable(&s, &admin, false).await;
    let (_, backup) = enrol(&s, &admin).await;
    let c = challenge(&s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    mfa_token(&s, &c, &backup[0].to_uppercase()).await;
    let c = challenge(&s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    refused(mfa(&s, &c, &backup[0]).await).await;
    mfa_token(&s, &c, &backup[1]).await;
}

#[tokio::test]
async fn a_challenge_expires_after_five_minutes() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    enable(&s, &admin, false).await;
    let (secret, _) = enrol(&s, &admin).await;
    let c = challenge(&s, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    s.advance_minutes(6);
    refused(mfa(&s, &c, &code(&s, &secret, 0)).await).await;
}

#[tokio::test]
async fn wrong_codes_lock_the_account_like_wrong_passwords() {
    let s = TestServer::start_with(|c| c.login_attempts_per_minute = 1000).await;
    let admin = s.admin_token().await;
    enable(&s, &admin, false).await;
    s.add_user("bob@acme.example", OrgRole::Edit);
    let bob = s.login("bob@acme.example", USER_PASSWORD).await;
    let (secret, backup) = enrol(&s, &bob).await;
    s.advance_minutes(1);
    let right = code(&s, &secret, 0);
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    // Five wrong codes end a challenge; two challenges reach the policy's ten.
    let mut c = String::new();
    for _ in 0..2 {
        c = challenge(&s, "bob@acme.example", USER_PASSWORD).await;
        for _ in 0..5 {
            refused(mfa(&s, &c, &wrong).await).await;
        }
    }
    // Locked: neither the right code, a backup code, nor the password lets bob in.
    refused(mfa(&s, &c, &right).await).await;
    refused(mfa(&s, &c, &backup[0]).await).await;
    refused(s.login_raw("bob@acme.example", USER_PASSWORD).await).await;
    let actions: Vec<String> = s.audit(&admin).await.into_iter().map(|e| e.action).collect();
    assert!(actions.iter().any(|a| a == "auth.lockout"), "{actions:?}");
}

#[tokio::test]
async fn required_enrolment_blocks_everything_else_until_done() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    enable(&s, &admin, true).await;
    s.add_user("carol@acme.example", OrgRole::Admin);
    let carol = s.login("carol@acme.example", USER_PASSWORD).await;
    assert_eq!(s.get(routes::ME, &carol).await.status(), StatusCode::OK);
    let err = api_error(s.get(&routes::settings("general"), &carol).await, StatusCode::FORBIDDEN).await;
    assert!(err.message.contains("two-step"), "{}", err.message);
    enrol(&s, &carol).await;
    assert_eq!(
        s.get(&routes::settings("general"), &carol).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn admin_reset_lets_the_user_in_with_the_password_only() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    enable(&s, &admin, false).await;
    let id = s.add_user("dave@acme.example", OrgRole::Edit);
    let dave = s.login("dave@acme.example", USER_PASSWORD).await;
    enrol(&s, &dave).await;
    challenge(&s, "dave@acme.example", USER_PASSWORD).await;
    let resp = s.user_action(&admin, id, "reset_two_step").await;
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    s.login("dave@acme.example", USER_PASSWORD).await;
    let n: i64 = s.sql(|c| {
        Ok(c.query_row(
            "SELECT (SELECT COUNT(*) FROM user_totp WHERE user_id = ?1) + (SELECT COUNT(*) FROM backup_codes WHERE user_id = ?1)",
            orgdeck_server::store::sql::params![id.to_string()],
            |r| r.get(0),
        )?)
    });
    assert_eq!(n, 0);
}

#[tokio::test]
async fn enrolment_is_refused_when_the_organization_has_not_enabled_it() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let err = api_error(s.post(routes::ME_TOTP, &admin, &json!({})).await, StatusCode::FORBIDDEN).await;
    assert!(err.message.contains("not enabled"), "{}", err.message);
    set_two_step(
        &s,
        &admin,
        json!({ "enabled": true, "required": false, "methods": ["email"] }),
    )
    .await;
    api_error(s.post(routes::ME_TOTP, &admin, &json!({})).await, StatusCode::FORBIDDEN).await;
    // A wrong code does not complete enrolment.
    enable(&s, &admin, false).await;
    assert_eq!(
        s.post(routes::ME_TOTP, &admin, &json!({})).await.status(),
        StatusCode::OK
    );
    let err = api_error(
        s.post(routes::ME_TOTP_CONFIRM, &admin, &json!({ "code": "000000x" }))
            .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(err.message.contains("code"), "{}", err.message);
    s.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn the_database_file_alone_does_not_reveal_the_secret() {
    let s = TestServer::start_with(|c| c.secret_key = Some([9; 32])).await;
    let admin = s.admin_token().await;
    enable(&s, &admin, false).await;
    let (secret, backup) = enrol(&s, &admin).await;
    let raw = totp_rs::Secret::try_from_base32(&secret).unwrap().as_ref().to_vec();
    let bytes = s.stored_bytes();
    assert!(!bytes.is_empty());
    assert!(
        !bytes.windows(raw.len()).any(|w| w == raw.as_slice()),
        "raw secret in the database"
    );
    for needle in [secret.as_bytes(), backup[0].as_bytes()] {
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "secret text in the database"
        );
    }
    // A configured key means no key file is written next to the database.
    assert!(!s.dir.path().join("secret.key").exists());
}
