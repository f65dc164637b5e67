//! The demo organization loads, and its admin can log in and browse it.

mod common;

use common::*;
use orgdeck_server::demo;
use orgdeck_shared::{
    Page,
    audit::AuditEntry,
    inventory::{Application, Server},
    licensing::LicenseSummary,
    routes,
};
use reqwest::StatusCode;

async fn demo_server() -> (TestServer, demo::DemoLogin) {
    demo_server_with(|_| {}).await
}

async fn demo_server_with(configure: impl FnOnce(&mut orgdeck_server::ServerConfig)) -> (TestServer, demo::DemoLogin) {
    let dir = tempfile::tempdir().unwrap();
    let clock = orgdeck_server::ManualClock::new(start_time());
    let login = demo::seed(dir.path(), &clock).unwrap();
    let org = orgdeck_server::OrgCreated {
        org_id: uuid::Uuid::nil(),
        admin_id: uuid::Uuid::nil(),
    };
    (TestServer::serve_with(dir, clock, org, configure).await, login)
}

#[tokio::test]
async fn the_demo_loads_and_its_admin_logs_in() {
    let (s, login) = demo_server().await;
    let token = s.login(&login.email, &login.password).await;
    let general = s.general(&token).await;
    assert_eq!(general["value"]["timezone"], "Europe/Berlin");

    let apps: Page<Application> = s.get(routes::APPLICATIONS, &token).await.json().await.unwrap();
    assert!(apps.items.len() >= 10);
    let servers: Page<Server> = s.get(routes::SERVERS, &token).await.json().await.unwrap();
    assert!(servers.items.len() >= 10);

    let lic: LicenseSummary = s.get(routes::LICENSES, &token).await.json().await.unwrap();
    assert!(lic.assess.total > 0 && lic.protect.total > 0);
    assert_eq!(lic.assess.used, apps.items.iter().filter(|a| a.licensed).count() as u32);
    assert_eq!(
        lic.protect.used,
        servers.items.iter().filter(|a| a.licensed).count() as u32
    );
    assert!(lic.assess.expirations.windows(2).all(|w| w[0].date < w[1].date));

    // The demo's other users share one password and may log in too (if active).
    let conn = rusqlite::Connection::open(s.dir.path().join("orgdeck.db")).unwrap();
    let email: String = conn
        .query_row(
            "SELECT email FROM users WHERE status = 'active' AND enabled AND role = 'view' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let demo_json: serde_json::Value = serde_json::from_str(include_str!("../../assets/demo.json")).unwrap();
    let user_password = demo_json["user_password"].as_str().unwrap();
    assert_eq!(s.login_raw(&email, user_password).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_demo_audit_log_pages_newest_first_and_searches() {
    let (s, login) = demo_server().await;
    let token = s.login(&login.email, &login.password).await;
    let mut seen: Vec<AuditEntry> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{}?limit=40&cursor={c}", routes::AUDIT),
            None => format!("{}?limit=40", routes::AUDIT),
        };
        let page: Page<AuditEntry> = s.get(&path, &token).await.json().await.unwrap();
        assert!(page.items.len() <= 40);
        seen.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert!(seen.len() > 300, "every demo entry and the login: {}", seen.len());
    assert!(
        seen.windows(2).all(|w| (w[0].at, w[0].id) > (w[1].at, w[1].id)),
        "newest first, no repeats"
    );

    let found: Page<AuditEntry> = s
        .get(&format!("{}?q=UNLOCK&limit=500", routes::AUDIT), &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(!found.items.is_empty());
    assert!(found.items.iter().all(|e| {
        let hay = format!(
            "{} {} {} {}:{}",
            e.summary, e.actor.email, e.action, e.target.kind, e.target.id
        )
        .to_lowercase();
        hay.contains("unlock")
    }));

    let from = (start_time() - jiff::SignedDuration::from_hours(24)).to_string();
    let recent: Page<AuditEntry> = s
        .get(&format!("{}?from={from}&limit=500", routes::AUDIT), &token)
        .await
        .json()
        .await
        .unwrap();
    assert!(!recent.items.is_empty() && recent.items.len() < seen.len());
    assert!(recent.items.iter().all(|e| e.at.to_string() >= from));
}

#[test]
fn the_demo_needs_a_fresh_data_directory() {
    let dir = tempfile::tempdir().unwrap();
    let clock = orgdeck_server::ManualClock::new(start_time());
    demo::seed(dir.path(), &clock).unwrap();
    assert!(demo::seed(dir.path(), &clock).is_err());
}

#[tokio::test]
async fn the_demo_mails_codes_into_its_own_outbox() {
    let (s, login) = demo_server_with(|c| *c = demo::server_config(&c.data_dir.clone())).await;
    assert!(s.handle.addr.ip().is_loopback());
    let token = s.login(&login.email, &login.password).await;
    set_two_step(
        &s,
        &token,
        serde_json::json!({ "enabled": true, "required": false, "methods": ["email"] }),
    )
    .await;
    let resp = s.post(routes::ME_EMAIL_CODE, &token, &serde_json::json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK);
    // The demo's silent servers are announced to its admins by mail too; the code is the one mail that
    // is not about a server.
    let end = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let mails = common::mail::outbox(s.dir.path());
        let code = mails.iter().find(|m| {
            common::mail::header(m, "Subject").is_some_and(|subject| !subject.starts_with("[orgdeck] Server"))
        });
        if let Some(code) = code {
            assert_eq!(common::mail::header(code, "To"), Some(login.email.as_str()));
            break;
        }
        assert!(tokio::time::Instant::now() < end, "no code mail: {mails:?}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_demos_stand_in_agents_keep_its_online_servers_beating_and_the_silent_ones_stay_offline() {
    let (s, login) = demo_server().await;
    let token = s.login(&login.email, &login.password).await;
    let offline = |token: String| {
        let s = &s;
        async move {
            let page: Page<Server> = s
                .get(&format!("{}?status=offline&limit=500", routes::SERVERS), &token)
                .await
                .json()
                .await
                .unwrap();
            page.items.len()
        }
    };
    assert_eq!(
        offline(token.clone()).await,
        3,
        "three demo servers went silent before it started"
    );
    assert_eq!(login.beating.len(), 33);
    // Half an hour later nobody beat: every server is offline.
    s.advance_minutes(30);
    let token = s.login(&login.email, &login.password).await;
    assert_eq!(offline(token.clone()).await, 36);
    // The stand-ins beat over HTTP with the demo's agent key (at once, then every minute).
    let agents = demo::run_agents(s.handle.base_url(), login.agent_key.clone(), login.beating.clone());
    let end = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    while offline(token.clone()).await != 3 {
        assert!(tokio::time::Instant::now() < end, "the demo's agents did not beat");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    agents.abort();
}
