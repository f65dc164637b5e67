//! Users: read, write, and the paged, searchable list.

use crate::store::sql;
use crate::store::sql::{Connection, OptionalExtension, Row, params, params_from_iter, types::Value};
use jiff::Timestamp;
use orgdeck_shared::{
    auth::OrgRole,
    password::PasswordPolicy,
    users::{User, UserSort},
};
use uuid::Uuid;

use super::{corrupt, db_err, ms, role, status, ts, uuid};
use crate::store::{
    Activation, GroupFilter, KeyPart, NameKeys, StoreError, StoreResult, UserListFilter, UserRecord, UserStatus,
};

pub const AREA_PASSWORD_POLICY: &str = "password_policy";

/// Up to about this many search hits, a page is cut from the hits (read from the search indexes alone,
/// filtered, sorted, then 50 rows fetched); beyond, the sort order's index is walked and filtered by the
/// search columns it carries (then a page comes within 50 * users / hits index entries).
const HIT_SORT_MAX: i64 = 5000;

/// How many entries of the sort order's index a short search walks first on PostgreSQL ([`window_sql`]).
const HIT_WINDOW: i64 = 4000;

const USER_COLUMNS: &str = "id, email, first_name, last_name, role, enabled, api_only, status, last_login_at, \
    last_login_ip, failed_attempts, two_step_enabled, created_at, version, org_id, password_hash, \
    must_change_password, locked_at";

fn record_row(r: &Row<'_>) -> sql::Result<RawUser> {
    Ok(RawUser {
        id: r.get(0)?,
        email: r.get(1)?,
        first_name: r.get(2)?,
        last_name: r.get(3)?,
        role: r.get(4)?,
        enabled: r.get(5)?,
        api_only: r.get(6)?,
        status: r.get(7)?,
        last_login_at: r.get(8)?,
        last_login_ip: r.get(9)?,
        failed_attempts: r.get(10)?,
        two_step_enabled: r.get(11)?,
        created_at: r.get(12)?,
        version: r.get(13)?,
        org_id: r.get(14)?,
        password_hash: r.get(15)?,
        must_change_password: r.get(16)?,
        locked_at: r.get(17)?,
    })
}

struct RawUser {
    id: String,
    email: String,
    first_name: String,
    last_name: String,
    role: String,
    enabled: bool,
    api_only: bool,
    status: String,
    last_login_at: Option<i64>,
    last_login_ip: Option<String>,
    failed_attempts: u32,
    two_step_enabled: bool,
    created_at: i64,
    version: i64,
    org_id: String,
    password_hash: Option<String>,
    must_change_password: bool,
    locked_at: Option<i64>,
}

impl RawUser {
    fn into_record(self) -> StoreResult<UserRecord> {
        Ok(UserRecord {
            org_id: uuid(&self.org_id)?,
            user: User {
                id: uuid(&self.id)?,
                email: self.email,
                first_name: self.first_name,
                last_name: self.last_name,
                default_group: role(&self.role)?,
                groups: Vec::new(),
                enabled: self.enabled,
                api_only: self.api_only,
                status: status(&self.status)?,
                last_login_at: self.last_login_at.map(ts).transpose()?,
                last_login_ip: self.last_login_ip,
                failed_attempts: self.failed_attempts,
                two_step_enabled: self.two_step_enabled,
                created_at: ts(self.created_at)?,
                version: self.version,
            },
            password_hash: self.password_hash,
            must_change_password: self.must_change_password,
            locked_at: self.locked_at.map(ts).transpose()?,
        })
    }
}

