//! Live updates over real HTTP: `GET events/stream` tells an organization's consoles of each change (what
//! and who, never a body or a secret), only their own organization's, resumes with `Last-Event-ID`, and
//! ends when the session does.

mod common;

use std::time::Duration;

use common::{sse::Reader, *};
use orgdeck_shared::routes;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_change_reaches_the_orgs_stream_with_who_and_the_new_version_but_no_body() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let mut stream = Reader::open(&s, &token, None).await;
    // Another organization's change never shows.
    s.add_org("Globex", "admin@globex.example");
    let other = s.login("admin@globex.example", ADMIN_PASSWORD).await;
    let general = s.general(&other).await;
    let mut body = general["value"].clone();
    body["name"] = json!("Globex Secret Name");
    s.put_general(&other, general["version"].as_i64(), &body).await;
    // Ours does: a setting saved.
    let general = s.general(&token).await;
    let mut body = general["value"].clone();
    body["name"] = json!("Acme Renamed");
    let resp = s.put_general(&token, general["version"].as_i64(), &body).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let saved: serde_json::Value = resp.json().await.unwrap();
    let mut change = stream.change().await;
    while change.kind != "settings.update" {
        change = stream.change().await;
    }
    assert_eq!((change.area.as_str(), change.id.as_str()), ("settings", "general"));
    assert_eq!(change.version, saved["version"].as_i64());
    assert_eq!(change.actor, "admin@acme.example");
    let raw = serde_json::to_string(&change).unwrap();
    assert!(!raw.contains("Acme Renamed") && !raw.contains("Globex"), "{raw}");
}

#[tokio::test]
async fn a_reconnecting_console_gets_what_it_missed_after_its_last_event() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let mut stream = Reader::open(&s, &token, None).await;
    s.post(
        routes::USERS,
        &token,
        &new_user("one@acme.example", "One", "Person", "view"),
    )
    .await;
    let first = stream.change().await;
    assert_eq!(first.kind, "user.create");
    drop(stream);
    s.post(
        routes::USERS,
        &token,
        &new_user("two@acme.example", "Two", "Person", "view"),
    )
    .await;
    s.post(
        routes::USERS,
        &token,
        &new_user("three@acme.example", "Three", "Person", "view"),
    )
    .await;
    let mut resumed = Reader::open(&s, &token, Some(&first.seq.to_string())).await;
    let a = resumed.change().await;
    let b = resumed.change().await;
    assert_eq!((a.kind.as_str(), b.kind.as_str()), ("user.create", "user.create"));
    assert!(first.seq < a.seq && a.seq < b.seq, "in order, after the last one seen");
}

#[tokio::test]
async fn the_stream_ends_when_its_session_does_and_needs_one_to_start() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let other = s.admin_token().await;
    let mut stream = Reader::open(&s, &token, None).await;
    logout(&s, &token).await;
    // The logout's own change wakes the stream, which finds its session gone and ends.
    let mut ended = false;
    for _ in 0..5 {
        if stream.next().await.is_none() {
            ended = true;
            break;
        }
    }
    assert!(ended, "the stream ends with its session");
    let resp = s
        .request(Method::GET, routes::EVENTS_STREAM, Some(&token))
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(s.get(routes::ME, &other).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_server_shutting_down_ends_its_streams_at_once_so_consoles_notice_and_reconnect() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let mut stream = Reader::open(&s, &token, None).await;
    let TestServer { handle, dir, .. } = s;
    let started = std::time::Instant::now();
    // Without ending the stream, shutdown would wait for it (its drain deadline), and the connection
    // would outlive the server.
    tokio::time::timeout(Duration::from_secs(5), handle.shutdown())
        .await
        .expect("shutdown does not wait for the stream");
    assert!(stream.next().await.is_none(), "the stream ended");
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(dir);
}
