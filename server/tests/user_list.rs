//! The users list: keyset paging stable under inserts, search, filters and sorts.

mod common;

use std::collections::HashSet;

use common::*;
use orgdeck_shared::{Page, routes, users::User};
use reqwest::StatusCode;
use serde_json::json;

async fn page(s: &TestServer, token: &str, query: &str) -> Page<User> {
    let resp = s.get(&format!("{}?{query}", routes::USERS), token).await;
    assert_eq!(resp.status(), StatusCode::OK, "{query}");
    resp.json().await.unwrap()
}

/// Every page of a query, following cursors.
async fn all_pages(s: &TestServer, token: &str, query: &str) -> Vec<User> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("{query}&cursor={c}"),
            None => query.to_owned(),
        };
        let p = page(s, token, &q).await;
        out.extend(p.items);
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

fn name_key(u: &User) -> (String, String, uuid::Uuid) {
    (u.last_name.to_lowercase(), u.first_name.to_lowercase(), u.id)
}

#[tokio::test]
async fn paging_with_a_cursor_never_repeats_or_skips_while_users_are_added() {
    let s = TestServer::start().await;
    orgdeck_server::seed_users(&s.db, s.org.org_id, 300, &s.clock).unwrap();
    let token = s.admin_token().await;
    for sort in [
        "name",
        "-name",
        "email",
        "-email",
        "status",
        "-status",
        "last_login",
        "-last_login",
    ] {
        let before: HashSet<uuid::Uuid> = all_pages(&s, &token, &format!("limit=500&sort={sort}"))
            .await
            .iter()
            .map(|u| u.id)
            .collect();
        let mut seen: Vec<User> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut n = 0;
        loop {
            let q = match &cursor {
                Some(c) => format!("limit=25&sort={sort}&cursor={c}"),
                None => format!("limit=25&sort={sort}"),
            };
            let p = page(&s, &token, &q).await;
            assert!(p.items.len() <= 25);
            seen.extend(p.items);
            // Someone adds users between pages: at the start, the end and the middle of every order.
            n += 1;
            for (first, last) in [("Aaron", "Aaberg"), ("Zed", "Zzyzx"), ("Maria", "Martin")] {
                let email = format!("{}.{sort}.{n}@acme.example", first.to_lowercase()).replace('-', "d");
                let invite = json!({"email": email, "first_name": first, "last_name": last, "default_group": "view"});
                s.create_user_api(&token, invite).await;
            }
            match p.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let ids: Vec<uuid::Uuid> = seen.iter().map(|u| u.id).collect();
        let unique: HashSet<uuid::Uuid> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "{sort}: no user twice");
        assert!(
            before.is_subset(&unique),
            "{sort}: every user that existed before was seen"
        );
        let desc = sort.starts_with('-');
        let ordered = seen.windows(2).all(|w| {
            let ord = match sort.trim_start_matches('-') {
                "name" => name_key(&w[0]).cmp(&name_key(&w[1])),
                "email" => w[0].email.cmp(&w[1].email),
                "status" => (w[0].status.as_str(), name_key(&w[0])).cmp(&(w[1].status.as_str(), name_key(&w[1]))),
                _ => {
                    // Nulls last either way.
                    let k = |u: &User| (u.last_login_at.is_none(), u.last_login_at);
                    match (k(&w[0]).0, k(&w[1]).0) {
                        (false, true) => return true,
                        (true, false) => return false,
                        _ => {}
                    }
                    (w[0].last_login_at, w[0].id).cmp(&(w[1].last_login_at, w[1].id))
                }
            };
            if desc { ord.is_ge() } else { ord.is_le() }
        });
        assert!(ordered, "{sort}: sorted");
    }
}