/// Fills `groups` of each user with their custom group memberships.
fn attach_groups(c: &Connection, users: &mut [User]) -> StoreResult<()> {
    if users.is_empty() {
        return Ok(());
    }
    let marks = vec!["?"; users.len()].join(",");
    let mut stmt = c
        .prepare(&format!(
            "SELECT m.user_id, m.group_id FROM group_members m JOIN user_groups g ON g.id = m.group_id
             WHERE m.user_id IN ({marks}) ORDER BY g.name, g.id"
        ))
        .map_err(db_err)?;
    let ids: Vec<String> = users.iter().map(|u| u.id.to_string()).collect();
    let rows = stmt
        .query_map(params_from_iter(ids.iter()), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .map_err(db_err)?;
    for row in rows {
        let (user, group) = row.map_err(db_err)?;
        let (user, group) = (uuid(&user)?, uuid(&group)?);
        if let Some(u) = users.iter_mut().find(|u| u.id == user) {
            u.groups.push(group);
        }
    }
    Ok(())
}

pub fn user_record(c: &Connection, org_id: Uuid, user_id: Uuid) -> StoreResult<Option<UserRecord>> {
    let raw = c
        .query_row(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1 AND id = ?2"),
            params![org_id.to_string(), user_id.to_string()],
            record_row,
        )
        .optional()
        .map_err(db_err)?;
    let Some(raw) = raw else { return Ok(None) };
    let mut record = raw.into_record()?;
    attach_groups(c, std::slice::from_mut(&mut record.user))?;
    Ok(Some(record))
}

pub fn user(c: &Connection, org_id: Uuid, user_id: Uuid) -> StoreResult<Option<User>> {
    Ok(user_record(c, org_id, user_id)?.map(|r| r.user))
}

fn set_memberships(c: &Connection, user_id: Uuid, groups: &[Uuid]) -> StoreResult<()> {
    c.execute(
        "DELETE FROM group_members WHERE user_id = ?1",
        params![user_id.to_string()],
    )
    .map_err(db_err)?;
    let mut stmt = c
        .prepare_cached("INSERT INTO group_members (group_id, user_id) VALUES (?1, ?2)")
        .map_err(db_err)?;
    for g in groups {
        stmt.execute(params![g.to_string(), user_id.to_string()])
            .map_err(db_err)?;
    }
    Ok(())
}

fn email_conflict(email: &str) -> impl FnOnce(sql::Error) -> StoreError + '_ {
    move |e| match db_err(e) {
        StoreError::Conflict(_) => StoreError::Conflict(format!("a user with email {email} already exists")),
        other => other,
    }
}

pub fn insert_user_record(c: &Connection, rec: &UserRecord) -> StoreResult<()> {
    let u = &rec.user;
    let k = NameKeys::of(&u.first_name, &u.last_name);
    let mut stmt = c
        .prepare_cached(
            "INSERT INTO users (id, org_id, email, first_name, last_name, password_hash, role, enabled, api_only,
                status, last_login_at, last_login_ip, failed_attempts, created_at, version, must_change_password,
                two_step_enabled, locked_at, first_key, last_key, full_key, rev_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
                ?21, ?22)",
        )
        .map_err(db_err)?;
    stmt.execute(params![
        u.id.to_string(),
        rec.org_id.to_string(),
        u.email,
        u.first_name,
        u.last_name,
        rec.password_hash,
        u.default_group.as_str(),
        u.enabled,
        u.api_only,
        u.status.as_str(),
        u.last_login_at.map(ms),
        u.last_login_ip,
        u.failed_attempts,
        ms(u.created_at),
        u.version,
        rec.must_change_password,
        u.two_step_enabled,
        rec.locked_at.map(ms),
        k.first,
        k.last,
        k.full,
        k.rev,
    ])
    .map_err(email_conflict(&u.email))?;
    if !u.groups.is_empty() {
        set_memberships(c, u.id, &u.groups)?;
    }
    Ok(())
}

pub fn save_user(c: &Connection, rec: &UserRecord, expected: i64) -> StoreResult<i64> {
    let u = &rec.user;
    let k = NameKeys::of(&u.first_name, &u.last_name);
    let changed = c
        .execute(
            "UPDATE users SET email = ?3, first_name = ?4, last_name = ?5, password_hash = ?6, role = ?7,
                enabled = ?8, api_only = ?9, status = ?10, failed_attempts = ?11, must_change_password = ?12,
                two_step_enabled = ?13, locked_at = ?14, first_key = ?15, last_key = ?16, full_key = ?17,
                rev_key = ?18, version = version + 1
             WHERE org_id = ?1 AND id = ?2 AND version = ?19",
            params![
                rec.org_id.to_string(),
                u.id.to_string(),
                u.email,
                u.first_name,
                u.last_name,
                rec.password_hash,
                u.default_group.as_str(),
                u.enabled,
                u.api_only,
                u.status.as_str(),
                u.failed_attempts,
                rec.must_change_password,
                u.two_step_enabled,
                rec.locked_at.map(ms),
                k.first,
                k.last,
                k.full,
                k.rev,
                expected,
            ],
        )
        .map_err(email_conflict(&u.email))?;
    if changed == 0 {
        let current: Option<i64> = c
            .query_row(
                "SELECT version FROM users WHERE org_id = ?1 AND id = ?2",
                params![rec.org_id.to_string(), u.id.to_string()],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err)?;
        return Err(match current {
            Some(current) => StoreError::VersionMismatch { current },
            None => StoreError::NotFound("user"),
        });
    }
    set_memberships(c, u.id, &u.groups)?;
    Ok(expected + 1)
}

