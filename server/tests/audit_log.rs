//! The audit log: keyword search over summary, actor, action and target; date range; newest first;
//! cursor paging; export of the whole search as CSV or JSON lines.

mod common;

use common::*;
use orgdeck_shared::{Page, audit::AuditEntry, auth::OrgRole, routes};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn search(s: &TestServer, token: &str, query: &str) -> Page<AuditEntry> {
    let resp = s.get(&format!("{}?{query}", routes::AUDIT), token).await;
    assert_eq!(resp.status(), StatusCode::OK, "{query}");
    resp.json().await.unwrap()
}

/// An org with a known history: logins of dana (one failed) spread over three days, a settings change.
async fn history() -> (TestServer, String) {
    let s = TestServer::start().await;
    s.add_user("dana@acme.example", OrgRole::View);
    for _day in 0..3 {
        s.login_raw("dana@acme.example", "wrong, \"quoted\" password").await;
        s.login("dana@acme.example", USER_PASSWORD).await;
        s.advance_minutes(24 * 60);
    }
    let token = s.admin_token().await;
    let general = s.general(&token).await;
    let mut value = general["value"].clone();
    value["name"] = json!("Acme, \"Inc\"");
    let resp = s.put_general(&token, general["version"].as_i64(), &value).await;
    assert_eq!(resp.status(), StatusCode::OK);
    (s, token)
}

#[tokio::test]
async fn keyword_search_covers_summary_actor_action_and_target() {
    let (s, token) = history().await;
    // Actor (case-insensitive).
    let page = search(&s, &token, "q=DANA@acme&limit=100").await;
    assert_eq!(page.items.len(), 7, "six logins by dana and her creation");
    let by_dana = page
        .items
        .iter()
        .filter(|e| e.actor.email == "dana@acme.example")
        .count();
    assert_eq!(by_dana, 6);
    // Action.
    let page = search(&s, &token, "q=auth.login_failed").await;
    assert_eq!(page.items.len(), 3);
    // Summary.
    let page = search(&s, &token, "q=changed%20general").await;
    assert_eq!(page.items.len(), 1);
    assert!(page.items[0].changes.iter().any(|c| c.field == "name"));
    // Target `kind:id`.
    let page = search(&s, &token, "q=settings:general").await;
    assert_eq!(page.items.len(), 1);
    // LIKE wildcards are plain characters.
    assert!(search(&s, &token, "q=%25").await.items.is_empty());
    assert!(search(&s, &token, "q=logi_").await.items.is_empty());
}

#[tokio::test]
async fn date_range_newest_first_and_cursor_paging() {
    let (s, token) = history().await;
    let day1_from = "2026-11-29T00:00:00Z";
    let day1_to = "2026-11-29T23:59:59Z";
    let page = search(&s, &token, &format!("q=dana&from={day1_from}&to={day1_to}")).await;
    assert_eq!(page.items.len(), 2, "the failure and the login of the second day");
    for e in &page.items {
        assert!(e.at.to_string().starts_with("2026-11-29"), "{}", e.at);
    }
    // Pages of 2 walk everything once, newest first, with no duplicates.
    let all = search(&s, &token, "limit=500").await.items;
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("limit=2&cursor={c}"),
            None => "limit=2".into(),
        };
        let page = search(&s, &token, &q).await;
        assert!(page.items.len() <= 2);
        walked.extend(page.items);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(walked, all);
    assert!(walked.windows(2).all(|w| (w[0].at, w[0].id) > (w[1].at, w[1].id)));
    let resp = s.get(&format!("{}?cursor=garbage!", routes::AUDIT), &token).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
}

/// A minimal RFC 4180 reader for the test: quoted fields with doubled quotes and line breaks.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    rows
}

