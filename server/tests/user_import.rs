//! `POST users/import`: CSV validated as a whole, all or nothing.

mod common;

use common::*;
use orgdeck_shared::{
    ErrorCode, Page, routes,
    users::{ImportReport, User, UserStatus, row_errors},
};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn import(s: &TestServer, token: &str, csv: &str) -> reqwest::Response {
    s.request(Method::POST, routes::USERS_IMPORT, Some(token))
        .await
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap()
}

async fn user_count(s: &TestServer, token: &str) -> usize {
    let p: Page<User> = s
        .get(&format!("{}?limit=500", routes::USERS), token)
        .await
        .json()
        .await
        .unwrap();
    p.items.len()
}

#[tokio::test]
async fn one_bad_row_imports_nothing_and_every_error_names_its_row_and_field() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    s.add_user("taken@acme.example", orgdeck_shared::auth::OrgRole::View);
    let before = user_count(&s, &token).await;
    let csv = "email,first_name,last_name,group\n\
               good@acme.example,Good,Row,View\n\
               not-an-email,Bad,Email,Edit\n\
               good@acme.example,Twice,Listed,View\n\
               taken@acme.example,Already,There,View\n\
               fine@acme.example,,Nameless,Admin\n\
               other@acme.example,No,Group,Wizards\n\
               short@acme.example,Too,Few\n";
    let err = api_error(import(&s, &token, csv).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(err.code, ErrorCode::ValidationFailed);
    let rows: Vec<(u32, String)> = row_errors(&err).into_iter().map(|e| (e.row, e.field)).collect();
    assert_eq!(
        rows,
        [
            (3, "email".to_owned()),
            (4, "email".to_owned()),
            (5, "email".to_owned()),
            (6, "first_name".to_owned()),
            (7, "group".to_owned()),
            (8, "row".to_owned()),
        ]
    );
    assert!(err.field("row 4: email").unwrap().contains("row 2"));
    assert_eq!(user_count(&s, &token).await, before, "nothing was imported");
}

#[tokio::test]
async fn a_good_file_imports_every_row_as_an_invitation() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let team: orgdeck_shared::groups::Group = s
        .post(
            routes::GROUPS,
            &token,
            &json!({"name": "Payments Team", "app_access": [], "members": []}),
        )
        .await
        .json()
        .await
        .unwrap();
    let csv = "Email,First_Name,Last_Name,Group,API_Only\r\n\
               ann@acme.example,Ann,Lee,rules admin,\r\n\
               \"bob@acme.example\",\"Bob, Jr.\",Smith,payments team,no\r\n\
               bot@acme.example,Build,Bot,View,true\r\n";
    let resp = import(&s, &token, csv).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let report: ImportReport = resp.json().await.unwrap();
    assert_eq!(report.created.len(), 3);
    let ann = &report.created[0];
    assert_eq!(ann.user.default_group, orgdeck_shared::auth::OrgRole::RulesAdmin);
    assert_eq!(ann.user.status, UserStatus::Pending);
    assert!(ann.activation_token.is_some());
    let bob = &report.created[1].user;
    assert_eq!(
        (bob.first_name.as_str(), bob.groups.clone()),
        ("Bob, Jr.", vec![team.id])
    );
    assert!(report.created[2].user.api_only);
    // An imported user activates like any invitation.
    let resp = s
        .http
        .post(s.url(routes::ACTIVATE))
        .json(&json!({"token": ann.activation_token.as_ref().unwrap().expose(), "password": USER_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    s.login("ann@acme.example", USER_PASSWORD).await;
    let actions: Vec<String> = s.audit(&token).await.into_iter().map(|e| e.action).collect();
    assert!(actions.contains(&"user.import".to_owned()));
    // Importing the same file again refuses every row: the emails are in use now.
    let err = api_error(import(&s, &token, csv).await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(row_errors(&err).len(), 3);
}

#[tokio::test]
async fn the_import_wants_csv_with_the_columns_it_knows() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let resp = s
        .request(Method::POST, routes::USERS_IMPORT, Some(&token))
        .await
        .json(&json!({"email": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let err = api_error(
        import(&s, &token, "email,first_name,group,shoe_size\n").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let rows = row_errors(&err);
    assert!(rows.iter().all(|e| e.row == 1 && e.field == "header"), "{rows:?}");
    let err = api_error(import(&s, &token, "").await, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(err.field("file").is_some());
}