pub fn delete_user(c: &Connection, org_id: Uuid, user_id: Uuid) -> StoreResult<bool> {
    let n = c
        .execute(
            "DELETE FROM users WHERE org_id = ?1 AND id = ?2",
            params![org_id.to_string(), user_id.to_string()],
        )
        .map_err(db_err)?;
    Ok(n > 0)
}

pub fn end_user_sessions(c: &Connection, user_id: Uuid) -> StoreResult<u64> {
    let n = c
        .execute("DELETE FROM sessions WHERE user_id = ?1", params![user_id.to_string()])
        .map_err(db_err)?;
    Ok(n as u64)
}

pub fn login_admin_count(c: &Connection, org_id: Uuid) -> StoreResult<u64> {
    let n: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM users
             WHERE org_id = ?1 AND role = ?2 AND enabled AND NOT api_only AND status = ?3
               AND password_hash IS NOT NULL",
            params![org_id.to_string(), OrgRole::Admin.as_str(), UserStatus::Active.as_str()],
            |r| r.get(0),
        )
        .map_err(db_err)?;
    Ok(n as u64)
}

pub fn emails_in_use(c: &Connection, emails: &[String]) -> StoreResult<Vec<String>> {
    let mut stmt = c
        .prepare_cached("SELECT email FROM users WHERE email = ?1")
        .map_err(db_err)?;
    let mut out = Vec::new();
    for e in emails {
        if let Some(found) = stmt
            .query_row(params![e], |r| r.get::<_, String>(0))
            .optional()
            .map_err(db_err)?
        {
            out.push(found);
        }
    }
    Ok(out)
}

pub fn password_policy(c: &Connection, org_id: Uuid) -> StoreResult<PasswordPolicy> {
    match super::settings_doc(c, org_id, AREA_PASSWORD_POLICY)?.map(|(_, d)| d) {
        Some(doc) => serde_json::from_str(&doc).map_err(corrupt),
        None => Ok(PasswordPolicy::default()),
    }
}

pub fn insert_activation(c: &Connection, a: &Activation) -> StoreResult<()> {
    c.execute(
        "INSERT INTO activation_tokens (token_hash, user_id, org_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            a.token_hash,
            a.user_id.to_string(),
            a.org_id.to_string(),
            ms(a.created_at),
            ms(a.expires_at)
        ],
    )
    .map_err(db_err)?;
    Ok(())
}

pub fn take_activation(c: &Connection, token_hash: &str) -> StoreResult<Option<Activation>> {
    let row = c
        .query_row(
            "DELETE FROM activation_tokens WHERE token_hash = ?1 RETURNING user_id, org_id, created_at, expires_at",
            params![token_hash],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            },
        )
        .optional()
        .map_err(db_err)?;
    row.map(|(user, org, created, expires)| {
        Ok(Activation {
            token_hash: token_hash.to_owned(),
            user_id: uuid(&user)?,
            org_id: uuid(&org)?,
            created_at: ts(created)?,
            expires_at: ts(expires)?,
        })
    })
    .transpose()
}

/// Locks the user and ends their sessions; false when they were locked already (so two requests that
/// cross the limit together lock and audit once).
pub fn lock_user(c: &Connection, user_id: Uuid, at: Timestamp) -> StoreResult<bool> {
    let changed = c
        .execute(
            "UPDATE users SET status = ?2, locked_at = ?3, version = version + 1 WHERE id = ?1 AND status <> ?2",
            params![user_id.to_string(), UserStatus::Locked.as_str(), ms(at)],
        )
        .map_err(db_err)?;
    end_user_sessions(c, user_id)?;
    Ok(changed > 0)
}

