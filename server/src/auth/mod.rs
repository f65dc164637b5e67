//! Who the caller is: sessions, and the extractors that turn a bearer token into a caller.
//!
//! Authorization is a type. A handler that takes [`OrgAdmin`] runs only for a live session of an admin of
//! the session's organization; every settings route takes it. [`AuthUser`] is any live session.

pub mod agent;
pub mod email_code;
pub mod login;
pub mod password;
pub mod rate_limit;
pub mod reauth;
pub mod token;
pub mod totp;
pub mod two_step;

use axum::{
    extract::FromRequestParts,
    http::{Method, header, request::Parts},
};
use jiff::{SignedDuration, Timestamp};
use orgdeck_shared::{
    api_keys,
    audit::AuditActor,
    auth::{MeTwoStep, OrgRole, Secret},
    routes,
    security::{IpRestrictions, SessionSettings, TwoStepMethod},
};
use uuid::Uuid;

use crate::{
    error::{AppError, Internal},
    http::client_ip::ClientIp,
    state::AppState,
    store::{SessionView, UserStatus},
};

/// `last_seen_at` (and a key's `last_used_at`) is written only when it moved at least this much, to keep
/// authenticated reads cheap: an agent reporting every few seconds costs one write a minute. Idle expiry
/// is therefore exact to within this step.
pub(crate) const TOUCH_STEP: SignedDuration = SignedDuration::from_secs(60);

/// A caller with a live session or a valid API key.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub org_name: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub role: OrgRole,
    pub client_ip: ClientIp,
    /// An admin asked for a new password: the user must change theirs (`POST me/password`).
    pub must_change_password: bool,
    /// Two-step methods offered and enrolled; while `must_enrol`, only `GET me`, the enrolment routes and
    /// logout answer.
    pub two_step: MeTwoStep,
    /// How the caller proved who they are.
    pub credential: Credential,
}

/// The credential of a request.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A logged-in session.
    Session {
        /// The stored hash of the session token (never the token).
        token_hash: Secret,
        /// The absolute end of the session.
        expires_at: Timestamp,
        /// When the session ends without further requests.
        idle_expires_at: Timestamp,
    },
    /// An API key (`od_...`): acts as its holder, without a session.
    ApiKey { key_id: Uuid, prefix: String },
}

impl AuthUser {
    /// This caller as the actor of an audit entry.
    pub fn actor(&self) -> AuditActor {
        AuditActor {
            user_id: Some(self.user_id),
            email: self.email.clone(),
        }
    }
}

/// The bearer token of the request, if it sent one.
pub(crate) fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Applies the organization's current session timeouts (read with the session), so a change of
/// `settings/sessions` governs sessions opened before it from their next request on.
fn apply_timeouts(view: &mut SessionView) -> Result<(), AppError> {
    let Some(doc) = view.sessions_doc.as_deref() else {
        return Ok(());
    };
    let settings: SessionSettings =
        serde_json::from_str(doc).map_err(|e| AppError::Internal(Internal::stored("sessions settings", e)))?;
    view.idle_timeout = SignedDuration::from_mins(i64::from(settings.idle_minutes));
    if let Ok(end) = view
        .created_at
        .checked_add(SignedDuration::from_mins(i64::from(settings.absolute_minutes)))
    {
        view.expires_at = end;
    }
    Ok(())
}

/// The organization's IP allow-list (read with the session) refuses `ip`: 403 naming the address.
pub fn check_ip(ip_doc: Option<&str>, ip: ClientIp) -> Result<(), AppError> {
    let Some(doc) = ip_doc else { return Ok(()) };
    let rules: IpRestrictions =
        serde_json::from_str(doc).map_err(|e| AppError::Internal(Internal::stored("ip restrictions", e)))?;
    if rules.allows(ip.0) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "access from your address {ip} is not allowed by your organization's IP restrictions"
        )))
    }
}

/// While a password change is required (expired, or reset by an admin), only these answer.
fn allowed_before_password_change(method: &Method, path: &str) -> bool {
    (method == Method::GET && (path == routes::ME || path == routes::ME_PASSWORD_POLICY))
        || (method == Method::POST && (path == routes::ME_PASSWORD || path == routes::LOGOUT))
}

/// While two-step enrolment is required, only these answer.
fn allowed_before_enrolment(method: &Method, path: &str) -> bool {
    (method == Method::GET && path == routes::ME)
        || (method == Method::POST
            && [
                routes::ME_TOTP,
                routes::ME_TOTP_CONFIRM,
                routes::ME_EMAIL_CODE,
                routes::ME_EMAIL_CONFIRM,
                routes::LOGOUT,
            ]
            .contains(&path))
}

