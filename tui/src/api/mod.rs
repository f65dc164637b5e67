//! The typed HTTP client of the orgdeck API, on the shared wire types. Every failure becomes the
//! shared [`ApiError`]: the server's error body, or code `network` when the server could not be reached.

mod api_keys;
mod request;
mod security;
mod users;

pub use orgdeck_shared::audit::AuditExportFormat as ExportFormat;
pub use request::{Created, NewUserRequest, PageTag, Reply, Request, UserAction, UserList};
pub use security::{ExportReport, SecurityArea, SecurityDoc, audit_query_string, export_format_of_path};
pub use users::query_string;

use std::{
    path::Path,
    sync::{Arc, RwLock},
    time::Duration,
};

use anyhow::Context;
use orgdeck_shared::{
    ApiError, ErrorCode, Versioned,
    auth::{
        BackupCodes, EmailCodeConfirm, EmailCodeSent, LoginRequest, LoginResponse, Me, MfaEmailRequest, MfaRequest,
        ReauthGranted, ReauthRequest, Secret, TotpConfirm, TotpEnrollment,
    },
    general::GeneralSettings,
    licensing::LicenseSummary,
    routes,
};
use reqwest::{Method, RequestBuilder, StatusCode, header};
use serde::{Serialize, de::DeserializeOwned};

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

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
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

    async fn send<T: DeserializeOwned>(&self, rb: RequestBuilder) -> Result<(T, Option<String>), ApiError> {
        let response = rb.send().await.map_err(network_error)?;
        let status = response.status();
        let etag = response
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = response.bytes().await.map_err(network_error)?;
        if status.is_success() {
            let body = if bytes.is_empty() { b"null".as_slice() } else { &bytes };
            let value = serde_json::from_slice(body).map_err(|e| {
                ApiError::new(
                    ErrorCode::Unknown,
                    format!("the server answered something this console cannot read: {e}"),
                )
            })?;
            Ok((value, etag))
        } else {
            Err(error_from_body(status, &bytes))
        }
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, ApiError> {
        let mut rb = self.request(method, path);
        if let Some(body) = body {
            rb = rb.json(body);
        }
        self.send(rb).await.map(|(v, _)| v)
    }

    pub async fn login(&self, email: &str, password: &Secret) -> Result<LoginResponse, ApiError> {
        let body = LoginRequest {
            email: email.to_owned(),
            password: password.clone(),
        };
        self.call(Method::POST, routes::LOGIN, Some(&body)).await
    }

    pub async fn mfa(&self, challenge: &Secret, code: &Secret) -> Result<LoginResponse, ApiError> {
        let body = MfaRequest {
            challenge: challenge.clone(),
            code: code.clone(),
        };
        self.call(Method::POST, routes::MFA, Some(&body)).await
    }

    /// Emails (again) a code for a login challenge; 429 when asked again too soon.
    pub async fn mfa_email(&self, challenge: &Secret) -> Result<EmailCodeSent, ApiError> {
        let body = MfaEmailRequest {
            challenge: challenge.clone(),
        };
        self.call(Method::POST, routes::MFA_EMAIL, Some(&body)).await
    }

    pub async fn logout(&self) -> Result<(), ApiError> {
        let _: serde_json::Value = self.call::<(), _>(Method::POST, routes::LOGOUT, None).await?;
        Ok(())
    }

    /// Forgets the session token and returns it (logging out ends the session with it).
    pub fn take_token(&self) -> Option<Secret> {
        self.token.write().expect("token lock").take()
    }

    /// `POST auth/logout` for the session `token`, whatever token the client holds now.
    pub async fn logout_session(&self, token: &Secret) -> Result<(), ApiError> {
        let rb = self.request_as(Method::POST, routes::LOGOUT, Some(token));
        let _: (serde_json::Value, _) = self.send(rb).await?;
        Ok(())
    }

    pub async fn me(&self) -> Result<Me, ApiError> {
        self.call::<(), _>(Method::GET, routes::ME, None).await
    }

    /// A settings document with its version (from the body, or the `ETag` when the body lacks it).
    pub async fn get_settings<T: DeserializeOwned>(&self, area: &str) -> Result<Versioned<T>, ApiError> {
        let (v, _etag): (Versioned<T>, _) = self.send(self.request(Method::GET, &routes::settings(area))).await?;
        Ok(v)
    }

    /// Writes a settings document over the version it was read at (`If-Match`).
    pub async fn put_settings<T: Serialize + DeserializeOwned>(
        &self,
        area: &str,
        version: i64,
        value: &T,
    ) -> Result<Versioned<T>, ApiError> {
        let rb = self
            .request(Method::PUT, &routes::settings(area))
            .header(header::IF_MATCH, orgdeck_shared::etag_for(version))
            .json(value);
        self.send(rb).await.map(|(v, _)| v)
    }

    pub async fn general(&self) -> Result<Versioned<GeneralSettings>, ApiError> {
        self.get_settings(routes::area::GENERAL).await
    }

    pub async fn put_general(
        &self,
        version: i64,
        value: &GeneralSettings,
    ) -> Result<Versioned<GeneralSettings>, ApiError> {
        self.put_settings(routes::area::GENERAL, version, value).await
    }

    /// Starts TOTP enrolment of the logged-in user: the secret and its `otpauth://` URI.
    pub async fn enrol_totp(&self) -> Result<TotpEnrollment, ApiError> {
        self.call::<(), _>(Method::POST, routes::ME_TOTP, None).await
    }

    /// Finishes TOTP enrolment with a current code; answers the ten backup codes.
    pub async fn confirm_totp(&self, code: &Secret) -> Result<BackupCodes, ApiError> {
        let body = TotpConfirm { code: code.clone() };
        self.call(Method::POST, routes::ME_TOTP_CONFIRM, Some(&body)).await
    }

    /// Starts email enrolment of the logged-in user: a code goes to their own address.
    pub async fn enrol_email(&self) -> Result<EmailCodeSent, ApiError> {
        self.call::<(), _>(Method::POST, routes::ME_EMAIL_CODE, None).await
    }

    /// Finishes email enrolment with the emailed code; answers the ten backup codes.
    pub async fn confirm_email(&self, code: &Secret) -> Result<BackupCodes, ApiError> {
        let body = EmailCodeConfirm { code: code.clone() };
        self.call(Method::POST, routes::ME_EMAIL_CONFIRM, Some(&body)).await
    }

    /// `POST me/two_step/reauth`: fresh proof before changing the second factor.
    pub async fn reauth(&self, password: &Secret, code: Option<&Secret>) -> Result<ReauthGranted, ApiError> {
        let body = ReauthRequest {
            password: password.clone(),
            code: code.cloned(),
        };
        self.call(Method::POST, routes::ME_REAUTH, Some(&body)).await
    }

    /// `POST me/two_step/reauth/email`: a code for fresh proof, to one's own address.
    pub async fn reauth_email(&self) -> Result<EmailCodeSent, ApiError> {
        self.call::<(), _>(Method::POST, routes::ME_REAUTH_EMAIL, None).await
    }

    pub async fn licenses(&self) -> Result<LicenseSummary, ApiError> {
        self.call::<(), _>(Method::GET, routes::LICENSES, None).await
    }

    /// Runs one request of the console and wraps its answer as the reply the app expects.
    pub async fn execute(&self, request: &Request) -> Reply {
        match request {
            Request::Me => Reply::Me(self.me().await),
            Request::Login { email, password } => Reply::Login(self.login(email, password).await),
            Request::Mfa { challenge, code } => Reply::Login(self.mfa(challenge, code).await),
            Request::MfaEmail { challenge } => Reply::EmailCodeSent(self.mfa_email(challenge).await),
            Request::Logout => Reply::LoggedOut(self.logout().await),
            Request::GetGeneral => Reply::General(self.general().await),
            Request::PutGeneral { version, value } => Reply::GeneralSaved(self.put_general(*version, value).await),
            Request::GetLicenses => Reply::Licenses(self.licenses().await),
            Request::GetPasswordPolicy => Reply::PasswordPolicy(self.password_policy().await),
            Request::ListUsers { query, .. } => Reply::Users(self.users(query).await),
            Request::GetUser(id) => Reply::User(self.user(*id).await),
            Request::GetUserAccess(id) => Reply::UserAccess(self.user_access(*id).await),
            Request::CreateUser(new) => Reply::UserCreated(self.create_user(new).await),
            Request::UpdateUser { id, version, patch } => Reply::User(self.update_user(*id, *version, patch).await),
            Request::DeleteUser(id) => Reply::UserDeleted(self.delete_user(*id).await),
            Request::UserAction { id, action } => Reply::User(self.user_action(*id, *action).await),
            Request::BulkUsers(req) => Reply::Bulk(self.bulk_users(req).await),
            Request::ImportUsers { path } => Reply::Imported(self.import_users(path).await),
            Request::ListGroups => Reply::Groups(self.groups().await),
            Request::CreateGroup(input) => Reply::GroupSaved(self.create_group(input).await),
            Request::UpdateGroup { id, version, input } => {
                Reply::GroupSaved(self.update_group(*id, *version, input).await)
            }
            Request::DeleteGroup(id) => Reply::GroupDeleted(self.delete_group(*id).await),
            Request::ListApplications => Reply::Applications(self.applications().await),
            Request::GetSecurity(area) => Reply::Security(self.security(*area).await),
            Request::PutSecurity { version, value } => Reply::SecuritySaved(self.put_security(*version, value).await),
            Request::SearchAudit { query, .. } => Reply::Audit(self.audit(query).await),
            Request::ExportAudit {
                query,
                format,
                path,
                overwrite,
            } => Reply::Exported(self.export_audit(query, *format, path, *overwrite).await),
            Request::ListSessions(user) => Reply::Sessions(self.user_sessions(*user).await),
            Request::EndSessions { user, session } => {
                Reply::SessionsEnded(self.end_sessions(*user, session.as_deref()).await)
            }
            Request::EnrolTotp => Reply::TotpEnrollment(self.enrol_totp().await),
            Request::ConfirmTotp { code } => Reply::Enrolled(self.confirm_totp(code).await),
            Request::EnrolEmail => Reply::EmailCodeSent(self.enrol_email().await),
            Request::ReauthEmail => Reply::EmailCodeSent(self.reauth_email().await),
            Request::ConfirmEmail { code } => Reply::Enrolled(self.confirm_email(code).await),
            Request::Reauth { password, code } => Reply::Reauthed(self.reauth(password, code.as_ref()).await),
            Request::ListApiKeys { cursor, limit, .. } => {
                Reply::ApiKeys(self.api_keys(cursor.as_deref(), *limit).await)
            }
            Request::CreateApiKey { user } => Reply::NewApiKey(self.create_api_key(*user).await),
            Request::RotateApiKey { id, grace_minutes } => {
                Reply::NewApiKey(self.rotate_api_key(*id, *grace_minutes).await)
            }
            Request::EmailApiKey(id) => Reply::ApiKeyEmailed(self.email_api_key(*id).await),
            Request::RevokeApiKey(id) => Reply::ApiKeyRevoked(self.revoke_api_key(*id).await),
            Request::GetApiKeySettings => Reply::ApiKeySettings(self.api_key_settings().await),
            Request::PutApiKeySettings { version, value } => {
                Reply::ApiKeySettings(self.put_api_key_settings(*version, value).await)
            }
        }
    }
}

fn network_error(e: reqwest::Error) -> ApiError {
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
fn error_from_body(status: StatusCode, body: &[u8]) -> ApiError {
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
        let e = client.me().await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Network);
    }
}
