//! Agents' callers: an agent key or the organization key, and only on the agent routes. The extractor
//! [`AgentCaller`] is the one way a handler learns of an agent, and it accepts nothing else: a session or
//! a personal key is refused (403), as any credential the agent tables do not hold is (401). The user
//! extractors look keys up among personal keys only, so an agent key reaches nothing else (401).

use axum::{extract::FromRequestParts, http::request::Parts};
use orgdeck_shared::{api_keys, audit::AuditActor, general::Environment};
use uuid::Uuid;

use super::{TOUCH_STEP, bearer, check_ip, holds_user_credential, token};
use crate::{
    error::AppError,
    http::client_ip::ClientIp,
    state::AppState,
    store::{AgentKeyCaller, AgentKeyKind},
};

/// A request made with an agent key or the organization key of `org_id`.
#[derive(Debug, Clone)]
pub struct AgentCaller {
    pub key_id: Uuid,
    pub org_id: Uuid,
    pub kind: AgentKeyKind,
    /// A named key's name.
    pub name: Option<String>,
    /// The one environment a limited key reports for.
    pub environment: Option<Environment>,
    pub prefix: String,
    pub client_ip: ClientIp,
}

impl AgentCaller {
    /// Which key reported something, as stored events and the audit log name it (never the key).
    pub fn reported_by(&self) -> String {
        match (&self.kind, &self.name) {
            (AgentKeyKind::Agent, Some(name)) => format!("agent key {name}"),
            _ => "organization key".to_owned(),
        }
    }

    /// This caller as the actor of an audit entry: no user, the key's name.
    pub fn actor(&self) -> AuditActor {
        AuditActor {
            user_id: None,
            email: self.reported_by(),
        }
    }
}

impl From<(AgentKeyCaller, ClientIp)> for AgentCaller {
    fn from((key, client_ip): (AgentKeyCaller, ClientIp)) -> Self {
        AgentCaller {
            key_id: key.key_id,
            org_id: key.org_id,
            kind: key.kind,
            name: key.name,
            environment: key.environment,
            prefix: key.prefix,
            client_ip,
        }
    }
}

/// What a session or a personal key is told on an agent route.
pub const NOT_AN_AGENT_KEY: &str =
    "the agent routes take an agent key or the organization key (admins make them at agent_keys and org_key)";

impl FromRequestParts<AppState> for AgentCaller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let client_ip = ClientIp::from_request_parts(parts, state).await?;
        let token = bearer(parts).ok_or(AppError::Unauthorized)?;
        // Agent keys have the shape of personal keys; anything else is not one.
        let key = if api_keys::well_formed(token) {
            state.store.agent_key_caller(&token::hash_token(token)).await?
        } else {
            None
        };
        let Some(key) = key else {
            return Err(if holds_user_credential(state, token).await? {
                AppError::Forbidden(NOT_AN_AGENT_KEY.into())
            } else {
                AppError::Unauthorized
            });
        };
        let now = state.clock.now();
        if key.replaced_until.is_some_and(|end| end <= now) {
            return Err(AppError::Unauthorized);
        }
        // The organization's allow-list governs every API request (SETTINGS.md section 4), agents' too.
        check_ip(key.ip_doc.as_deref(), client_ip)?;
        if key.last_used_at.is_none_or(|at| now.duration_since(at) >= TOUCH_STEP) {
            let mut tx = state.store.begin().await?;
            tx.touch_agent_key(key.key_id, now).await?;
            tx.commit().await?;
        }
        Ok(AgentCaller::from((key, client_ip)))
    }
}
