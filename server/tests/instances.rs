//! Several instances on one PostgreSQL database, as behind a load balancer: two real `orgdeck-server serve`
//! processes, each with its own data directory, share the database (`orgdeck_server::pg_test`). What one
//! instance changes, the other enforces at the next request: nothing is cached across them. A live-update
//! stream on one hears what the other changed. One killed with SIGKILL in the middle of writes loses no
//! acknowledged write.

mod common;

use std::{process::Child, time::Duration};

use orgdeck_server::pg_test;
use orgdeck_shared::routes;
use reqwest::StatusCode;
use serde_json::{Value, json};

const EMAIL: &str = "admin@twin.example";
const PASSWORD: &str = "the admin keeps a long passphrase";
const USER_PASSWORD: &str = "she keeps a long passphrase";
/// Groups each writer creates.
const WRITES: usize = 150;
/// Base64 of 32 bytes: the key every instance shares.
const SECRET_KEY: &str = "dHdpbi1pbnN0YW5jZXMtc2hhcmUtdGhpcy1rZXktMzI=";

/// One `orgdeck-server serve` process on the shared database.
struct Instance {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Instance {
    fn start(database: &str) -> Instance {
        Self::start_with(database, "")
    }

    /// With `config` as its configuration file.
    fn start_with(database: &str, config: &str) -> Instance {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.toml");
        std::fs::write(&file, config).unwrap();
        let env = [("ORGDECK_DATABASE_URL", database), ("ORGDECK_SECRET_KEY", SECRET_KEY)];
        let (child, url) = common::process::serve(dir.path(), Some(&file), &env);
        Instance { child, url, _dir: dir }
    }

    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `orgdeck-server init` on the database.
fn init(database: &str) {
    common::process::init(None, &[("ORGDECK_DATABASE_URL", database)], "Twin", EMAIL, PASSWORD);
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap()
}

async fn login(http: &reqwest::Client, at: &Instance, email: &str, password: &str) -> reqwest::Response {
    http.post(at.at(routes::LOGIN))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

async fn token(http: &reqwest::Client, at: &Instance, email: &str, password: &str) -> String {
    let resp = login(http, at, email, password).await;
    assert_eq!(resp.status(), StatusCode::OK, "login of {email} on {}", at.url);
    resp.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `GET` with a session, answered as JSON.
async fn get_json(http: &reqwest::Client, url: String, token: &str) -> Value {
    let resp = http.get(url).bearer_auth(token).send().await.unwrap();
    resp.json().await.unwrap()
}

async fn me(http: &reqwest::Client, at: &Instance, token: &str) -> StatusCode {
    http.get(at.at(routes::ME))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

/// Reads server-sent events until a `change` event comes; its data.
async fn next_change(resp: &mut reqwest::Response, buf: &mut String) -> Value {
    loop {
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            if block
                .lines()
                .any(|l| l.trim() == "event: change" || l.trim() == "event:change")
            {
                let data: String = block
                    .lines()
                    .filter_map(|l| l.strip_prefix("data:"))
                    .map(str::trim)
                    .collect();
                return serde_json::from_str(&data).unwrap();
            }
        }
        let chunk = resp.chunk().await.unwrap().expect("the stream goes on");
        buf.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[tokio::test]
async fn two_instances_on_one_database_share_everything_and_nothing_is_stale() {
    let Some(pg) = pg_test::server() else { return };
    let database = pg.fresh_database().await;
    init(&database);
    let (a, b) = (Instance::start(&database), Instance::start(&database));
    let http = client();

    // A session made on A works on B.
    let admin = token(&http, &a, EMAIL, PASSWORD).await;
    assert_eq!(me(&http, &b, &admin).await, StatusCode::OK);

    // B's live-update stream hears what A changes.
    let mut stream = http
        .get(b.at(routes::EVENTS_STREAM))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let resp = http
        .post(a.at(routes::GROUPS))
        .bearer_auth(&admin)
        .json(&json!({"name": "Made on A", "app_access": [], "members": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());
    let mut buf = String::new();
    let change = tokio::time::timeout(Duration::from_secs(10), next_change(&mut stream, &mut buf))
        .await
        .expect("B's stream hears A's change within seconds");
    assert_eq!(change["kind"], "group.create", "{change}");
    drop(stream);

    // A user made on B logs in on A; disabled on A, their session from B ends on B at once.
    let resp = http
        .post(b.at(routes::USERS))
        .bearer_auth(&admin)
        .json(
            &json!({"email": "dana@twin.example", "first_name": "Dana", "last_name": "Twin",
                      "default_group": "view", "password": USER_PASSWORD}),
        )
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let created: Value = resp.json().await.unwrap();
    assert!(status.is_success(), "{created}");
    let dana_id = created["id"]
        .as_str()
        .or(created["user"]["id"].as_str())
        .unwrap()
        .to_owned();
    let dana = token(&http, &b, "dana@twin.example", USER_PASSWORD).await;
    assert_eq!(me(&http, &a, &dana).await, StatusCode::OK);
    let resp = http
        .post(a.at(&routes::user_action(dana_id.parse::<uuid::Uuid>().unwrap(), "disable")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
    assert_eq!(
        me(&http, &b, &dana).await,
        StatusCode::UNAUTHORIZED,
        "disabled on A, refused on B"
    );
    assert_eq!(
        login(&http, &b, "dana@twin.example", USER_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // Logged out on B, the admin's session is refused on A at the next request.
    let resp = http
        .post(b.at(routes::LOGOUT))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        me(&http, &a, &admin).await,
        StatusCode::UNAUTHORIZED,
        "logged out on B, refused on A"
    );

    // A settings change on A is what B serves next, version and all.
    let admin = token(&http, &b, EMAIL, PASSWORD).await;
    let general: Value = get_json(&http, b.at(&routes::settings("general")), &admin).await;
    let mut doc = general["value"].clone();
    doc["name"] = json!("Twin, renamed on A");
    let version = general["version"].as_i64().unwrap();
    let resp = http
        .put(a.at(&routes::settings("general")))
        .bearer_auth(&admin)
        .header("if-match", orgdeck_shared::etag_for(version))
        .json(&doc)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let seen: Value = get_json(&http, b.at(&routes::settings("general")), &admin).await;
    assert_eq!(seen["value"]["name"], "Twin, renamed on A");
    assert_eq!(seen["version"].as_i64(), Some(version + 1));
    // The same old version written on B is refused: the write A made is not overwritten.
    let resp = http
        .put(b.at(&routes::settings("general")))
        .bearer_auth(&admin)
        .header("if-match", orgdeck_shared::etag_for(version))
        .json(&doc)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
}

#[tokio::test]
async fn the_login_limit_per_address_is_shared_by_the_instances() {
    let Some(pg) = pg_test::server() else { return };
    let database = pg.fresh_database().await;
    init(&database);
    let config = "login_attempts_per_minute = 4\n";
    let (a, b) = (
        Instance::start_with(&database, config),
        Instance::start_with(&database, config),
    );
    let http = client();
    // Four attempts from one address, spread over both instances: each counts against the one bucket.
    for at in [&a, &b, &a, &b] {
        let resp = login(&http, at, EMAIL, "not the password at all").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "on {}", at.url);
    }
    // The fifth is refused wherever it lands (alone, each instance would have allowed two more).
    for at in [&a, &b] {
        let resp = login(&http, at, EMAIL, PASSWORD).await;
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "on {}", at.url);
        assert!(resp.headers().contains_key("retry-after"));
    }
}

#[tokio::test]
async fn an_instance_killed_in_the_middle_of_writes_loses_no_acknowledged_write() {
    let Some(pg) = pg_test::server() else { return };
    let database = pg.fresh_database().await;
    init(&database);
    let (mut a, b) = (Instance::start(&database), Instance::start(&database));
    let http = client();
    let admin = token(&http, &a, EMAIL, PASSWORD).await;

    // Writers on both instances, each creating groups as fast as answers come.
    let writer = |url: String, prefix: &'static str| {
        let (http, admin) = (http.clone(), admin.clone());
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0..WRITES {
                let name = format!("{prefix} {i}");
                let sent = http
                    .post(format!("{url}{}", routes::GROUPS))
                    .bearer_auth(&admin)
                    .json(&json!({"name": name, "app_access": [], "members": []}))
                    .send()
                    .await;
                match sent {
                    Ok(resp) if resp.status() == StatusCode::CREATED => acknowledged.push(name),
                    Ok(resp) => panic!("{name}: {}", resp.status()),
                    // The instance is gone: what it did not answer may or may not be there.
                    Err(_) => break,
                }
            }
            acknowledged
        })
    };
    let on_a = writer(a.url.clone(), "via A");
    let on_b = writer(b.url.clone(), "via B");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // SIGKILL: no shutdown, no flush, nothing finished.
    a.child.kill().unwrap();
    let _ = a.child.wait();
    let (acked_a, acked_b) = (on_a.await.unwrap(), on_b.await.unwrap());
    assert!(!acked_a.is_empty(), "A answered writes before it was killed");
    assert!(acked_a.len() < WRITES, "A was killed in the middle of its writes");
    assert_eq!(acked_b.len(), WRITES, "B went on alone");

    let groups: Value = get_json(&http, b.at(routes::GROUPS), &admin).await;
    let names: std::collections::HashSet<&str> = groups
        .as_array()
        .or(groups["items"].as_array())
        .expect("a list of groups")
        .iter()
        .filter_map(|g| g["name"].as_str())
        .collect();
    for name in acked_a.iter().chain(&acked_b) {
        assert!(names.contains(name.as_str()), "{name} was acknowledged, and is gone");
    }
    drop(a);
}
