//! The store's contract, written once and run on each engine: SQLite (a data directory's file) and
//! PostgreSQL (`pg_test`: `ORGDECK_TEST_PG_URL` or a throwaway cluster; skipped, and said so, when neither
//! is there, a failure under `ORGDECK_REQUIRE_PG=1`). Each test gets two handles on one database: on
//! PostgreSQL two stores, as two instances have; on SQLite, which one process serves, the same store
//! twice. The races run concurrent tasks over both.

use std::{collections::HashSet, sync::Arc, time::Duration};

use jiff::{SignedDuration, Timestamp};
use orgdeck_server::{
    SystemClock, init_org, pg_test,
    store::{OutboxMail, Store, StoreError, postgres::PgStore, sqlite::SqliteStore, uuid_v7_at},
};
use orgdeck_shared::audit::{AuditActor, AuditTarget};
use uuid::Uuid;

/// Two handles on one database, the organizations made in it, and what keeps the database alive.
struct Pair {
    a: Arc<dyn Store>,
    b: Arc<dyn Store>,
    /// The organization the tests work in.
    org: Uuid,
    /// Another one, for what must stay apart.
    other_org: Uuid,
    /// Whether write transactions of different organizations run side by side (PostgreSQL), or one at a
    /// time (SQLite's one writer).
    side_by_side: bool,
    _dir: Option<tempfile::TempDir>,
}

/// The two organizations the tests work in, made as `orgdeck-server init` makes them.
fn make_orgs(db: impl Into<orgdeck_server::Database>) -> (Uuid, Uuid) {
    let db = db.into();
    let make = |name: &str| {
        init_org(
            db.clone(),
            name,
            &format!("admin@{}.example", name.to_lowercase()),
            "a long admin passphrase",
            &SystemClock,
        )
        .unwrap()
        .org_id
    };
    (make("Conformance"), make("Elsewhere"))
}

async fn sqlite() -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let (org, other_org) = make_orgs(dir.path());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path(), Timestamp::now()).await.unwrap());
    Pair {
        a: store.clone(),
        b: store,
        org,
        other_org,
        side_by_side: false,
        _dir: Some(dir),
    }
}

async fn postgres() -> Option<Pair> {
    let pg = pg_test::server()?;
    let url = pg.fresh_database().await;
    let a: Arc<dyn Store> = Arc::new(PgStore::open(&url, Timestamp::now()).await.unwrap());
    let b: Arc<dyn Store> = Arc::new(PgStore::open(&url, Timestamp::now()).await.unwrap());
    let (org, other_org) = make_orgs(orgdeck_server::Database::Postgres(url));
    Some(Pair {
        a,
        b,
        org,
        other_org,
        side_by_side: true,
        _dir: None,
    })
}

/// Runs each named test on SQLite and on PostgreSQL.
macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::sqlite().await).await;
                }
            )*
        }
        mod postgres_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(pair) = super::postgres().await else { return };
                    super::$name(pair).await;
                }
            )*
        }
    };
}

on_both_engines!(
    a_claim_is_the_workers_own_until_its_lease_runs_out,
    concurrent_claims_never_take_a_message_twice,
    of_two_writes_of_one_settings_version_one_wins,
    the_change_stream_lists_every_commit_once_in_order,
    an_organizations_transaction_audits_only_that_organization,
    transactions_of_one_organization_take_turns_and_the_whole_stores_wait_for_them,
    an_organizations_changes_are_not_passed_over_while_another_commits_first,
);

fn mail(at: Timestamp, n: usize) -> OutboxMail {
    OutboxMail {
        id: uuid_v7_at(at),
        org_id: None,
        recipient: format!("user{n}@conformance.example"),
        subject: format!("Message {n}"),
        sealed_body: vec![n as u8; 8],
        created_at: at,
        attempts: 0,
    }
}

/// Queues `n` messages, oldest first; their ids.
async fn queue(store: &dyn Store, n: usize) -> Vec<Uuid> {
    let mut tx = store.begin().await.unwrap();
    let mut ids = Vec::new();
    let start = Timestamp::now();
    for i in 0..n {
        let m = mail(start + SignedDuration::from_millis(i as i64), i);
        tx.queue_mail(&m).await.unwrap();
        ids.push(m.id);
    }
    tx.commit().await.unwrap();
    ids
}

fn ids(mails: &[OutboxMail]) -> Vec<Uuid> {
    mails.iter().map(|m| m.id).collect()
}

