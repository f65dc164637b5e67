//! Two-step verification by email over HTTP, with the file outbox and a manual clock: enrolment with
//! the emailed code, logging in with one, single use, expiry, binding to the challenge, resend limits,
//! lockout, the admin reset, organizations that do not offer it or require it, and no code at rest.

mod common;

use common::{mail::*, *};
use orgdeck_shared::{
    ErrorCode,
    auth::{BackupCodes, EmailCodeSent, OrgRole},
    routes,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const BOB: &str = "bob@acme.example";

async fn offer_email(s: &TestServer, admin: &str, required: bool) {
    set_two_step(
        s,
        admin,
        json!({ "enabled": true, "required": required, "methods": ["email"] }),
    )
    .await;
}

/// A server whose organization offers email codes, with bob (not enrolled yet) logged in.
async fn server_with_bob() -> (TestServer, String, String) {
    let s = TestServer::start_with(|c| c.login_attempts_per_minute = 1000).await;
    let admin = s.admin_token().await;
    offer_email(&s, &admin, false).await;
    s.add_user(BOB, OrgRole::Edit);
    let bob = s.login(BOB, USER_PASSWORD).await;
    (s, admin, bob)
}

/// `POST me/two_step/email`, then the code from the outbox (the `n`-th mail) confirms it.
async fn enrol_by_email(s: &TestServer, token: &str, n: usize) -> Vec<String> {
    let resp = s.post(routes::ME_EMAIL_CODE, token, &json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let mails = wait_for_outbox(s.dir.path(), n).await;
    let resp = s
        .post(
            routes::ME_EMAIL_CONFIRM,
            token,
            &json!({ "code": code_in(&mails[n - 1]) }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let codes: BackupCodes = resp.json().await.unwrap();
    codes.backup_codes.iter().map(|c| c.expose().to_owned()).collect()
}

/// A password login of an email-only user: the challenge, with the code already emailed.
async fn email_challenge(s: &TestServer, email: &str) -> String {
    let resp = s.login_raw(email, USER_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["mfa_required"], true, "{body}");
    assert_eq!(body["methods"], json!(["email", "backup_code"]));
    assert_eq!(body["email_sent_to"], "b•••@acme.example");
    body["challenge"].as_str().unwrap().to_owned()
}

async fn resend(s: &TestServer, challenge: &str) -> reqwest::Response {
    s.request(Method::POST, routes::MFA_EMAIL, None)
        .await
        .json(&json!({ "challenge": challenge }))
        .send()
        .await
        .unwrap()
}

async fn too_many(resp: reqwest::Response) -> u64 {
    let retry_after: u64 = resp.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert_eq!(
        api_error(resp, StatusCode::TOO_MANY_REQUESTS).await.code,
        ErrorCode::TooManyRequests
    );
    retry_after
}

async fn me_two_step(s: &TestServer, token: &str) -> Value {
    let me: Value = s.get(routes::ME, token).await.json().await.unwrap();
    me["two_step"].clone()
}

#[tokio::test]
async fn enrolment_by_email_uses_the_code_mailed_to_ones_own_address() {
    let (s, admin, bob) = server_with_bob().await;
    let resp = s.post(routes::ME_EMAIL_CODE, &bob, &json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let sent: EmailCodeSent = resp.json().await.unwrap();
    assert_eq!(sent.sent_to, "b•••@acme.example");
    assert_eq!(sent.expires_at, start_time() + jiff::SignedDuration::from_mins(10));
    let mails = wait_for_outbox(s.dir.path(), 1).await;
    assert_eq!(header(&mails[0], "To"), Some(BOB));
    // A wrong code does not enrol.
    let wrong = format!("{:06}", (code_in(&mails[0]).parse::<u32>().unwrap() + 1) % 1_000_000);
    let err = api_error(
        s.post(routes::ME_EMAIL_CONFIRM, &bob, &json!({ "code": wrong })).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(err.message.contains("not valid"), "{}", err.message);
    let resp = s
        .post(routes::ME_EMAIL_CONFIRM, &bob, &json!({ "code": code_in(&mails[0]) }))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let codes: BackupCodes = resp.json().await.unwrap();
    assert_eq!(codes.backup_codes.len(), 10);
    assert_eq!(me_two_step(&s, &bob).await["enrolled"], json!(["email"]));
    let actions: Vec<String> = s.audit(&admin).await.into_iter().map(|e| e.action).collect();
    for a in ["two_step.email_code_sent", "two_step.enrol", "two_step.enrol_failed"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    let sent_entry = s
        .audit(&admin)
        .await
        .into_iter()
        .find(|e| e.action == "two_step.email_code_sent")
        .unwrap();
    assert!(
        sent_entry.summary.contains("b•••@acme.example"),
        "{}",
        sent_entry.summary
    );
}

#[tokio::test]
async fn log_in_with_the_emailed_code() {
    let (s, _admin, bob) = server_with_bob().await;
    enrol_by_email(&s, &bob, 1).await;
    let c = email_challenge(&s, BOB).await;
    let mails = wait_for_outbox(s.dir.path(), 2).await;
    assert!(header(&mails[1], "Subject").unwrap().contains("login code"));
    let token = mfa_token(&s, &c, &code_in(&mails[1])).await;
    assert_eq!(s.get(routes::ME, &token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_emailed_code_works_once() {
    let (s, _admin, bob) = server_with_bob().await;
    enrol_by_email(&s, &bob, 1).await;
    let c = email_challenge(&s, BOB).await;
    let code = code_in(&wait_for_outbox(s.dir.path(), 2).await[1]);
    mfa_token(&s, &c, &code).await;
    refused(mfa(&s, &c, &code).await).await;
    let c = email_challenge(&s, BOB).await;
    refused(mfa(&s, &c, &code).await).await;
}

#[tokio::test]
async fn an_emailed_code_is_refused_after_ten_minutes() {
    let (s, _admin, bob) = server_with_bob().await;
    enrol_by_email(&s, &bob, 1).await;
    let c = email_challenge(&s, BOB).await;
    let code = code_in(&wait_for_outbox(s.dir.path(), 2).await[1]);
    // The challenge outlives its usual 5 minutes while the code is valid...
    s.advance_minutes(9);
    let early = email_challenge(&s, BOB).await;
    let early_code = code_in(&wait_for_outbox(s.dir.path(), 3).await[2]);
    s.advance_minutes(1);
    refused(mfa(&s, &c, &code).await).await;
    // ...and a code of 1 minute ago still works.
    mfa_token(&s, &early, &early_code).await;
}

#[tokio::test]
async fn a_code_of_another_challenge_is_refused() {
    let (s, _admin, bob) = server_with_bob().await;
    enrol_by_email(&s, &bob, 1).await;
    let first = email_challenge(&s, BOB).await;
    let second = email_challenge(&s, BOB).await;
    let mails = wait_for_outbox(s.dir.path(), 3).await;
    let (first_code, second_code) = (code_in(&mails[1]), code_in(&mails[2]));
    if first_code != second_code {
        refused(mfa(&s, &second, &first_code).await).await;
    }
    mfa_token(&s, &second, &second_code).await;
    mfa_token(&s, &first, &first_code).await;
}

#[tokio::test]
async fn codes_are_resent_at_most_once_a_minute_and_five_times_a_challenge() {
    let (s, _admin, bob) = server_with_bob().await;
    // Enrolment: a second code within the minute is refused.
    assert_eq!(
        s.post(routes::ME_EMAIL_CODE, &bob, &json!({})).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        too_many(s.post(routes::ME_EMAIL_CODE, &bob, &json!({})).await).await,
        60
    );
    s.advance_minutes(1);
    let n = enrol_by_email(&s, &bob, 2).await.len();
    assert_eq!(n, 10);

    let c = email_challenge(&s, BOB).await;
    assert_eq!(too_many(resend(&s, &c).await).await, 60);
    s.clock.advance(jiff::SignedDuration::from_secs(30));
    assert_eq!(too_many(resend(&s, &c).await).await, 30);
    s.clock.advance(jiff::SignedDuration::from_secs(30));
    for _ in 0..4 {
        let resp = resend(&s, &c).await;
        assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
        s.advance_minutes(1);
    }
    // Five codes for this challenge (one at login, four asked for): no more.
    let retry = too_many(resend(&s, &c).await).await;
    assert!(retry > 0 && retry <= 600, "{retry}");
    let mails = wait_for_outbox(s.dir.path(), 7).await;
    // Only the newest code answers the challenge.
    refused(mfa(&s, &c, &code_in(&mails[5])).await).await;
    mfa_token(&s, &c, &code_in(&mails[6])).await;
}

#[tokio::test]
async fn asking_for_a_code_with_an_unknown_or_expired_challenge_is_refused() {
    let (s, _admin, bob) = server_with_bob().await;
    refused(resend(&s, "no such challenge").await).await;
    enrol_by_email(&s, &bob, 1).await;
    let c = email_challenge(&s, BOB).await;
    s.advance_minutes(11);
    refused(resend(&s, &c).await).await;
}

#[tokio::test]
async fn wrong_emailed_codes_lock_the_account() {
    let (s, admin, bob) = server_with_bob().await;
    enrol_by_email(&s, &bob, 1).await;
    // Five wrong codes end a challenge; two challenges reach the policy's ten.
    let (mut c, mut right) = (String::new(), String::new());
    for n in 0..2 {
        c = email_challenge(&s, BOB).await;
        right = code_in(&wait_for_outbox(s.dir.path(), 2 + n).await[1 + n]);
        let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
        for _ in 0..5 {
            refused(mfa(&s, &c, &wrong).await).await;
        }
    }
    refused(mfa(&s, &c, &right).await).await;
    refused(s.login_raw(BOB, USER_PASSWORD).await).await;
    let actions: Vec<String> = s.audit(&admin).await.into_iter().map(|e| e.action).collect();
    assert!(actions.iter().any(|a| a == "auth.lockout"), "{actions:?}");
    assert!(actions.iter().any(|a| a == "auth.mfa_failed"), "{actions:?}");
}

#[tokio::test]
async fn admin_reset_clears_the_email_enrolment_and_pending_codes() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    offer_email(&s, &admin, false).await;
    let bob_id = s.add_user(BOB, OrgRole::Edit);
    let bob = s.login(BOB, USER_PASSWORD).await;
    enrol_by_email(&s, &bob, 1).await;
    email_challenge(&s, BOB).await;
    let id = s.add_user("carol@acme.example", OrgRole::Edit);
    let carol = s.login("carol@acme.example", USER_PASSWORD).await;
    assert_eq!(
        s.post(routes::ME_EMAIL_CODE, &carol, &json!({})).await.status(),
        StatusCode::OK
    );
    for user in [bob_id, id] {
        let resp = s.user_action(&admin, user, "reset_two_step").await;
        assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    }
    let token = s.login(BOB, USER_PASSWORD).await;
    assert_eq!(me_two_step(&s, &token).await["enrolled"], json!([]));
    for user in [bob_id, id] {
        let n: i64 = s.sql(|c| {
            Ok(c.query_row(
                "SELECT (SELECT COUNT(*) FROM user_two_step_methods WHERE user_id = ?1)
                      + (SELECT COUNT(*) FROM email_enrolments WHERE user_id = ?1)
                      + (SELECT COUNT(*) FROM mfa_challenges WHERE user_id = ?1)
                      + (SELECT COUNT(*) FROM backup_codes WHERE user_id = ?1)",
                orgdeck_server::store::sql::params![user.to_string()],
                |r| r.get(0),
            )?)
        });
        assert_eq!(n, 0);
    }
    // Carol's pending enrolment code no longer confirms.
    let code = code_in(&wait_for_outbox(s.dir.path(), 3).await[2]);
    api_error(
        s.post(routes::ME_EMAIL_CONFIRM, &carol, &json!({ "code": code })).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

#[tokio::test]
async fn email_enrolment_is_refused_when_the_organization_does_not_offer_it() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    for route in [routes::ME_EMAIL_CODE, routes::ME_EMAIL_CONFIRM] {
        let body = json!({ "code": "123456" });
        let err = api_error(s.post(route, &admin, &body).await, StatusCode::FORBIDDEN).await;
        assert!(err.message.contains("not enabled"), "{}", err.message);
    }
    set_two_step(
        &s,
        &admin,
        json!({ "enabled": true, "required": false, "methods": ["totp"] }),
    )
    .await;
    api_error(
        s.post(routes::ME_EMAIL_CODE, &admin, &json!({})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(outbox(s.dir.path()).is_empty());
}

#[tokio::test]
async fn an_organization_requiring_email_codes_blocks_users_until_they_enrol_by_email() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    offer_email(&s, &admin, true).await;
    s.add_user(BOB, OrgRole::Admin);
    let bob = s.login(BOB, USER_PASSWORD).await;
    let state = me_two_step(&s, &bob).await;
    assert_eq!(state["must_enrol"], true);
    assert_eq!(state["available"], json!(["email"]));
    let err = api_error(s.get(&routes::settings("general"), &bob).await, StatusCode::FORBIDDEN).await;
    assert!(err.message.contains("POST me/two_step/email"), "{}", err.message);
    enrol_by_email(&s, &bob, 1).await;
    assert_eq!(me_two_step(&s, &bob).await["must_enrol"], false);
    assert_eq!(s.get(&routes::settings("general"), &bob).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_user_with_both_methods_is_asked_for_either_and_can_have_a_code_emailed() {
    let (s, admin, bob) = server_with_bob().await;
    set_two_step(
        &s,
        &admin,
        json!({ "enabled": true, "required": false, "methods": ["totp", "email"] }),
    )
    .await;
    enrol_by_email(&s, &bob, 1).await;
    // TOTP enrolment too.
    let e: Value = s.post(routes::ME_TOTP, &bob, &json!({})).await.json().await.unwrap();
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(e["secret"].as_str().unwrap()).unwrap())
        .build()
        .unwrap();
    let now = || orgdeck_server::clock::Clock::now(&s.clock).as_second() as u64;
    let resp = s
        .post(
            routes::ME_TOTP_CONFIRM,
            &bob,
            &json!({ "code": totp.generate(now()).to_string() }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(me_two_step(&s, &bob).await["enrolled"], json!(["email", "totp"]));

    let body: Value = s.login_raw(BOB, USER_PASSWORD).await.json().await.unwrap();
    assert_eq!(body["methods"], json!(["totp", "email", "backup_code"]));
    assert!(body.get("email_sent_to").is_none(), "{body}");
    let c = body["challenge"].as_str().unwrap();
    assert_eq!(outbox(s.dir.path()).len(), 1, "no code mailed unasked");
    let resp = resend(&s, c).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let sent: EmailCodeSent = resp.json().await.unwrap();
    assert_eq!(sent.sent_to, "b•••@acme.example");
    let code = code_in(&wait_for_outbox(s.dir.path(), 2).await[1]);
    mfa_token(&s, c, &code).await;
    // The authenticator still answers a challenge.
    s.advance_minutes(1);
    let body: Value = s.login_raw(BOB, USER_PASSWORD).await.json().await.unwrap();
    mfa_token(
        &s,
        body["challenge"].as_str().unwrap(),
        &totp.generate(now()).to_string(),
    )
    .await;
}

/// Occurrences of `needle` that are not inside a long run of hex text (ids and hashes, where six
/// digits may stand by chance).
fn plain_occurrences(haystack: &[u8], needle: &[u8]) -> usize {
    let hexish = |b: u8| b.is_ascii_hexdigit() || b == b'-';
    (0..haystack.len().saturating_sub(needle.len()))
        .filter(|&i| &haystack[i..i + needle.len()] == needle)
        .filter(|&i| {
            let start = (0..i).rev().take_while(|&j| hexish(haystack[j])).count();
            let end = haystack[i..].iter().take_while(|&&b| hexish(b)).count();
            start + end < 32
        })
        .count()
}

#[tokio::test]
async fn the_database_never_holds_an_emailed_code_in_plaintext() {
    let (s, _admin, bob) = server_with_bob().await;
    enrol_by_email(&s, &bob, 1).await;
    email_challenge(&s, BOB).await;
    let mails = wait_for_outbox(s.dir.path(), 2).await;
    let bytes = s.stored_bytes();
    assert!(!bytes.is_empty());
    for mail in &mails {
        let code = code_in(mail);
        assert_eq!(
            plain_occurrences(&bytes, code.as_bytes()),
            0,
            "code {code} in the database"
        );
        assert_eq!(
            plain_occurrences(&bytes, b"verification code is"),
            0,
            "a mail body in the database"
        );
    }
}
