//! The typed HTTP client of the orgdeck API, on the shared endpoints and wire types. Every failure becomes
//! the shared [`ApiError`]: the server's error body, or code `network` when the server could not be reached.

mod call;
mod events;
mod security;
mod types;

pub use call::{Answer, Call, Owner, OwnerMsg, Payload, SaveTo};
pub use events::StreamEvent;
pub use orgdeck_shared::audit::AuditExportFormat as ExportFormat;
pub use security::{ExportReport, SecurityArea, SecurityDoc, export_format_of_path};
pub use types::{Created, NewUserRequest, PageTag, UserAction};

use std::{
    path::Path,
    sync::{Arc, RwLock},
    time::Duration,
};

use anyhow::Context;
use orgdeck_shared::{
    ApiError, ErrorCode,
    auth::{Secret, endpoints::Logout},
    endpoint::{self, Endpoint},
};
use reqwest::{Method, RequestBuilder, StatusCode, header};
use serde::de::DeserializeOwned;

/// A client of one server. Cheap to clone; clones share the session token.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: String,
    token: Arc<RwLock<Option<Secret>>>,
}

impl ApiClient {
    /// A client of the server at `base_url`, trusting `ca_cert` (a PEM file) besides the system roots.
    pub fn new(base_url: &str, ca_cert: Option<&Path>) -> anyhow::Result<ApiClient> {
        let builder = || {
            reqwest::Client::builder()
                .user_agent(concat!("orgdeck-console/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(30))
        };
        let http = match ca_cert {
            None => builder().build()?,
            Some(path) => {
                let pem =
                    std::fs::read(path).with_context(|| format!("reading the CA certificate {}", path.display()))?;
                let certs = reqwest::Certificate::from_pem_bundle(&pem)
                    .with_context(|| format!("{} holds no PEM certificate", path.display()))?;
                // Some platform verifiers cannot merge extra roots; then trust only the profile's CA.
                match builder().tls_certs_merge(certs.clone()).build() {
                    Ok(c) => c,
                    Err(_) => builder().tls_certs_only(certs).build()?,
                }
            }
        };
        Ok(ApiClient {
            http,
            base: base_url.trim_end_matches('/').to_owned(),
            token: Arc::default(),
        })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn set_token(&self, token: Option<Secret>) {
        *self.token.write().expect("token lock") = token;
    }

    pub fn has_token(&self) -> bool {
        self.token.read().expect("token lock").is_some()
    }

    pub(crate) fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let token = self.token.read().expect("token lock").clone();
        self.request_as(method, path, token.as_ref())
    }

    /// A request carrying `token`, whatever token the client holds now.
    fn request_as(&self, method: Method, path: &str, token: Option<&Secret>) -> RequestBuilder {
        let rb = self.http.request(method, format!("{}{}", self.base, path));
        match token {
            Some(token) => rb.bearer_auth(token.expose()),
            None => rb,
        }
    }

    /// Sends one request and reads its whole answer: the body on success, the error otherwise.
    async fn send_bytes(&self, rb: RequestBuilder) -> Result<Vec<u8>, ApiError> {
        let response = rb.send().await.map_err(network_error)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(network_error)?;
        if status.is_success() {
            Ok(bytes.to_vec())
        } else {
            Err(error_from_body(status, &bytes))
        }
    }

    /// The request of one call: method, path, token, `If-Match`, body (a CSV file is read here).
    async fn build(&self, call: &Call) -> Result<RequestBuilder, ApiError> {
        let mut rb = self.request(method(call.method), &call.path);
        if let Some(version) = call.if_match {
            rb = rb.header(header::IF_MATCH, orgdeck_shared::etag_for(version));
        }
        rb = match &call.payload {
            Payload::None => rb,
            Payload::Json(v) => rb.json(v),
            Payload::CsvFile(path) => {
                let csv = tokio::fs::read(expand_home(path))
                    .await
                    .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("cannot read {path}: {e}")))?;
                rb.header(header::CONTENT_TYPE, "text/csv").body(csv)
            }
        };
        Ok(rb)
    }

    /// Performs a call of the console: its typed answer, for the app to hand to the call's owner.
    pub async fn perform(&self, call: &Call) -> Result<Answer, ApiError> {
        let rb = self.build(call).await?;
        if let Some(save) = &call.save_to {
            return security::save_stream(rb, save).await.map(Answer::new);
        }
        let bytes = self.send_bytes(rb).await?;
        call.decode(&bytes)
    }

    /// One typed request outside the console's loop (the `login` command, tests): `E` with its values.
    pub async fn send<E: Endpoint>(
        &self,
        params: &E::Params,
        query: &E::Query,
        body: &E::Body,
    ) -> Result<E::Response, ApiError> {
        self.send_versioned::<E>(params, query, body, None).await
    }

