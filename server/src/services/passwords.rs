//! Every password that is set (account creation, invitation, own change) goes through
//! [`accept_password`]: the organization's policy with its context words, the reuse check against the
//! last `history` passwords, then the hash; and [`record_password`] once it is saved.

use orgdeck_shared::{FieldError, auth::Secret, password::PasswordContext};
use uuid::Uuid;

use super::users::hash_password;
use crate::{
    error::{AppError, AppResult},
    state::AppState,
    store::WriteTx,
};

/// Who the password is for.
pub struct PasswordOwner<'a> {
    pub org_id: Uuid,
    /// `None` for an account not created yet (no history).
    pub user_id: Option<Uuid>,
    pub email: &'a str,
    pub org_name: &'a str,
    /// The hash in use now, refused as well when the policy keeps a history.
    pub current_hash: Option<&'a str>,
}

/// Checks `password` (sent as `field`) for `owner`; returns its hash.
pub async fn accept_password(
    state: &AppState,
    owner: &PasswordOwner<'_>,
    field: &str,
    password: &Secret,
) -> AppResult<String> {
    let policy = state.store.password_policy(owner.org_id).await?;
    let ctx = PasswordContext {
        email: owner.email,
        org_name: owner.org_name,
    };
    policy
        .check_field(field, password.expose(), ctx)
        .map_err(|e| AppError::Validation(vec![e]))?;
    if policy.history > 0
        && let Some(user_id) = owner.user_id
    {
        let mut earlier = state.store.password_history(user_id, policy.history).await?;
        if let Some(current) = owner.current_hash
            && !earlier.iter().any(|h| h == current)
        {
            earlier.push(current.to_owned());
        }
        // Each argon2 verify runs on the blocking pool (bounded by the verifier's permits).
        for hash in &earlier {
            if state.passwords.verify(password, Some(hash)).await? {
                return Err(AppError::Validation(vec![FieldError::new(
                    field,
                    format!(
                        "was used recently: choose one that is not among your last {} passwords",
                        policy.history
                    ),
                )]));
            }
        }
    }
    hash_password(password).await
}

/// The password of `user_id` was saved with `hash`: its time (for expiry) and history.
pub async fn record_password(tx: &mut dyn WriteTx, user_id: Uuid, hash: &str, at: jiff::Timestamp) -> AppResult<()> {
    tx.record_password_change(user_id, hash, at).await?;
    Ok(())
}
