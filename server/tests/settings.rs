//! General settings and licensing: versions, validation, roles, audit and organization isolation.

mod common;

use common::*;
use orgdeck_shared::{
    ErrorCode, Page, Versioned, audit::AuditEntry, auth::OrgRole, general::GeneralSettings, inventory::Application,
    licensing::LicenseSummary, routes,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn an_admin_reads_and_updates_general_settings_with_versions() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let resp = s.get(&routes::settings("general"), &token).await;
    assert_eq!(resp.headers()["etag"], "\"1\"");
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let doc: Versioned<GeneralSettings> = resp.json().await.unwrap();
    assert_eq!(doc.version, 1);
    assert_eq!(doc.value.name, "Acme");
    assert_eq!(doc.value.id, s.org.org_id);

    let mut value = doc.value.clone();
    value.name = "Acme Europe".into();
    value.timezone = "Europe/Paris".into();
    value.id = uuid::Uuid::nil(); // read-only: ignored
    let resp = s
        .put_general(&token, Some(1), &serde_json::to_value(&value).unwrap())
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["etag"], "\"2\"");
    let doc: Versioned<GeneralSettings> = resp.json().await.unwrap();
    assert_eq!(doc.version, 2);
    assert_eq!(doc.value.id, s.org.org_id);
    assert_eq!(s.general(&token).await["value"]["timezone"], "Europe/Paris");

    // `me` shows the new name.
    let me: serde_json::Value = s.get(routes::ME, &token).await.json().await.unwrap();
    assert_eq!(me["org"]["name"], "Acme Europe");
}

#[tokio::test]
async fn a_change_writes_an_audit_entry_with_its_field_changes() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let resp = s
        .put_general(&token, Some(1), &json!({"name": "Acme Two", "time_format": "hh:mm a"}))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let page: Page<AuditEntry> = s.get(routes::AUDIT, &token).await.json().await.unwrap();
    let e = &page.items[0];
    assert_eq!(e.action, "settings.update");
    assert_eq!((e.target.kind.as_str(), e.target.id.as_str()), ("settings", "general"));
    assert_eq!(e.actor.email, ADMIN_EMAIL);
    assert_eq!(e.ip.as_deref(), Some("127.0.0.1"));
    let fields: Vec<&str> = e.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["name", "time_format"]);
    assert_eq!(e.changes[0].old, "Acme");
    assert_eq!(e.changes[0].new, "Acme Two");

    // Saving the same document again changes nothing and writes nothing.
    let resp = s
        .put_general(&token, Some(2), &json!({"name": "Acme Two", "time_format": "hh:mm a"}))
        .await;
    assert_eq!(resp.headers()["etag"], "\"2\"");
    let again: Page<AuditEntry> = s.get(routes::AUDIT, &token).await.json().await.unwrap();
    assert_eq!(again.items[0].id, e.id);
}

#[tokio::test]
async fn a_write_without_if_match_is_refused_with_428() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let err = api_error(
        s.put_general(&token, None, &json!({"name": "X"})).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_eq!(err.code, ErrorCode::PreconditionRequired);
}

#[tokio::test]
async fn a_write_over_a_stale_version_is_refused_with_412() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    assert_eq!(
        s.put_general(&token, Some(1), &json!({"name": "First"})).await.status(),
        StatusCode::OK
    );
    let err = api_error(
        s.put_general(&token, Some(1), &json!({"name": "Second"})).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(err.code, ErrorCode::VersionMismatch);
    assert_eq!(s.general(&token).await["value"]["name"], "First");
}

