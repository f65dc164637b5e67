//! Hostile requests on every route (the table is `orgdeck_shared::endpoint::all()`, checked against the
//! routes the router has): random JSON
//! of the wrong shape, valid documents with one value made hostile (huge numbers, very long strings,
//! control characters, wrong types), invalid UTF-8, deep nesting, broken and huge bodies, odd content
//! types and `If-Match` values, hostile path segments and query strings. The server never answers 5xx,
//! and a refused request (4xx) changes nothing: every settings document as the API answers it (body and
//! version) and every row of every table of the database file are the same after it, so no new audit
//! entry, user, group, key, session, token or mail. The one exception is by design: a wrong password or
//! code is audited (`FAILURE_ACTIONS`) and counted toward the lockout, and nothing else.
//!
//! One server for every case. Routes that act on a path id get a victim user, group and key (recreated
//! when a case deletes them) or a hostile id; the caller's own routes (`me/...`, logout) use a decoy
//! user, logged in again when a case ends its session. `ORGDECK_HOSTILE_CASES` sets the cases per route
//! and method (default 10: 460 requests, about 20 s in debug).

mod common;

use std::{
    cell::RefCell,
    collections::{BTreeMap, BTreeSet},
    sync::LazyLock,
};

use common::*;
use orgdeck_shared::{
    auth::OrgRole,
    endpoint::{self, Access, Content, Described},
    routes,
};
use proptest::{
    prelude::*,
    test_runner::{Config, TestCaseError, TestRunner},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// Who sends a route's requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Admin,
    /// The caller's own account: a decoy, so nothing a case does to it stops the admin.
    Decoy,
    Anonymous,
    /// An agent key of the organization (not the one the agent-key routes act on).
    Agent,
}

/// One declared path with its methods (the settings areas are one path, `settings/{area}`: a case picks
/// an area, or a name of none).
struct Route {
    path: &'static str,
    methods: Vec<&'static str>,
    caller: Caller,
    /// The body is CSV (user import).
    csv: bool,
}

use Caller::{Admin, Agent, Anonymous, Decoy};

/// Who calls an endpoint in these cases: nobody for a public one; the caller's own routes (`me/...`,
/// logout) a decoy; the agent routes an agent key; anything else the admin (API keys too: the admin's
/// keys of the API-only victim; agent keys: a victim agent key).
fn caller_of(d: &Described) -> Caller {
    match d.access {
        Access::Public => Anonymous,
        Access::Agent => Agent,
        Access::Session | Access::User if d.path == routes::LOGOUT || d.path.starts_with(routes::ME) => Decoy,
        Access::Session | Access::User | Access::Admin | Access::AdminSession => Admin,
    }
}

/// Every endpoint of the API, by declared path.
static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    let mut table: Vec<Route> = Vec::new();
    for d in endpoint::all() {
        let (caller, method) = (caller_of(&d), d.method.as_str());
        match table.iter_mut().find(|r| r.path == d.path) {
            Some(route) => {
                assert_eq!(route.caller, caller, "one caller for every method of {}", d.path);
                if !route.methods.contains(&method) {
                    route.methods.push(method);
                }
                route.csv |= d.body == Content::Csv;
            }
            None => table.push(Route {
                path: d.path,
                methods: vec![method],
                caller,
                csv: d.body == Content::Csv,
            }),
        }
    }
    table
});

#[test]
fn the_table_covers_every_route_of_the_router() {
    let table: BTreeSet<(String, &str)> = ROUTES
        .iter()
        .flat_map(|r| r.methods.iter().map(|m| (r.path.to_owned(), *m)))
        .collect();
    let all = endpoint::all();
    let routed: BTreeSet<(String, &str)> = orgdeck_server::routes::routed()
        .into_iter()
        .map(|r| {
            let declared = all
                .iter()
                .find(|d| d.template == r.path)
                .map_or(r.path.clone(), |d| d.path.to_owned());
            (declared, r.method.as_str())
        })
        .collect();
    assert!(routed.len() > 40, "{routed:?}");
    assert_eq!(
        table, routed,
        "the hostile-input table must list every route and method"
    );
}

// ---- what a case sends ----

/// A path parameter: the fixture's real target (the index picks the settings area or the user action),
/// or something hostile.
#[derive(Debug, Clone)]
enum Param {
    Real(prop::sample::Index),
    Hostile(String),
}

#[derive(Debug, Clone)]
enum IfMatch {
    Absent,
    /// The target's current version (so the request reaches validation).
    Current,
    Raw(String),
}

#[derive(Debug, Clone)]
enum Token {
    Normal,
    Missing,
    Garbage(String),
}

#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    params: Vec<Param>,
    query: String,
    content_type: Option<String>,
    if_match: IfMatch,
    token: Token,
    body: Option<Vec<u8>>,
}

