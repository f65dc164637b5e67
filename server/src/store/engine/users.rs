//! The Users and Groups storage traits on either engine: each method runs its `ops` function off the async threads.

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::{groups::Group, password::PasswordPolicy, users::User};
use uuid::Uuid;

use super::{Engine, TxEngine};
use crate::store::ops;
use crate::store::{Activation, StoreResult, UserListFilter, UserReads, UserRecord, UserWrites};

#[async_trait]
impl<E: Engine> UserReads for E {
    async fn list_users(&self, org_id: Uuid, filter: &UserListFilter) -> StoreResult<Vec<User>> {
        let filter = filter.clone();
        self.read(move |c| ops::list_users(c, org_id, &filter)).await
    }

    async fn user(&self, org_id: Uuid, user_id: Uuid) -> StoreResult<Option<User>> {
        self.read(move |c| ops::user(c, org_id, user_id)).await
    }

    async fn password_policy(&self, org_id: Uuid) -> StoreResult<PasswordPolicy> {
        self.read(move |c| ops::password_policy(c, org_id)).await
    }

    async fn groups(&self, org_id: Uuid) -> StoreResult<Vec<Group>> {
        self.read(move |c| ops::groups(c, org_id, true)).await
    }

    async fn group(&self, org_id: Uuid, group_id: Uuid) -> StoreResult<Option<Group>> {
        self.read(move |c| ops::group(c, org_id, group_id)).await
    }
}

#[async_trait]
impl<T: TxEngine> UserWrites for T {
    async fn user_record(&mut self, org_id: Uuid, user_id: Uuid) -> StoreResult<Option<UserRecord>> {
        self.run(move |c| ops::user_record(c, org_id, user_id)).await
    }

    async fn insert_user_record(&mut self, record: &UserRecord) -> StoreResult<()> {
        let record = record.clone();
        self.run(move |c| ops::insert_user_record(c, &record)).await
    }

    async fn save_user(&mut self, record: &UserRecord, expected: i64) -> StoreResult<i64> {
        let record = record.clone();
        self.run(move |c| ops::save_user(c, &record, expected)).await
    }

    async fn delete_user(&mut self, org_id: Uuid, user_id: Uuid) -> StoreResult<bool> {
        self.run(move |c| ops::delete_user(c, org_id, user_id)).await
    }

    async fn end_user_sessions(&mut self, user_id: Uuid) -> StoreResult<u64> {
        self.run(move |c| ops::end_user_sessions(c, user_id)).await
    }

    async fn login_admin_count(&mut self, org_id: Uuid) -> StoreResult<u64> {
        self.run(move |c| ops::login_admin_count(c, org_id)).await
    }

    async fn emails_in_use(&mut self, emails: &[String]) -> StoreResult<Vec<String>> {
        let emails = emails.to_vec();
        self.run(move |c| ops::emails_in_use(c, &emails)).await
    }

    async fn password_policy_tx(&mut self, org_id: Uuid) -> StoreResult<PasswordPolicy> {
        self.run(move |c| ops::password_policy(c, org_id)).await
    }

    async fn insert_activation(&mut self, activation: &Activation) -> StoreResult<()> {
        let a = activation.clone();
        self.run(move |c| ops::insert_activation(c, &a)).await
    }

    async fn take_activation(&mut self, token_hash: &str) -> StoreResult<Option<Activation>> {
        let h = token_hash.to_owned();
        self.run(move |c| ops::take_activation(c, &h)).await
    }

    async fn lock_user(&mut self, user_id: Uuid, at: Timestamp) -> StoreResult<bool> {
        self.run(move |c| ops::lock_user(c, user_id, at)).await
    }

    async fn groups_tx(&mut self, org_id: Uuid) -> StoreResult<Vec<Group>> {
        self.run(move |c| ops::groups(c, org_id, false)).await
    }

    async fn insert_group(&mut self, org_id: Uuid, group: &Group, at: Timestamp) -> StoreResult<()> {
        let g = group.clone();
        self.run(move |c| ops::insert_custom_group(c, org_id, &g, at)).await
    }

    async fn save_group(&mut self, org_id: Uuid, group: &Group, expected: i64) -> StoreResult<i64> {
        let g = group.clone();
        self.run(move |c| ops::save_group(c, org_id, &g, expected)).await
    }

    async fn delete_group(&mut self, org_id: Uuid, group_id: Uuid) -> StoreResult<Option<u32>> {
        self.run(move |c| ops::delete_group(c, org_id, group_id)).await
    }

    async fn users_in_org(&mut self, org_id: Uuid, ids: &[Uuid]) -> StoreResult<Vec<Uuid>> {
        let ids = ids.to_vec();
        self.run(move |c| ops::users_in_org(c, org_id, &ids)).await
    }

    async fn application_ids(&mut self, org_id: Uuid) -> StoreResult<Vec<Uuid>> {
        self.run(move |c| ops::application_ids(c, org_id)).await
    }
}
