//! One's own account: the rules one's password must meet, one's sessions. Every role has these; the
//! password change itself is `users::endpoints::ChangePassword`, the second factor `auth::endpoints`.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One of the caller's own live sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MySession {
    pub id: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    /// The absolute end (the idle end may come sooner).
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

    pub(crate) fn describe(out: &mut Vec<crate::endpoint::Described>) {
        use crate::endpoint::describe as d;
        out.extend([d::<MyPasswordPolicy>(), d::<MySessions>(), d::<EndMySession>()]);
    }
}
