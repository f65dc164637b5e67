//! The users API over real HTTP: one test per rule.

mod common;

use common::*;
use orgdeck_shared::{
    ErrorCode, Page,
    auth::OrgRole,
    routes::{self, user_action},
    users::{BulkReport, User, UserCreated, UserStatus},
};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn a_password_that_breaks_the_policy_is_refused_naming_the_password_field() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let mut body = new_user("jane@acme.example", "Jane", "Doe", "view");
    body["password"] = json!("short");
    let err = api_error(
        s.post(routes::USERS, &token, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(err.code, ErrorCode::ValidationFailed);
    let msg = err.field("password").expect("names password");
    assert!(msg.contains("at least 15 characters"), "{msg}");
    // The email name and the organization name are refused too.
    body["password"] = json!("jane loves long passwords");
    let err = api_error(
        s.post(routes::USERS, &token, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(err.field("password").unwrap().contains("email name"));
    body["password"] = json!("the acme password of 2026");
    let err = api_error(
        s.post(routes::USERS, &token, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(err.field("password").unwrap().contains("organization"));

    // A good one creates an active user who can log in.
    let created = s
        .create_user_api(&token, new_user("jane@acme.example", "Jane", "Doe", "edit"))
        .await;
    assert_eq!(created.user.status, UserStatus::Active);
    assert!(created.activation_token.is_none());
    assert_eq!(created.user.default_group, OrgRole::Edit);
    s.login("jane@acme.example", USER_PASSWORD).await;
}

#[tokio::test]
async fn an_invitation_is_redeemed_once_and_then_the_user_logs_in() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let body =
        json!({"email": "Newbie@Acme.example", "first_name": "New", "last_name": "Bie", "default_group": "view"});
    let created: UserCreated = s.create_user_api(&token, body).await;
    assert_eq!(created.user.status, UserStatus::Pending);
    assert_eq!(created.user.email, "newbie@acme.example");
    let activation = created.activation_token.expect("an invitation carries a token");
    assert!(activation.expose().len() >= 22, "at least 128 bits");
    assert_eq!(
        s.login_raw("newbie@acme.example", USER_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let redeem = |password: &'static str| {
        let body = json!({"token": activation.expose(), "password": password});
        let s = &s;
        async move { s.http.post(s.url(routes::ACTIVATE)).json(&body).send().await.unwrap() }
    };
    // A weak password keeps the token valid.
    let err = api_error(redeem("weak").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(err.field("password").is_some());
    assert_eq!(redeem(USER_PASSWORD).await.status(), StatusCode::NO_CONTENT);
    let err = api_error(redeem(USER_PASSWORD).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(err.field("token").is_some(), "a second redeem fails");
    s.login("newbie@acme.example", USER_PASSWORD).await;
    let user: User = s
        .get(&routes::user(created.user.id), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(user.status, UserStatus::Active);

    // The token is stored only as a hash.
    let left: i64 = s.sql(|c| Ok(c.query_row("SELECT COUNT(*) FROM activation_tokens", [], |r| r.get(0))?));
    assert_eq!(left, 0);
}

#[tokio::test]
async fn an_invitation_expires_after_seven_days() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let body =
        json!({"email": "late@acme.example", "first_name": "Late", "last_name": "Comer", "default_group": "view"});
    let created = s.create_user_api(&token, body).await;
    s.advance_minutes(7 * 24 * 60 + 1);
    let resp = s
        .http
        .post(s.url(routes::ACTIVATE))
        .json(&json!({"token": created.activation_token.unwrap().expose(), "password": USER_PASSWORD}))
        .send()
        .await
        .unwrap();
    let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(err.field("token").is_some());
}

#[tokio::test]
async fn an_email_is_unique_in_the_whole_server() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    s.create_user_api(&token, new_user("dup@acme.example", "A", "B", "view"))
        .await;
    let err = api_error(
        s.post(routes::USERS, &token, &new_user(" DUP@acme.example", "C", "D", "view"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(err.field("email").unwrap().contains("already used"));
    // Also across organizations, and through PATCH.
    s.add_org("Beta", "admin@beta.example");
    let beta = s.login("admin@beta.example", ADMIN_PASSWORD).await;
    let err = api_error(
        s.post(routes::USERS, &beta, &new_user("dup@acme.example", "C", "D", "view"))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(err.field("email").is_some());
    let other = s
        .create_user_api(&token, new_user("other@acme.example", "O", "T", "view"))
        .await;
    let resp = s
        .send(
            Method::PATCH,
            &routes::user(other.user.id),
            &token,
            Some(&json!({"email": "dup@acme.example"})),
            Some(other.user.version),
        )
        .await;
    assert!(
        api_error(resp, StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .field("email")
            .is_some()
    );
}

#[tokio::test]
async fn the_last_admin_cannot_be_deleted_disabled_or_demoted() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let me = s.org.admin_id;
    let err = api_error(
        s.send(Method::DELETE, &routes::user(me), &token, None, None).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(err.message.contains("last admin"), "{}", err.message);
    let err = api_error(
        s.user_action(&token, me, user_action::DISABLE).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(err.message.contains("last admin"));
    let user: User = s.get(&routes::user(me), &token).await.json().await.unwrap();
    let resp = s
        .send(
            Method::PATCH,
            &routes::user(me),
            &token,
            Some(&json!({"default_group": "edit"})),
            Some(user.version),
        )
        .await;
    assert_eq!(api_error(resp, StatusCode::CONFLICT).await.code, ErrorCode::Conflict);
    let bulk = s
        .post(routes::USERS_BULK, &token, &json!({"action": "delete", "ids": [me]}))
        .await;
    let report: BulkReport = bulk.json().await.unwrap();
    assert_eq!((report.succeeded, report.failed), (0, 1));
    assert_eq!(report.results[0].error.as_ref().unwrap().code, ErrorCode::Conflict);

    // With a second admin, the first may step down.
    let second = s
        .create_user_api(&token, new_user("second@acme.example", "Sec", "Ond", "admin"))
        .await;
    let resp = s
        .send(
            Method::PATCH,
            &routes::user(me),
            &token,
            Some(&json!({"default_group": "edit"})),
            Some(user.version),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let t2 = s.login("second@acme.example", USER_PASSWORD).await;
    // Now the second is the last one.
    let err = api_error(
        s.user_action(&t2, second.user.id, user_action::DISABLE).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert!(err.message.contains("last admin"));
}

#[tokio::test]
async fn disabling_a_user_ends_their_session_at_once() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let dana = s.add_user("dana@acme.example", OrgRole::Edit);
    let dana_token = s.login("dana@acme.example", USER_PASSWORD).await;
    assert_eq!(s.get(routes::ME, &dana_token).await.status(), StatusCode::OK);
    let resp = s.user_action(&token, dana, user_action::DISABLE).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let user: User = resp.json().await.unwrap();
    assert_eq!((user.status, user.enabled), (UserStatus::Disabled, false));
    assert_eq!(s.get(routes::ME, &dana_token).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        s.login_raw("dana@acme.example", USER_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let resp = s.user_action(&token, dana, user_action::ENABLE).await;
    assert_eq!(resp.json::<User>().await.unwrap().status, UserStatus::Active);
    s.login("dana@acme.example", USER_PASSWORD).await;
}

#[tokio::test]
async fn deleting_a_user_ends_their_session_and_forgets_them() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let dana = s.add_user("dana@acme.example", OrgRole::Edit);
    let dana_token = s.login("dana@acme.example", USER_PASSWORD).await;
    let resp = s.send(Method::DELETE, &routes::user(dana), &token, None, None).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(s.get(routes::ME, &dana_token).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.get(&routes::user(dana), &token).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn too_many_failures_lock_a_user_and_unlock_clears_them() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let dana = s.add_user("dana@acme.example", OrgRole::View);
    let dana_token = s.login("dana@acme.example", USER_PASSWORD).await;
    for _ in 0..3 {
        s.login_raw("dana@acme.example", "wrong wrong wrong wrong").await;
    }
    let user: User = s.get(&routes::user(dana), &token).await.json().await.unwrap();
    assert_eq!((user.failed_attempts, user.status), (3, UserStatus::Active));
    for _ in 0..7 {
        s.login_raw("dana@acme.example", "wrong wrong wrong wrong").await;
    }
    let user: User = s.get(&routes::user(dana), &token).await.json().await.unwrap();
    assert_eq!(user.status, UserStatus::Locked);
    assert_eq!(
        s.get(routes::ME, &dana_token).await.status(),
        StatusCode::UNAUTHORIZED,
        "locking ends sessions"
    );
    assert_eq!(
        s.login_raw("dana@acme.example", USER_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let resp = s.user_action(&token, dana, user_action::UNLOCK).await;
    let user: User = resp.json().await.unwrap();
    assert_eq!((user.failed_attempts, user.status), (0, UserStatus::Active));
    s.login("dana@acme.example", USER_PASSWORD).await;
}

#[tokio::test]
async fn a_lock_ends_by_itself_after_the_lockout_minutes() {
    let s = TestServer::start().await;
    s.add_user("dana@acme.example", OrgRole::View);
    for _ in 0..10 {
        s.login_raw("dana@acme.example", "wrong wrong wrong wrong").await;
    }
    assert_eq!(
        s.login_raw("dana@acme.example", USER_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    s.advance_minutes(11);
    // The failure count starts again: one more mistake does not lock at once.
    s.login_raw("dana@acme.example", "wrong wrong wrong wrong").await;
    s.login("dana@acme.example", USER_PASSWORD).await;
}

#[tokio::test]
async fn a_patch_needs_the_current_version() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let created = s
        .create_user_api(&token, new_user("pat@acme.example", "Pat", "Old", "view"))
        .await;
    let path = routes::user(created.user.id);
    let body = json!({"last_name": "New", "first_name": "Patricia"});
    let err = api_error(
        s.send(Method::PATCH, &path, &token, Some(&body), None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_eq!(err.code, ErrorCode::PreconditionRequired);
    let resp = s.send(Method::PATCH, &path, &token, Some(&body), Some(1)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["etag"], "\"2\"");
    let user: User = resp.json().await.unwrap();
    assert_eq!(
        (user.first_name.as_str(), user.last_name.as_str(), user.version),
        ("Patricia", "New", 2)
    );
    let err = api_error(
        s.send(
            Method::PATCH,
            &path,
            &token,
            Some(&json!({"last_name": "Lost"})),
            Some(1),
        )
        .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(err.code, ErrorCode::VersionMismatch);
    let err = api_error(
        s.send(Method::PATCH, &path, &token, Some(&json!({"first_name": ""})), Some(2))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(err.field("first_name").is_some());
    let user: User = s.get(&path, &token).await.json().await.unwrap();
    assert_eq!(user.last_name, "New");
}

#[tokio::test]
async fn bulk_disable_reports_each_user() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let a = s.add_user("a@acme.example", OrgRole::View);
    let b = s.add_user("b@acme.example", OrgRole::Edit);
    let b_token = s.login("b@acme.example", USER_PASSWORD).await;
    let ghost = Uuid::new_v4();
    let resp = s
        .post(
            routes::USERS_BULK,
            &token,
            &json!({"action": "disable", "ids": [a, ghost, b]}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let report: BulkReport = resp.json().await.unwrap();
    assert_eq!((report.succeeded, report.failed), (2, 1));
    assert_eq!(report.results[1].id, ghost);
    assert_eq!(report.results[1].error.as_ref().unwrap().code, ErrorCode::NotFound);
    assert_eq!(s.get(routes::ME, &b_token).await.status(), StatusCode::UNAUTHORIZED);
    let page: Page<User> = s
        .get(&format!("{}?status=disabled", routes::USERS), &token)
        .await
        .json()
        .await
        .unwrap();
    let mut ids: Vec<Uuid> = page.items.iter().map(|u| u.id).collect();
    ids.sort();
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(ids, want);
    let resp = s
        .post(routes::USERS_BULK, &token, &json!({"action": "enable", "ids": [a, b]}))
        .await;
    assert_eq!(resp.json::<BulkReport>().await.unwrap().succeeded, 2);
    let resp = s
        .post(routes::USERS_BULK, &token, &json!({"action": "delete", "ids": [a]}))
        .await;
    assert_eq!(resp.json::<BulkReport>().await.unwrap().succeeded, 1);
    assert_eq!(s.get(&routes::user(a), &token).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_forced_password_reset_and_a_two_step_reset_are_recorded() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let dana = s.add_user("dana@acme.example", OrgRole::View);
    let resp = s.user_action(&token, dana, user_action::RESET_PASSWORD).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let dana_token = s.login("dana@acme.example", USER_PASSWORD).await;
    let me: serde_json::Value = s.get(routes::ME, &dana_token).await.json().await.unwrap();
    assert_eq!(me["must_change_password"], true);
    // Changing it clears the flag.
    let resp = s
        .post(
            routes::ME_PASSWORD,
            &dana_token,
            &json!({"current": USER_PASSWORD, "new": "a brand new long passphrase"}),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let me: serde_json::Value = s.get(routes::ME, &dana_token).await.json().await.unwrap();
    assert_eq!(me["must_change_password"], false);
    s.login("dana@acme.example", "a brand new long passphrase").await;

    let resp = s.user_action(&token, dana, user_action::RESET_TWO_STEP).await;
    assert!(!resp.json::<User>().await.unwrap().two_step_enabled);
    let actions: Vec<String> = s.audit(&token).await.into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"user.reset_password".to_owned()));
    assert!(actions.contains(&"user.reset_two_step".to_owned()));
    let resp = s.user_action(&token, dana, "explode").await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn every_user_change_is_audited_with_its_fields_and_no_secret() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let created = s
        .create_user_api(&token, new_user("aud@acme.example", "Au", "Dit", "view"))
        .await;
    let id = created.user.id;
    s.send(
        Method::PATCH,
        &routes::user(id),
        &token,
        Some(&json!({"last_name": "Ditto", "default_group": "edit"})),
        Some(1),
    )
    .await;
    s.user_action(&token, id, user_action::DISABLE).await;
    s.user_action(&token, id, user_action::ENABLE).await;
    s.user_action(&token, id, user_action::UNLOCK).await;
    s.send(Method::DELETE, &routes::user(id), &token, None, None).await;
    let entries = s.audit(&token).await;
    let mine: Vec<_> = entries.iter().filter(|e| e.target.id == id.to_string()).collect();
    let actions: Vec<&str> = mine.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "user.create",
            "user.update",
            "user.disable",
            "user.enable",
            "user.unlock",
            "user.delete"
        ]
    );
    let update = mine.iter().find(|e| e.action == "user.update").unwrap();
    let fields: Vec<&str> = update.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["default_group", "last_name"]);
    assert_eq!(update.changes[1].old, "Dit");
    assert_eq!(update.changes[1].new, "Ditto");
    assert_eq!(update.actor.email, ADMIN_EMAIL);
    let create = mine.iter().find(|e| e.action == "user.create").unwrap();
    assert!(create.changes.iter().any(|c| c.field == "password" && c.new == "***"));
    let disable = mine.iter().find(|e| e.action == "user.disable").unwrap();
    assert!(disable.changes.iter().any(|c| c.field == "enabled" && c.new == false));
    let text = serde_json::to_string(&entries).unwrap();
    assert!(!text.contains(USER_PASSWORD));
    assert!(!text.contains("argon2"));
}

#[tokio::test]
async fn other_roles_get_403_on_every_users_and_groups_route() {
    let s = TestServer::start().await;
    let victim = s.add_user("victim@acme.example", OrgRole::View);
    s.add_user("editor@acme.example", OrgRole::Edit);
    let token = s.login("editor@acme.example", USER_PASSWORD).await;
    let gid = Uuid::new_v4();
    let group_body = json!({"name": "G", "app_access": [], "members": []});
    let user_body = new_user("x@acme.example", "X", "Y", "view");
    let cases: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, routes::USERS.into(), None),
        (Method::POST, routes::USERS.into(), Some(user_body)),
        (Method::GET, routes::user(victim), None),
        (Method::PATCH, routes::user(victim), Some(json!({"first_name": "Z"}))),
        (Method::DELETE, routes::user(victim), None),
        (Method::GET, routes::user_access(victim), None),
        (
            Method::POST,
            routes::USERS_BULK.into(),
            Some(json!({"action": "disable", "ids": [victim]})),
        ),
        (Method::GET, routes::GROUPS.into(), None),
        (Method::POST, routes::GROUPS.into(), Some(group_body.clone())),
        (Method::GET, routes::group(gid), None),
        (Method::PATCH, routes::group(gid), Some(group_body)),
        (Method::DELETE, routes::group(gid), None),
    ];
    for (method, path, body) in cases {
        let resp = s.send(method.clone(), &path, &token, body.as_ref(), Some(1)).await;
        let err = api_error(resp, StatusCode::FORBIDDEN).await;
        assert_eq!(err.code, ErrorCode::Forbidden, "{method} {path}");
    }
    for action in user_action::ALL {
        let resp = s.user_action(&token, victim, action).await;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{action}");
    }
    let resp = s
        .request(Method::POST, routes::USERS_IMPORT, Some(&token))
        .await
        .header("content-type", "text/csv")
        .body("email,first_name,last_name,group\n")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn another_organizations_admin_sees_404_for_our_users_and_groups() {
    let s = TestServer::start().await;
    let a = s.admin_token().await;
    let dana = s.add_user("dana@acme.example", OrgRole::View);
    let group: orgdeck_shared::groups::Group = s
        .post(
            routes::GROUPS,
            &a,
            &json!({"name": "Secret Team", "app_access": [], "members": [dana]}),
        )
        .await
        .json()
        .await
        .unwrap();
    s.add_org("Beta", "admin@beta.example");
    let b = s.login("admin@beta.example", ADMIN_PASSWORD).await;
    let list: Page<User> = s.get(routes::USERS, &b).await.json().await.unwrap();
    assert!(
        list.items.iter().all(|u| u.email.ends_with("@beta.example")),
        "{list:?}"
    );
    let found: Page<User> = s
        .get(&format!("{}?q=dana", routes::USERS), &b)
        .await
        .json()
        .await
        .unwrap();
    assert!(found.items.is_empty());
    for (method, path) in [
        (Method::GET, routes::user(dana)),
        (Method::PATCH, routes::user(dana)),
        (Method::DELETE, routes::user(dana)),
        (Method::GET, routes::user_access(dana)),
        (Method::GET, routes::group(group.id)),
        (Method::PATCH, routes::group(group.id)),
        (Method::DELETE, routes::group(group.id)),
    ] {
        let body = if path.contains("groups") {
            json!({"name": "Mine", "app_access": [], "members": []})
        } else {
            json!({"first_name": "Mine"})
        };
        let resp = s.send(method.clone(), &path, &b, Some(&body), Some(1)).await;
        assert_eq!(
            api_error(resp, StatusCode::NOT_FOUND).await.code,
            ErrorCode::NotFound,
            "{method} {path}"
        );
    }
    let resp = s.user_action(&b, dana, user_action::DISABLE).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let report: BulkReport = s
        .post(routes::USERS_BULK, &b, &json!({"action": "delete", "ids": [dana]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report.failed, 1);
    // Our user and group are untouched; their group cannot take our user as a member.
    assert_eq!(s.get(&routes::user(dana), &a).await.status(), StatusCode::OK);
    let resp = s
        .post(
            routes::GROUPS,
            &b,
            &json!({"name": "Grab", "app_access": [], "members": [dana]}),
        )
        .await;
    assert!(
        api_error(resp, StatusCode::UNPROCESSABLE_ENTITY)
            .await
            .field("members")
            .is_some()
    );
    let groups = s.get(routes::GROUPS, &b).await.text().await.unwrap();
    assert!(!groups.contains("Secret Team"));
}
