//! A crashed server loses no acknowledged write: the real binary is killed with SIGKILL right after
//! answering, and a new process finds every acknowledged change.

mod common;

use std::{process::Child, time::Duration};

use orgdeck_shared::{
    Versioned, etag_for,
    general::GeneralSettings,
    routes::{self, area},
};
use serde_json::json;

const PASSWORD: &str = "crash test admin passphrase";

fn serve(data_dir: &std::path::Path) -> (Child, String) {
    common::process::serve(data_dir, None, &[])
}

fn serve_with(data_dir: &std::path::Path, config: Option<&std::path::Path>) -> (Child, String) {
    common::process::serve(data_dir, config, &[])
}

/// `orgdeck-server init` of the organization "Crashy" in `dir`.
fn init(dir: &std::path::Path) {
    common::process::init(Some(dir), &[], "Crashy", "admin@crashy.example", PASSWORD);
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn login(http: &reqwest::Client, url: &str) -> String {
    let login: serde_json::Value = http
        .post(format!("{url}{}", routes::LOGIN))
        .json(&json!({"email": "admin@crashy.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    login["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn acknowledged_writes_survive_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let (mut server, url) = serve(dir.path());
    let http = client();
    let token = login(&http, &url).await;
    let settings_url = format!("{url}{}", routes::settings(area::GENERAL));
    let doc: Versioned<GeneralSettings> = http
        .get(&settings_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut version = doc.version;
    let mut value = doc.value;
    for i in 0..20 {
        value.name = format!("Crashy {i}");
        let resp = http
            .put(&settings_url)
            .bearer_auth(&token)
            .header("if-match", etag_for(version))
            .json(&value)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "write {i}: {}", resp.status());
        version = resp.json::<Versioned<GeneralSettings>>().await.unwrap().version;
    }
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.wait().unwrap();

    let (mut server, url) = serve(dir.path());
    let resp = http
        .get(format!("{url}{}", routes::settings(area::GENERAL)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_success(),
        "the session survived the crash too: {}",
        resp.status()
    );
    let after: Versioned<GeneralSettings> = resp.json().await.unwrap();
    assert_eq!((after.version, after.value.name.as_str()), (version, "Crashy 19"));
    let audit: serde_json::Value = http
        .get(format!("{url}{}?q=settings.update&limit=100", routes::AUDIT))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        audit["items"].as_array().unwrap().len(),
        20,
        "every acknowledged change kept its audit entry"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Deliveries are an outbox: events acknowledged by a server that is then killed (its worker off here, so
/// none went out before the kill) are each delivered once by the next start, with distinct, stable ids.
#[tokio::test]
async fn deliveries_queued_before_a_kill_9_go_out_once_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    init(dir.path());
    let hook =
        common::receivers::Receiver::start(|_: &common::receivers::Received| common::receivers::Reply::empty(204))
            .await;
    let no_worker = dir.path().join("no-worker.toml");
    std::fs::write(&no_worker, "allow_private_targets = true\ndelivery_worker = false\n").unwrap();
    let with_worker = dir.path().join("worker.toml");
    std::fs::write(&with_worker, "allow_private_targets = true\n").unwrap();

    let (mut server, url) = serve_with(dir.path(), Some(&no_worker));
    let http = client();
    let token = login(&http, &url).await;
    let created: serde_json::Value = http
        .post(format!("{url}{}", routes::INTEGRATIONS))
        .bearer_auth(&token)
        .json(&json!({ "name": "Hook", "settings": { "type": "webhook", "url": hook.url("/in") } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let hook_id = created["integration"]["id"].as_str().unwrap().to_owned();
    let notifications = format!("{url}{}", routes::settings("notifications"));
    let doc: serde_json::Value = http
        .get(&notifications)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut value = doc["value"].clone();
    value["new_vulnerability"]["channels"] = json!([hook_id]);
    let resp = http
        .put(&notifications)
        .bearer_auth(&token)
        .header("if-match", etag_for(doc["version"].as_i64().unwrap()))
        .json(&value)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    let key: serde_json::Value = http
        .post(format!("{url}{}", routes::AGENT_KEYS))
        .bearer_auth(&token)
        .json(&json!({ "name": "crash-agent" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap().to_owned();
    for batch in 0..4 {
        let events: Vec<serde_json::Value> = (0..5)
            .map(|i| {
                json!({ "id": format!("ev-{batch}-{i}"), "type": "new_vulnerability", "application": "Shop",
                        "title": format!("Finding {batch}-{i}"), "severity": "critical", "rule": "xss" })
            })
            .collect();
        let resp = http
            .post(format!("{url}{}", routes::AGENT_EVENTS))
            .bearer_auth(&key)
            .json(&json!({ "events": events }))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(hook.requests().is_empty(), "this instance runs no delivery worker");
    server.kill().unwrap();
    server.wait().unwrap();

    let (mut server, _url) = serve_with(dir.path(), Some(&with_worker));
    let end = tokio::time::Instant::now() + Duration::from_secs(15);
    while hook.requests().len() < 20 {
        assert!(
            tokio::time::Instant::now() < end,
            "{} of 20 delivered",
            hook.requests().len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = hook.requests();
    assert_eq!(got.len(), 20, "each delivery once");
    let mut ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id").unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 20);
    let mut titles: Vec<String> = got
        .iter()
        .map(|r| r.json()["data"]["title"].as_str().unwrap().to_owned())
        .collect();
    titles.sort();
    titles.dedup();
    assert_eq!(titles.len(), 20);
    server.kill().unwrap();
    server.wait().unwrap();
}