pub fn users_in_org(c: &Connection, org_id: Uuid, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
    let mut stmt = c
        .prepare_cached("SELECT id FROM users WHERE org_id = ?1 AND id = ?2")
        .map_err(db_err)?;
    let mut out = Vec::new();
    for id in ids {
        let found = stmt
            .query_row(params![org_id.to_string(), id.to_string()], |r| r.get::<_, String>(0))
            .optional()
            .map_err(db_err)?;
        if found.is_some() {
            out.push(*id);
        }
    }
    Ok(out)
}

// ---- the list ----

/// The SQL expressions of a sort order, most significant first; [`crate::store::sort_key`] gives a
/// user's values of them.
fn sort_columns(sort: UserSort, desc: bool) -> &'static [&'static str] {
    match sort {
        UserSort::Name => &["last_key", "first_key", "id"],
        UserSort::Email => &["email"],
        UserSort::Status => &["status", "last_key", "first_key", "id"],
        UserSort::LastLogin if desc => &["(last_login_at IS NOT NULL)", "COALESCE(last_login_at, 0)", "id"],
        UserSort::LastLogin => &["(last_login_at IS NULL)", "COALESCE(last_login_at, 0)", "id"],
    }
}

fn key_value(k: &KeyPart) -> Value {
    match k {
        KeyPart::Int(i) => Value::Integer(*i),
        KeyPart::Text(t) => Value::Text(t.clone()),
    }
}

/// The smallest string after every string that starts with `prefix` (for `col >= p AND col < end`).
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

