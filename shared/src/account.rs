//! One's own account: the rules one's password must meet, one's sessions. Every role has these; the
//! password change itself is `users::endpoints::ChangePassword`, the second factor `auth::endpoints`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One of the caller's own live sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MySession {
    pub id: String,
    #[schemars(with = "crate::schema::Timestamp")]
    pub created_at: Timestamp,
    #[schemars(with = "crate::schema::Timestamp")]
    pub last_seen_at: Timestamp,
    /// The absolute end (the idle end may come sooner).
    #[schemars(with = "crate::schema::Timestamp")]
    pub expires_at: Timestamp,
    pub ip: String,
    /// The session that asked.
    pub current: bool,
}

/// The routes of one's own account.
pub mod endpoints {
    use super::*;
    use crate::{password::PasswordPolicy, routes::*};

    crate::endpoints! {
        /// The password policy one's own new password must meet (answers also while a change is required).
        MyPasswordPolicy: Get ME_PASSWORD_POLICY, Session, params (), query (), body () => PasswordPolicy;
        /// One's own live sessions, newest first, this one marked.
        MySessions: Get ME_SESSIONS, Session, params (), query (), body () => Vec<MySession>;
        /// Ends one of one's own sessions (ending this one logs out).
        EndMySession: Delete ME_SESSION, Session, params String, query (), body () => (), status 204;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<MyPasswordPolicy>();
        v.visit::<MySessions>();
        v.visit::<EndMySession>();
    }
}
