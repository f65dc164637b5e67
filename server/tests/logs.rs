//! No secret reaches the logs: every log line of a login and an authenticated request is captured at
//! TRACE level and searched for the password and the token.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use orgdeck_shared::routes;
use reqwest::StatusCode;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_password_or_token_appears_in_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();

    let s = TestServer::start().await;
    let wrong = "a wrong password typed 2026";
    assert_eq!(s.login_raw(ADMIN_EMAIL, wrong).await.status(), StatusCode::UNAUTHORIZED);
    let token = s.admin_token().await;
    assert_eq!(s.get(routes::ME, &token).await.status(), StatusCode::OK);
    assert_eq!(s.get("/api/v1/nowhere", &token).await.status(), StatusCode::NOT_FOUND);

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("orgdeck_server::auth::login"),
        "the capture works: {logs}"
    );
    assert!(!logs.contains(ADMIN_PASSWORD));
    assert!(!logs.contains(wrong));
    assert!(!logs.contains(&token));
    let hash = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(token.as_bytes());
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    assert!(!logs.contains(&hash));
    assert!(!logs.contains("$argon2id$"));
}
