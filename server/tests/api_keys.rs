//! API keys: each rule tried from the side of someone getting around it (a leaked, mistyped, replaced,
//! revoked or foreign key; an address the organization does not allow; a viewer reaching for others' keys).

mod common;

use common::*;
use orgdeck_shared::{
    ErrorCode, Page,
    api_keys::{self, ApiKeyInfo, NewApiKey},
    auth::{Me, OrgRole},
    routes::{self, user_action},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

const DANA: &str = "dana@acme.example";
const ERIN: &str = "erin@acme.example";

async fn create_key(s: &TestServer, token: &str, body: Value) -> reqwest::Response {
    s.post(routes::API_KEYS, token, &body).await
}

async fn new_key(s: &TestServer, token: &str, body: Value) -> NewApiKey {
    let resp = create_key(s, token, body).await;
    assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

async fn rotate(s: &TestServer, token: &str, id: Uuid, grace_minutes: u32) -> reqwest::Response {
    s.post(
        &routes::api_key_rotate(id),
        token,
        &json!({ "grace_minutes": grace_minutes }),
    )
    .await
}

async fn revoke(s: &TestServer, token: &str, id: Uuid) -> reqwest::Response {
    s.send(Method::DELETE, &routes::api_key(id), token, None, None).await
}

async fn list(s: &TestServer, token: &str, query: &str) -> reqwest::Response {
    s.get(&format!("{}{query}", routes::API_KEYS), token).await
}

async fn me_status(s: &TestServer, key: &str) -> StatusCode {
    s.get(routes::ME, key).await.status()
}

async fn put_ip_rules(s: &TestServer, admin: &str, body: Value) {
    let area = routes::settings("ip_restrictions");
    let current: Value = s.get(&area, admin).await.json().await.unwrap();
    let version = current["version"].as_i64().unwrap();
    let resp = s.send(Method::PUT, &area, admin, Some(&body), Some(version)).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
}

#[tokio::test]
async fn a_new_key_acts_as_its_holder_and_is_shown_only_once() {
    let s = TestServer::start().await;
    s.add_user(DANA, OrgRole::View);
    let dana = s.login(DANA, USER_PASSWORD).await;
    let created = new_key(&s, &dana, json!({})).await;
    let key = created.key.expose().to_owned();
    assert!(api_keys::well_formed(&key), "{key}");
    assert_eq!(created.info.holder.email, DANA);
    assert!(key.starts_with(&created.info.prefix));

    let me: Me = s.get(routes::ME, &key).await.json().await.unwrap();
    assert_eq!(me.user.email, DANA);
    assert_eq!(me.role, OrgRole::View);
    assert_eq!(me.api_key.as_deref(), Some(created.info.prefix.as_str()));
    assert!(me.session.is_none());

    // Lists show the prefix, never the key; neither does the audit log, nor the database files.
    let page = list(&s, &dana, "").await.text().await.unwrap();
    assert!(page.contains(&created.info.prefix) && !page.contains(&key), "{page}");
    let admin = s.admin_token().await;
    let audit = serde_json::to_string(&s.audit(&admin).await).unwrap();
    assert!(audit.contains("api_key.create") && !audit.contains(&key));
    for file in ["orgdeck.db", "orgdeck.db-wal"] {
        let bytes = std::fs::read(s.dir.path().join(file)).unwrap_or_default();
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "{file} holds the key"
        );
    }
}

#[tokio::test]
async fn a_mistyped_truncated_or_unknown_key_is_refused() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let key = new_key(&s, &admin, json!({})).await.key.expose().to_owned();
    let mut typo = key.clone().into_bytes();
    typo[5] = if typo[5] == b'a' { b'b' } else { b'a' };
    let unknown = api_keys::assemble("ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ");
    for bad in [
        String::from_utf8(typo).unwrap(),
        key[..key.len() - 1].to_owned(),
        unknown,
    ] {
        let err = api_error(s.get(routes::ME, &bad).await, StatusCode::UNAUTHORIZED).await;
        assert_eq!(err.code, ErrorCode::Unauthorized, "{bad}");
    }
    assert_eq!(me_status(&s, &key).await, StatusCode::OK);
}