#[tokio::test]
async fn search_finds_by_first_name_last_name_full_name_and_email_prefix() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    s.create_user_api(&token, new_user("jdoe@acme.example", "Jane", "Doe", "view"))
        .await;
    s.create_user_api(
        &token,
        new_user("m.vdb@acme.example", "Maarten", "Van der Berg", "edit"),
    )
    .await;
    s.create_user_api(&token, new_user("zoe@other.example", "Zoë", "Ångström", "view"))
        .await;
    let emails = |p: Page<User>| {
        let mut e: Vec<String> = p.items.into_iter().map(|u| u.email).collect();
        e.sort();
        e
    };
    assert_eq!(emails(page(&s, &token, "q=jan").await), ["jdoe@acme.example"]);
    assert_eq!(emails(page(&s, &token, "q=DOE").await), ["jdoe@acme.example"]);
    assert_eq!(emails(page(&s, &token, "q=jane%20d").await), ["jdoe@acme.example"]);
    assert_eq!(emails(page(&s, &token, "q=doe%20%20jane").await), ["jdoe@acme.example"]);
    assert_eq!(emails(page(&s, &token, "q=jdo").await), ["jdoe@acme.example"]);
    assert_eq!(emails(page(&s, &token, "q=van%20der").await), ["m.vdb@acme.example"]);
    assert_eq!(emails(page(&s, &token, "q=m.v").await), ["m.vdb@acme.example"]);
    assert_eq!(
        emails(page(&s, &token, "q=%C3%A5ngstr").await),
        ["zoe@other.example"],
        "Unicode folds"
    );
    assert!(page(&s, &token, "q=nobody").await.items.is_empty());
    assert!(page(&s, &token, "q=%25").await.items.is_empty(), "no wildcard");
}

#[tokio::test]
async fn search_stays_correct_past_many_hits() {
    let s = TestServer::start().await;
    orgdeck_server::seed_users(&s.db, s.org.org_id, 6000, &s.clock).unwrap();
    let token = s.admin_token().await;
    // Broad terms over many pages: each hit once, in order (about 800 for "m": the walk of the order's
    // index past the sorted-hits limit is the next test's).
    for q in ["m", "ma", "maria", "smith"] {
        let found = all_pages(&s, &token, &format!("q={q}&limit=500")).await;
        assert!(!found.is_empty(), "{q}");
        assert!(
            found.iter().all(|u| {
                let f = u.first_name.to_lowercase();
                let l = u.last_name.to_lowercase();
                format!("{f} {l}").starts_with(q) || format!("{l} {f}").starts_with(q) || u.email.starts_with(q)
            }),
            "{q}"
        );
        assert!(
            found.windows(2).all(|w| name_key(&w[0]) < name_key(&w[1])),
            "{q}: sorted, no repeats"
        );
        let like = format!("{q}%");
        let expected: i64 = s.sql(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM users WHERE full_key LIKE ?1 OR rev_key LIKE ?1 OR email LIKE ?1",
                orgdeck_server::store::sql::params![like],
                |r| r.get(0),
            )?)
        });
        assert_eq!(found.len() as i64, expected, "{q}");
    }
}

