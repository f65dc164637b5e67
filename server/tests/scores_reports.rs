//! Scores and reports over real HTTP on the demo organization (SETTINGS.md sections 9 and 10): every
//! application scored under the saved settings, a preview under settings not saved, the libraries the
//! scores are made of, and a report filtered by the chosen statuses and severities.

mod common;

use common::*;
use orgdeck_shared::{
    ErrorCode, Page,
    agents::NewAgentKey,
    inventory::{Application, Library},
    reports::{ReportFormat, ReportPreview},
    routes,
    scores::{Grade, ScorePreview},
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

async fn demo() -> (TestServer, String) {
    let dir = tempfile::tempdir().unwrap();
    let clock = orgdeck_server::ManualClock::new(start_time());
    let login = orgdeck_server::demo::seed(dir.path(), &clock).unwrap();
    let org = orgdeck_server::OrgCreated {
        org_id: Uuid::nil(),
        admin_id: Uuid::nil(),
    };
    let s = TestServer::serve(dir, clock, org).await;
    let admin = s.login(&login.email, &login.password).await;
    (s, admin)
}

async fn applications(s: &TestServer, admin: &str) -> Vec<Application> {
    let page: Page<Application> = s.get(routes::APPLICATIONS, admin).await.json().await.unwrap();
    page.items
}

fn by_name<'a>(apps: &'a [Application], name: &str) -> &'a Application {
    apps.iter().find(|a| a.name == name).unwrap()
}

async fn score_settings(s: &TestServer, admin: &str) -> Value {
    let doc: Value = s.get(&routes::settings("scores"), admin).await.json().await.unwrap();
    doc["value"].clone()
}

#[tokio::test]
async fn the_demo_scores_every_grade_and_a_preview_shows_what_edited_weights_would_change() {
    let (s, admin) = demo().await;
    let apps = applications(&s, &admin).await;
    let mut grades: Vec<Grade> = apps.iter().map(|a| a.score.unwrap().grade).collect();
    grades.sort();
    grades.dedup();
    assert_eq!(grades, [Grade::A, Grade::B, Grade::C, Grade::D, Grade::F]);
    let ledger = by_name(&apps, "ledger-service").score.unwrap();
    assert_eq!((ledger.code, ledger.overall, ledger.grade), (65, 78, Grade::C));
    let f = by_name(&apps, "customer-portal").score.unwrap();
    assert_eq!((f.overall, f.grade), (35, Grade::F), "never below 35");

    let mut edited = score_settings(&s, &admin).await;
    edited["weights"]["critical"] = json!(40.0);
    let resp = s
        .post(routes::SCORE_PREVIEW, &admin, &json!({ "settings": edited }))
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let preview: ScorePreview = resp.json().await.unwrap();
    assert_eq!(preview.applications.len(), 22);
    let row = preview
        .applications
        .iter()
        .find(|a| a.name == "ledger-service")
        .unwrap();
    assert_eq!((row.now.overall, row.now.grade), (78, Grade::C));
    assert_eq!((row.edited.overall, row.edited.grade), (68, Grade::D));
    assert!(row.grade_changed());
    assert_eq!(row.inputs.counts.critical, 1);
    assert_eq!(row.inputs.libraries.len(), 2);
    // Nothing was saved: the applications still score as before.
    assert_eq!(
        by_name(&applications(&s, &admin).await, "ledger-service")
            .score
            .unwrap()
            .grade,
        Grade::C
    );

    // Checked as a save would be.
    let mut bad = score_settings(&s, &admin).await;
    bad["grades"]["b"] = json!(95);
    bad["weights"]["low"] = json!(-1);
    let resp = s.post(routes::SCORE_PREVIEW, &admin, &json!({ "settings": bad })).await;
    let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = err.fields.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(fields, ["weights.low", "grades.b"], "B must be below A");

    // Library-only mode for the library score: the vulnerabilities-only mode keeps the CVSS term only.
    let mut vulns_only = score_settings(&s, &admin).await;
    vulns_only["library"] = json!("vulnerabilities_only");
    let preview: ScorePreview = s
        .post(routes::SCORE_PREVIEW, &admin, &json!({ "settings": vulns_only }))
        .await
        .json()
        .await
        .unwrap();
    let row = preview.applications.iter().find(|a| a.name == "checkout-web").unwrap();
    assert_eq!(row.edited.library, Some(100), "no CVE in checkout-web's libraries");
    s.handle.shutdown().await;
}