async fn a_claim_is_the_workers_own_until_its_lease_runs_out(p: Pair) {
    let queued = queue(p.a.as_ref(), 10).await;
    let now = Timestamp::now();
    let lease = now + SignedDuration::from_secs(60);

    let first = p.a.claim_mail("w1", now, lease, 4).await.unwrap();
    assert_eq!(ids(&first), queued[..4], "the oldest four");
    let second = p.b.claim_mail("w2", now, lease, 100).await.unwrap();
    assert_eq!(ids(&second), queued[4..], "the rest: never w1's");
    assert!(
        p.b.claim_mail("w3", now, lease, 100).await.unwrap().is_empty(),
        "everything is held"
    );
    assert_eq!(
        ids(&p.a.claim_mail("w1", now, lease, 100).await.unwrap()),
        queued[..4],
        "w1 gets its own back"
    );
    assert_eq!(
        p.b.next_mail_lease_end("w3").await.unwrap(),
        Some(Timestamp::from_millisecond(lease.as_millisecond()).unwrap())
    );

    // w1 dies; once its lease runs out, w3 takes its messages and w1 can record nothing on them.
    let later = lease + SignedDuration::from_secs(1);
    let taken =
        p.b.claim_mail("w3", later, later + SignedDuration::from_secs(60), 100)
            .await
            .unwrap();
    assert_eq!(ids(&taken), queued, "every lease ran out");
    let mut tx = p.a.begin().await.unwrap();
    assert!(
        !tx.mail_delivered(queued[0], "w1", later).await.unwrap(),
        "w1 lost the claim"
    );
    assert_eq!(
        tx.mail_attempt_failed(queued[1], "w1", "refused", later).await.unwrap(),
        None
    );
    assert!(tx.mail_delivered(queued[0], "w3", later).await.unwrap());
    let retry_at = later + SignedDuration::from_secs(300);
    assert_eq!(
        tx.mail_attempt_failed(queued[1], "w3", "refused", retry_at)
            .await
            .unwrap(),
        Some(1)
    );
    tx.commit().await.unwrap();

    // A failed message waits for its retry time, for everyone but the worker that tried it.
    let soon = later + SignedDuration::from_secs(70);
    let after_lease =
        p.a.claim_mail("w4", soon, soon + SignedDuration::from_secs(60), 100)
            .await
            .unwrap();
    assert_eq!(
        ids(&after_lease),
        queued[2..],
        "sent: gone; failed: waiting for its retry"
    );
    assert_eq!(ids(&p.a.claim_mail("w3", soon, soon, 1).await.unwrap()), [queued[1]]);

    // A worker that stops lets go: the next one takes everything at once, retry waits included.
    assert_eq!(p.a.release_mail("w4").await.unwrap(), 8);
    assert_eq!(p.a.release_mail("w3").await.unwrap(), 1);
    assert_eq!(ids(&p.b.claim_mail("w5", soon, soon, 100).await.unwrap()), queued[1..]);
}

