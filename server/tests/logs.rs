//! No secret reaches the logs: every log line of a login and an authenticated request is captured at
//! TRACE level and searched for the password and the token. Request lines name the method and the route's
//! path, never the query string (search terms, emails), the ids in the path or the body.

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
    let search = format!("{}?q=secret-term-4711&limit=5", routes::USERS);
    assert_eq!(s.get(&search, &token).await.status(), StatusCode::OK);
    let audit = format!("{}?q=someone%40private.example", routes::AUDIT);
    assert_eq!(s.get(&audit, &token).await.status(), StatusCode::OK);
    // A user who never logs in: their id appears in no log line of their own.
    let dana = s.add_user("dana@acme.example", orgdeck_shared::auth::OrgRole::View);
    let user = routes::user(dana);
    assert_eq!(s.get(&user, &token).await.status(), StatusCode::OK);
    let body = serde_json::json!({ "name": "body-marker-0815", "app_access": [], "members": ["x"] });
    assert_eq!(
        s.post(routes::GROUPS, &token, &body).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

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

    let span = |method: &str, route: &str| format!("request{{method=\"{method}\" route=\"{route}\"}}");
    for (method, route, what) in [
        ("GET", "/api/v1/users", "the route's path, without the query"),
        ("GET", "/api/v1/audit", "the route's path, without the query"),
        ("GET", "/api/v1/users/{id}", "the route's template, not the path"),
        ("POST", "/api/v1/groups", "the method and the route, not the body"),
        ("GET", "/api/v1/nowhere", "an unknown path as it is"),
    ] {
        assert!(
            logs.contains(&span(method, route)),
            "{what}: {method} {route} in {logs}"
        );
    }
    for private in [
        "secret-term-4711",
        "someone",
        "limit=5",
        "body-marker-0815",
        &dana.to_string(),
    ] {
        assert!(!logs.contains(private), "{private} is in the logs: {logs}");
    }
}
