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

/// The mails in the servers' file outboxes that `matches` takes, once there is one (mail goes out after
/// the commit that queued it).
async fn wait_for_mail(servers: &[&TestServer], matches: impl Fn(&str) -> bool) -> Vec<String> {
    let end = tokio::time::Instant::now() + WAIT;
    loop {
        let mails: Vec<String> = servers
            .iter()
            .flat_map(|s| outbox(s.dir.path()))
            .filter(|m| matches(m))
            .collect();
        if !mails.is_empty() {
            return mails;
        }
        assert!(tokio::time::Instant::now() < end, "no such mail");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
    // By mail too (email is on by default for license_expiring), sent once committed.
    wait_for_mail(&[&s], |m| {
        m.contains("To: admin@northwind.example") && m.contains("Subject: [orgdeck] 20 assess licenses")
    })
    .await;
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

/// Two instances on one PostgreSQL database both look at the day (every 20 ms here, so each looks many
/// times): each notice is raised once, by one of them, and mailed once.
#[tokio::test]
async fn two_instances_on_one_database_raise_each_notice_once() {
    let Some(pg) = orgdeck_server::pg_test::server() else {
        return;
    };
    let db = orgdeck_server::Database::Postgres(pg.fresh_database().await);
    let clock = orgdeck_server::ManualClock::new(start_time());
    let org = orgdeck_server::init_org(&db, "Twin", ADMIN_EMAIL, ADMIN_PASSWORD, &clock).unwrap();
    let expires = start_time()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .checked_add(jiff::Span::new().days(7))
        .unwrap();
    orgdeck_server::orgs::transaction(&db, |c| {
        use orgdeck_server::store::ops::insert_license;
        insert_license(
            c,
            org.org_id,
            orgdeck_shared::licensing::LicenseKind::Assess,
            5,
            expires,
            start_time(),
        )?;
        Ok(())
    })
    .unwrap();
    let instance = || {
        TestServer::serve_on(tempfile::tempdir().unwrap(), db.clone(), clock.clone(), org, |c| {
            c.watch.every = Duration::from_millis(20)
        })
    };
    let (a, b) = tokio::join!(instance(), instance());
    let admin = a.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let got = wait_for_titles(&a, &admin, 1).await;
    assert_eq!(got, [format!("5 assess licenses expire in 7 days ({expires})")]);
    // Both keep looking: nothing is raised again.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let admin_b = b.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(titles(&b, &admin_b).await, got);
    let audit = b.audit(&admin_b).await;
    assert_eq!(audit.iter().filter(|e| e.action == "license.expiring").count(), 1);
    // Mailed by one instance or the other, once.
    let subject = "Subject: [orgdeck] 5 assess licenses";
    let mailed = wait_for_mail(&[&a, &b], |m| m.contains(subject)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again: usize = [&a, &b]
        .into_iter()
        .map(|s| outbox(s.dir.path()).iter().filter(|m| m.contains(subject)).count())
        .sum();
    assert_eq!((mailed.len(), again), (1, 1), "mailed once");
}
