//! The data directory is private and served by one `serve` at a time: created 0700, the database, its WAL
//! and SHM files, the secret key and the outbox 0600 whatever the umask; a second `serve` on the same
//! directory refuses to start and says why, while the admin commands (`org create`) keep working.

#![cfg(unix)]

mod common;

use std::{
    io::{BufRead, BufReader, Read, Write},
    os::unix::fs::PermissionsExt,
    path::Path,
    process::{Child, Command, Stdio},
    time::Duration,
};

use common::{mail::wait_for_outbox, *};
use orgdeck_shared::routes;
use reqwest::StatusCode;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_orgdeck-server");
const PASSWORD: &str = "data dir admin passphrase";

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// `orgdeck-server ARGS` with umask 000, so a file it does not make private itself comes out 0666.
fn open_umask(args: &[&str], data_dir: &Path) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 000; exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("ORGDECK_CONFIG")
        .env_remove("ORGDECK_SECRET_KEY")
        .env_remove("ORGDECK_DATA_DIR");
    cmd
}

/// An organization created by the binary, the password on stdin.
fn create_org(subcommand: &[&str], data_dir: &Path, org: &str, admin: &str) -> std::process::Output {
    let mut args = subcommand.to_vec();
    args.extend(["--org", org, "--admin-email", admin]);
    let mut child = open_umask(&args, data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// `serve` on a free port: the child and its base URL (its first line).
fn serve(data_dir: &Path) -> (Child, String) {
    let mut child = open_umask(&["serve", "--listen", "127.0.0.1:0", "--log-level", "warn"], data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "unexpected first line {line:?}");
    (child, url)
}

async fn login(http: &reqwest::Client, url: &str, email: &str) -> String {
    let resp = http
        .post(format!("{url}{}", routes::LOGIN))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "login of {email}");
    let body: Value = resp.json().await.unwrap();
    body["token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn every_file_is_private_whatever_the_umask_and_a_second_serve_is_refused() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("orgdeck");
    let out = create_org(&["init"], &dir, "Private", "admin@private.example");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(mode(&dir), 0o700, "init creates the data directory 0700");
    assert_eq!(mode(&dir.join("orgdeck.db")), 0o600, "init creates the database 0600");

    let (mut server, url) = serve(&dir);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let token = login(&http, &url, "admin@private.example").await;
    // A write (the WAL), and a code mail (the outbox).
    let resp = http
        .put(format!("{url}{}", routes::settings("two_step")))
        .bearer_auth(&token)
        .header("if-match", "\"1\"")
        .json(&json!({ "enabled": true, "methods": ["email"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    let resp = http
        .post(format!("{url}{}", routes::ME_EMAIL_CODE))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK, "{}", resp.text().await.unwrap());
    wait_for_outbox(&dir, 1).await;

    for file in [
        "orgdeck.db",
        "orgdeck.db-wal",
        "orgdeck.db-shm",
        "secret.key",
        "write.gen",
        "serve.lock",
    ] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("outbox")), 0o700);
    for mail in std::fs::read_dir(dir.join("outbox")).unwrap() {
        assert_eq!(mode(&mail.unwrap().path()), 0o600, "an outbox message");
    }

    // A second `serve` on the same directory refuses to start and names it.
    let mut second = open_umask(&["serve", "--listen", "127.0.0.1:0", "--log-level", "warn"], &dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let end = std::time::Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > end {
            second.kill().unwrap();
            panic!("the second serve did not stop within 20 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    second.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let mut stdout = String::new();
    second.stdout.take().unwrap().read_to_string(&mut stdout).unwrap();
    assert!(!status.success(), "the second serve started: {stdout}");
    assert!(stdout.is_empty(), "the second serve never listened: {stdout}");
    assert!(stderr.contains("already serving"), "{stderr}");
    assert!(
        stderr.contains(&dir.display().to_string()),
        "the message names the directory: {stderr}"
    );

    // The admin commands still work on the served directory, and the running server sees their writes.
    let out = create_org(&["org", "create"], &dir, "Second", "admin@second.example");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    login(&http, &url, "admin@second.example").await;
    assert_eq!(
        http.get(format!("{url}{}", routes::ME))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "the first server still serves"
    );

    server.kill().unwrap();
    server.wait().unwrap();
}

#[tokio::test]
async fn a_second_server_in_one_process_is_refused_until_the_first_stops_and_loose_files_are_tightened() {
    let s = TestServer::start_on_sqlite().await;
    let mut config = orgdeck_server::ServerConfig::new(s.dir.path());
    config.listen = "127.0.0.1:0".parse().unwrap();
    let err = match orgdeck_server::spawn(config.clone()).await {
        Ok(_) => panic!("two servers on one data directory"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("already serving"), "{err}");
    assert!(err.contains(&s.dir.path().display().to_string()), "{err}");

    // While it serves, an operator command changes the database and the server sees it.
    let token = s.admin_token().await;
    s.add_user("carol@acme.example", orgdeck_shared::auth::OrgRole::View);
    s.login("carol@acme.example", USER_PASSWORD).await;
    assert_eq!(s.get(routes::ME, &token).await.status(), StatusCode::OK);

    // A database from an older version, readable by everyone, is made private by the next start.
    let db = s.dir.path().join("orgdeck.db");
    let TestServer { handle, dir, .. } = s;
    handle.shutdown().await;
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(dir.path().join("secret.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let again = orgdeck_server::spawn(config)
        .await
        .expect("the lock is free once the first server stopped");
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&dir.path().join("secret.key")), 0o600);
    again.shutdown().await;
}