/// The caller's two-step state: what the organization offers, what the user enrolled in, and whether
/// they must enrol (required, and none of their methods is one the organization allows).
fn two_step_state(view: &SessionView) -> Result<MeTwoStep, AppError> {
    let s = two_step::parse_settings(view.two_step_doc.as_deref())?;
    let available = if s.enabled { s.methods.clone() } else { Vec::new() };
    let enrolled = view.two_step_methods.clone();
    let must_enrol = s.required && !available.is_empty() && !enrolled.iter().any(|m| available.contains(m));
    Ok(MeTwoStep {
        available,
        enrolled,
        must_enrol,
    })
}

/// What a user who must enrol is told: the ways the organization offers.
fn enrol_first(available: &[TwoStepMethod]) -> String {
    let ways: Vec<&str> = available
        .iter()
        .map(|m| match m {
            TwoStepMethod::Totp => "an authenticator app (POST me/two_step/totp, then confirm with a code)",
            TwoStepMethod::Email => "email codes (POST me/two_step/email, then confirm with the emailed code)",
        })
        .collect();
    format!(
        "your organization requires two-step verification: enrol first with {}",
        ways.join(" or ")
    )
}

/// Checks a session at `now`: expired, or its user may no longer use it.
fn check_session(view: &SessionView, now: Timestamp) -> Result<(), AppError> {
    if view.has_ended(now) {
        return Err(AppError::SessionExpired);
    }
    if !view.user_enabled || view.user_status != UserStatus::Active {
        return Err(AppError::Unauthorized);
    }
    Ok(())
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let client_ip = ClientIp::from_request_parts(parts, state).await?;
        let token = bearer(parts).ok_or(AppError::Unauthorized)?;
        // Session tokens are 43 characters, keys 41 with a checksum: the two never meet.
        if api_keys::well_formed(token) {
            return from_api_key(state, token, client_ip).await;
        }
        let token_hash = token::hash_token(token);
        let mut view = state.store.session(&token_hash).await?.ok_or(AppError::Unauthorized)?;
        let now = state.clock.now();
        apply_timeouts(&mut view)?;
        check_session(&view, now)?;
        check_ip(view.ip_doc.as_deref(), client_ip)?;
        if view.must_change_password && !allowed_before_password_change(&parts.method, parts.uri.path()) {
            return Err(AppError::PasswordChangeRequired);
        }
        let two_step = two_step_state(&view)?;
        if two_step.must_enrol
            && !view.must_change_password
            && !allowed_before_enrolment(&parts.method, parts.uri.path())
        {
            return Err(AppError::Forbidden(enrol_first(&two_step.available)));
        }
        if now.duration_since(view.last_seen_at) >= TOUCH_STEP {
            let mut tx = state.store.begin_org(view.org_id).await?;
            tx.touch_session(&token_hash, now).await?;
            tx.commit().await?;
            view.last_seen_at = now;
        }
        let credential = Credential::Session {
            idle_expires_at: view.idle_expires_at(),
            expires_at: view.expires_at,
            token_hash: Secret::new(token_hash),
        };
        Ok(AuthUser {
            user_id: view.user_id,
            org_id: view.org_id,
            org_name: view.org_name,
            email: view.email,
            first_name: view.first_name,
            last_name: view.last_name,
            role: view.role,
            client_ip,
            must_change_password: view.must_change_password,
            two_step,
            credential,
        })
    }
}

/// A request with an API key: the holder must still be allowed in, from an address the organization
/// allows, and a replaced key only until its grace period ends.
/// Whether the credential of a request made earlier (a live-update stream's) still holds: the session still
/// exists, has not timed out and its address is still allowed; a key still authenticates. Never moves a
/// session's last-seen time (a console left open must still time out).
pub async fn still_valid(state: &AppState, parts: &Parts) -> bool {
    let Some(token) = bearer(parts) else { return false };
    let Some(client_ip) = parts.extensions.get::<ClientIp>().copied() else {
        return false;
    };
    if api_keys::well_formed(token) {
        return from_api_key(state, token, client_ip).await.is_ok();
    }
    let token_hash = token::hash_token(token);
    let Ok(Some(mut view)) = state.store.session(&token_hash).await else {
        return false;
    };
    apply_timeouts(&mut view).is_ok()
        && check_session(&view, state.clock.now()).is_ok()
        && check_ip(view.ip_doc.as_deref(), client_ip).is_ok()
}

