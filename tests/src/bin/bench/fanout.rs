//! S9: agent events fanned out per second, each delivered exactly once. One organization with one admin
//! whose notification defaults send `new_vulnerability` in-app, by email (the shipped file outbox) and to
//! one signed-less webhook on loopback (a hyper receiver in this process that records each `webhook-id`).
//! Agents post `EVENTS` events in batches of 100 from `AGENTS` concurrent clients; the figure is the events
//! divided by the time from the first post to the moment the last mail, delivery and inbox entry exist.
//! Then it checks that each of them exists exactly once: as many distinct `webhook-id`s as requests and as
//! events, as many `.eml` files as events, and the admin's unread count. The server runs in its own process
//! on the shipped defaults but one: `allow_private_targets = true`, without which no webhook may be on
//! loopback (the figure's context says so).

use std::{
    collections::HashSet,
    convert::Infallible,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Full};
use hyper::{Response, body::Bytes};
use hyper_util::rt::{TokioExecutor, TokioIo};
use orgdeck_server::SystemClock;
use orgdeck_shared::routes;
use orgdeck_tests::{fixture::ADMIN_PASSWORD, pty::server_binary};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::{Bar, Figure, build_binary, process::ServerProcess};

/// Events posted in all.
const EVENTS: usize = 5000;
/// Events per request (the API's largest batch).
const BATCH: usize = 100;
/// Agents posting at once.
const AGENTS: usize = 4;
const WHAT: &str = "agent events fanned out (in-app + mail + webhook) / s";

/// The webhook receiver: every `webhook-id` it got, in order.
#[derive(Default, Clone)]
struct Received(Arc<Mutex<Vec<String>>>);

impl Received {
    fn len(&self) -> usize {
        self.0.lock().expect("receiver lock").len()
    }
}

async fn receiver() -> Result<(String, Received)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let received = Received::default();
    let seen = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let seen = seen.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let seen = seen.clone();
                    async move {
                        let id = req
                            .headers()
                            .get("webhook-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        let _ = req.into_body().collect().await;
                        seen.0.lock().expect("receiver lock").push(id);
                        let mut resp = Response::new(Full::new(Bytes::new()));
                        *resp.status_mut() = hyper::StatusCode::NO_CONTENT;
                        Ok::<_, Infallible>(resp)
                    }
                });
                let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                let _ = builder.serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    Ok((url, received))
}

fn count_mail(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir.join("outbox"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .count()
        })
        .unwrap_or(0)
}

