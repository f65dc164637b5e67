//! Scenarios across the server and the shared contract: how two admins share the General settings.

use anyhow::Result;
use orgdeck_shared::{
    ApiError, ErrorCode, Page, Versioned, audit::AuditEntry, auth::OrgRole, general::GeneralSettings, routes,
};
use orgdeck_tests::fixture::TestServer;
use reqwest::StatusCode;

async fn read(server: &TestServer, token: &str) -> Result<(Versioned<GeneralSettings>, String)> {
    let resp = server
        .http
        .get(server.url(&routes::settings("general")))
        .bearer_auth(token)
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::OK);
    let etag = resp.headers()["etag"].to_str()?.to_owned();
    Ok((resp.json().await?, etag))
}

async fn write(
    server: &TestServer,
    token: &str,
    version: i64,
    value: &GeneralSettings,
) -> Result<(StatusCode, serde_json::Value)> {
    let resp = server
        .http
        .put(server.url(&routes::settings("general")))
        .bearer_auth(token)
        .header("if-match", orgdeck_shared::etag_for(version))
        .json(value)
        .send()
        .await?;
    Ok((resp.status(), resp.json().await?))
}

#[tokio::test]
async fn two_admins_never_silently_overwrite_each_other() -> Result<()> {
    let server = TestServer::start().await?;
    let alice = server.admin_token().await?;
    let bob = server
        .user_token("bob@acme.example", "bob's long enough passphrase", OrgRole::Admin)
        .await?;

    let (alice_doc, etag) = read(&server, &alice).await?;
    assert_eq!(etag, alice_doc.etag(), "the ETag is the version");
    let (bob_doc, _) = read(&server, &bob).await?;

    let mut alices = alice_doc.value.clone();
    alices.name = "Acme Security EU".into();
    let (status, body) = write(&server, &alice, alice_doc.version, &alices).await?;
    assert_eq!(status, StatusCode::OK);
    let saved: Versioned<GeneralSettings> = serde_json::from_value(body)?;
    assert_eq!(saved.version, alice_doc.version + 1);

    let mut bobs = bob_doc.value.clone();
    bobs.timezone = "Europe/Paris".into();
    let (status, body) = write(&server, &bob, bob_doc.version, &bobs).await?;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "bob's stale write is refused");
    assert_eq!(
        serde_json::from_value::<ApiError>(body)?.code,
        ErrorCode::VersionMismatch
    );

    let (fresh, _) = read(&server, &bob).await?;
    assert_eq!(
        fresh.value.name, "Acme Security EU",
        "bob sees alice's change after reloading"
    );
    let mut bobs = fresh.value.clone();
    bobs.timezone = "Europe/Paris".into();
    let (status, _) = write(&server, &bob, fresh.version, &bobs).await?;
    assert_eq!(status, StatusCode::OK);

    let (last, _) = read(&server, &alice).await?;
    assert_eq!(
        (last.value.name.as_str(), last.value.timezone.as_str()),
        ("Acme Security EU", "Europe/Paris")
    );

    let resp = server
        .http
        .get(server.url(routes::AUDIT))
        .bearer_auth(&alice)
        .send()
        .await?;
    let page: Page<AuditEntry> = resp.json().await?;
    let updates: Vec<&AuditEntry> = page.items.iter().filter(|e| e.action == "settings.update").collect();
    assert_eq!(updates.len(), 2, "one audit entry per accepted write");
    assert_eq!(updates[0].actor.email, "bob@acme.example", "newest first");
    assert_eq!(updates[0].changes[0].field, "timezone");
    assert_eq!(updates[1].actor.email, "admin@acme.example");
    assert_eq!(updates[1].changes[0].field, "name");
    assert_eq!(updates[1].changes[0].new, "Acme Security EU");
    server.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_viewer_cannot_read_or_change_settings() -> Result<()> {
    let server = TestServer::start().await?;
    let viewer = server
        .user_token("vera@acme.example", "vera's long enough passphrase", OrgRole::View)
        .await?;
    for path in [
        routes::settings("general"),
        routes::LICENSES.to_owned(),
        routes::AUDIT.to_owned(),
    ] {
        let resp = server.http.get(server.url(&path)).bearer_auth(&viewer).send().await?;
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(resp.json::<ApiError>().await?.code, ErrorCode::Forbidden);
    }
    let resp = server
        .http
        .get(server.url(routes::ME))
        .bearer_auth(&viewer)
        .send()
        .await?;
    assert_eq!(resp.status(), StatusCode::OK, "a viewer may still ask who they are");
    server.stop().await;
    Ok(())
}