#[tokio::test]
async fn export_streams_the_whole_search_as_csv_and_jsonl() {
    let (s, token) = history().await;
    let all = search(&s, &token, "q=dana&limit=500").await.items;

    let resp = s
        .get(&format!("{}?q=dana&format=csv", routes::AUDIT_EXPORT), &token)
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = resp.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment; filename=\"audit-") && disposition.ends_with(".csv\""));
    let rows = parse_csv(&resp.text().await.unwrap());
    assert_eq!(rows[0][0], "id");
    assert_eq!(rows[0].len(), 10);
    assert_eq!(rows.len(), all.len() + 1);
    for (row, entry) in rows[1..].iter().zip(&all) {
        assert_eq!(row.len(), 10);
        assert_eq!(row[0], entry.id.to_string());
        assert_eq!(row[2], entry.actor.email);
        assert_eq!(row[4], entry.action);
        assert_eq!(row[8], entry.summary);
    }

    // The settings change has commas and quotes in its field changes: quoted, read back intact.
    let resp = s
        .get(
            &format!("{}?q=changed%20general&format=csv", routes::AUDIT_EXPORT),
            &token,
        )
        .await;
    let rows = parse_csv(&resp.text().await.unwrap());
    let changes: Value = serde_json::from_str(&rows[1][9]).unwrap();
    assert_eq!(changes[0]["new"], "Acme, \"Inc\"");

    let resp = s
        .get(&format!("{}?q=dana&format=jsonl", routes::AUDIT_EXPORT), &token)
        .await;
    assert_eq!(resp.headers()["content-type"], "application/x-ndjson");
    let text = resp.text().await.unwrap();
    let lines: Vec<AuditEntry> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines, all);

    let resp = s.get(&format!("{}?format=xml", routes::AUDIT_EXPORT), &token).await;
    let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(err.field("format").is_some(), "{err:?}");
}

#[tokio::test]
async fn an_export_larger_than_a_page_is_complete_and_in_order() {
    let s = TestServer::start().await;
    orgdeck_server::seed_audit(&s.db, s.org.org_id, 2_500, &s.clock).unwrap();
    let token = s.admin_token().await;
    let text = s
        .get(&format!("{}?format=jsonl", routes::AUDIT_EXPORT), &token)
        .await
        .text()
        .await
        .unwrap();
    let entries: Vec<AuditEntry> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    // The seeded ones, the org's creation and the admin's login.
    assert!(entries.len() >= 2_502, "{}", entries.len());
    assert!(entries.windows(2).all(|w| (w[0].at, w[0].id) > (w[1].at, w[1].id)));
}

/// Past a few thousand entries a rare keyword is found through the trigram index: the pages must be
/// exactly what filtering everything by hand gives, in order, across cursors and a date range.
#[tokio::test]
async fn searches_over_many_entries_match_a_full_filter_exactly() {
    let s = TestServer::start().await;
    orgdeck_server::seed_audit(&s.db, s.org.org_id, 9_000, &s.clock).unwrap();
    let token = s.admin_token().await;
    let text = s
        .get(&format!("{}?format=jsonl", routes::AUDIT_EXPORT), &token)
        .await
        .text()
        .await
        .unwrap();
    let everything: Vec<AuditEntry> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let from: jiff::Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
    let to: jiff::Timestamp = "2026-09-30T00:00:00Z".parse().unwrap();
    for keyword in ["ximena", "zofia kim", "user-42", "ogged i", "nothing like this"] {
        let matches = |e: &AuditEntry| {
            format!(
                "{}\n{}\n{}\n{}:{}",
                e.summary, e.actor.email, e.action, e.target.kind, e.target.id
            )
            .to_lowercase()
            .contains(keyword)
        };
        let expected: Vec<&AuditEntry> = everything.iter().filter(|e| matches(e)).collect();
        let in_range: Vec<&AuditEntry> = expected
            .iter()
            .copied()
            .filter(|e| e.at >= from && e.at <= to)
            .collect();
        for (range, want) in [("".to_owned(), &expected), (format!("&from={from}&to={to}"), &in_range)] {
            let mut got = Vec::new();
            let mut cursor = String::new();
            loop {
                let q = format!("q={}&limit=7{range}{cursor}", keyword.replace(' ', "%20"));
                let page = search(&s, &token, &q).await;
                got.extend(page.items);
                match page.next_cursor {
                    Some(c) => cursor = format!("&cursor={c}"),
                    None => break,
                }
            }
            let want: Vec<AuditEntry> = want.iter().map(|e| (*e).clone()).collect();
            assert_eq!(got.len(), want.len(), "{keyword} {range}");
            assert_eq!(got, want, "{keyword} {range}");
        }
    }
}
