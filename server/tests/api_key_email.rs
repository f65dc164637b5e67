//! "Email me my key" over HTTP: the holder's key is rotated and the new one mailed to the holder's own
//! address (never anyone else's, not even at an admin's request), the organization switch `email_keys`
//! forbids it, and the queued mail is sealed in the database.

mod common;

use common::{mail::*, *};
use orgdeck_shared::{
    ErrorCode, Versioned,
    api_keys::{self, ApiKeyEmailed, ApiKeySettings, NewApiKey},
    auth::{Me, OrgRole},
    routes,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

const DANA: &str = "dana@acme.example";

/// Dana (a viewer) logged in with a key of her own: `(server, dana's token, her key)`.
async fn dana_with_a_key(s: &TestServer) -> (String, NewApiKey) {
    s.add_user(DANA, OrgRole::View);
    let dana = s.login(DANA, USER_PASSWORD).await;
    let resp = s.post(routes::API_KEYS, &dana, &json!({})).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    (dana, resp.json().await.unwrap())
}

/// `POST api_keys/{id}/email` with no body at all, as `curl -X POST` sends it.
async fn email_key(s: &TestServer, token: &str, id: Uuid) -> reqwest::Response {
    s.request(Method::POST, &routes::api_key_email(id), Some(token))
        .await
        .send()
        .await
        .unwrap()
}

async fn me_status(s: &TestServer, key: &str) -> StatusCode {
    s.get(routes::ME, key).await.status()
}

/// The API key a key mail carries.
fn key_in(mail: &str) -> String {
    let at = mail.find("od_").unwrap_or_else(|| panic!("no key in {mail}"));
    let key: String = mail[at..].chars().take(api_keys::KEY_LEN).collect();
    assert!(api_keys::well_formed(&key), "{key:?}");
    key
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn put_api_key_settings(s: &TestServer, admin: &str, version: i64, email_keys: bool) -> reqwest::Response {
    s.send(
        Method::PUT,
        &routes::settings(routes::area::API_KEYS),
        admin,
        Some(&json!({ "email_keys": email_keys })),
        Some(version),
    )
    .await
}

#[tokio::test]
async fn emailing_my_key_rotates_it_and_mails_the_new_key_to_my_own_address() {
    let s = TestServer::start().await;
    let (dana, old) = dana_with_a_key(&s).await;
    let resp = email_key(&s, &dana, old.info.id).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let emailed: ApiKeyEmailed = resp.json().await.unwrap();
    assert_eq!(emailed.sent_to, "d•••@acme.example");
    assert_eq!(emailed.info.id, old.info.id);
    assert_ne!(emailed.info.prefix, old.info.prefix, "a new key");
    assert_eq!(emailed.info.previous_valid_until, None);

    let mails = wait_for_outbox(s.dir.path(), 1).await;
    assert_eq!(header(&mails[0], "To"), Some(DANA));
    let key = key_in(&mails[0]);
    assert!(key.starts_with(&emailed.info.prefix));
    let me: Me = s.get(routes::ME, &key).await.json().await.unwrap();
    assert_eq!(me.user.email, DANA);
    assert_eq!(
        me_status(&s, old.key.expose()).await,
        StatusCode::UNAUTHORIZED,
        "the old key stops at once"
    );

    // Audited with the masked address and the prefixes, never the key.
    let admin = s.admin_token().await;
    let audit = s.audit(&admin).await;
    let entry = audit
        .iter()
        .find(|e| e.action == "api_key.email")
        .expect("an api_key.email entry");
    assert!(
        entry.summary.contains("d•••@acme.example") && entry.summary.contains(&emailed.info.prefix),
        "{}",
        entry.summary
    );
    assert!(!serde_json::to_string(&audit).unwrap().contains(&key));
}

#[tokio::test]
async fn a_grace_period_keeps_the_old_key_working_when_asked_for() {
    let s = TestServer::start().await;
    let (dana, old) = dana_with_a_key(&s).await;
    let resp = s
        .post(
            &routes::api_key_email(old.info.id),
            &dana,
            &json!({ "grace_minutes": 10 }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let emailed: ApiKeyEmailed = resp.json().await.unwrap();
    assert!(emailed.info.previous_valid_until.is_some());
    let key = key_in(&wait_for_outbox(s.dir.path(), 1).await[0]);
    assert_eq!(me_status(&s, old.key.expose()).await, StatusCode::OK);
    s.advance_minutes(10);
    assert_eq!(me_status(&s, old.key.expose()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&s, &key).await, StatusCode::OK);

    let too_long = s
        .post(
            &routes::api_key_email(old.info.id),
            &dana,
            &json!({ "grace_minutes": api_keys::MAX_GRACE_MINUTES + 1 }),
        )
        .await;
    let err = api_error(too_long, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(err.fields[0].field, "grace_minutes");
}

#[tokio::test]
async fn an_admin_cannot_have_another_users_key_emailed_anywhere() {
    let s = TestServer::start().await;
    let (_dana, key) = dana_with_a_key(&s).await;
    let admin = s.admin_token().await;
    let err = api_error(email_key(&s, &admin, key.info.id).await, StatusCode::FORBIDDEN).await;
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert!(err.message.contains(DANA), "{}", err.message);
    // Nothing changed and nothing was queued.
    assert_eq!(me_status(&s, key.key.expose()).await, StatusCode::OK);
    assert!(outbox_rows(&s).is_empty());
    // Another organization's key is not even found.
    s.add_org("Beta", "admin@beta.example");
    let beta = s.login("admin@beta.example", ADMIN_PASSWORD).await;
    assert_eq!(email_key(&s, &beta, key.info.id).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn with_email_keys_off_emailing_a_key_is_refused_naming_the_setting() {
    let s = TestServer::start().await;
    let (dana, key) = dana_with_a_key(&s).await;
    let admin = s.admin_token().await;
    let area = routes::settings(routes::area::API_KEYS);

    let doc: Versioned<ApiKeySettings> = s.get(&area, &admin).await.json().await.unwrap();
    assert_eq!(doc.version, 1);
    assert!(doc.value.email_keys, "on by default");
    assert_eq!(s.get(&area, &dana).await.status(), StatusCode::FORBIDDEN, "admins only");
    let off = json!({ "email_keys": false });
    let no_version = s.send(Method::PUT, &area, &admin, Some(&off), None).await;
    assert_eq!(no_version.status(), StatusCode::PRECONDITION_REQUIRED);

    let resp = put_api_key_settings(&s, &admin, 1, false).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let saved: Versioned<ApiKeySettings> = resp.json().await.unwrap();
    assert_eq!((saved.version, saved.value.email_keys), (2, false));
    let stale = put_api_key_settings(&s, &admin, 1, true).await;
    assert_eq!(stale.status(), StatusCode::PRECONDITION_FAILED);

    let err = api_error(email_key(&s, &dana, key.info.id).await, StatusCode::FORBIDDEN).await;
    assert!(err.message.contains("email_keys"), "{}", err.message);
    assert_eq!(me_status(&s, key.key.expose()).await, StatusCode::OK, "not rotated");
    assert!(outbox_rows(&s).is_empty());
    let audit: Value = serde_json::to_value(s.audit(&admin).await).unwrap();
    assert!(
        audit.to_string().contains("Changed api_keys settings: email_keys"),
        "{audit}"
    );

    // Back on, it works again.
    assert_eq!(put_api_key_settings(&s, &admin, 2, true).await.status(), StatusCode::OK);
    assert_eq!(email_key(&s, &dana, key.info.id).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_database_holds_a_queued_key_mail_only_sealed() {
    let addr = free_port().await;
    let s = TestServer::start_with(smtp_to(addr, None)).await;
    let (dana, old) = dana_with_a_key(&s).await;
    let emailed: ApiKeyEmailed = email_key(&s, &dana, old.info.id).await.json().await.unwrap();
    // Nothing listens yet: the mail waits in the queue, its body sealed.
    wait_for_attempts(&s, 1).await;
    let rows = outbox_rows(&s);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "queued");
    let sealed = rows[0].1.clone().expect("a queued body");
    assert!(!holds(&sealed, &emailed.info.prefix) && !holds(&sealed, "API key is"));
    let bytes = s.stored_bytes();
    assert!(
        !holds(&bytes, "Your new orgdeck API key is"),
        "a mail body in the database"
    );

    let receiver = SmtpReceiver::start_on(addr).await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].to, vec![DANA.to_owned()]);
    let key = key_in(&got[0].data);
    assert_eq!(me_status(&s, &key).await, StatusCode::OK);
    assert!(!holds(&s.stored_bytes(), &key), "the key in the database");
}