#[tokio::test]
async fn invalid_settings_are_refused_with_422_naming_each_field() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let body = json!({"name": "", "timezone": "Mars/Olympus", "auto_license_environments": ["qa", "qa"]});
    let err = api_error(
        s.put_general(&token, Some(1), &body).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(err.code, ErrorCode::ValidationFailed);
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["name", "timezone", "auto_license_environments"]);

    // A value of the wrong shape names its field too.
    let err = api_error(
        s.put_general(&token, Some(1), &json!({"name": "Acme", "date_format": "yy"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(err.fields[0].field, "date_format");
    assert_eq!(s.general(&token).await["version"], 1, "nothing was written");
}

#[tokio::test]
async fn other_roles_get_403_on_every_admin_route() {
    let s = TestServer::start().await;
    for role in [OrgRole::View, OrgRole::Edit, OrgRole::RulesAdmin] {
        let email = format!("{}@acme.example", role.as_str());
        s.add_user(&email, role);
        let token = s.login(&email, USER_PASSWORD).await;
        for path in [
            routes::settings("general"),
            routes::LICENSES.into(),
            routes::AUDIT.into(),
            routes::SERVERS.into(),
        ] {
            let err = api_error(s.get(&path, &token).await, StatusCode::FORBIDDEN).await;
            assert_eq!(err.code, ErrorCode::Forbidden, "{role} on {path}");
        }
        let err = api_error(
            s.put_general(&token, Some(1), &json!({"name": "Mine"})).await,
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(err.code, ErrorCode::Forbidden);
        // But they may see who they are.
        assert_eq!(s.get(routes::ME, &token).await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn an_unknown_settings_area_answers_404_naming_it() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let err = api_error(
        s.get(&routes::settings("nonsense"), &token).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(err.code, ErrorCode::NotFound);
    assert!(err.message.contains("nonsense"), "{}", err.message);
}

#[tokio::test]
async fn report_and_score_settings_have_their_defaults_and_refuse_bad_values_by_field() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let reports: serde_json::Value = s.get(&routes::settings("reports"), &token).await.json().await.unwrap();
    assert_eq!(reports["version"], 1);
    assert_eq!(reports["value"]["report_types"], json!(["owasp_top10_2021"]));
    let scores: serde_json::Value = s.get(&routes::settings("scores"), &token).await.json().await.unwrap();
    assert_eq!(scores["value"]["weights"]["critical"], 20.0);
    assert_eq!(scores["value"]["grades"], json!({ "a": 90, "b": 80, "c": 70, "d": 60 }));

    // Bounds not decreasing, a negative weight: refused, each by its field; nothing written.
    let mut bad = scores["value"].clone();
    bad["grades"]["c"] = json!(85);
    bad["weights"]["low"] = json!(-1);
    let resp = s
        .send(Method::PUT, &routes::settings("scores"), &token, Some(&bad), Some(1))
        .await;
    let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["weights.low", "grades.c"]);
    let mut good = scores["value"].clone();
    good["weights"]["high"] = json!(12.5);
    good["overall"] = json!("custom_code_only");
    good["languages"] = json!(["Java"]);
    let resp = s
        .send(Method::PUT, &routes::settings("scores"), &token, Some(&good), Some(1))
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let audit = s.audit(&token).await;
    assert!(audit.iter().any(|e| e.summary.contains("Changed scores settings")));

    let mut footer = reports["value"].clone();
    footer["custom_footer"] = json!("x".repeat(501));
    footer["statuses"] = json!([]);
    let resp = s
        .send(
            Method::PUT,
            &routes::settings("reports"),
            &token,
            Some(&footer),
            Some(1),
        )
        .await;
    let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["statuses", "custom_footer"]);

    // Admins only.
    s.add_user("viewer@acme.example", orgdeck_shared::auth::OrgRole::View);
    let viewer = s.login("viewer@acme.example", USER_PASSWORD).await;
    assert_eq!(
        s.get(&routes::settings("scores"), &viewer).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn organizations_never_see_each_other() {
    let s = TestServer::start().await;
    let a = s.admin_token().await;
    assert_eq!(
        s.put_general(&a, Some(1), &json!({"name": "Acme Secret Name"}))
            .await
            .status(),
        StatusCode::OK
    );
    let b_org = s.add_org("Beta", "admin@beta.example");
    let b = s.login("admin@beta.example", ADMIN_PASSWORD).await;

    let doc: Versioned<GeneralSettings> = s.get(&routes::settings("general"), &b).await.json().await.unwrap();
    assert_eq!(doc.value.name, "Beta");
    assert_eq!(doc.value.id, b_org.org_id);
    assert_eq!(doc.version, 1);

    let audit = s.get(routes::AUDIT, &b).await.text().await.unwrap();
    assert!(!audit.contains("Acme"), "{audit}");
    assert!(!audit.contains(ADMIN_EMAIL));
    let found: Page<AuditEntry> = s
        .get(&format!("{}?q=secret", routes::AUDIT), &b)
        .await
        .json()
        .await
        .unwrap();
    assert!(found.items.is_empty());

    // Writing B's settings leaves A's alone, and versions are per organization.
    assert_eq!(
        s.put_general(&b, Some(1), &json!({"name": "Beta Two"})).await.status(),
        StatusCode::OK
    );
    assert_eq!(s.general(&a).await["value"]["name"], "Acme Secret Name");
    assert_eq!(s.general(&a).await["version"], 2);

    let lic: LicenseSummary = s.get(routes::LICENSES, &b).await.json().await.unwrap();
    assert_eq!((lic.assess.total, lic.protect.total), (0, 0));
    let apps: Page<Application> = s.get(routes::APPLICATIONS, &b).await.json().await.unwrap();
    assert!(apps.items.is_empty());
}