#[tokio::test]
async fn ip_restrictions_apply_to_api_keys_and_a_forged_forwarded_address_does_not_help() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    s.add_user(DANA, OrgRole::View);
    let dana = s.login(DANA, USER_PASSWORD).await;
    let key = new_key(&s, &dana, json!({})).await.key.expose().to_owned();
    put_ip_rules(
        &s,
        &admin,
        json!({ "rules": [{ "cidr": "127.0.0.0/8", "label": "here" }] }),
    )
    .await;
    assert_eq!(me_status(&s, &key).await, StatusCode::OK);
    put_ip_rules(
        &s,
        &admin,
        json!({ "rules": [{ "cidr": "203.0.113.0/24", "label": "office" }], "confirm_self_lockout": true }),
    )
    .await;
    let err = api_error(s.get(routes::ME, &key).await, StatusCode::FORBIDDEN).await;
    assert!(err.message.contains("127.0.0.1"), "{}", err.message);
    let forged = s
        .request(Method::GET, routes::ME, Some(&key))
        .await
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_rotated_key_stops_at_once_or_after_its_grace_period() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let first = new_key(&s, &admin, json!({})).await;
    let old = first.key.expose().to_owned();

    let resp = rotate(&s, &admin, first.info.id, 0).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let second: NewApiKey = resp.json().await.unwrap();
    let new = second.key.expose().to_owned();
    assert_ne!(old, new);
    assert_eq!(me_status(&s, &old).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&s, &new).await, StatusCode::OK);
    assert_eq!(second.info.previous_valid_until, None);

    let third: NewApiKey = rotate(&s, &admin, first.info.id, 10).await.json().await.unwrap();
    let newest = third.key.expose().to_owned();
    assert!(third.info.previous_valid_until.is_some());
    assert_eq!(me_status(&s, &new).await, StatusCode::OK, "inside the grace period");
    assert_eq!(me_status(&s, &newest).await, StatusCode::OK);
    s.advance_minutes(9);
    assert_eq!(me_status(&s, &new).await, StatusCode::OK);
    s.advance_minutes(1);
    assert_eq!(me_status(&s, &new).await, StatusCode::UNAUTHORIZED, "grace over");
    assert_eq!(me_status(&s, &newest).await, StatusCode::OK);

    let err = api_error(
        rotate(&s, &s.admin_token().await, first.info.id, 7 * 24 * 60 + 1).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(err.fields[0].field, "grace_minutes");
}

#[tokio::test]
async fn a_revoked_key_and_the_key_of_a_disabled_or_locked_user_stop_working() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let dana_id = s.add_user(DANA, OrgRole::Edit);
    let erin_id = s.add_user(ERIN, OrgRole::Edit);
    let dana = s.login(DANA, USER_PASSWORD).await;
    let erin = s.login(ERIN, USER_PASSWORD).await;
    let dana_key = new_key(&s, &dana, json!({})).await;
    let erin_key = new_key(&s, &erin, json!({})).await.key.expose().to_owned();

    let resp = revoke(&s, &dana, dana_key.info.id).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(me_status(&s, dana_key.key.expose()).await, StatusCode::UNAUTHORIZED);

    assert_eq!(me_status(&s, &erin_key).await, StatusCode::OK);
    s.user_action(&admin, erin_id, user_action::DISABLE).await;
    assert_eq!(me_status(&s, &erin_key).await, StatusCode::UNAUTHORIZED);
    s.user_action(&admin, erin_id, user_action::ENABLE).await;
    assert_eq!(me_status(&s, &erin_key).await, StatusCode::OK);
    // Locked by wrong passwords: the key stops too.
    for _ in 0..10 {
        s.login_raw(ERIN, "wrong password, wrong password").await;
    }
    assert_eq!(me_status(&s, &erin_key).await, StatusCode::UNAUTHORIZED);
    let _ = dana_id;
}

#[tokio::test]
async fn a_key_cannot_log_out_change_the_password_or_enrol_two_step() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let key = new_key(&s, &admin, json!({})).await.key.expose().to_owned();
    for (path, body) in [
        (routes::LOGOUT, json!({})),
        (
            routes::ME_PASSWORD,
            json!({ "current": ADMIN_PASSWORD, "new": "a brand new password for acme 2027" }),
        ),
        (routes::ME_TOTP, json!({})),
        (routes::ME_EMAIL_CODE, json!({})),
    ] {
        let err = api_error(s.post(path, &key, &body).await, StatusCode::FORBIDDEN).await;
        assert!(err.message.contains("API key"), "{path}: {}", err.message);
    }
    // The password is unchanged.
    s.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
}