/// Whether `token` is a user's credential that holds now (a live session, or a personal key in force),
/// read without touching either: the agent routes tell such a caller "not with this credential" (403)
/// rather than "no credential" (401).
pub(crate) async fn holds_user_credential(state: &AppState, token: &str) -> Result<bool, AppError> {
    let hash = token::hash_token(token);
    let now = state.clock.now();
    if api_keys::well_formed(token) {
        let Some(caller) = state.store.api_key_caller(&hash).await? else {
            return Ok(false);
        };
        return Ok(caller.replaced_until.is_none_or(|end| end > now)
            && caller.user_enabled
            && caller.user_status == UserStatus::Active);
    }
    let Some(mut view) = state.store.session(&hash).await? else {
        return Ok(false);
    };
    apply_timeouts(&mut view)?;
    Ok(check_session(&view, now).is_ok())
}

async fn from_api_key(state: &AppState, key: &str, client_ip: ClientIp) -> Result<AuthUser, AppError> {
    let key_hash = token::hash_token(key);
    let caller = state
        .store
        .api_key_caller(&key_hash)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let now = state.clock.now();
    if caller.replaced_until.is_some_and(|end| end <= now)
        || !caller.user_enabled
        || caller.user_status != UserStatus::Active
    {
        return Err(AppError::Unauthorized);
    }
    check_ip(caller.ip_doc.as_deref(), client_ip)?;
    if caller
        .last_used_at
        .is_none_or(|at| now.duration_since(at) >= TOUCH_STEP)
    {
        let mut tx = state.store.begin_org(caller.org_id).await?;
        tx.touch_api_key(caller.key_id, now).await?;
        tx.commit().await?;
    }
    Ok(AuthUser {
        user_id: caller.user_id,
        org_id: caller.org_id,
        org_name: caller.org_name,
        email: caller.email,
        first_name: caller.first_name,
        last_name: caller.last_name,
        role: caller.role,
        client_ip,
        must_change_password: false,
        two_step: MeTwoStep::default(),
        credential: Credential::ApiKey {
            key_id: caller.key_id,
            prefix: caller.prefix,
        },
    })
}

/// A caller with a logged-in session, not an API key: for what only a person at a console may do
/// (log out, change the password, enrol in two-step), so a leaked key cannot take over the account.
#[derive(Debug, Clone)]
pub struct SessionUser {
    user: AuthUser,
    token_hash: Secret,
}

impl SessionUser {
    pub fn user(&self) -> &AuthUser {
        &self.user
    }

    /// The stored hash of the session token.
    pub fn token_hash(&self) -> &Secret {
        &self.token_hash
    }
}

impl std::ops::Deref for SessionUser {
    type Target = AuthUser;

    fn deref(&self) -> &AuthUser {
        &self.user
    }
}

impl FromRequestParts<AppState> for SessionUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        match &user.credential {
            Credential::Session { token_hash, .. } => Ok(SessionUser {
                token_hash: token_hash.clone(),
                user,
            }),
            Credential::ApiKey { .. } => Err(AppError::Forbidden(
                "an API key cannot do this: it needs a logged-in session".into(),
            )),
        }
    }
}

/// An admin of the session's organization. Only this extractor can make one.
#[derive(Debug, Clone)]
pub struct OrgAdmin(AuthUser);

impl OrgAdmin {
    pub fn user(&self) -> &AuthUser {
        &self.0
    }

    pub fn org_id(&self) -> Uuid {
        self.0.org_id
    }
}

impl OrgAdmin {
    /// The one place a caller becomes an admin: for routes open to everyone where admins do more (their
    /// own key for anyone, any key for an admin), the admin part takes this type.
    pub fn of(user: &AuthUser) -> Result<OrgAdmin, AppError> {
        if user.role == OrgRole::Admin {
            Ok(OrgAdmin(user.clone()))
        } else {
            Err(AppError::Forbidden("only organization admins may do this".into()))
        }
    }
}

/// An admin of the organization at a logged-in session, never a key: for handing out and revoking the
/// organization's agent credentials (keys never manage keys, and only admins manage agents).
#[derive(Debug, Clone)]
pub struct SessionAdmin(SessionUser);

impl SessionAdmin {
    pub fn user(&self) -> &AuthUser {
        self.0.user()
    }

    pub fn org_id(&self) -> Uuid {
        self.0.org_id
    }
}

impl FromRequestParts<AppState> for SessionAdmin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = SessionUser::from_request_parts(parts, state).await?;
        OrgAdmin::of(&user)?;
        Ok(SessionAdmin(user))
    }
}

impl FromRequestParts<AppState> for OrgAdmin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        OrgAdmin::of(&user)
    }
}
