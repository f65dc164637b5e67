//! Several instances on one PostgreSQL database, as behind a load balancer: two real `orgdeck-server serve`
//! processes, each with its own data directory, share the database (`orgdeck_server::pg_test`). What one
//! instance changes, the other enforces at the next request: nothing is cached across them. A live-update
//! stream on one hears what the other changed. One killed with SIGKILL in the middle of writes loses no
//! acknowledged write; one killed in the middle of sending mail and deliveries leaves nothing unsent, and
//! while both live they never send the same message.

mod common;

use std::{
    collections::{HashMap, HashSet},
    process::Child,
    time::Duration,
};

use orgdeck_server::pg_test;
use orgdeck_shared::routes;
use reqwest::StatusCode;
use serde_json::{Value, json};

use common::receivers::{Receiver, Reply};

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
    dir: tempfile::TempDir,
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
        Instance { child, url, dir }
    }

    fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The ids of the messages in this instance's file outbox (`<id>.eml`).
    fn outbox(&self) -> HashSet<String> {
        std::fs::read_dir(self.dir.path().join("outbox"))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().to_str()?.strip_suffix(".eml").map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
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

/// `PUT settings/general` on `at` over `version`.
async fn put_general(
    http: &reqwest::Client,
    at: &Instance,
    token: &str,
    version: i64,
    doc: &Value,
) -> reqwest::Response {
    http.put(at.at(&routes::settings("general")))
        .bearer_auth(token)
        .header("if-match", orgdeck_shared::etag_for(version))
        .json(doc)
        .send()
        .await
        .unwrap()
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
    let resp = put_general(&http, &a, &admin, version, &doc).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let seen: Value = get_json(&http, b.at(&routes::settings("general")), &admin).await;
    assert_eq!(seen["value"]["name"], "Twin, renamed on A");
    assert_eq!(seen["version"].as_i64(), Some(version + 1));
    // The same old version written on B is refused: the write A made is not overwritten.
    let resp = put_general(&http, &b, &admin, version, &doc).await;
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

/// Events posted (one mail and one webhook delivery each).
const EVENTS: usize = 600;
/// Events per request.
const EVENT_BATCH: usize = 100;

/// `webhook-id`s as the receiver got them, and how many times each.
fn hook_ids(hook: &Receiver) -> HashMap<String, usize> {
    let mut ids = HashMap::new();
    for r in hook.requests() {
        *ids.entry(r.header("webhook-id").unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    ids
}

async fn ok_json(resp: reqwest::Response, what: &str) -> Value {
    let status = resp.status();
    let text = resp.text().await.unwrap();
    assert!(status.is_success(), "{what}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Both instances run the mail and delivery workers on one queue. While both live, no message goes out
/// twice: each worker claims its own. One is killed with SIGKILL in the middle; the other takes over what
/// it held once the claims' lease runs out (1 s timeouts: a lease of 8 s), so every message goes out. Only
/// what the dead one held at its death may go out a second time, under the same id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_queued_mail_and_delivery_goes_out_once_and_a_dead_instances_claims_are_taken_over() {
    let Some(pg) = pg_test::server() else { return };
    let database = pg.fresh_database().await;
    init(&database);
    let config = "allow_private_targets = true\noutbound_timeout_secs = 1\n[mail]\ntimeout_secs = 1\n";
    let (mut a, b) = (
        Instance::start_with(&database, config),
        Instance::start_with(&database, config),
    );
    let http = client();
    let admin = token(&http, &b, EMAIL, PASSWORD).await;
    // A remote that takes its time: deliveries are in flight when A dies.
    let hook = Receiver::start(|_| Reply::empty(204).after(Duration::from_millis(150))).await;

    let created = ok_json(
        http.post(b.at(routes::INTEGRATIONS))
            .bearer_auth(&admin)
            .json(&json!({ "name": "Twin hook", "settings": { "type": "webhook", "url": hook.url("/hook") } }))
            .send()
            .await
            .unwrap(),
        "create the webhook",
    )
    .await;
    let settings = b.at(&routes::settings("notifications"));
    let doc = get_json(&http, settings.clone(), &admin).await;
    let mut value = doc["value"].clone();
    value["new_vulnerability"] =
        json!({ "in_app": true, "email": true, "channels": [created["integration"]["id"].clone()] });
    ok_json(
        http.put(&settings)
            .bearer_auth(&admin)
            .header("if-match", format!("\"{}\"", doc["version"]))
            .json(&value)
            .send()
            .await
            .unwrap(),
        "route new vulnerabilities",
    )
    .await;
    let key = ok_json(
        http.post(a.at(routes::AGENT_KEYS))
            .bearer_auth(&admin)
            .json(&json!({ "name": "twin-agent" }))
            .send()
            .await
            .unwrap(),
        "make an agent key",
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_owned();

    // The events, posted to both instances in turn.
    for (n, first) in (0..EVENTS).step_by(EVENT_BATCH).enumerate() {
        let events: Vec<Value> = (first..first + EVENT_BATCH)
            .map(|i| {
                json!({ "id": format!("twin-{i}"), "type": "new_vulnerability", "application": "Shop",
                        "title": format!("Finding {i}"), "severity": "high", "rule": "sql-injection" })
            })
            .collect();
        let at = if n % 2 == 0 { &a } else { &b };
        ok_json(
            http.post(at.at(routes::AGENT_EVENTS))
                .bearer_auth(&key)
                .json(&json!({ "environment": "production", "events": events }))
                .send()
                .await
                .unwrap(),
            "post events",
        )
        .await;
    }

    // Every message is queued by now (with its event's transaction): as many mails as rows.
    let db = pg_test::connect(&database).await;
    let mails = db
        .query_one("SELECT COUNT(*) FROM mail_outbox", &[])
        .await
        .unwrap()
        .get::<_, i64>(0) as usize;
    assert!(mails >= EVENTS, "a mail per event: {mails}");

    // A quarter of the deliveries out: A dies in the middle of the rest.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while hook.requests().len() < EVENTS / 4 {
        assert!(tokio::time::Instant::now() < deadline, "deliveries started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.child.kill().unwrap();
    let _ = a.child.wait();
    let before_kill = hook_ids(&hook);
    let twice: Vec<_> = before_kill.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "while both lived, deliveries went out twice: {twice:?}"
    );
    let (mail_a, mail_b_then) = (a.outbox(), b.outbox());
    assert!(
        mail_a.is_disjoint(&mail_b_then),
        "while both lived, mail went out from both: {:?}",
        mail_a.intersection(&mail_b_then).collect::<Vec<_>>()
    );
    assert!(
        !mail_a.is_empty() && !mail_b_then.is_empty(),
        "both instances sent mail"
    );
    assert!(before_kill.len() < EVENTS, "A died with deliveries still queued");

    // B alone sends the rest, and what A held once its claims run out (A may have sent some of that
    // already, unrecorded: B sends it again).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        let (hooks, mail) = (hook_ids(&hook), b.outbox());
        let open: i64 = db
            .query_one(
                "SELECT (SELECT COUNT(*) FROM mail_outbox WHERE status = 'queued')
                      + (SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'retrying'))",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if hooks.len() == EVENTS && mail.union(&mail_a).count() == mails && open == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "after A died: {} of {EVENTS} deliveries and {} of {mails} mails arrived, {open} still open",
            hooks.len(),
            mail.union(&mail_a).count()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let hooks = hook_ids(&hook);
    assert_eq!(hooks.len(), EVENTS, "each delivery under its own webhook-id");
    for (id, n) in &hooks {
        assert!(
            *n == 1 || (*n == 2 && before_kill.contains_key(id)),
            "{id} went out {n} times"
        );
    }
    let again = hooks.values().filter(|n| **n > 1).count();
    assert!(again <= 64, "at most one claimed batch of A's went out again: {again}");
    let mail_b = b.outbox();
    for id in mail_a.intersection(&mail_b) {
        assert!(!mail_b_then.contains(id), "{id} went out from both while both lived");
    }
    assert!(
        mail_a.intersection(&mail_b).count() <= 32,
        "at most one claimed batch of A's mail went out again"
    );

    // The queues are empty and nothing is held.
    let left: Vec<(String, i64)> = db
        .query(
            "SELECT 'mail ' || status || ' ' || (claimed_by IS NOT NULL), COUNT(*) FROM mail_outbox GROUP BY 1
             UNION ALL
             SELECT 'delivery ' || status || ' ' || (claimed_by IS NOT NULL), COUNT(*) FROM deliveries GROUP BY 1
             ORDER BY 1",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let events = EVENTS as i64;
    assert!(
        left.contains(&("delivery delivered false".to_owned(), events)),
        "every delivery delivered, none held: {left:?}"
    );
    assert!(
        left.contains(&("mail sent false".to_owned(), mails as i64)),
        "every mail sent, none held: {left:?}"
    );
    assert!(
        left.iter()
            .all(|(what, _)| what.ends_with("false") && !what.contains("queued") && !what.contains("pending")),
        "{left:?}"
    );
    drop(a);
}
