//! Rules every route shares: the one error body, limits, headers, health.

mod common;

use common::*;
use orgdeck_shared::{ErrorCode, routes};
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn an_unknown_route_answers_404_with_the_error_body() {
    let s = TestServer::start().await;
    let resp = s
        .request(Method::GET, "/api/v1/nowhere", None)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(api_error(resp, StatusCode::NOT_FOUND).await.code, ErrorCode::NotFound);
    let resp = s.request(Method::GET, "/", None).await.send().await.unwrap();
    assert_eq!(api_error(resp, StatusCode::NOT_FOUND).await.code, ErrorCode::NotFound);
}

#[tokio::test]
async fn a_wrong_method_answers_405_with_the_error_body() {
    let s = TestServer::start().await;
    let resp = s
        .request(Method::DELETE, routes::LOGIN, None)
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(
        api_error(resp, StatusCode::METHOD_NOT_ALLOWED).await.code,
        ErrorCode::MethodNotAllowed
    );
}

#[tokio::test]
async fn bad_bodies_get_400_415_and_413_with_the_error_body() {
    let s = TestServer::start().await;
    let post = |ct: &'static str, body: Vec<u8>| {
        s.http
            .post(s.url(routes::LOGIN))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let err = api_error(
        post("application/json", b"{\"email\":".to_vec()).await.unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(err.code, ErrorCode::BadRequest);
    let err = api_error(
        post("text/plain", b"{}".to_vec()).await.unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    assert_eq!(err.code, ErrorCode::UnsupportedMediaType);
    let err = api_error(
        post("application/json", b"{}".to_vec()).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(err.fields[0].field, "email");
    let big = vec![b' '; 2 * 1024 * 1024];
    let err = api_error(
        post("application/json", big).await.unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    assert_eq!(err.code, ErrorCode::PayloadTooLarge);
}

#[tokio::test]
async fn health_needs_no_login_and_answers_carry_security_headers() {
    let s = TestServer::start().await;
    let resp = s.request(Method::GET, routes::HEALTH, None).await.send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["cache-control"], "no-store");
    assert!(h.get("strict-transport-security").is_none(), "no HSTS over plain HTTP");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let s = TestServer::start().await;
    let url = s.url(routes::HEALTH);
    s.handle.shutdown().await;
    assert!(reqwest::Client::new().get(url).send().await.is_err());
}
