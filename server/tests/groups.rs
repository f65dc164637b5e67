//! Groups: built-in and custom, access rows, members, and the effective role they give.

mod common;

use common::*;
use orgdeck_shared::{
    ErrorCode, Page,
    auth::OrgRole,
    groups::{AppRole, Group, GroupDeleted, UserAccess},
    inventory::Application,
    routes,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn demo() -> (TestServer, String) {
    let dir = tempfile::tempdir().unwrap();
    let clock = orgdeck_server::ManualClock::new(start_time());
    let login = orgdeck_server::demo::seed(dir.path(), &clock).unwrap();
    let org = orgdeck_server::OrgCreated {
        org_id: uuid::Uuid::nil(),
        admin_id: uuid::Uuid::nil(),
    };
    let s = TestServer::serve(dir, clock, org).await;
    let token = s.login(&login.email, &login.password).await;
    (s, token)
}

async fn groups(s: &TestServer, token: &str) -> Vec<Group> {
    let page: Page<Group> = s.get(routes::GROUPS, token).await.json().await.unwrap();
    page.items
}

async fn role_on(s: &TestServer, token: &str, user: uuid::Uuid, app: uuid::Uuid) -> AppRole {
    let access: UserAccess = s.get(&routes::user_access(user), token).await.json().await.unwrap();
    access
        .applications
        .iter()
        .find(|a| a.application_id == app)
        .unwrap()
        .role
}

#[tokio::test]
async fn the_demo_lists_built_in_groups_with_their_members_then_custom_groups() {
    let (s, token) = demo().await;
    let all = groups(&s, &token).await;
    let names: Vec<&str> = all.iter().take(4).map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["View", "Edit", "Rules Admin", "Admin"]);
    assert!(all[..4].iter().all(|g| g.built_in && g.grants_role.is_some()));
    assert_eq!(all[3].grants_role, Some(OrgRole::Admin));
    assert!(!all[3].members.is_empty());
    assert!(all.len() > 4 && all[4..].iter().all(|g| !g.built_in && !g.members.is_empty()));
    let view_members = all[0].members.len();
    let admin_page: Page<orgdeck_shared::users::User> = s
        .get(&format!("{}?group=view&limit=500", routes::USERS), &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(admin_page.items.len(), view_members);
}

#[tokio::test]
async fn custom_groups_are_created_read_updated_and_deleted() {
    let (s, token) = demo().await;
    let apps: Page<Application> = s.get(routes::APPLICATIONS, &token).await.json().await.unwrap();
    let (a1, a2) = (apps.items[0].id, apps.items[1].id);
    let viewer = s
        .create_user_api(&token, new_user("viewer@acme.example", "Vi", "Ewer", "view"))
        .await
        .user;
    let body = json!({
        "name": "Release Crew",
        "app_access": [{"applications": [a1], "role": "admin"}, {"applications": "all", "role": "view"}],
        "members": [viewer.id],
    });
    let resp = s.post(routes::GROUPS, &token, &body).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let group: Group = resp.json().await.unwrap();
    assert_eq!((group.version, group.members.clone()), (1, vec![viewer.id]));
    assert_eq!(
        role_on(&s, &token, viewer.id, a1).await,
        AppRole::Admin,
        "a named grant beats all"
    );
    assert_eq!(role_on(&s, &token, viewer.id, a2).await, AppRole::View);
    let fetched: Group = s.get(&routes::group(group.id), &token).await.json().await.unwrap();
    assert_eq!(fetched, group);

    // Names are unique case-insensitively; applications and members must be the organization's.
    let err = api_error(
        s.post(
            routes::GROUPS,
            &token,
            &json!({"name": "release CREW", "app_access": [], "members": []}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(err.field("name").is_some());
    let bad = json!({"name": "Other", "app_access": [{"applications": [uuid::Uuid::new_v4()], "role": "edit"}],
                     "members": [uuid::Uuid::new_v4()]});
    let err = api_error(
        s.post(routes::GROUPS, &token, &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["app_access[0].applications", "members"]);

    // PATCH needs the version.
    let patch = json!({"name": "Release Crew", "app_access": [{"applications": [a1], "role": "no_access"}],
                       "members": [viewer.id]});
    let resp = s
        .send(Method::PATCH, &routes::group(group.id), &token, Some(&patch), None)
        .await;
    assert_eq!(resp.status(), StatusCode::PRECONDITION_REQUIRED);
    let resp = s
        .send(Method::PATCH, &routes::group(group.id), &token, Some(&patch), Some(1))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["etag"], "\"2\"");
    assert_eq!(role_on(&s, &token, viewer.id, a1).await, AppRole::NoAccess);
    assert_eq!(
        role_on(&s, &token, viewer.id, a2).await,
        AppRole::View,
        "back to the default group"
    );
    let resp = s
        .send(Method::PATCH, &routes::group(group.id), &token, Some(&patch), Some(1))
        .await;
    assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);

    // The user's groups show it.
    let user: orgdeck_shared::users::User = s.get(&routes::user(viewer.id), &token).await.json().await.unwrap();
    assert!(user.groups.contains(&group.id));

    let entries = s.audit(&token).await;
    let update = entries.iter().find(|e| e.action == "group.update").unwrap();
    assert_eq!(
        update.changes.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(),
        ["app_access"]
    );
    assert!(
        entries
            .iter()
            .any(|e| e.action == "group.create" && e.target.id == group.id.to_string())
    );
}

#[tokio::test]
async fn deleting_a_group_reports_its_members_and_takes_their_access() {
    let (s, token) = demo().await;
    let apps: Page<Application> = s.get(routes::APPLICATIONS, &token).await.json().await.unwrap();
    let app = apps.items[0].id;
    let a = s
        .create_user_api(&token, new_user("a@acme.example", "A", "A", "view"))
        .await
        .user;
    let b = s
        .create_user_api(&token, new_user("b@acme.example", "B", "B", "view"))
        .await
        .user;
    let body =
        json!({"name": "Owners", "app_access": [{"applications": [app], "role": "admin"}], "members": [a.id, b.id]});
    let group: Group = s.post(routes::GROUPS, &token, &body).await.json().await.unwrap();
    assert_eq!(role_on(&s, &token, a.id, app).await, AppRole::Admin);
    let resp = s
        .send(Method::DELETE, &routes::group(group.id), &token, None, None)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let deleted: GroupDeleted = resp.json().await.unwrap();
    assert_eq!(deleted.members_affected, 2);
    assert_eq!(role_on(&s, &token, a.id, app).await, AppRole::View);
    assert_eq!(role_on(&s, &token, b.id, app).await, AppRole::View);
    assert_eq!(
        s.get(&routes::group(group.id), &token).await.status(),
        StatusCode::NOT_FOUND
    );
    let user: orgdeck_shared::users::User = s.get(&routes::user(a.id), &token).await.json().await.unwrap();
    assert!(user.groups.is_empty());
    let entry = s
        .audit(&token)
        .await
        .into_iter()
        .find(|e| e.action == "group.delete")
        .unwrap();
    assert!(entry.summary.contains("2 member"), "{}", entry.summary);
}

#[tokio::test]
async fn built_in_groups_cannot_be_renamed_changed_or_deleted() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let all = groups(&s, &token).await;
    assert_eq!(all.len(), 4);
    let admin = all.iter().find(|g| g.grants_role == Some(OrgRole::Admin)).unwrap();
    assert_eq!(admin.members, [s.org.admin_id]);
    let err = api_error(
        s.send(Method::DELETE, &routes::group(admin.id), &token, None, None)
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(err.code, ErrorCode::Conflict);
    assert!(err.message.contains("built-in"));
    let rename = json!({"name": "Superusers", "app_access": [], "members": []});
    let resp = s
        .send(
            Method::PATCH,
            &routes::group(admin.id),
            &token,
            Some(&rename),
            Some(admin.version),
        )
        .await;
    assert_eq!(api_error(resp, StatusCode::CONFLICT).await.code, ErrorCode::Conflict);
    // A custom group cannot take a built-in name, nor a user join a built-in group as a custom one.
    let err = api_error(
        s.post(
            routes::GROUPS,
            &token,
            &json!({"name": "admin", "app_access": [], "members": []}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(err.field("name").is_some());
    let mut body = new_user("x@acme.example", "X", "Y", "view");
    body["groups"] = json!([admin.id]);
    let err = api_error(
        s.post(routes::USERS, &token, &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert!(err.field("groups").is_some());
    assert_eq!(groups(&s, &token).await.len(), 4);
}