#[tokio::test]
async fn libraries_come_from_the_demo_and_from_agents_and_move_the_score() {
    let (s, admin) = demo().await;
    let apps = applications(&s, &admin).await;
    let ledger = by_name(&apps, "ledger-service");
    let resp = s
        .get(
            &routes::APPLICATION_LIBRARIES.replace("{id}", &ledger.id.to_string()),
            &admin,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let libs: Vec<Library> = resp.json().await.unwrap();
    assert_eq!(libs.len(), 2);
    assert!(
        libs.iter()
            .all(|l| l.released_on.is_some() && l.latest_version.is_some())
    );
    let before = ledger.score.unwrap();

    // An agent reports a vulnerable library: it joins the application's libraries.
    let key: NewAgentKey = s
        .post(routes::AGENT_KEYS, &admin, &json!({ "name": "fleet" }))
        .await
        .json()
        .await
        .unwrap();
    let resp = s
        .post(
            routes::AGENT_EVENTS,
            key.key.expose(),
            &json!({ "events": [{
                "id": "lib-1", "type": "vulnerable_library", "application": "ledger-service",
                "library": "org.yaml:snakeyaml", "version": "1.33", "latest_version": "2.3",
                "cves": ["CVE-2022-1471"], "cvss": 8.3, "released_on": "2022-09-25",
                "latest_released_on": "2024-08-20", "versions_behind": 3,
            }] }),
        )
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let libs: Vec<Library> = s
        .get(
            &routes::APPLICATION_LIBRARIES.replace("{id}", &ledger.id.to_string()),
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    let snake = libs.iter().find(|l| l.name == "org.yaml:snakeyaml").unwrap();
    assert_eq!((snake.versions_behind, snake.highest_cvss), (3, Some(8.3)));
    let after = by_name(&applications(&s, &admin).await, "ledger-service")
        .score
        .unwrap();
    assert!(
        after.library.unwrap() < before.library.unwrap(),
        "{before:?} -> {after:?}"
    );

    // A bad release order is named.
    let resp = s
        .post(
            routes::AGENT_EVENTS,
            key.key.expose(),
            &json!({ "events": [{
                "id": "lib-2", "type": "vulnerable_library", "application": "ledger-service",
                "library": "x", "version": "1", "cves": ["CVE-2022-1471"],
                "released_on": "2024-01-01", "latest_released_on": "2023-01-01",
            }] }),
        )
        .await;
    let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(err.fields[0].field, "events[0].latest_released_on");

    // Another organization's admin finds no such application.
    s.add_org("Globex", "admin@globex.example");
    let globex = s.login("admin@globex.example", ADMIN_PASSWORD).await;
    let resp = s
        .get(
            &routes::APPLICATION_LIBRARIES.replace("{id}", &ledger.id.to_string()),
            &globex,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    s.handle.shutdown().await;
}

async fn preview(s: &TestServer, admin: &str, query: &str, body: &Value) -> ReportPreview {
    let resp = s.post(&format!("{}{query}", routes::REPORT_PREVIEW), admin, body).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    resp.json().await.unwrap()
}

#[tokio::test]
async fn a_report_lists_the_chosen_statuses_and_severities_under_settings_not_saved() {
    let (s, admin) = demo().await;
    let apps = applications(&s, &admin).await;
    let ledger = by_name(&apps, "ledger-service");
    let saved = preview(&s, &admin, "", &json!({ "application_id": ledger.id })).await;
    assert_eq!(saved.format, ReportFormat::Markdown);
    assert_eq!(saved.application, "ledger-service");
    // Open findings of every severity but notes (the defaults): ledger-service has three, and closed ones.
    assert_eq!(saved.listed, 3, "{}", saved.content);
    assert!(saved.total > saved.listed);
    assert!(
        saved.content.starts_with("# Security report: ledger-service"),
        "{}",
        saved.content
    );
    assert!(saved.content.contains("Northwind Security"));
    assert!(saved.content.contains("A03:2021 Injection") || saved.content.contains("A01:2021"));
    assert!(!saved.content.contains("## Notes"));

    let closed = json!({
        "report_types": ["owasp_top10_2021", "nist_800_53"],
        "statuses": ["fixed", "not_a_problem", "remediated"],
        "severities": ["critical", "high", "medium", "low", "note"],
        "include_notes": true,
        "custom_footer": "Internal <only>",
    });
    let p = preview(
        &s,
        &admin,
        "?format=html",
        &json!({ "application_id": ledger.id, "settings": closed }),
    )
    .await;
    assert_eq!(p.format, ReportFormat::Html);
    assert!(p.listed >= 1);
    assert!(p.content.contains("<td>fixed</td>") || p.content.contains("<td>not_a_problem</td>"));
    assert!(!p.content.contains("<td>reported</td>"), "only closed findings");
    assert!(p.content.contains("Internal &lt;only&gt;"));
    assert!(p.content.contains("NIST 800-53"));

    // Notes appear when included and the noted findings are listed.
    let notes = preview(
        &s,
        &admin,
        "",
        &json!({ "application_id": ledger.id, "settings": {
            "report_types": ["owasp_top10_2021"],
            "statuses": ["reported", "suspicious", "confirmed"],
            "severities": ["critical", "high", "medium", "low"],
            "include_notes": true, "custom_footer": "",
        } }),
    )
    .await;
    assert!(notes.content.contains("## Notes"), "{}", notes.content);

    // Bad settings, an unknown application, a viewer.
    let resp = s
        .post(
            routes::REPORT_PREVIEW,
            &admin,
            &json!({ "application_id": ledger.id, "settings": { "report_types": [], "statuses": ["fixed"], "severities": ["low"] } }),
        )
        .await;
    let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(err.fields[0].field, "settings.report_types");
    let resp = s
        .post(
            routes::REPORT_PREVIEW,
            &admin,
            &json!({ "application_id": Uuid::new_v4() }),
        )
        .await;
    assert_eq!(api_error(resp, StatusCode::NOT_FOUND).await.code, ErrorCode::NotFound);
    let resp = s
        .post(
            &format!("{}?format=pdf", routes::REPORT_PREVIEW),
            &admin,
            &json!({ "application_id": ledger.id }),
        )
        .await;
    assert!(resp.status().is_client_error());
    s.handle.shutdown().await;
}