    /// [`ApiClient::send`] based on `version` (`If-Match`), for writes that need one.
    pub async fn send_versioned<E: Endpoint>(
        &self,
        params: &E::Params,
        query: &E::Query,
        body: &E::Body,
        version: Option<i64>,
    ) -> Result<E::Response, ApiError> {
        let mut path = E::path(params);
        let q = serde_urlencoded::to_string(query)
            .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("the query cannot be sent: {e}")))?;
        if !q.is_empty() {
            path = format!("{path}?{q}");
        }
        let mut rb = self.request(method(E::METHOD), &path);
        if let Some(version) = version {
            rb = rb.header(header::IF_MATCH, orgdeck_shared::etag_for(version));
        }
        if !endpoint::is_unit::<E::Body>() {
            rb = rb.json(body);
        }
        let bytes = self.send_bytes(rb).await?;
        decode_json(&bytes)
    }

    /// Forgets the session token and returns it (logging out ends the session with it).
    pub fn take_token(&self) -> Option<Secret> {
        self.token.write().expect("token lock").take()
    }

    /// `POST auth/logout` for the session `token`, whatever token the client holds now.
    pub async fn logout_session(&self, token: &Secret) -> Result<(), ApiError> {
        let rb = self.request_as(method(Logout::METHOD), Logout::PATH, Some(token));
        self.send_bytes(rb).await.map(|_| ())
    }
}

fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let body = if bytes.is_empty() { b"null".as_slice() } else { bytes };
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            ErrorCode::Unknown,
            format!("the server answered something this console cannot read: {e}"),
        )
    })
}

pub(crate) fn method(m: endpoint::Method) -> Method {
    match m {
        endpoint::Method::Get => Method::GET,
        endpoint::Method::Post => Method::POST,
        endpoint::Method::Put => Method::PUT,
        endpoint::Method::Patch => Method::PATCH,
        endpoint::Method::Delete => Method::DELETE,
    }
}

/// `~/x.csv` is the home directory's `x.csv`, as people type it.
pub fn expand_home(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => std::path::PathBuf::from(path),
    }
}

/// Where a path typed at a prompt points, in full: `~/` is the home directory, a relative path starts at
/// the directory the console was started in ([`launch_dir`]). Messages name files by it, so nobody has to
/// guess where a file went. Reads no file: only the process's own directory.
pub fn absolute_path(path: &str) -> String {
    let path = expand_home(path.trim());
    std::path::absolute(&path).unwrap_or(path).display().to_string()
}

/// The directory relative paths start at (the one the console was started in).
pub fn launch_dir() -> String {
    std::env::current_dir().map_or_else(|_| ".".to_owned(), |d| d.display().to_string())
}

pub(crate) fn network_error(e: reqwest::Error) -> ApiError {
    let what = if e.is_timeout() {
        "the server did not answer in time"
    } else if e.is_connect() {
        "cannot connect to the server"
    } else {
        "the connection to the server failed"
    };
    // The innermost cause says why (refused, DNS, certificate) without the URL's query.
    let mut cause: &dyn std::error::Error = &e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    ApiError::new(ErrorCode::Network, format!("{what}: {cause}"))
}

/// The server's error body, or one made from the status when the body is not an `ApiError`.
pub(crate) fn error_from_body(status: StatusCode, body: &[u8]) -> ApiError {
    if let Ok(e) = serde_json::from_slice::<ApiError>(body) {
        return e;
    }
    let code = match status.as_u16() {
        400 => ErrorCode::BadRequest,
        401 => ErrorCode::Unauthorized,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::NotFound,
        405 => ErrorCode::MethodNotAllowed,
        409 => ErrorCode::Conflict,
        412 => ErrorCode::VersionMismatch,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        422 => ErrorCode::ValidationFailed,
        428 => ErrorCode::PreconditionRequired,
        429 => ErrorCode::TooManyRequests,
        503 => ErrorCode::Unavailable,
        504 => ErrorCode::Timeout,
        500 => ErrorCode::Internal,
        _ => ErrorCode::Unknown,
    };
    let reason = status.canonical_reason().unwrap_or("error");
    ApiError::new(code, format!("the server answered {} {reason}", status.as_u16()))
}

/// Whether an error means the session is gone and the user must log in again.
pub fn needs_login(e: &ApiError) -> bool {
    matches!(e.code, ErrorCode::SessionExpired | ErrorCode::Unauthorized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_map_to_api_errors_and_others_to_the_status() {
        let e = error_from_body(
            StatusCode::PRECONDITION_FAILED,
            br#"{"code":"version_mismatch","message":"stale"}"#,
        );
        assert_eq!(e.code, ErrorCode::VersionMismatch);
        assert_eq!(e.message, "stale");
        let e = error_from_body(StatusCode::BAD_GATEWAY, b"<html>proxy</html>");
        assert_eq!(e.code, ErrorCode::Unknown);
        assert!(e.message.contains("502"));
        assert_eq!(
            error_from_body(StatusCode::UNAUTHORIZED, b"").code,
            ErrorCode::Unauthorized
        );
    }

    #[tokio::test]
    async fn an_unreachable_server_is_a_network_error() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let client = ApiClient::new(&format!("http://{addr}"), None).unwrap();
        let e = client
            .send::<orgdeck_shared::auth::endpoints::GetMe>(&(), &(), &())
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::Network);
    }
}