/// Field names the API's documents use, so random objects reach validation, not only the parser.
/// (Not `confirm_self_lockout` or `required`: a case that set them would lock the test's admin out.)
const FIELDS: &[&str] = &[
    "name",
    "app_access",
    "applications",
    "role",
    "members",
    "email",
    "first_name",
    "last_name",
    "default_group",
    "groups",
    "api_only",
    "password",
    "rules",
    "cidr",
    "label",
    "enabled",
    "methods",
    "idle_minutes",
    "absolute_minutes",
    "strength",
    "min_length",
    "min_upper",
    "history",
    "lockout_attempts",
    "date_format",
    "timezone",
    "auto_license_environments",
    "user_id",
    "grace_minutes",
    "action",
    "ids",
    "token",
    "current",
    "new",
    "challenge",
    "code",
    "email_keys",
    "limit",
    "q",
    "status",
    "sort",
    "cursor",
    "from",
    "to",
    "format",
    "user",
    "group",
    "settings",
    "secrets",
    "sign",
    "type",
    "url",
    "scope",
    "environment",
    "events",
    "id",
    "application",
    "title",
    "severity",
    "rule",
    "vulnerability",
];

/// Where the fixture's webhook points: a name under `.test`, which never resolves (a Test fails at once).
const HOOK_URL: &str = "https://hooks.hostile.test/hostile";

/// Stands for the victim user's id in templates; replaced when the case is sent.
const VICTIM: &str = "__VICTIM__";
/// Replaced by a raw JSON token that no `Value` can hold (`1e400`, a 40-digit integer).
const RAW: &str = "__RAW__";

fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "\\PC{0,24}",
        4 => "[\\x00-\\x1f\\x7f-\\x9f\u{202a}-\u{202e}\u{2066}-\u{2069}a-z ]{0,24}",
        2 => ".{0,24}",
        1 => (1usize..50_000).prop_map(|n| "x".repeat(n)),
        1 => (1usize..2_000).prop_map(|n| "é🚀".repeat(n)),
        3 => prop::sample::select(vec![
            "", " ", "0", "-1", "4294967296", "99999999999999999999999", "NaN", "null", "true", "all",
            "admin", "view", "rules_admin", "custom", "nist", "totp", "email", "disable", "delete",
            "general", "ip_restrictions", "0.0.0.0/0", "::/0", "10.0.0.0/33", "a@b.co", "UTC",
            "Mars/Olympus", "yyyy-MM-dd", "00000000-0000-0000-0000-000000000000", VICTIM, RAW,
            "2026-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "\u{0}", "\u{1b}[2J", "\u{202e}",
        ])
        .prop_map(str::to_owned),
    ]
}

fn hostile_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<u32>().prop_map(Value::from),
        (0u32..200).prop_map(Value::from),
        (u32::MAX - 100..=u32::MAX).prop_map(Value::from),
        prop::sample::select(vec![
            json!(0),
            json!(-1),
            json!(u32::MAX),
            json!(u64::from(u32::MAX) + 1),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(1e308),
            json!(0.5),
        ]),
    ]
}

fn hostile_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        2 => hostile_number(),
        4 => hostile_string().prop_map(Value::String),
    ]
}

fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(FIELDS).prop_map(str::to_owned),
        1 => "[a-z_]{0,12}",
        1 => hostile_string(),
    ]
}

fn hostile_value() -> impl Strategy<Value = Value> {
    hostile_leaf().prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..8).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid-looking body of a route, to be made hostile one value at a time.
fn template(route: &Route, method: &str) -> Option<Value> {
    let victim = json!(VICTIM);
    let value = match (route.path, method) {
        (routes::LOGIN, _) => json!({ "email": "nobody@hostile.example", "password": "not the password" }),
        (routes::MFA, _) => json!({ "challenge": "no-such-challenge", "code": "123456" }),
        (routes::MFA_EMAIL, _) => json!({ "challenge": "no-such-challenge" }),
        (routes::ME_TOTP_CONFIRM | routes::ME_EMAIL_CONFIRM, _) => json!({ "code": "123456" }),
        (routes::ACTIVATE, _) => json!({ "token": "no-such-token", "password": "a new password 2026" }),
        (routes::ME_REAUTH, _) => json!({ "password": "not the password", "code": "123456" }),
        (routes::ME_PASSWORD, _) => json!({ "current": "not the password", "new": "another password 2026" }),
        (routes::SETTINGS, "PUT") => json!({
            "name": "Acme", "timezone": "UTC", "date_format": "yyyy-MM-dd", "auto_license_environments": ["production"],
            "strength": "custom", "min_length": 12, "min_upper": 1, "min_lower": 1, "min_digits": 1, "min_symbols": 1,
            "history": 3, "lockout_attempts": 10, "expiration_days": 90,
            "rules": [{ "cidr": "0.0.0.0/0", "label": "all" }, { "cidr": "::/0", "label": "all" }],
            "enabled": false, "methods": ["totp"],
            "idle_minutes": 30, "absolute_minutes": 720, "email_keys": true,
        }),
        (routes::USERS, "POST") => json!({
            "email": "hostile@acme.example", "first_name": "Host", "last_name": "Ile", "default_group": "view",
            "groups": [], "api_only": false,
        }),
        (routes::USERS_BULK, _) => json!({ "action": "disable", "ids": [victim] }),
        (routes::USER, "PATCH") => {
            json!({ "first_name": "Vic", "last_name": "Tim", "default_group": "edit", "groups": [] })
        }
        (routes::GROUPS, "POST") | (routes::GROUP, "PATCH") => json!({
            "name": "Hostile group",
            "app_access": [{ "applications": "all", "role": "view" }],
            "members": [victim],
        }),
        (routes::API_KEYS, "POST") => json!({ "user_id": victim }),
        (routes::API_KEY_ROTATE | routes::API_KEY_EMAIL | routes::AGENT_KEY_ROTATE | routes::ORG_KEY_ROTATE, _) => {
            json!({ "grace_minutes": 10 })
        }
        (routes::INTEGRATIONS, "POST") => json!({
            "name": "Hostile hook", "enabled": true, "applications": { "scope": "all" },
            "settings": { "type": "webhook", "url": HOOK_URL }, "sign": true,
        }),
        (routes::INTEGRATION, "PATCH") => json!({
            "name": "Hostile rename", "enabled": false, "settings": { "type": "webhook", "url": HOOK_URL },
        }),
        (routes::AGENT_KEYS, "POST") => json!({ "name": "Hostile agent", "environment": "qa" }),
        (routes::AGENT_EVENTS, _) => json!({
            "environment": "development",
            "events": [
                {
                    "id": "hostile-1", "type": "new_vulnerability", "application": "Hostile app", "title": "SQL injection",
                    "severity": "high", "rule": "sql-injection", "occurred_at": "2026-01-01T00:00:00Z",
                },
                {
                    "id": "hostile-2", "type": "new_comment", "application": "Hostile app", "vulnerability": "hostile-1",
                    "author": "Ann", "text": "seen",
                },
                {
                    "id": "hostile-3", "type": "vulnerable_library", "application": "Hostile app", "library": "log4j-core",
                    "version": "2.14.1", "cves": ["CVE-2021-44228"], "cvss": 10.0,
                },
            ],
        }),
        (_, "GET" | "DELETE") => return None,
        _ => json!({}),
    };
    Some(value)
}