pub fn list_users(c: &Connection, org_id: Uuid, f: &UserListFilter) -> StoreResult<Vec<User>> {
    let mut args: Vec<Value> = vec![Value::Text(org_id.to_string())];
    let mut arg = |v: Value| {
        args.push(v);
        args.len()
    };
    // Filters and the keyset position, over columns every search index carries too.
    let mut conds = String::new();
    if let Some(st) = f.status {
        let n = arg(Value::Text(st.as_str().to_owned()));
        conds.push_str(&format!(" AND status = ?{n}"));
    }
    match f.group {
        Some(GroupFilter::Role(r)) => {
            let n = arg(Value::Text(r.as_str().to_owned()));
            conds.push_str(&format!(" AND role = ?{n}"));
        }
        Some(GroupFilter::Custom(g)) => {
            let n = arg(Value::Text(g.to_string()));
            conds.push_str(&format!(
                " AND id IN (SELECT user_id FROM group_members WHERE group_id = ?{n})"
            ));
        }
        None => {}
    }
    let cols = sort_columns(f.sort, f.desc);
    if let Some(after) = &f.after {
        if after.len() != cols.len() {
            return Err(corrupt("a cursor position that does not fit its sort"));
        }
        let marks: Vec<String> = after.iter().map(|k| format!("?{}", arg(key_value(k)))).collect();
        let op = if f.desc { "<" } else { ">" };
        conds.push_str(&format!(" AND ({}) {op} ({})", cols.join(", "), marks.join(", ")));
    }
    let dir = if f.desc { " DESC" } else { "" };
    let order = cols.iter().map(|c| format!("{c}{dir}")).collect::<Vec<_>>().join(", ");
    let limit = arg(Value::Integer(i64::from(f.limit)));

    let sql = match f.q.as_deref().filter(|q| !q.is_empty()) {
        None => format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1{conds} ORDER BY {order} LIMIT ?{limit}"),
        Some(q) => {
            let lo = arg(Value::Text(q.to_owned()));
            let hi = arg(Value::Text(prefix_end(q)));
            let ranges = format!(
                "((full_key >= ?{lo} AND full_key < ?{hi}) OR (rev_key >= ?{lo} AND rev_key < ?{hi})
                  OR (email >= ?{lo} AND email < ?{hi}))"
            );
            // Few hits: all of them, but only the columns the filters and the order need, read from the
            // search indexes alone (the three ranges made disjoint, so no user comes twice and no dedup is
            // needed); sorted; then the page's rows by key. Left to itself, PostgreSQL's planner may walk
            // the order's index instead, expecting hits early, and read every user when they sort last
            // ("zh" in a name order: 98,504 rows for 51); and reading every hit's row to sort them costs a
            // random read each (9 ms for 2,818). Many hits: the order's index, where hits come early.
            let carried = carried_columns(f);
            let qualified = USER_COLUMNS
                .split(", ")
                .map(|c| format!("users.{}", c.trim()))
                .collect::<Vec<_>>()
                .join(", ");
            if c.is_postgres() {
                if let Some(window) = window_sql(f, q, &conds, &order, &ranges, limit, &qualified) {
                    let mut users = read_users(c, &window, &args)?;
                    if users.len() == f.limit as usize {
                        attach_groups(c, &mut users)?;
                        return Ok(users);
                    }
                }
                // One statement reads the hits once, up to one past the most it sorts, and answers their
                // page only when they are few; with its count in a last column (and one row of nulls
                // when the page is empty), so that many hits need no second count.
                let hits = hits_sql("id", &carried, lo, hi);
                let counted = format!(
                    "WITH hits AS MATERIALIZED ({hits} LIMIT {over}), counted AS (SELECT COUNT(*) AS n FROM hits)
                     SELECT {qualified}, counted.n FROM counted
                     LEFT JOIN (SELECT hit FROM hits WHERE (SELECT n FROM counted) <= {HIT_SORT_MAX}{conds}
                                ORDER BY {order} LIMIT ?{limit}) AS h ON TRUE
                     LEFT JOIN users ON users.id = h.hit ORDER BY {order}",
                    over = HIT_SORT_MAX + 1
                );
                let width = USER_COLUMNS.split(", ").count();
                let rows = c
                    .prepare_planned(&counted)
                    .map_err(db_err)?
                    .query_map(params_from_iter(args.iter()), |r| {
                        let n: i64 = r.get(width)?;
                        let id: Option<String> = r.get(0)?;
                        Ok((n, id.map(|_| record_row(r)).transpose()?))
                    })
                    .map_err(db_err)?;
                let (mut hits, mut users) = (0, Vec::new());
                for row in rows {
                    let (n, user) = row.map_err(db_err)?;
                    hits = n;
                    if let Some(user) = user {
                        users.push(user.into_record()?.user);
                    }
                }
                if hits <= HIT_SORT_MAX {
                    attach_groups(c, &mut users)?;
                    return Ok(users);
                }
                format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1{conds} AND {ranges}
                     ORDER BY {order} LIMIT ?{limit}"
                )
            } else if search_hits_at_most(c, org_id, q, HIT_SORT_MAX)? {
                let hits = hits_sql("rowid", &carried, lo, hi);
                // CROSS JOIN keeps the order of work: the page of hits first, then 50 rows by rowid.
                format!(
                    "SELECT {qualified} FROM (SELECT hit FROM ({hits}) WHERE TRUE{conds} ORDER BY {order}
                     LIMIT ?{limit}) AS h CROSS JOIN users ON users.rowid = h.hit ORDER BY {order}"
                )
            } else {
                // `+` keeps the planner on the sort order's index rather than the search indexes.
                format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE org_id = ?1{conds}
                     AND ((+full_key >= ?{lo} AND +full_key < ?{hi}) OR (+rev_key >= ?{lo} AND +rev_key < ?{hi})
                          OR (+email >= ?{lo} AND +email < ?{hi}))
                     ORDER BY {order} LIMIT ?{limit}"
                )
            }
        }
    };
    let mut users = read_users(c, &sql, &args)?;
    attach_groups(c, &mut users)?;
    Ok(users)
}

/// The users a statement of [`USER_COLUMNS`] rows reads (planned for its values), without their groups.
fn read_users(c: &Connection, sql: &str, args: &[Value]) -> StoreResult<Vec<User>> {
    let mut stmt = c.prepare_planned(sql).map_err(db_err)?;
    let rows = stmt
        .query_map(params_from_iter(args.iter()), record_row)
        .map_err(db_err)?;
    let mut users = Vec::new();
    for row in rows {
        users.push(row.map_err(db_err)?.into_record()?.user);
    }
    Ok(users)
}