async fn concurrent_claims_never_take_a_message_twice(p: Pair) {
    const MAILS: usize = 300;
    let queued: HashSet<Uuid> = queue(p.a.as_ref(), MAILS).await.into_iter().collect();
    let now = Timestamp::now();
    let lease = now + SignedDuration::from_secs(600);
    let mut workers = Vec::new();
    for w in 0..8 {
        let store = if w % 2 == 0 { p.a.clone() } else { p.b.clone() };
        workers.push(tokio::spawn(async move {
            let id = format!("worker {w}");
            let mut got = Vec::new();
            loop {
                let batch = store.claim_mail(&id, now, lease, 7).await.unwrap();
                // Its own come back with each claim: only the new ones count.
                let fresh: Vec<Uuid> = ids(&batch).into_iter().filter(|m| !got.contains(m)).collect();
                if fresh.is_empty() {
                    return got;
                }
                got.extend(fresh);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }));
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for w in workers {
        let got = w.await.unwrap();
        total += got.len();
        seen.extend(got);
    }
    assert_eq!(seen, queued, "every message claimed");
    assert_eq!(total, MAILS, "none by two workers");
}

async fn of_two_writes_of_one_settings_version_one_wins(p: Pair) {
    let area = "conformance";
    let write = |store: Arc<dyn Store>, doc: &'static str| {
        let org = p.org;
        tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let result = tx.update_settings_doc(org, area, 1, doc, Timestamp::now()).await;
            if result.is_ok() {
                tx.commit().await.unwrap();
            }
            result
        })
    };
    for round in 0..10 {
        let area_round = format!("{area}-{round}");
        let org = p.org;
        let race = |store: Arc<dyn Store>, doc: &'static str| {
            let area = area_round.clone();
            tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                let result = tx.update_settings_doc(org, &area, 1, doc, Timestamp::now()).await;
                if result.is_ok() {
                    tx.commit().await.unwrap();
                }
                result
            })
        };
        let (one, other) = tokio::join!(race(p.a.clone(), "{\"by\":\"a\"}"), race(p.b.clone(), "{\"by\":\"b\"}"));
        let (one, other) = (one.unwrap(), other.unwrap());
        let won = match (&one, &other) {
            (Ok(2), Err(StoreError::VersionMismatch { current: 2 })) => "{\"by\":\"a\"}",
            (Err(StoreError::VersionMismatch { current: 2 }), Ok(2)) => "{\"by\":\"b\"}",
            _ => panic!("round {round}: one write wins, the other is refused: {one:?} {other:?}"),
        };
        // Both handles read the winner at once.
        for store in [&p.a, &p.b] {
            assert_eq!(
                store.settings_doc(p.org, &area_round).await.unwrap(),
                Some((2, won.to_owned()))
            );
        }
    }
    // The version moves on from the stored one only.
    assert!(write(p.a.clone(), "{}").await.unwrap().is_ok());
    assert!(matches!(
        write(p.b.clone(), "{}").await.unwrap(),
        Err(StoreError::VersionMismatch { current: 2 })
    ));
}