/// Every path to a value inside `v` (object keys and array indexes), the root included.
fn value_paths(v: &Value, at: Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(at.clone());
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                let mut p = at.clone();
                p.push(json!(k));
                value_paths(child, p, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let mut p = at.clone();
                p.push(json!(i));
                value_paths(child, p, out);
            }
        }
        _ => {}
    }
}

fn slot<'a>(root: &'a mut Value, path: &[Value]) -> &'a mut Value {
    path.iter().fold(root, |v, step| match step {
        Value::String(k) => &mut v[k.as_str()],
        Value::Number(i) => &mut v[i.as_u64().unwrap() as usize],
        _ => unreachable!(),
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(prop::sample::Index, Value),
    Remove(prop::sample::Index),
    Insert(String, Value),
    Whole(Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        6 => (any::<prop::sample::Index>(), hostile_value()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        2 => any::<prop::sample::Index>().prop_map(Mutation::Remove),
        2 => (field_name(), hostile_value()).prop_map(|(k, v)| Mutation::Insert(k, v)),
        1 => hostile_value().prop_map(Mutation::Whole),
    ]
}

fn mutate(mut doc: Value, mutations: &[Mutation]) -> Value {
    for m in mutations {
        let mut paths = Vec::new();
        value_paths(&doc, Vec::new(), &mut paths);
        match m {
            Mutation::Replace(i, v) => *slot(&mut doc, &paths[i.index(paths.len())]) = v.clone(),
            Mutation::Remove(i) => {
                let path = &paths[i.index(paths.len())];
                if let Some((last, parent)) = path.split_last() {
                    match (slot(&mut doc, parent), last) {
                        (Value::Object(map), Value::String(k)) => drop(map.remove(k)),
                        (Value::Array(items), Value::Number(n)) => drop(items.remove(n.as_u64().unwrap() as usize)),
                        _ => {}
                    }
                }
            }
            Mutation::Insert(k, v) => {
                if let Value::Object(map) = &mut doc {
                    map.insert(k.clone(), v.clone());
                }
            }
            Mutation::Whole(v) => doc = v.clone(),
        }
    }
    doc
}

/// A body: a mutated template, random JSON, or bytes no JSON parser accepts.
fn body(template: Option<Value>, csv: bool) -> BoxedStrategy<Option<Vec<u8>>> {
    let raw_token = prop::sample::select(vec![
        "1e400",
        "-1e400",
        "1234567890123456789012345678901234567890",
        "-0",
    ]);
    let from_template = {
        let template = template.clone().unwrap_or(json!({}));
        (prop::collection::vec(mutation(), 1..4), raw_token).prop_map(move |(ms, raw)| {
            let text = serde_json::to_string(&mutate(template.clone(), &ms)).unwrap();
            Some(text.replace(&format!("\"{RAW}\""), raw).into_bytes())
        })
    };
    let csv_text = if csv {
        "email,first_name,last_name,group\nnew@acme.example,New,Person,View\n"
    } else {
        "{}"
    };
    let broken = prop_oneof![
        Just(None),
        Just(Some(Vec::new())),
        hostile_value().prop_map(|v| Some(serde_json::to_vec(&v).unwrap())),
        (1usize..20_000).prop_map(|d| Some(format!("{}{}", "[".repeat(d), "]".repeat(d)).into_bytes())),
        (1usize..5_000).prop_map(|d| Some(format!("{}1{}", "{\"a\":".repeat(d), "}".repeat(d)).into_bytes())),
        prop::collection::vec(any::<u8>(), 0..512).prop_map(Some),
        (any::<prop::sample::Index>(), prop::collection::vec(0x80u8..=0xff, 1..4)).prop_map(move |(i, bad)| {
            let mut bytes = csv_text.as_bytes().to_vec();
            let at = i.index(bytes.len() + 1);
            bytes.splice(at..at, bad);
            Some(bytes)
        }),
        Just(Some(vec![b' '; 1_100_000])),
    ];
    if template.is_some() || csv {
        prop_oneof![3 => from_template, 2 => broken].boxed()
    } else {
        broken.boxed()
    }
}

fn percent_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(b) {
                char::from(*b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn query() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        3 => hostile_string().prop_map(|s| percent_encode(s.as_bytes())),
        1 => prop::collection::vec(any::<u8>(), 0..16).prop_map(|b| percent_encode(&b)),
        1 => hostile_number().prop_map(|n| n.to_string()),
    ];
    let pair = (field_name().prop_map(|k| percent_encode(k.as_bytes())), value).prop_map(|(k, v)| format!("{k}={v}"));
    prop_oneof![
        // At most 16 KB: the client refuses a URI over 64 KiB before sending it.
        3 => prop::collection::vec(pair, 0..5).prop_map(|pairs| {
            let mut query = pairs.join("&");
            query.truncate(16_000);
            query
        }),
        1 => prop::sample::select(vec!["", "&&&", "=", "limit", "limit=", "%zz", "q=%", "a=1=2", "limit=1&limit=2"])
            .prop_map(str::to_owned),
    ]
}

fn param(real: bool) -> impl Strategy<Value = Param> {
    let hostile = prop_oneof![
        hostile_string().prop_map(|s| {
            let mut segment = percent_encode(s.as_bytes());
            segment.truncate(16_000);
            segment
        }),
        Just(Uuid::nil().to_string()),
        Just(Uuid::from_u128(7).to_string()),
        (1usize..3_000).prop_map(|n| "9".repeat(n)),
        prop::sample::select(vec![
            "..",
            "%2e%2e",
            "%00",
            "%2F",
            "all",
            "general",
            "enable",
            "reset_password"
        ])
        .prop_map(str::to_owned),
    ]
    .prop_map(Param::Hostile);
    if real {
        prop_oneof![3 => any::<prop::sample::Index>().prop_map(Param::Real), 2 => hostile].boxed()
    } else {
        hostile.boxed()
    }
}

fn case(route: &'static Route, method: &'static str) -> impl Strategy<Value = Case> {
    let placeholders = route.path.matches('{').count();
    // A real user action is fine (the victim is disabled, reset, deleted); a real session id is never known.
    let params = (0..placeholders)
        .map(|i| {
            let name = route.path.split('{').nth(i + 1).unwrap().split('}').next().unwrap();
            param(name != "session_id")
        })
        .collect::<Vec<_>>();
    let csv = route.csv;
    let content_type = prop_oneof![
        6 => Just(Some(if csv { "text/csv" } else { "application/json" }.to_owned())),
        1 => Just(None),
        1 => prop::sample::select(vec![
            "text/csv", "application/json", "application/json; charset=utf-16", "application/merge-patch+json",
            "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "*/*", ";;;",
        ])
        .prop_map(|s| Some(s.to_owned())),
    ];
    let if_match = prop_oneof![
        2 => Just(IfMatch::Current),
        1 => Just(IfMatch::Absent),
        1 => prop::sample::select(vec![
            "\"1\"", "W/\"1\"", "*", "\"-1\"", "\"0\"", "\"9223372036854775807\"", "\"99999999999999999999\"",
            "garbage", "\"\"", "W/", "1, 2",
        ])
        .prop_map(|s| IfMatch::Raw(s.to_owned())),
    ];
    let token = prop_oneof![
        8 => Just(Token::Normal),
        1 => Just(Token::Missing),
        1 => prop::sample::select(vec!["x", "od_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Bearer", "%%%"])
            .prop_map(|s| Token::Garbage(s.to_owned())),
    ];
    (
        params,
        query(),
        content_type,
        if_match,
        token,
        body(template(route, method), csv && method == "POST"),
    )
        .prop_map(move |(params, query, content_type, if_match, token, body)| Case {
            method,
            params,
            query,
            content_type,
            if_match,
            token,
            body,
        })
}

// ---- the server and what "nothing changed" means ----

/// One table of the database file: its columns and every row (each value as `Debug` text), sorted.
#[derive(Debug, Clone, PartialEq)]
struct Table {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

/// What a refused request must leave as it was: every settings document as the API answers it (the
/// read cache included: status, body and version), and every row of every table of the database file
/// (users with their versions and lockout counts, groups, members, API keys, sessions, two-step state,
/// challenges, tokens, the mail outbox and the audit log).
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    settings: BTreeMap<&'static str, (u16, Value)>,
    tables: BTreeMap<String, Table>,
}

/// Audit actions that record a refused credential check. By design every wrong password or code is
/// audited and counted toward the lockout (`auth/login.rs`: "every outcome is audited"), so such a
/// refusal may add these entries and count the failure, and nothing else.
const FAILURE_ACTIONS: &[&str] = &[
    "auth.login_failed",
    "auth.rate_limited",
    "auth.lockout",
    "auth.mfa_failed",
    "auth.reauth_failed",
    "user.change_password_failed",
    "two_step.enrol_failed",
];

/// Columns the mail worker changes on its own while it delivers (the row itself is the request's).
const MAIL_DELIVERY: &[&str] = &["status", "attempts", "last_error", "done_at", "body"];
/// Columns a counted credential failure changes (the failure count and, at the limit, the lock).
const FAILURE_COUNT: &[&str] = &["failed_attempts", "status", "locked_at", "version", "failures"];

fn column(table: &Table, name: &str) -> Option<usize> {
    table.columns.iter().position(|c| c == name)
}

/// The rows with the named columns blanked.
fn masked(table: &Table, names: &[&str]) -> Vec<Vec<String>> {
    let idx: Vec<usize> = names.iter().filter_map(|n| column(table, n)).collect();
    let mut rows: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            for &i in &idx {
                r[i] = String::new();
            }
            r
        })
        .collect();
    rows.sort();
    rows
}

impl Snapshot {
    /// The audit entries (their `action`) in `after` that are not in `self`.
    fn new_audit_actions(&self, after: &Snapshot) -> Vec<String> {
        let (Some(b), Some(a)) = (self.tables.get("audit_log"), after.tables.get("audit_log")) else {
            return vec!["(no audit_log table)".into()];
        };
        let action = column(a, "action").unwrap();
        a.rows
            .iter()
            .filter(|r| !b.rows.contains(r))
            .map(|r| r[action].clone())
            .collect()
    }

    /// Where `after` differs from `self`, if it does. `counted_failure`: the refusal was a wrong password
    /// or code, which may add [`FAILURE_ACTIONS`] entries, count the failure (users' lockout columns,
    /// enrolment and challenge failure counts) and, at the limit, drop the locked user's sessions and
    /// challenges; every other table must stay exactly as it was.
    fn difference(&self, after: &Snapshot, counted_failure: bool) -> Option<String> {
        if self.settings != after.settings {
            return Some(format!(
                "settings documents changed:\nbefore {:?}\nafter {:?}",
                self.settings, after.settings
            ));
        }
        let names: BTreeSet<&String> = self.tables.keys().chain(after.tables.keys()).collect();
        for name in names {
            let (Some(b), Some(a)) = (self.tables.get(name), after.tables.get(name)) else {
                return Some(format!("table {name} appeared or disappeared"));
            };
            let (before_rows, after_rows) = match name.as_str() {
                "mail_outbox" => (masked(b, MAIL_DELIVERY), masked(a, MAIL_DELIVERY)),
                "users" | "email_enrolments" | "mfa_challenges" if counted_failure => {
                    (masked(b, FAILURE_COUNT), masked(a, FAILURE_COUNT))
                }
                _ => (b.rows.clone(), a.rows.clone()),
            };
            if before_rows == after_rows {
                continue;
            }
            let added: Vec<_> = after_rows.iter().filter(|r| !before_rows.contains(r)).collect();
            let removed: Vec<_> = before_rows.iter().filter(|r| !after_rows.contains(r)).collect();
            let allowed = counted_failure
                && match name.as_str() {
                    // New failure entries only (their full-text index rows with them).
                    "audit_log" => {
                        removed.is_empty()
                            && self
                                .new_audit_actions(after)
                                .iter()
                                .all(|a| FAILURE_ACTIONS.contains(&a.as_str()))
                    }
                    n if n.starts_with("audit_fts") => true,
                    // A lockout ends the user's sessions and drops a challenge tried too often.
                    "sessions" | "mfa_challenges" => added.is_empty(),
                    _ => false,
                };
            if !allowed {
                return Some(format!(
                    "table {name} changed ({:?}):\nadded {added:?}\nremoved {removed:?}",
                    b.columns
                ));
            }
        }
        None
    }
}

/// The server's default request body limit.
const BODY_LIMIT: usize = 1024 * 1024;

struct Fixture {
    s: TestServer,
    /// Hostile requests go on connections of their own: a server that refuses a body without reading it
    /// closes the connection, and the snapshots' pooled connections stay clear of that.
    hostile: reqwest::Client,
    admin: String,
    decoy_id: Uuid,
    decoy: String,
    victim: Uuid,
    group: Uuid,
    key: Uuid,
    integration: Uuid,
    /// The agent key the agent-key routes act on.
    agent_key: Uuid,
    /// The agent key the agent routes are called with.
    agent: String,
    /// An application (with a vulnerability).
    application: Uuid,
    created: u32,
    snapshot: Option<Snapshot>,
    /// How many cases got each status.
    statuses: BTreeMap<u16, u32>,
}

const DECOY: &str = "decoy@acme.example";

/// Routes that check a password or a code, whose refusals are audited and counted by design.
const CREDENTIAL_CHECKS: &[&str] = &[
    routes::LOGIN,
    routes::MFA,
    routes::MFA_EMAIL,
    routes::ACTIVATE,
    routes::ME_PASSWORD,
    routes::ME_REAUTH,
    routes::ME_TOTP_CONFIRM,
    routes::ME_EMAIL_CONFIRM,
];

fn shown_long(text: &str) -> String {
    text.chars().take(4_000).collect()
}

/// Every row of every table of the server's database (beside the running server: the server answers a
/// write only once it is committed).
fn database_rows(s: &TestServer) -> BTreeMap<String, Table> {
    s.table_rows()
        .into_iter()
        // Every login attempt counts against its address, refused or not (on PostgreSQL the buckets are
        // a table; on SQLite, memory).
        .filter(|(name, _)| name != "login_buckets")
        .map(|(name, (columns, rows))| (name, Table { columns, rows }))
        .collect()
}

impl Fixture {
    async fn start() -> Self {
        let s = TestServer::start_with(|c| c.login_attempts_per_minute = 1_000_000).await;
        let admin = s.admin_token().await;
        let decoy_id = s.add_user(DECOY, OrgRole::View);
        let decoy = s.login(DECOY, USER_PASSWORD).await;
        let mut f = Fixture {
            s,
            hostile: reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .unwrap(),
            admin,
            decoy_id,
            decoy,
            victim: Uuid::nil(),
            group: Uuid::nil(),
            key: Uuid::nil(),
            integration: Uuid::nil(),
            agent_key: Uuid::nil(),
            agent: String::new(),
            application: Uuid::nil(),
            created: 0,
            snapshot: None,
            statuses: BTreeMap::new(),
        };
        f.ensure_targets().await;
        let resp =
            f.s.post(routes::AGENT_KEYS, &f.admin, &json!({ "name": "Caller" }))
                .await;
        assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());
        f.agent = resp.json::<Value>().await.unwrap()["key"].as_str().unwrap().to_owned();
        // Its first use records when it was used (done here, so no case is charged with it) and makes the
        // application whose vulnerabilities are listed.
        let event = json!({
            "id": "fixture-1", "type": "new_vulnerability", "application": "Fixture app", "title": "XSS",
            "severity": "low", "rule": "xss",
        });
        let resp =
            f.s.request(Method::POST, routes::AGENT_EVENTS, Some(&f.agent))
                .await
                .json(&json!({ "events": [event] }))
                .send()
                .await
                .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
        let received: Value = resp.json().await.unwrap();
        f.application = received["results"][0]["stored"]["application_id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        f
    }

    async fn json(&self, path: &str) -> Value {
        let resp = self.s.get(path, &self.admin).await;
        assert_eq!(resp.status(), StatusCode::OK, "GET {path} as the admin");
        resp.json().await.unwrap()
    }

    /// The victim user, group, API key and integration, created again when a case removed them.
    async fn ensure_targets(&mut self) {
        if self.s.get(&routes::user(self.victim), &self.admin).await.status() != StatusCode::OK {
            // A well-formed case may have been accepted and tightened the policy past the fixture's
            // password: back to the defaults first.
            let path = routes::settings(routes::area::PASSWORD_POLICY);
            let current = self.json(&path).await;
            let body = serde_json::to_value(orgdeck_shared::password::PasswordPolicy::default()).unwrap();
            let resp = self
                .s
                .send(
                    Method::PUT,
                    &path,
                    &self.admin,
                    Some(&body),
                    current["version"].as_i64(),
                )
                .await;
            assert!(
                resp.status().is_success(),
                "reset the password policy: {}",
                resp.status()
            );
            self.created += 1;
            // API-only: the admin makes and rotates the keys of API-only users only.
            let mut body = new_user(&format!("victim{}@acme.example", self.created), "Vic", "Tim", "view");
            body["api_only"] = json!(true);
            self.victim = self.s.create_user_api(&self.admin, body).await.user.id;
        }
        if self.s.get(&routes::group(self.group), &self.admin).await.status() != StatusCode::OK {
            self.created += 1;
            let body = json!({ "name": format!("Target {}", self.created), "app_access": [], "members": [] });
            let resp = self.s.post(routes::GROUPS, &self.admin, &body).await;
            assert_eq!(resp.status(), StatusCode::CREATED);
            self.group = resp.json::<Value>().await.unwrap()["id"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
        }
        if self
            .s
            .get(
                &routes::INTEGRATION.replace("{id}", &self.integration.to_string()),
                &self.admin,
            )
            .await
            .status()
            != StatusCode::OK
        {
            self.created += 1;
            let body = json!({
                "name": format!("Target hook {}", self.created),
                "settings": { "type": "webhook", "url": HOOK_URL },
                "sign": true,
            });
            let resp = self.s.post(routes::INTEGRATIONS, &self.admin, &body).await;
            assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());
            self.integration = resp.json::<Value>().await.unwrap()["integration"]["id"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
        }
        let agent_keys = self.json(routes::AGENT_KEYS).await;
        let victim_agent_key = agent_keys["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["name"] == "Victim")
            .and_then(|k| k["id"].as_str());
        self.agent_key = match victim_agent_key {
            Some(id) => id.parse().unwrap(),
            None => {
                let resp = self
                    .s
                    .post(routes::AGENT_KEYS, &self.admin, &json!({ "name": "Victim" }))
                    .await;
                assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());
                resp.json::<Value>().await.unwrap()["info"]["id"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap()
            }
        };
        let keys = self.json(&format!("{}?user={}", routes::API_KEYS, self.victim)).await;
        self.key = match keys["items"][0]["id"].as_str() {
            Some(id) => id.parse().unwrap(),
            None => {
                let resp = self
                    .s
                    .post(routes::API_KEYS, &self.admin, &json!({ "user_id": self.victim }))
                    .await;
                assert_eq!(resp.status(), StatusCode::CREATED, "{}", resp.text().await.unwrap());
                resp.json::<Value>().await.unwrap()["info"]["id"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap()
            }
        };
    }

    /// The decoy's session, logged in again (unlocked and enabled first) when a case ended it.
    async fn ensure_decoy(&mut self) {
        if self.s.get(routes::ME, &self.decoy).await.status() == StatusCode::OK {
            return;
        }
        for action in ["unlock", "enable"] {
            let resp = self.s.user_action(&self.admin, self.decoy_id, action).await;
            assert!(resp.status().is_success(), "{action} the decoy: {}", resp.status());
        }
        self.decoy = self.s.login(DECOY, USER_PASSWORD).await;
        // The login is a change of its own (an audit entry, the last login).
        self.snapshot = None;
    }

    async fn snapshot(&self) -> Snapshot {
        let mut settings = BTreeMap::new();
        for area in routes::area::ALL {
            let resp = self.s.get(&routes::settings(area), &self.admin).await;
            let status = resp.status().as_u16();
            settings.insert(area, (status, resp.json().await.unwrap_or(Value::Null)));
        }
        Snapshot {
            settings,
            tables: database_rows(&self.s),
        }
    }

    /// The version of a user or group, as `GET` answers it.
    async fn version_of(&self, path: &str) -> Option<i64> {
        let resp = self.s.get(path, &self.admin).await;
        if resp.status() != StatusCode::OK {
            return None;
        }
        resp.json::<Value>().await.ok()?["version"].as_i64()
    }

    fn path(&self, route: &Route, params: &[Param]) -> String {
        let mut path = route.path.to_owned();
        for p in params {
            let start = path.find('{').unwrap();
            let end = start + path[start..].find('}').unwrap();
            let name = &path[start + 1..end];
            let value = match p {
                Param::Hostile(text) => text.clone(),
                Param::Real(i) => match (route.path, name) {
                    (_, "area") => routes::area::ALL[i.index(routes::area::ALL.len())].to_owned(),
                    (_, "action") => routes::user_action::ALL[i.index(routes::user_action::ALL.len())].to_owned(),
                    (routes::GROUP, _) => self.group.to_string(),
                    (routes::INTEGRATION | routes::INTEGRATION_TEST | routes::INTEGRATION_SIGNING_SECRET, _) => {
                        self.integration.to_string()
                    }
                    (routes::API_KEY | routes::API_KEY_ROTATE | routes::API_KEY_EMAIL, _) => self.key.to_string(),
                    (routes::AGENT_KEY | routes::AGENT_KEY_ROTATE, _) => self.agent_key.to_string(),
                    (routes::APPLICATION_VULNERABILITIES, _) => self.application.to_string(),
                    _ => self.victim.to_string(),
                },
            };
            path.replace_range(start..=end, &value);
        }
        path
    }

    /// The version `If-Match: current` stands for.
    async fn current_version(&self, route: &Route, path: &str, snap: &Snapshot) -> Option<i64> {
        match route.path {
            routes::SETTINGS => routes::area::ALL
                .iter()
                .find(|a| path.ends_with(&format!("/{a}")))
                .and_then(|a| snap.settings[a].1["version"].as_i64()),
            routes::USER => self.version_of(&routes::user(self.victim)).await,
            routes::GROUP => self.version_of(&routes::group(self.group)).await,
            routes::INTEGRATION => {
                self.version_of(&routes::INTEGRATION.replace("{id}", &self.integration.to_string()))
                    .await
            }
            _ => Some(1),
        }
    }

    /// The comparison can fail: a change through the API, a session ended, an audit entry and a settings
    /// document written are each seen.
    async fn the_snapshot_sees_changes(&mut self) {
        let before = self.snapshot().await;
        let resp = self.s.user_action(&self.admin, self.victim, "disable").await;
        assert_eq!(resp.status(), StatusCode::OK);
        let after = self.snapshot().await;
        let seen = before.difference(&after, false).expect("disabling the victim is seen");
        assert!(seen.contains("table audit_") && seen.contains("changed"), "{seen}");
        assert!(
            before.difference(&after, true).is_some(),
            "not a counted failure either"
        );
        let resp = self.s.user_action(&self.admin, self.victim, "enable").await;
        assert_eq!(resp.status(), StatusCode::OK);

        let before = self.snapshot().await;
        let general = self.s.general(&self.admin).await;
        let version = general["version"].as_i64().unwrap();
        let mut doc = general["value"].clone();
        doc["name"] = json!("Acme renamed");
        let resp = self.s.put_general(&self.admin, Some(version), &doc).await;
        assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
        let after = self.snapshot().await;
        let seen = before.difference(&after, true).expect("a settings write is seen");
        assert!(seen.contains("settings documents changed"), "{seen}");
        self.snapshot = None;
    }

    async fn check(&mut self, route: &'static Route, case: &Case) -> Result<(), TestCaseError> {
        if route.caller == Decoy {
            self.ensure_decoy().await;
        }
        let before = match self.snapshot.take() {
            Some(s) => s,
            None => self.snapshot().await,
        };
        let path = self.path(route, &case.params);
        let url = if case.query.is_empty() {
            self.s.url(&path)
        } else {
            format!("{}?{}", self.s.url(&path), case.query)
        };
        let mut req = self
            .hostile
            .request(Method::from_bytes(case.method.as_bytes()).unwrap(), &url);
        let token = match route.caller {
            Admin => Some(self.admin.clone()),
            Decoy => Some(self.decoy.clone()),
            Agent => Some(self.agent.clone()),
            Anonymous => None,
        };
        match (&case.token, token) {
            (Token::Normal, Some(t)) => req = req.bearer_auth(t),
            (Token::Garbage(g), _) => req = req.bearer_auth(g),
            _ => {}
        }
        if let Some(ct) = &case.content_type {
            req = req.header("content-type", ct);
        }
        match &case.if_match {
            IfMatch::Absent => {}
            IfMatch::Current => {
                if let Some(v) = self.current_version(route, &path, &before).await {
                    req = req.header("if-match", orgdeck_shared::etag_for(v));
                }
            }
            IfMatch::Raw(raw) => req = req.header("if-match", raw),
        }
        if let Some(body) = &case.body {
            let victim = self.victim.to_string();
            let body = if body.len() < 100_000 {
                String::from_utf8(body.clone())
                    .map(|text| text.replace(VICTIM, &victim).into_bytes())
                    .unwrap_or_else(|e| e.into_bytes())
            } else {
                body.clone()
            };
            req = req.body(body);
        }
        let shown = |t: &str| t.chars().take(300).collect::<String>();
        let oversized = case.body.as_ref().is_some_and(|b| b.len() > BODY_LIMIT);
        let (status, text) = match req.send().await {
            // A live-update stream answers for as long as the client stays: its status is the answer.
            Ok(resp)
                if resp
                    .headers()
                    .get("content-type")
                    .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream")) =>
            {
                (resp.status(), String::new())
            }
            Ok(resp) => (resp.status(), resp.text().await.unwrap_or_default()),
            // The server refuses an oversized body as soon as it knows, and may close the connection
            // while the client is still writing it: a refusal too.
            Err(e) if oversized && e.is_request() => (StatusCode::PAYLOAD_TOO_LARGE, e.to_string()),
            Err(e) => return Err(TestCaseError::fail(format!("{}: {e:?}", shown(&url)))),
        };
        *self.statuses.entry(status.as_u16()).or_default() += 1;
        prop_assert!(
            status.as_u16() < 500,
            "{} {} answered {status}: {}",
            case.method,
            shown(&url),
            shown(&text)
        );
        if status.is_client_error() {
            let after = self.snapshot().await;
            let counted_failure = CREDENTIAL_CHECKS.contains(&route.path) && {
                let new = before.new_audit_actions(&after);
                !new.is_empty() && new.iter().all(|a| FAILURE_ACTIONS.contains(&a.as_str()))
            };
            if let Some(difference) = before.difference(&after, counted_failure) {
                return Err(TestCaseError::fail(format!(
                    "{} {} was refused ({status}: {}) but changed something: {}",
                    case.method,
                    shown(&url),
                    shown(&text),
                    shown_long(&difference),
                )));
            }
            self.snapshot = Some(after);
        } else {
            // A request that succeeded may have removed a target or ended the decoy's session.
            self.ensure_targets().await;
        }
        let me = self.s.get(routes::ME, &self.admin).await.status();
        prop_assert_eq!(me, StatusCode::OK, "the admin's session survives every case");
        Ok(())
    }
}

#[test]
fn hostile_requests_never_get_a_5xx_and_refusals_change_nothing() {
    let cases: u32 = std::env::var("ORGDECK_HOSTILE_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fixture = RefCell::new(rt.block_on(Fixture::start()));
    rt.block_on(fixture.borrow_mut().the_snapshot_sees_changes());
    for route in ROUTES.iter() {
        for &method in &route.methods {
            let mut runner = TestRunner::new(Config {
                cases,
                failure_persistence: None,
                max_shrink_iters: 64,
                ..Config::default()
            });
            let result = runner.run(&case(route, method), |case| {
                let mut fixture = fixture.borrow_mut();
                rt.block_on(fixture.check(route, &case))
            });
            if let Err(e) = result {
                panic!("{method} {}: {e}", route.path);
            }
        }
    }
    let fixture = fixture.into_inner();
    let statuses = &fixture.statuses;
    eprintln!(
        "statuses of {} hostile requests: {statuses:?}",
        statuses.values().sum::<u32>()
    );
    let refused: u32 = statuses
        .iter()
        .filter(|(s, _)| (400..500).contains(*s))
        .map(|(_, n)| n)
        .sum();
    assert!(refused > 0, "some requests were refused and compared");
    rt.block_on(fixture.s.handle.shutdown());
}