#[tokio::test]
async fn users_manage_their_own_key_and_admins_see_and_revoke_every_key_of_their_organization() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let dana_id = s.add_user(DANA, OrgRole::View);
    let erin_id = s.add_user(ERIN, OrgRole::Edit);
    let dana = s.login(DANA, USER_PASSWORD).await;
    let erin = s.login(ERIN, USER_PASSWORD).await;
    let dana_key = new_key(&s, &dana, json!({})).await;

    // One key a user.
    let err = api_error(create_key(&s, &dana, json!({})).await, StatusCode::CONFLICT).await;
    assert!(err.message.contains(DANA), "{}", err.message);
    // A viewer neither makes nor sees nor rotates nor revokes another's key.
    let err = api_error(
        create_key(&s, &dana, json!({ "user_id": erin_id })).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert_eq!(
        list(&s, &dana, &format!("?user={erin_id}")).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        rotate(&s, &erin, dana_key.info.id, 0).await.status(),
        StatusCode::FORBIDDEN
    );
    let resp = revoke(&s, &erin, dana_key.info.id).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert_eq!(me_status(&s, dana_key.key.expose()).await, StatusCode::OK);
    let own: Page<ApiKeyInfo> = list(&s, &erin, "").await.json().await.unwrap();
    assert!(own.items.is_empty());

    // An admin may not make a key for Erin, who logs in herself (it would let the admin act as her);
    // Erin makes her own. The admin lists all keys (paged), and revokes Dana's.
    let err = api_error(
        create_key(&s, &admin, json!({ "user_id": erin_id })).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(err.message.contains(ERIN), "{}", err.message);
    let erin_key = new_key(&s, &erin, json!({})).await;
    assert_eq!(erin_key.info.holder.id, erin_id);
    let first: Page<ApiKeyInfo> = list(&s, &admin, "?limit=1").await.json().await.unwrap();
    assert_eq!(first.items.len(), 1);
    let cursor = first.next_cursor.expect("a second page");
    let second: Page<ApiKeyInfo> = list(&s, &admin, &format!("?limit=1&cursor={cursor}"))
        .await
        .json()
        .await
        .unwrap();
    let mut holders: Vec<Uuid> = first.items.iter().chain(&second.items).map(|k| k.holder.id).collect();
    holders.sort();
    let mut expected = vec![dana_id, erin_id];
    expected.sort();
    assert_eq!(holders, expected);
    let resp = revoke(&s, &admin, dana_key.info.id).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(me_status(&s, dana_key.key.expose()).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_api_only_user_works_with_the_key_an_admin_made_and_still_cannot_log_in() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let mut body = new_user("ci-bot@acme.example", "CI", "Bot", "edit");
    body["api_only"] = json!(true);
    let bot = s.create_user_api(&admin, body).await;
    let key = new_key(&s, &admin, json!({ "user_id": bot.user.id })).await;
    let me: Me = s.get(routes::ME, key.key.expose()).await.json().await.unwrap();
    assert_eq!(me.user.email, "ci-bot@acme.example");
    let err = api_error(
        s.login_raw("ci-bot@acme.example", USER_PASSWORD).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(err.code, ErrorCode::InvalidCredentials);
}

#[tokio::test]
async fn one_organization_never_reaches_another_organizations_keys() {
    let s = TestServer::start().await;
    let admin = s.admin_token().await;
    let acme_key = new_key(&s, &admin, json!({})).await;
    s.add_org("Beta", "admin@beta.example");
    let beta = s.login("admin@beta.example", ADMIN_PASSWORD).await;
    let page: Page<ApiKeyInfo> = list(&s, &beta, "").await.json().await.unwrap();
    assert!(page.items.is_empty());
    assert_eq!(
        rotate(&s, &beta, acme_key.info.id, 0).await.status(),
        StatusCode::NOT_FOUND
    );
    let resp = revoke(&s, &beta, acme_key.info.id).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let acme_user = s.add_user(DANA, OrgRole::View);
    assert_eq!(
        create_key(&s, &beta, json!({ "user_id": acme_user })).await.status(),
        StatusCode::NOT_FOUND
    );
    // And a Beta key reads Beta, not Acme.
    let beta_key = new_key(&s, &beta, json!({})).await;
    let me: Me = s.get(routes::ME, beta_key.key.expose()).await.json().await.unwrap();
    assert_eq!(me.org.name, "Beta");
    assert_eq!(me_status(&s, acme_key.key.expose()).await, StatusCode::OK);
}
