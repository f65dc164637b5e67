//! Display names follow one rule wherever they are accepted (users, groups, the organization, CSV import,
//! IP rule labels): no control characters (C0, DEL, C1) and no text-direction overrides or isolates, each
//! refusal a 422 naming the field; ordinary Unicode names (accents, CJK, emoji) pass.

mod common;

use common::*;
use orgdeck_shared::{ApiError, Page, groups::Group, routes, users::User};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// What an attacker puts in a name: a NUL, a terminal escape sequence, a newline, a right-to-left override,
/// a left-to-right isolate, the C1 next-line and control-sequence-introducer characters, DEL.
const HOSTILE: [(&str, &str); 8] = [
    ("NUL", "Ops\0Team"),
    ("ESC sequence", "Ops\u{1b}[2J\u{1b}[31mTeam"),
    ("newline", "Ops\nadmin@acme.example logged in"),
    ("U+202E", "Ops\u{202E}maeT"),
    ("U+2066", "\u{2066}Ops Team"),
    ("U+0085", "Ops\u{85}Team"),
    ("U+009B", "Ops\u{9b}31mTeam"),
    ("DEL", "Ops\u{7f}Team"),
];

const ORDINARY: [&str; 5] = [
    "Équipe Sécurité",
    "José Núñez",
    "安全チーム",
    "Ops 🚀 Crew",
    "Ünïcödé-Grüppe",
];

/// The answer is a 422 naming `field`.
async fn refused_naming(resp: reqwest::Response, field: &str, what: &str) {
    let err: ApiError = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(err.field(field).is_some(), "{what}: {err:?}");
}

async fn group_names(s: &TestServer, token: &str) -> Vec<String> {
    let page: Page<Group> = s.get(routes::GROUPS, token).await.json().await.unwrap();
    page.items.into_iter().map(|g| g.name).collect()
}

#[tokio::test]
async fn group_names_refuse_control_and_direction_characters() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let before = group_names(&s, &token).await;
    for (what, name) in HOSTILE {
        let body = json!({ "name": name, "app_access": [], "members": [] });
        refused_naming(s.post(routes::GROUPS, &token, &body).await, "name", what).await;
    }
    assert_eq!(group_names(&s, &token).await, before, "nothing was created");

    for name in ORDINARY {
        let resp = s
            .post(
                routes::GROUPS,
                &token,
                &json!({ "name": name, "app_access": [], "members": [] }),
            )
            .await;
        assert_eq!(
            resp.status(),
            StatusCode::CREATED,
            "{name}: {}",
            resp.text().await.unwrap()
        );
    }
    let created: Group = s
        .post(
            routes::GROUPS,
            &token,
            &json!({ "name": "Renamed", "app_access": [], "members": [] }),
        )
        .await
        .json()
        .await
        .unwrap();
    for (what, name) in HOSTILE {
        let body = json!({ "name": name, "app_access": [], "members": [] });
        let resp = s
            .send(
                Method::PATCH,
                &routes::group(created.id),
                &token,
                Some(&body),
                Some(created.version),
            )
            .await;
        refused_naming(resp, "name", what).await;
    }
}

#[tokio::test]
async fn user_names_refuse_control_and_direction_characters_on_create_and_update() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    for (what, name) in HOSTILE {
        for field in ["first_name", "last_name"] {
            let mut body = new_user("mallory@acme.example", "Mallory", "Smith", "view");
            body[field] = json!(name);
            refused_naming(s.post(routes::USERS, &token, &body).await, field, what).await;
        }
    }
    let page: Page<User> = s.get(routes::USERS, &token).await.json().await.unwrap();
    assert_eq!(page.items.len(), 1, "only the admin");

    let created = s
        .create_user_api(&token, new_user("ana@acme.example", "Ana", "Lima", "view"))
        .await;
    for (what, name) in HOSTILE {
        for field in ["first_name", "last_name"] {
            let resp = s
                .send(
                    Method::PATCH,
                    &routes::user(created.user.id),
                    &token,
                    Some(&json!({ field: name })),
                    Some(created.user.version),
                )
                .await;
            refused_naming(resp, field, what).await;
        }
    }
    for (i, name) in ORDINARY.iter().enumerate() {
        let body = new_user(&format!("person{i}@acme.example"), name, name, "view");
        let user = s.create_user_api(&token, body).await.user;
        assert_eq!(user.first_name, *name);
    }
    let resp = s
        .post(
            routes::USERS,
            &token,
            &new_user("evil\u{202E}moc.example@acme.example", "E", "Vil", "view"),
        )
        .await;
    refused_naming(resp, "email", "an email with U+202E").await;
}

#[tokio::test]
async fn csv_import_names_go_through_the_same_rule() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    for (what, name) in HOSTILE {
        // A CSV field cannot hold a bare newline unquoted: quote every name.
        let csv = format!(
            "email,first_name,last_name,group\nok@acme.example,\"{}\",Smith,View\n",
            name.replace('"', "\"\"")
        );
        let resp = s
            .request(Method::POST, routes::USERS_IMPORT, Some(&token))
            .await
            .header("content-type", "text/csv")
            .body(csv)
            .send()
            .await
            .unwrap();
        refused_naming(resp, "row 2: first_name", what).await;
    }
    let csv = "email,first_name,last_name,group\nzoe@acme.example,Zoë,王,View\n";
    let resp = s
        .request(Method::POST, routes::USERS_IMPORT, Some(&token))
        .await
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_organization_name_and_ip_rule_labels_follow_the_rule() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let general = s.general(&token).await;
    let version = general["version"].as_i64().unwrap();
    for (what, name) in HOSTILE {
        let mut value = general["value"].clone();
        value["name"] = json!(name);
        refused_naming(s.put_general(&token, Some(version), &value).await, "name", what).await;
    }
    assert_eq!(s.general(&token).await, general, "nothing changed");
    let mut value = general["value"].clone();
    value["name"] = json!("Société Générale 株式会社 🚀");
    assert_eq!(
        s.put_general(&token, Some(version), &value).await.status(),
        StatusCode::OK
    );

    let path = routes::settings("ip_restrictions");
    let current: Value = s.get(&path, &token).await.json().await.unwrap();
    let version = current["version"].as_i64().unwrap();
    for (what, label) in HOSTILE {
        let body = json!({ "rules": [{ "cidr": "0.0.0.0/0", "label": label }] });
        let resp = s.send(Method::PUT, &path, &token, Some(&body), Some(version)).await;
        refused_naming(resp, "rules[0].label", what).await;
    }
    let body = json!({ "rules": [{ "cidr": "0.0.0.0/0", "label": "Büro München 🏢" }] });
    let resp = s.send(Method::PUT, &path, &token, Some(&body), Some(version)).await;
    assert_eq!(resp.status(), StatusCode::OK);
}
