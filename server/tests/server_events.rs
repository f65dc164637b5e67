//! The server's own events: licenses about to expire are announced to the organization's admins 30, 7 and
//! 1 days before, once each whatever the restarts, in-app and by mail, audited; other users hear nothing.

mod common;

use std::time::Duration;

use common::{mail::outbox, *};
use jiff::Timestamp;
use orgdeck_shared::{inbox::InboxPage, licensing::LicenseSummary, routes};
use uuid::Uuid;

const WAIT: Duration = Duration::from_secs(15);

async fn demo() -> (TestServer, orgdeck_server::demo::DemoLogin) {
    let dir = tempfile::tempdir().unwrap();
    let clock = orgdeck_server::ManualClock::new(start_time());
    let login = orgdeck_server::demo::seed(dir.path(), &clock).unwrap();
    let org = orgdeck_server::OrgCreated {
        org_id: Uuid::nil(),
        admin_id: Uuid::nil(),
    };
    let s = TestServer::serve_with(dir, clock, org, |c| c.watch.every = Duration::from_millis(20)).await;
    (s, login)
}

/// The titles of the license notices (the demo's silent servers are announced too).
async fn titles(s: &TestServer, token: &str) -> Vec<String> {
    let page: InboxPage = s.get(routes::INBOX, token).await.json().await.unwrap();
    page.items
        .into_iter()
        .filter(|e| e.event_type == orgdeck_shared::notifications::EventType::LicenseExpiring)
        .map(|e| e.title)
        .collect()
}

async fn wait_for_titles(s: &TestServer, token: &str, n: usize) -> Vec<String> {
    let end = tokio::time::Instant::now() + WAIT;
    loop {
        let got = titles(s, token).await;
        if got.len() >= n {
            return got;
        }
        assert!(tokio::time::Instant::now() < end, "{n} entries expected: {got:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn expiring_licenses_are_announced_to_admins_30_7_and_1_days_before_once_each() {
    let (s, login) = demo().await;
    let admin = s.login(&login.email, &login.password).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        titles(&s, &admin).await.is_empty(),
        "the demo's licenses expire in more than 30 days"
    );

    // The demo's first batches (20 assess and 15 protect licenses) expire on one day.
    let summary: LicenseSummary = s.get(routes::LICENSES, &admin).await.json().await.unwrap();
    let first = &summary.assess.expirations[0];
    assert_eq!(first.count, 20);
    assert_eq!(summary.protect.expirations[0].date, first.date);
    let day = first.date;
    let at = |days_before: i64| -> Timestamp {
        let d = day.checked_sub(jiff::Span::new().days(days_before)).unwrap();
        format!("{d}T08:00:00Z").parse().unwrap()
    };
    s.clock.set(at(30));
    let admin = s.login(&login.email, &login.password).await;
    let got = wait_for_titles(&s, &admin, 2).await;
    assert!(
        got.contains(&format!("20 assess licenses expire in 30 days ({day})")),
        "{got:?}"
    );
    assert!(
        got.contains(&format!("15 protect licenses expire in 30 days ({day})")),
        "{got:?}"
    );
    let mails = outbox(s.dir.path());
    assert!(
        mails
            .iter()
            .any(|m| m.contains("To: admin@northwind.example") && m.contains("Subject: [orgdeck] 20 assess licenses")),
        "by mail too (email is on by default for license_expiring)"
    );
    let audit = s.audit(&admin).await;
    assert_eq!(audit.iter().filter(|e| e.action == "license.expiring").count(), 2);

    // A day later: nothing new. A week before: the 7-day notice, once.
    s.clock.set(at(29));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let admin = s.login(&login.email, &login.password).await;
    assert_eq!(titles(&s, &admin).await.len(), 2);
    s.clock.set(at(7));
    let admin = s.login(&login.email, &login.password).await;
    let got = wait_for_titles(&s, &admin, 4).await;
    assert!(
        got.contains(&format!("20 assess licenses expire in 7 days ({day})")),
        "{got:?}"
    );
    // The 1-day mark missed (the server was down that day): raised late, saying when.
    s.clock.set(at(0));
    let admin = s.login(&login.email, &login.password).await;
    let got = wait_for_titles(&s, &admin, 6).await;
    assert!(
        got.contains(&format!("20 assess licenses expire today ({day})")),
        "{got:?}"
    );

    // A restart raises nothing again; a non-admin got nothing at all.
    let s = s.restart(|c| c.watch.every = Duration::from_millis(20)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let admin = s.login(&login.email, &login.password).await;
    assert_eq!(titles(&s, &admin).await.len(), 6);
    let viewer = s
        .login("zofia.petrov@northwind.example", "demo-user-password-2026")
        .await;
    assert!(titles(&s, &viewer).await.iter().all(|t| !t.contains("licenses")));
}
