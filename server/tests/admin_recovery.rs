//! `orgdeck-server admin create`: recovery for an organization with no admin who can log in, run as the
//! operator would (the binary, the password on stdin), and refused while an admin can still log in.

mod common;

use std::{
    io::Write,
    process::{Command, Stdio},
};

use common::*;
use orgdeck_shared::{ErrorCode, auth::OrgRole, routes};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_orgdeck-server");
const NEW_PASSWORD: &str = "recovered admin password 2026";

/// Runs `orgdeck-server admin create` with the password on stdin; answers (success, stdout + stderr).
/// `orgdeck-server admin create` on the server's database (its data directory, or its PostgreSQL database
/// through the environment, as an operator gives it).
fn admin_create(s: &TestServer, org: &str, email: &str) -> (bool, String) {
    let mut command = Command::new(BIN);
    command
        .args(["admin", "create", "--org", org, "--email", email, "--data-dir"])
        .arg(s.dir.path())
        .env_remove("ORGDECK_DATABASE_URL");
    if let orgdeck_server::Database::Postgres(url) = &s.db {
        command.env("ORGDECK_DATABASE_URL", url);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{NEW_PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test]
async fn an_organization_whose_only_admin_is_locked_out_gets_one_back() {
    let s = TestServer::start_with(|c| c.login_attempts_per_minute = 1000).await;
    let admin = s.admin_token().await;
    // While the admin can log in, recovery is refused and changes nothing.
    let (ok, text) = admin_create(&s, "Acme", "rescue@acme.example");
    assert!(!ok, "{text}");
    assert!(text.contains("still has 1 admin"), "{text}");
    refused(s.login_raw("rescue@acme.example", NEW_PASSWORD).await).await;
    // The admin locks themselves out with wrong passwords (the policy locks after ten, for 10 minutes;
    // with 0 minutes only an admin could unlock).
    let path = routes::settings("password_policy");
    let doc: Value = s.get(&path, &admin).await.json().await.unwrap();
    let mut policy = doc["value"].clone();
    policy["lockout_minutes"] = json!(0);
    let resp = s
        .send(Method::PUT, &path, &admin, Some(&policy), doc["version"].as_i64())
        .await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    for _ in 0..10 {
        refused(s.login_raw(ADMIN_EMAIL, "guess guess guess guess").await).await;
    }
    refused(s.login_raw(ADMIN_EMAIL, ADMIN_PASSWORD).await).await;
    // The operator makes the locked admin usable again (unlocked, new password).
    let (ok, text) = admin_create(&s, "acme", ADMIN_EMAIL);
    assert!(ok, "{text}");
    assert!(text.contains("admin again"), "{text}");
    refused(s.login_raw(ADMIN_EMAIL, ADMIN_PASSWORD).await).await;
    let token = s.login(ADMIN_EMAIL, NEW_PASSWORD).await;
    let me: Value = s.get(routes::ME, &token).await.json().await.unwrap();
    assert_eq!(me["role"], "admin");
    let audit = s.audit(&token).await;
    let entry = audit
        .iter()
        .find(|e| e.action == "user.recover_admin")
        .expect("audited");
    assert_eq!(entry.actor.email, "system");
}

#[tokio::test]
async fn recovery_creates_a_new_admin_and_never_crosses_organizations() {
    let s = TestServer::start().await;
    s.add_org("Beta", "admin@beta.example");
    let bob = s.add_user("bob@acme.example", OrgRole::View);
    let admin = s.admin_token().await;
    // The only admin is disabled from the command line (no admin left who can log in).
    let me: Value = s.get(routes::ME, &admin).await.json().await.unwrap();
    let admin_id = me["user"]["id"].as_str().unwrap().parse().unwrap();
    orgdeck_server::disable_user(&s.db, admin_id, &s.clock).unwrap();
    // An email of another organization is refused; an unknown organization too.
    let (ok, text) = admin_create(&s, "Acme", "admin@beta.example");
    assert!(!ok && text.contains("another organization"), "{text}");
    let (ok, text) = admin_create(&s, "Gamma", "x@gamma.example");
    assert!(!ok && text.contains("no organization named"), "{text}");
    let (ok, text) = admin_create(&s, "Acme", "rescue@acme.example");
    assert!(ok, "{text}");
    let token = s.login("rescue@acme.example", NEW_PASSWORD).await;
    // The new admin administers Acme, not Beta.
    let user = s.get(&routes::user(bob), &token).await;
    assert_eq!(user.status(), StatusCode::OK);
    let beta = s.login("admin@beta.example", ADMIN_PASSWORD).await;
    let err = api_error(s.get(&routes::user(bob), &beta).await, StatusCode::NOT_FOUND).await;
    assert_eq!(err.code, ErrorCode::NotFound);
}
