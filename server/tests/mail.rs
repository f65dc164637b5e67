//! The mailer for real: code mail delivered over SMTP to a receiver on 127.0.0.1 (with AUTH PLAIN),
//! retried until the receiver answers, kept across a restart, and given up (audited) after the
//! configured attempts. A delivered message keeps no body.

mod common;

use std::time::Duration;

use common::{mail::*, *};
use orgdeck_shared::auth::OrgRole;
use reqwest::StatusCode;
use serde_json::json;

const BOB: &str = "bob@acme.example";

/// Turns on email codes and has bob ask for an enrolment code; returns bob's token.
async fn bob_asks_for_a_code(s: &TestServer) -> String {
    let admin = s.admin_token().await;
    set_two_step(
        s,
        &admin,
        json!({ "enabled": true, "required": false, "methods": ["email"] }),
    )
    .await;
    s.add_user(BOB, OrgRole::Edit);
    let bob = s.login(BOB, USER_PASSWORD).await;
    let resp = s.post(orgdeck_shared::routes::ME_EMAIL_CODE, &bob, &json!({})).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    bob
}

/// Waits until no message is queued any more.
async fn wait_until_settled(s: &TestServer) {
    for _ in 0..500 {
        if outbox_rows(s).iter().all(|r| r.0 != "queued") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "mail still queued: {:?}",
        outbox_rows(s).iter().map(|r| &r.0).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_code_mail_is_delivered_to_an_smtp_server() {
    let receiver = SmtpReceiver::start().await;
    let s = TestServer::start_with(smtp_to(receiver.addr, Some(("orgdeck", "relay password")))).await;
    let bob = bob_asks_for_a_code(&s).await;
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].from, "it@acme.example");
    assert_eq!(got[0].to, vec![BOB.to_owned()]);
    assert_eq!(got[0].auth, Some(("orgdeck".into(), "relay password".into())));
    assert_eq!(header(&got[0].data, "From"), Some("\"Acme IT\" <it@acme.example>"));
    let code = code_in(&got[0].data);
    let resp = s
        .post(orgdeck_shared::routes::ME_EMAIL_CONFIRM, &bob, &json!({ "code": code }))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    // Delivered: the row stays, its body does not; nothing went to the file outbox.
    wait_until_settled(&s).await;
    let rows = outbox_rows(&s);
    assert_eq!((rows[0].0.as_str(), rows[0].1.is_none()), ("sent", true));
    assert!(outbox(s.dir.path()).is_empty());
}

#[tokio::test]
async fn delivery_is_retried_until_the_smtp_server_answers() {
    let addr = free_port().await;
    let s = TestServer::start_with(smtp_to(addr, None)).await;
    bob_asks_for_a_code(&s).await;
    // Nothing listens: attempts fail and are counted.
    wait_for_attempts(&s, 2).await;
    assert_eq!(outbox_rows(&s)[0].0, "queued");
    let receiver = SmtpReceiver::start_on(addr).await;
    let got = receiver.wait_for(1).await;
    code_in(&got[0].data);
    wait_until_settled(&s).await;
    assert_eq!(outbox_rows(&s)[0].0, "sent");
}

#[tokio::test]
async fn mail_queued_before_a_shutdown_is_delivered_after_the_next_start() {
    let addr = free_port().await;
    let s = TestServer::start_with(|c| {
        smtp_to(addr, None)(c);
        // No retry before the restart.
        c.mail.retry.initial = Duration::from_secs(600);
        c.mail.retry.max = Duration::from_secs(600);
    })
    .await;
    bob_asks_for_a_code(&s).await;
    wait_for_attempts(&s, 1).await;
    let receiver = SmtpReceiver::start_on(addr).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.received().is_empty(), "not retried before the restart");
    let s = s.restart(smtp_to(addr, None)).await;
    let got = receiver.wait_for(1).await;
    code_in(&got[0].data);
    wait_until_settled(&s).await;
    assert_eq!(outbox_rows(&s)[0].0, "sent");
}

#[tokio::test]
async fn delivery_gives_up_after_the_configured_attempts_and_audits_it() {
    let addr = free_port().await;
    let s = TestServer::start_with(|c| {
        smtp_to(addr, None)(c);
        c.mail.retry.max_attempts = 2;
    })
    .await;
    bob_asks_for_a_code(&s).await;
    wait_until_settled(&s).await;
    let rows = outbox_rows(&s);
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.is_none(), rows[0].2),
        ("failed", true, 2)
    );
    let admin = s.admin_token().await;
    let entry = s
        .audit(&admin)
        .await
        .into_iter()
        .find(|e| e.action == "mail.failed")
        .expect("a mail.failed entry");
    assert!(entry.summary.contains("b•••@acme.example"), "{}", entry.summary);
    assert!(entry.summary.contains("2 attempts"), "{}", entry.summary);
}

#[tokio::test]
async fn by_default_mail_goes_to_the_outbox_in_the_data_directory() {
    let s = TestServer::start().await;
    bob_asks_for_a_code(&s).await;
    let mails = wait_for_outbox(s.dir.path(), 1).await;
    assert_eq!(header(&mails[0], "To"), Some(BOB));
    let id = header(&mails[0], "Message-ID").expect("a Message-ID");
    assert!(id.ends_with("@localhost>"), "{id}");
    code_in(&mails[0]);
    wait_until_settled(&s).await;
    assert!(outbox_rows(&s)[0].1.is_none());
}
