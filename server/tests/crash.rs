//! A crashed server loses no acknowledged write: the real binary is killed with SIGKILL right after
//! answering, and a new process finds every acknowledged change.

use std::{
    io::{BufRead, BufReader, Write},
    process::{Child, Command, Stdio},
    time::Duration,
};

use orgdeck_shared::{
    Versioned, etag_for,
    general::GeneralSettings,
    routes::{self, area},
};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_orgdeck-server");
const PASSWORD: &str = "crash test admin passphrase";

/// Starts `orgdeck-server serve` on a free port and returns it with its base URL (read from its first line).
fn serve(data_dir: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(BIN)
        .args(["serve", "--data-dir"])
        .arg(data_dir)
        .args(["--listen", "127.0.0.1:0", "--log-level", "warn"])
        .env_remove("ORGDECK_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start orgdeck-server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the first line");
    let url = line.trim().rsplit(' ').next().expect("an address").to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "unexpected first line {line:?}");
    (child, url)
}

#[tokio::test]
async fn acknowledged_writes_survive_a_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut init = Command::new(BIN)
        .args(["init", "--data-dir"])
        .arg(dir.path())
        .args(["--org", "Crashy", "--admin-email", "admin@crashy.example"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    init.stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(init.wait().unwrap().success(), "init reads the password from stdin");

    let (mut server, url) = serve(dir.path());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let login: serde_json::Value = http
        .post(format!("{url}{}", routes::LOGIN))
        .json(&json!({"email": "admin@crashy.example", "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = login["token"].as_str().unwrap().to_owned();
    let settings_url = format!("{url}{}", routes::settings(area::GENERAL));
    let doc: Versioned<GeneralSettings> = http
        .get(&settings_url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut version = doc.version;
    let mut value = doc.value;
    for i in 0..20 {
        value.name = format!("Crashy {i}");
        let resp = http
            .put(&settings_url)
            .bearer_auth(&token)
            .header("if-match", etag_for(version))
            .json(&value)
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success(), "write {i}: {}", resp.status());
        version = resp.json::<Versioned<GeneralSettings>>().await.unwrap().version;
    }
    server.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.wait().unwrap();

    let (mut server, url) = serve(dir.path());
    let resp = http
        .get(format!("{url}{}", routes::settings(area::GENERAL)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_success(),
        "the session survived the crash too: {}",
        resp.status()
    );
    let after: Versioned<GeneralSettings> = resp.json().await.unwrap();
    assert_eq!((after.version, after.value.name.as_str()), (version, "Crashy 19"));
    let audit: serde_json::Value = http
        .get(format!("{url}{}?q=settings.update&limit=100", routes::AUDIT))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        audit["items"].as_array().unwrap().len(),
        20,
        "every acknowledged change kept its audit entry"
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