/// On PostgreSQL, a search of one or two characters (as typed, the console's first searches) first looks
/// for its page in the first [`HIT_WINDOW`] entries of the sort order's index, read from the index alone:
/// such terms are mostly broad, and then the page comes within a few hundred entries ("s": 50 hits in
/// about 1,000) instead of after counting thousands of hits. A full page there is the answer; otherwise
/// the window cost a bounded walk (about a millisecond). `None` for longer terms and where no order index
/// carries every column the filters need (a group; the last-login order, indexed by expressions).
/// (`qualified`: the user columns, named by table.)
fn window_sql(
    f: &UserListFilter,
    q: &str,
    conds: &str,
    order: &str,
    ranges: &str,
    limit: usize,
    qualified: &str,
) -> Option<String> {
    if q.chars().count() > 2 || f.group.is_some() || matches!(f.sort, UserSort::LastLogin) {
        return None;
    }
    let order_columns = sort_columns(f.sort, f.desc);
    let mut walked: Vec<&str> = order_columns.to_vec();
    for col in ["id", "full_key", "rev_key", "email"] {
        if !walked.contains(&col) {
            walked.push(col);
        }
    }
    // The window keeps the index's order, so the filter stops at the page's last hit.
    Some(format!(
        "SELECT {qualified} FROM (SELECT id AS hit FROM (SELECT {walked} FROM users
                                  WHERE org_id = ?1{conds} ORDER BY {order} LIMIT {HIT_WINDOW}) AS w
                                  WHERE {ranges} ORDER BY {order} LIMIT ?{limit}) AS h
         JOIN users ON users.id = h.hit ORDER BY {order}",
        walked = walked.join(", ")
    ))
}

/// The columns a page of hits is filtered and sorted on, carried by every search index.
fn carried_columns(f: &UserListFilter) -> String {
    let mut carried: Vec<&str> = match f.sort {
        UserSort::Name => vec!["last_key", "first_key", "id"],
        UserSort::Email => vec!["email"],
        UserSort::Status => vec!["status", "last_key", "first_key", "id"],
        UserSort::LastLogin => vec!["last_login_at", "id"],
    };
    let needed = [
        (f.status.is_some(), "status"),
        (matches!(f.group, Some(GroupFilter::Role(_))), "role"),
        (matches!(f.group, Some(GroupFilter::Custom(_))), "id"),
    ];
    for (need, col) in needed {
        if need && !carried.contains(&col) {
            carried.push(col);
        }
    }
    carried.join(", ")
}

/// A search's hits as rows of `key AS hit` and the `carried` columns: the three prefix ranges (parameters
/// `?lo`, `?hi`) made disjoint.
fn hits_sql(key: &str, carried: &str, lo: usize, hi: usize) -> String {
    disjoint_ranges(&lo.to_string(), &hi.to_string())
        .map(|cond| format!("SELECT {key} AS hit, {carried} FROM users WHERE org_id = ?1 AND {cond}"))
        .join(" UNION ALL ")
}

/// Whether a search has at most `max` hits: the three prefix ranges made disjoint and counted together
/// over index entries only, stopping past `max`.
fn search_hits_at_most(c: &Connection, org_id: Uuid, q: &str, max: i64) -> StoreResult<bool> {
    let sql = format!(
        "SELECT COUNT(*) FROM ({} LIMIT ?4) AS hits",
        disjoint_ranges("2", "3")
            .map(|cond| format!("SELECT 1 FROM users WHERE org_id = ?1 AND {cond}"))
            .join(" UNION ALL ")
    );
    let n: i64 = c
        .prepare_planned(&sql)
        .map_err(db_err)?
        .query_row(params![org_id.to_string(), q, prefix_end(q), max + 1], |r| r.get(0))
        .map_err(db_err)?;
    Ok(n <= max)
}

/// The three prefix ranges of a search (parameters `?lo`, `?hi`), made disjoint: a user whose full name,
/// reversed name and email all match is found by the first only.
fn disjoint_ranges(lo: &str, hi: &str) -> [String; 3] {
    let range = |col: &str| format!("({col} >= ?{lo} AND {col} < ?{hi})");
    [
        range("full_key"),
        format!("{} AND NOT {}", range("rev_key"), range("full_key")),
        format!(
            "{} AND NOT {} AND NOT {}",
            range("email"),
            range("full_key"),
            range("rev_key")
        ),
    ]
}