/// Whichever way a page is cut (from the sorted hits when they are few, else by walking the order's index),
/// every sort, direction and status filter pages through exactly the rows, in the order, of a plain query
/// over the whole table.
#[tokio::test]
async fn every_way_of_cutting_a_search_page_agrees_with_a_plain_query() {
    use orgdeck_server::Clock;
    use orgdeck_server::store::{UserStatus, ops};
    let s = TestServer::start().await;
    orgdeck_server::seed_users(&s.db, s.org.org_id, 6000, &s.clock).unwrap();
    // 6,000 more named Sam: "s" has more hits than are ever sorted, so its pages come from walking the
    // order's index.
    let lasts = ["Adams", "Baker", "Chen", "Diaz", "Evans", "Singh", "Zhang"];
    let statuses = [
        UserStatus::Active,
        UserStatus::Locked,
        UserStatus::Disabled,
        UserStatus::Pending,
    ];
    let now = s.clock.now();
    s.sql_write(|c| {
        for i in 0..6000usize {
            let last = lasts[i % lasts.len()];
            let status = statuses[(i / 7) % statuses.len()];
            ops::insert_user(
                c,
                &ops::NewUser {
                    id: uuid::Uuid::new_v4(),
                    org_id: s.org.org_id,
                    email: format!("sam.{}.{i}@walk.example", last.to_lowercase()),
                    first_name: "Sam".into(),
                    last_name: last.into(),
                    password_hash: None,
                    role: orgdeck_shared::auth::OrgRole::View,
                    enabled: status != UserStatus::Disabled,
                    api_only: false,
                    status,
                    last_login_at: None,
                    last_login_ip: None,
                    created_at: now,
                },
            )?;
        }
        Ok(())
    });
    let token = s.admin_token().await;
    let sorts = [
        ("name", "last_key, first_key, id"),
        ("email", "email"),
        ("status", "status, last_key, first_key, id"),
    ];
    let org = s.org.org_id.to_string();
    // "s": past the sorted-hits limit; "mar" and "sam z": fewer; "zh": few hits that sort late.
    for (q, limit) in [("s", 500), ("mar", 137), ("sam z", 137), ("zh", 137)] {
        let like = format!("{q}%");
        let hits: i64 = s.sql(|c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM users WHERE org_id = ?1 AND (full_key LIKE ?2 OR rev_key LIKE ?2 OR email LIKE ?2)",
                orgdeck_server::store::sql::params![org, like],
                |r| r.get(0),
            )?)
        });
        assert_eq!(hits > 5000, q == "s", "{q}: {hits} hits");
        for (sort, columns) in sorts {
            for desc in [false, true] {
                for status in [None, Some("locked"), Some("active")] {
                    let mut query = format!(
                        "q={}&limit={limit}&sort={}{sort}",
                        q.replace(' ', "%20"),
                        if desc { "-" } else { "" }
                    );
                    if let Some(st) = status {
                        query.push_str(&format!("&status={st}"));
                    }
                    let got: Vec<uuid::Uuid> = all_pages(&s, &token, &query).await.iter().map(|u| u.id).collect();
                    let dir = if desc { " DESC" } else { "" };
                    let order = columns
                        .split(", ")
                        .map(|c| format!("{c}{dir}"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let st = status.unwrap_or("");
                    let expected: Vec<uuid::Uuid> = s.sql(|c| {
                        let mut stmt = c.prepare(&format!(
                            "SELECT id FROM users WHERE org_id = ?1
                               AND (full_key LIKE ?2 OR rev_key LIKE ?2 OR email LIKE ?2)
                               AND (?3 = '' OR status = ?3)
                             ORDER BY {order}"
                        ))?;
                        let rows = stmt.query_map(orgdeck_server::store::sql::params![org, like, st], |r| {
                            r.get::<_, String>(0)
                        })?;
                        Ok(rows
                            .map(|r| r.map(|id| id.parse().unwrap()))
                            .collect::<Result<_, _>>()?)
                    });
                    assert!(!expected.is_empty(), "{query}: the data has hits");
                    assert_eq!(got, expected, "{query}");
                }
            }
        }
    }
}

#[tokio::test]
async fn the_list_filters_by_status_and_group() {
    let s = TestServer::start().await;
    let token = s.admin_token().await;
    let invited = s
        .create_user_api(
            &token,
            json!({"email": "inv@acme.example", "first_name": "In", "last_name": "Vited", "default_group": "edit"}),
        )
        .await;
    let ed = s
        .create_user_api(&token, new_user("ed@acme.example", "Ed", "Itor", "edit"))
        .await;
    let team: orgdeck_shared::groups::Group = s
        .post(
            routes::GROUPS,
            &token,
            &json!({"name": "Team", "app_access": [], "members": [ed.user.id]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let ids = |p: Page<User>| p.items.into_iter().map(|u| u.id).collect::<Vec<_>>();
    assert_eq!(ids(page(&s, &token, "status=pending").await), [invited.user.id]);
    let mut edit = ids(page(&s, &token, "group=edit").await);
    edit.sort();
    let mut want = vec![invited.user.id, ed.user.id];
    want.sort();
    assert_eq!(edit, want);
    assert_eq!(
        ids(page(&s, &token, "group=Rules%20Admin").await),
        Vec::<uuid::Uuid>::new()
    );
    assert_eq!(ids(page(&s, &token, "group=admin").await), [s.org.admin_id]);
    assert_eq!(ids(page(&s, &token, &format!("group={}", team.id)).await), [ed.user.id]);
    assert_eq!(ids(page(&s, &token, "group=edit&status=active").await), [ed.user.id]);
    for (query, field) in [
        ("status=sleeping", "status"),
        ("sort=age", "sort"),
        ("group=nobody", "group"),
    ] {
        let resp = s.get(&format!("{}?{query}", routes::USERS), &token).await;
        let err = api_error(resp, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert!(err.field(field).is_some(), "{query}: {err:?}");
    }
    let p = page(&s, &token, "limit=1&sort=email").await;
    let resp = s
        .get(
            &format!("{}?sort=name&cursor={}", routes::USERS, p.next_cursor.unwrap()),
            &token,
        )
        .await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "a cursor belongs to its sort");
}