async fn the_change_stream_lists_every_commit_once_in_order(p: Pair) {
    const EACH: usize = 40;
    let head = p.b.change_head(p.org).await.unwrap();
    let mut writers = Vec::new();
    for (name, store) in [("a", p.a.clone()), ("b", p.b.clone())] {
        let org = p.org;
        writers.push(tokio::spawn(async move {
            for i in 0..EACH {
                let mut tx = store.begin().await.unwrap();
                tx.append_audit(&orgdeck_server::store::AuditRecord::new(
                    Some(org),
                    Timestamp::now(),
                    AuditActor::system(),
                    "group.create",
                    AuditTarget::new("group", format!("{name}-{i}")),
                    format!("group {name}-{i}"),
                ))
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    // Read in small pages from both handles, as a live-update stream catches up.
    for store in [&p.a, &p.b] {
        let mut after = head;
        let mut targets = Vec::new();
        loop {
            let page = store.changes_after(p.org, after, 7).await.unwrap();
            let Some(last) = page.last() else { break };
            for change in &page {
                assert!(change.seq > after, "in order");
                after = change.seq;
            }
            after = last.seq;
            targets.extend(page.into_iter().map(|c| c.id));
        }
        assert_eq!(targets.len(), 2 * EACH, "every commit, once");
        let distinct: HashSet<&String> = targets.iter().collect();
        assert_eq!(distinct.len(), 2 * EACH);
        for name in ["a", "b"] {
            let mine: Vec<&String> = targets.iter().filter(|t| t.starts_with(name)).collect();
            let expected: Vec<String> = (0..EACH).map(|i| format!("{name}-{i}")).collect();
            assert_eq!(
                mine,
                expected.iter().collect::<Vec<_>>(),
                "each writer's commits in its order"
            );
        }
        assert_eq!(store.change_head(p.org).await.unwrap(), after);
    }
}

/// The targets of `org`'s changes after place `after`, as `store` lists them (at most ten).
async fn changed(store: &Arc<dyn Store>, org: Uuid, after: i64) -> Vec<String> {
    store
        .changes_after(org, after, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect()
}

fn audit_of(org: Uuid, target: &str) -> orgdeck_server::store::AuditRecord {
    orgdeck_server::store::AuditRecord::new(
        Some(org),
        Timestamp::now(),
        AuditActor::system(),
        "group.create",
        AuditTarget::new("group", target),
        format!("group {target}"),
    )
}

async fn an_organizations_transaction_audits_only_that_organization(p: Pair) {
    let mut tx = p.a.begin_org(p.org).await.unwrap();
    tx.append_audit(&audit_of(p.org, "mine")).await.unwrap();
    let err = tx.append_audit(&audit_of(p.other_org, "theirs")).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt(why) if why.contains(&p.other_org.to_string())),
        "{err:?}"
    );
    let mut system = audit_of(p.org, "system");
    system.org_id = None;
    assert!(tx.append_audit(&system).await.is_err(), "nor the system's");
    drop(tx);
    // Nothing of it was kept: the transaction was dropped without its commit.
    let head = p.b.change_head(p.org).await.unwrap();
    assert!(!changed(&p.b, p.org, 0).await.contains(&"mine".to_owned()));
    let mut tx = p.b.begin_org(p.org).await.unwrap();
    tx.append_audit(&audit_of(p.org, "mine")).await.unwrap();
    tx.commit().await.unwrap();
    let ids = changed(&p.a, p.org, head).await;
    assert_eq!(ids, ["mine"]);
}

/// Whether `f` is still waiting after a moment (it waits for a lock), or finished.
async fn still_waiting<T>(f: &mut tokio::task::JoinHandle<T>) -> bool {
    tokio::time::timeout(Duration::from_millis(300), f).await.is_err()
}

async fn transactions_of_one_organization_take_turns_and_the_whole_stores_wait_for_them(p: Pair) {
    let area = "turns";
    let mut first = p.a.begin_org(p.org).await.unwrap();
    assert_eq!(
        first
            .update_settings_doc(p.org, area, 1, "{\"by\":\"first\"}", Timestamp::now())
            .await
            .unwrap(),
        2
    );
    // The same organization's next transaction, from the other handle, waits for the first to end; it
    // then reads what the first wrote.
    let (b, org) = (p.b.clone(), p.org);
    let mut second = tokio::spawn(async move {
        let mut tx = b.begin_org(org).await.unwrap();
        let seen = tx.settings_doc_tx(org, area).await.unwrap();
        tx.update_settings_doc(org, area, 2, "{\"by\":\"second\"}", Timestamp::now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        seen
    });
    assert!(still_waiting(&mut second).await, "the second began beside the first");
    // Another organization's: beside it on PostgreSQL, after it on SQLite.
    let (b, other) = (p.b.clone(), p.other_org);
    let mut elsewhere = tokio::spawn(async move {
        let mut tx = b.begin_org(other).await.unwrap();
        tx.update_settings_doc(other, area, 1, "{}", Timestamp::now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
    });
    let elsewhere_done = if p.side_by_side {
        tokio::time::timeout(Duration::from_secs(10), &mut elsewhere)
            .await
            .expect("another organization's transaction waits for this one's")
            .unwrap();
        true
    } else {
        assert!(still_waiting(&mut elsewhere).await, "SQLite has one writer");
        false
    };
    // One of the whole store waits for every open one.
    let b = p.b.clone();
    let mut whole = tokio::spawn(async move {
        let tx = b.begin().await.unwrap();
        drop(tx);
    });
    assert!(
        still_waiting(&mut whole).await,
        "the whole store's began beside an organization's"
    );
    first.commit().await.unwrap();
    assert_eq!(second.await.unwrap(), Some((2, "{\"by\":\"first\"}".to_owned())));
    if !elsewhere_done {
        elsewhere.await.unwrap();
    }
    whole.await.unwrap();
    assert_eq!(
        p.a.settings_doc(p.org, area).await.unwrap(),
        Some((3, "{\"by\":\"second\"}".to_owned()))
    );
}

async fn an_organizations_changes_are_not_passed_over_while_another_commits_first(p: Pair) {
    if !p.side_by_side {
        // One writer: what commits first took its place first.
        return;
    }
    let head = p.a.change_head(p.org).await.unwrap();
    // This organization's entry takes its place first, and commits last.
    let mut mine = p.a.begin_org(p.org).await.unwrap();
    mine.append_audit(&audit_of(p.org, "late")).await.unwrap();
    let mut theirs = p.b.begin_org(p.other_org).await.unwrap();
    theirs.append_audit(&audit_of(p.other_org, "early")).await.unwrap();
    theirs.commit().await.unwrap();
    // A stream of this organization starting now starts before the entry to come.
    let start = p.b.change_head(p.org).await.unwrap();
    assert_eq!(start, head, "the head passed an entry not committed yet");
    assert!(changed(&p.b, p.org, start).await.is_empty());
    mine.commit().await.unwrap();
    let ids = changed(&p.b, p.org, start).await;
    assert_eq!(ids, ["late"]);
    let other = changed(&p.a, p.other_org, 0).await;
    assert!(other.contains(&"early".to_owned()) && !other.contains(&"late".to_owned()));
}
