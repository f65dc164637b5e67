//! The two-step storage trait on either engine: each method runs its `ops` function off the async threads.

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::{auth::MfaMethod, security::TwoStepMethod};
use uuid::Uuid;

use super::TxEngine;
use crate::store::ops;
use crate::store::{MfaChallenge, PendingCode, StoreResult, TotpRow, TwoStepWrites};

#[async_trait]
impl<T: TxEngine> TwoStepWrites for T {
    async fn totp_row(&mut self, user_id: Uuid) -> StoreResult<Option<TotpRow>> {
        self.run(move |c| ops::totp_row(c, user_id)).await
    }

    async fn set_pending_totp(&mut self, user_id: Uuid, sealed: &[u8]) -> StoreResult<()> {
        let sealed = sealed.to_vec();
        self.run(move |c| ops::set_pending_totp(c, user_id, &sealed)).await
    }

    async fn activate_totp(
        &mut self,
        user_id: Uuid,
        step: u64,
        backup_hashes: &[String],
        at: Timestamp,
    ) -> StoreResult<()> {
        let hashes = backup_hashes.to_vec();
        self.run(move |c| ops::activate_totp(c, user_id, step, &hashes, at))
            .await
    }

    async fn advance_totp_step(&mut self, user_id: Uuid, step: u64) -> StoreResult<bool> {
        self.run(move |c| ops::advance_totp_step(c, user_id, step)).await
    }

    async fn use_backup_code(&mut self, user_id: Uuid, hash: &str, at: Timestamp) -> StoreResult<bool> {
        let hash = hash.to_owned();
        self.run(move |c| ops::use_backup_code(c, user_id, &hash, at)).await
    }

    async fn two_step_methods(&mut self, user_id: Uuid) -> StoreResult<Vec<TwoStepMethod>> {
        self.run(move |c| ops::two_step_methods(c, user_id)).await
    }

    async fn email_enrolment(&mut self, user_id: Uuid) -> StoreResult<Option<(PendingCode, u32)>> {
        self.run(move |c| ops::email_enrolment(c, user_id)).await
    }

    async fn set_email_enrolment(&mut self, user_id: Uuid, code: &PendingCode) -> StoreResult<()> {
        let code = code.clone();
        self.run(move |c| ops::set_email_enrolment(c, user_id, &code)).await
    }

    async fn email_enrolment_failed(&mut self, user_id: Uuid) -> StoreResult<u32> {
        self.run(move |c| ops::email_enrolment_failed(c, user_id)).await
    }

    async fn clear_email_enrolment(&mut self, user_id: Uuid) -> StoreResult<()> {
        self.run(move |c| ops::clear_email_enrolment(c, user_id)).await
    }

    async fn activate_email(&mut self, user_id: Uuid, backup_hashes: &[String], at: Timestamp) -> StoreResult<()> {
        let hashes = backup_hashes.to_vec();
        self.run(move |c| ops::activate_email(c, user_id, &hashes, at)).await
    }

    async fn clear_two_step(&mut self, user_id: Uuid) -> StoreResult<()> {
        self.run(move |c| ops::clear_two_step(c, user_id)).await
    }

    async fn insert_mfa_challenge(
        &mut self,
        hash: &str,
        user_id: Uuid,
        email: &str,
        expires_at: Timestamp,
        methods: &[MfaMethod],
    ) -> StoreResult<()> {
        let (hash, email, methods) = (hash.to_owned(), email.to_owned(), methods.to_vec());
        self.run(move |c| ops::insert_mfa_challenge(c, &hash, user_id, &email, expires_at, &methods))
            .await
    }

    async fn mfa_challenge(&mut self, hash: &str) -> StoreResult<Option<MfaChallenge>> {
        let hash = hash.to_owned();
        self.run(move |c| ops::mfa_challenge(c, &hash)).await
    }

    async fn set_challenge_code(
        &mut self,
        hash: &str,
        code: &PendingCode,
        challenge_expires_at: Timestamp,
    ) -> StoreResult<()> {
        let (hash, code) = (hash.to_owned(), code.clone());
        self.run(move |c| ops::set_challenge_code(c, &hash, &code, challenge_expires_at))
            .await
    }

    async fn delete_mfa_challenge(&mut self, hash: &str) -> StoreResult<bool> {
        let hash = hash.to_owned();
        self.run(move |c| ops::delete_mfa_challenge(c, &hash)).await
    }

    async fn mfa_challenge_failed(&mut self, hash: &str) -> StoreResult<u32> {
        let hash = hash.to_owned();
        self.run(move |c| ops::mfa_challenge_failed(c, &hash)).await
    }

    async fn replace_backup_codes(&mut self, user_id: Uuid, backup_hashes: &[String]) -> StoreResult<()> {
        let hashes = backup_hashes.to_vec();
        self.run(move |c| ops::replace_backup_codes(c, user_id, &hashes)).await
    }

    async fn backup_codes_left(&mut self, user_id: Uuid) -> StoreResult<u32> {
        self.run(move |c| ops::backup_codes_left(c, user_id)).await
    }

    async fn session_proved_at(&mut self, token_hash: &str) -> StoreResult<Option<Timestamp>> {
        let hash = token_hash.to_owned();
        self.run(move |c| ops::session_proved_at(c, &hash)).await
    }

    async fn set_session_reauth(&mut self, token_hash: &str, at: Timestamp) -> StoreResult<()> {
        let hash = token_hash.to_owned();
        self.run(move |c| ops::set_session_reauth(c, &hash, at)).await
    }

    async fn reauth_code(&mut self, token_hash: &str) -> StoreResult<Option<(PendingCode, u32)>> {
        let hash = token_hash.to_owned();
        self.run(move |c| ops::reauth_code(c, &hash)).await
    }

    async fn set_reauth_code(&mut self, token_hash: &str, code: &PendingCode) -> StoreResult<()> {
        let (hash, code) = (token_hash.to_owned(), code.clone());
        self.run(move |c| ops::set_reauth_code(c, &hash, &code)).await
    }

    async fn reauth_code_failed(&mut self, token_hash: &str) -> StoreResult<u32> {
        let hash = token_hash.to_owned();
        self.run(move |c| ops::reauth_code_failed(c, &hash)).await
    }

    async fn clear_reauth_code(&mut self, token_hash: &str) -> StoreResult<()> {
        let hash = token_hash.to_owned();
        self.run(move |c| ops::clear_reauth_code(c, &hash)).await
    }
}
