//! What the store keeps for two-step verification, and its storage trait (split from [`super::WriteTx`]
//! to keep each file small): TOTP secrets (sealed, see [`crate::secret_box`]), the methods a user
//! enrolled in, backup code hashes, login challenges, and emailed codes as keyed hashes only.

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::{auth::MfaMethod, security::TwoStepMethod};
use uuid::Uuid;

use super::StoreResult;

/// A user's TOTP state: sealed secrets and the last accepted step.
#[derive(Debug, Clone, Default)]
pub struct TotpRow {
    pub secret: Option<Vec<u8>>,
    pub pending_secret: Option<Vec<u8>>,
    pub last_step: Option<u64>,
}

/// An emailed code waiting to be entered: only its keyed hash is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCode {
    pub code_hash: String,
    pub expires_at: Timestamp,
    pub sent_at: Timestamp,
}

/// A login challenge: whose, until when, what it may be answered with, and its emailed code.
#[derive(Debug, Clone)]
pub struct MfaChallenge {
    pub user_id: Uuid,
    pub email: String,
    pub expires_at: Timestamp,
    pub methods: Vec<MfaMethod>,
    /// The current emailed code (a new one replaces it).
    pub email_code: Option<PendingCode>,
    /// Codes emailed for this challenge so far.
    pub email_sends: u32,
}

/// The stored name of a two-step method.
pub fn method_name(m: TwoStepMethod) -> &'static str {
    match m {
        TwoStepMethod::Totp => "totp",
        TwoStepMethod::Email => "email",
    }
}

pub fn parse_method(s: &str) -> Option<TwoStepMethod> {
    match s {
        "totp" => Some(TwoStepMethod::Totp),
        "email" => Some(TwoStepMethod::Email),
        _ => None,
    }
}

pub fn mfa_method_name(m: MfaMethod) -> &'static str {
    match m {
        MfaMethod::Totp => "totp",
        MfaMethod::Email => "email",
        MfaMethod::BackupCode => "backup_code",
    }
}

pub fn parse_mfa_method(s: &str) -> Option<MfaMethod> {
    match s {
        "totp" => Some(MfaMethod::Totp),
        "email" => Some(MfaMethod::Email),
        "backup_code" => Some(MfaMethod::BackupCode),
        _ => None,
    }
}

/// Two-step changes, inside a write transaction.
#[async_trait]
pub trait TwoStepWrites {
    /// The user's TOTP row (sealed secrets and last step).
    async fn totp_row(&mut self, user_id: Uuid) -> StoreResult<Option<TotpRow>>;

    /// Stores a sealed secret of an enrolment in progress (replacing an earlier pending one).
    async fn set_pending_totp(&mut self, user_id: Uuid, sealed: &[u8]) -> StoreResult<()>;

    /// Completes enrolment: pending secret active, `step` used, backup code hashes replaced, enrolled.
    async fn activate_totp(
        &mut self,
        user_id: Uuid,
        step: u64,
        backup_hashes: &[String],
        at: Timestamp,
    ) -> StoreResult<()>;

    /// Records an accepted TOTP step; false when it is not later than the last one (a replay).
    async fn advance_totp_step(&mut self, user_id: Uuid, step: u64) -> StoreResult<bool>;

    /// Consumes an unused backup code by its hash; false when there is none.
    async fn use_backup_code(&mut self, user_id: Uuid, hash: &str, at: Timestamp) -> StoreResult<bool>;

    /// The methods the user enrolled in.
    async fn two_step_methods(&mut self, user_id: Uuid) -> StoreResult<Vec<TwoStepMethod>>;

    /// The user's pending email enrolment code and its wrong tries.
    async fn email_enrolment(&mut self, user_id: Uuid) -> StoreResult<Option<(PendingCode, u32)>>;

    /// A new email enrolment code, replacing the pending one.
    async fn set_email_enrolment(&mut self, user_id: Uuid, code: &PendingCode) -> StoreResult<()>;

    /// A wrong enrolment code: counts it and returns the wrong tries so far.
    async fn email_enrolment_failed(&mut self, user_id: Uuid) -> StoreResult<u32>;

    /// Forgets the pending email enrolment code.
    async fn clear_email_enrolment(&mut self, user_id: Uuid) -> StoreResult<()>;

    /// Completes email enrolment: enrolled in `email`, backup code hashes replaced, pending code gone.
    async fn activate_email(&mut self, user_id: Uuid, backup_hashes: &[String], at: Timestamp) -> StoreResult<()>;

    /// Forgets the user's TOTP secrets, enrolled methods, backup codes, pending codes and login challenges.
    async fn clear_two_step(&mut self, user_id: Uuid) -> StoreResult<()>;

    async fn insert_mfa_challenge(
        &mut self,
        hash: &str,
        user_id: Uuid,
        email: &str,
        expires_at: Timestamp,
        methods: &[MfaMethod],
    ) -> StoreResult<()>;

    async fn mfa_challenge(&mut self, hash: &str) -> StoreResult<Option<MfaChallenge>>;

    /// A new emailed code for the challenge (replacing the last one); the challenge lives until
    /// `challenge_expires_at`.
    async fn set_challenge_code(
        &mut self,
        hash: &str,
        code: &PendingCode,
        challenge_expires_at: Timestamp,
    ) -> StoreResult<()>;

    /// Takes the challenge away; true only for the call that removed it (so of two requests racing with
    /// the same challenge, one at most goes on to a session).
    async fn delete_mfa_challenge(&mut self, hash: &str) -> StoreResult<bool>;

    /// A wrong code against the challenge: counts it and returns the wrong codes so far.
    async fn mfa_challenge_failed(&mut self, hash: &str) -> StoreResult<u32>;

    /// Replaces the user's backup codes (unused and used) with these hashes.
    async fn replace_backup_codes(&mut self, user_id: Uuid, backup_hashes: &[String]) -> StoreResult<()>;

    /// Unused backup codes the user has left.
    async fn backup_codes_left(&mut self, user_id: Uuid) -> StoreResult<u32>;

    /// When the session last proved its user afresh: its login, or a later `me/two_step/reauth`.
    async fn session_proved_at(&mut self, token_hash: &str) -> StoreResult<Option<Timestamp>>;

    /// The session proved its user again (password and code) at `at`.
    async fn set_session_reauth(&mut self, token_hash: &str, at: Timestamp) -> StoreResult<()>;

    /// The code emailed to the session's user for fresh proof, and the wrong codes tried against it.
    async fn reauth_code(&mut self, token_hash: &str) -> StoreResult<Option<(PendingCode, u32)>>;

    /// A new emailed fresh-proof code for the session, replacing its last one.
    async fn set_reauth_code(&mut self, token_hash: &str, code: &PendingCode) -> StoreResult<()>;

    /// A wrong fresh-proof code: counts it and returns the wrong tries so far.
    async fn reauth_code_failed(&mut self, token_hash: &str) -> StoreResult<u32>;

    /// Forgets the session's emailed fresh-proof code (used, expired or tried too often).
    async fn clear_reauth_code(&mut self, token_hash: &str) -> StoreResult<()>;
}