async fn json_ok(resp: reqwest::Response, what: &str) -> Result<Value> {
    let status = resp.status();
    let text = resp.text().await?;
    if !status.is_success() {
        bail!("{what}: {status} {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

pub async fn s9_fanout() -> Result<Figure> {
    build_binary("orgdeck-server", "orgdeck-server", "ORGDECK_SERVER_BIN")?;
    let data_dir = tempfile::tempdir()?;
    let email = "admin@fanout.example";
    orgdeck_server::init_org(data_dir.path(), "Fanout", email, ADMIN_PASSWORD, &SystemClock)?;
    let config = data_dir.path().join("server.toml");
    std::fs::write(&config, "allow_private_targets = true\n")?;
    let mut cmd = std::process::Command::new(server_binary()?);
    cmd.arg("serve")
        .arg("--data-dir")
        .arg(data_dir.path())
        .args(["--listen", "127.0.0.1:0"])
        .env("ORGDECK_CONFIG", &config)
        .env_remove("RUST_LOG");
    let server = ServerProcess::spawn(cmd, &data_dir.path().join("server.log"))?;
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    let token = orgdeck_tests::fixture::login(&http, &base, email, ADMIN_PASSWORD).await?;
    let (hook_url, received) = receiver().await?;

    let created = json_ok(
        http.post(format!("{base}{}", routes::INTEGRATIONS))
            .bearer_auth(&token)
            .json(&json!({ "name": "Bench hook", "settings": { "type": "webhook", "url": hook_url } }))
            .send()
            .await?,
        "create the webhook",
    )
    .await?;
    let hook_id = created["integration"]["id"].clone();
    let settings_url = format!("{base}{}", routes::settings("notifications"));
    let doc = json_ok(
        http.get(&settings_url).bearer_auth(&token).send().await?,
        "read the defaults",
    )
    .await?;
    let mut value = doc["value"].clone();
    value["new_vulnerability"] = json!({ "in_app": true, "email": true, "channels": [hook_id] });
    json_ok(
        http.put(&settings_url)
            .bearer_auth(&token)
            .header("if-match", format!("\"{}\"", doc["version"]))
            .json(&value)
            .send()
            .await?,
        "route new vulnerabilities",
    )
    .await?;
    let key = json_ok(
        http.post(format!("{base}{}", routes::AGENT_KEYS))
            .bearer_auth(&token)
            .json(&json!({ "name": "bench-agent" }))
            .send()
            .await?,
        "make an agent key",
    )
    .await?["key"]
        .as_str()
        .context("the agent key")?
        .to_owned();

    let started = Instant::now();
    let mut agents = Vec::new();
    for agent in 0..AGENTS {
        let (http, base, key) = (http.clone(), base.clone(), key.clone());
        agents.push(tokio::spawn(async move {
            for batch in (agent * BATCH..EVENTS).step_by(AGENTS * BATCH) {
                let events: Vec<Value> = (batch..(batch + BATCH).min(EVENTS))
                    .map(|i| {
                        json!({ "id": format!("bench-{i}"), "type": "new_vulnerability", "application": "Shop",
                                "title": format!("Finding {i}"), "severity": "high", "rule": "sql-injection" })
                    })
                    .collect();
                json_ok(
                    http.post(format!("{base}{}", routes::AGENT_EVENTS))
                        .bearer_auth(&key)
                        .json(&json!({ "environment": "production", "events": events }))
                        .send()
                        .await?,
                    "post events",
                )
                .await?;
            }
            anyhow::Ok(())
        }));
    }
    for a in agents {
        a.await??;
    }
    let posted = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(120);
    while received.len() < EVENTS || count_mail(data_dir.path()) < EVENTS {
        if Instant::now() > deadline {
            return Ok(Figure::not_measured(
                "S9",
                WHAT,
                Bar::AtLeast(500.0),
                format!(
                    "after 120 s {} of {EVENTS} webhook deliveries and {} mails",
                    received.len(),
                    count_mail(data_dir.path())
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();

    // Exactly once: nothing more comes, every id is distinct, every event has its mail and inbox entry.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let ids = received.0.lock().expect("receiver lock").clone();
    let distinct: HashSet<&String> = ids.iter().collect();
    let mails = count_mail(data_dir.path());
    let me = json_ok(
        http.get(format!("{base}{}", routes::ME))
            .bearer_auth(&token)
            .send()
            .await?,
        "GET me",
    )
    .await?;
    let unread = me["unread"].as_u64().unwrap_or_default() as usize;
    let once = ids.len() == EVENTS && distinct.len() == EVENTS && mails == EVENTS && unread == EVENTS;
    let rate = EVENTS as f64 / elapsed.as_secs_f64();
    Ok(Figure {
        id: "S9",
        what: WHAT,
        value: if once { rate } else { 0.0 },
        bar: Bar::AtLeast(500.0),
        context: format!(
            "{EVENTS} events in batches of {BATCH} from {AGENTS} agents: posted in {:.2} s, all delivered in {:.2} s; \
             {} webhook requests ({} distinct ids), {mails} mails, {unread} unread{}; allow_private_targets = true \
             (the webhook is on loopback)",
            posted.as_secs_f64(),
            elapsed.as_secs_f64(),
            ids.len(),
            distinct.len(),
            if once { "" } else { ": NOT exactly once" }
        ),
    })
}
