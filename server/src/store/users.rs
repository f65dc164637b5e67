//! What the store keeps about users and groups beyond their wire form, and the storage traits of the
//! Users and Groups areas (split from [`super::Store`] and [`super::WriteTx`] to keep each file small).
//!
//! The list is typed ([`UserListFilter`]): a folded search prefix, filters, a sort and a keyset position.
//! How an engine makes it fast stays behind the trait. SQLite keeps folded name columns and matches
//! prefixes as index ranges (see `sqlite::ops::list_users`). PostgreSQL would keep the same columns (or
//! expressions) with `text_pattern_ops` B-tree indexes for the prefix ranges, and could offer substring
//! search with a `pg_trgm` GIN index on `full_key || ' ' || email`, the keyset as row comparisons
//! `(last_key, first_key, id) > ($1, $2, $3)` over matching B-tree indexes.

use async_trait::async_trait;
use jiff::Timestamp;
use orgdeck_shared::{
    auth::OrgRole,
    groups::Group,
    password::PasswordPolicy,
    users::{User, UserSort, UserStatus},
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::StoreResult;

/// Text as searches and name sorts compare it: lower-case (Unicode), spaces collapsed, trimmed.
pub fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The folded name columns stored with every user: what search prefixes and the name sort use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameKeys {
    pub first: String,
    pub last: String,
    /// "first last"
    pub full: String,
    /// "last first"
    pub rev: String,
}

impl NameKeys {
    pub fn of(first_name: &str, last_name: &str) -> Self {
        let first = fold(first_name);
        let last = fold(last_name);
        let join = |a: &str, b: &str| fold(&format!("{a} {b}"));
        Self {
            full: join(&first, &last),
            rev: join(&last, &first),
            first,
            last,
        }
    }
}

/// A user with what the API never shows. `Debug` leaves out the password hash.
#[derive(Clone)]
pub struct UserRecord {
    pub org_id: Uuid,
    pub user: User,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub locked_at: Option<Timestamp>,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("org_id", &self.org_id)
            .field("user", &self.user)
            .field("has_password", &self.password_hash.is_some())
            .field("must_change_password", &self.must_change_password)
            .field("locked_at", &self.locked_at)
            .finish()
    }
}

/// Which users a list keeps by group: a built-in group (the default group) or a custom group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupFilter {
    Role(OrgRole),
    Custom(Uuid),
}

/// One component of a keyset position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum KeyPart {
    Int(i64),
    Text(String),
}

/// The keyset position of `user` in `sort` order (what comes after it starts the next page).
pub fn sort_key(user: &User, sort: UserSort, desc: bool) -> Vec<KeyPart> {
    let keys = || NameKeys::of(&user.first_name, &user.last_name);
    let id = KeyPart::Text(user.id.to_string());
    match sort {
        UserSort::Name => {
            let k = keys();
            vec![KeyPart::Text(k.last), KeyPart::Text(k.first), id]
        }
        UserSort::Email => vec![KeyPart::Text(user.email.clone())],
        UserSort::Status => {
            let k = keys();
            vec![
                KeyPart::Text(user.status.as_str().to_owned()),
                KeyPart::Text(k.last),
                KeyPart::Text(k.first),
                id,
            ]
        }
        UserSort::LastLogin => {
            // Nulls last in both directions: the first part is "has no login" ascending, "has one" descending.
            let has = user.last_login_at.is_some();
            let flag = if desc { has } else { !has };
            let at = user.last_login_at.map_or(0, |t| t.as_millisecond());
            vec![KeyPart::Int(i64::from(flag)), KeyPart::Int(at), id]
        }
    }
}

/// A typed user list request: search, filters, order, keyset position and page size.
#[derive(Debug, Clone, Default)]
pub struct UserListFilter {
    /// Folded ([`fold`]) prefix of full name, "last first" or email.
    pub q: Option<String>,
    pub status: Option<UserStatus>,
    pub group: Option<GroupFilter>,
    pub sort: UserSort,
    pub desc: bool,
    /// Only users strictly after this [`sort_key`].
    pub after: Option<Vec<KeyPart>>,
    pub limit: u32,
}

/// A one-time activation token (only its SHA-256 is stored).
#[derive(Clone)]
pub struct Activation {
    pub token_hash: String,
    pub user_id: Uuid,
    pub org_id: Uuid,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Reads of the Users and Groups areas.
#[async_trait]
pub trait UserReads {
    /// One page of an organization's users.
    async fn list_users(&self, org_id: Uuid, filter: &UserListFilter) -> StoreResult<Vec<User>>;

    async fn user(&self, org_id: Uuid, user_id: Uuid) -> StoreResult<Option<User>>;

    /// The organization's password policy (the default when never set).
    async fn password_policy(&self, org_id: Uuid) -> StoreResult<PasswordPolicy>;

    /// Built-in groups first (members: users whose default group it is), then custom groups by name.
    async fn groups(&self, org_id: Uuid) -> StoreResult<Vec<Group>>;

    async fn group(&self, org_id: Uuid, group_id: Uuid) -> StoreResult<Option<Group>>;
}

/// Changes of the Users and Groups areas, inside a write transaction.
#[async_trait]
pub trait UserWrites {
    async fn user_record(&mut self, org_id: Uuid, user_id: Uuid) -> StoreResult<Option<UserRecord>>;

    /// Inserts a user with `record.user.groups` as custom group memberships.
    async fn insert_user_record(&mut self, record: &UserRecord) -> StoreResult<()>;

    /// Writes every changeable column (and the group memberships) if the stored version is still
    /// `expected`; returns the new version.
    async fn save_user(&mut self, record: &UserRecord, expected: i64) -> StoreResult<i64>;

    /// Deletes a user with their sessions, memberships and activation tokens; false when there was none.
    async fn delete_user(&mut self, org_id: Uuid, user_id: Uuid) -> StoreResult<bool>;

    /// Ends every session of the user; returns how many there were.
    async fn end_user_sessions(&mut self, user_id: Uuid) -> StoreResult<u64>;

    /// Admins of the organization who can log in (enabled, active).
    async fn login_admin_count(&mut self, org_id: Uuid) -> StoreResult<u64>;

    /// Which of these (normalized) emails some user of any organization already has.
    async fn emails_in_use(&mut self, emails: &[String]) -> StoreResult<Vec<String>>;

    async fn password_policy_tx(&mut self, org_id: Uuid) -> StoreResult<PasswordPolicy>;

    async fn insert_activation(&mut self, activation: &Activation) -> StoreResult<()>;

    /// Removes and returns the activation with this hash (whether or not it has expired).
    async fn take_activation(&mut self, token_hash: &str) -> StoreResult<Option<Activation>>;

    /// Locks a user after too many failures and ends their sessions; false when already locked (the
    /// request that locked first audits it).
    async fn lock_user(&mut self, user_id: Uuid, at: Timestamp) -> StoreResult<bool>;

    /// Groups as [`UserReads::groups`] lists them, as this transaction sees them, except that built-in
    /// groups come without members (all the users of a role: never needed inside a change).
    async fn groups_tx(&mut self, org_id: Uuid) -> StoreResult<Vec<Group>>;

    async fn insert_group(&mut self, org_id: Uuid, group: &Group, at: Timestamp) -> StoreResult<()>;

    /// Writes a custom group's name, access rows and members if its version is still `expected`.
    async fn save_group(&mut self, org_id: Uuid, group: &Group, expected: i64) -> StoreResult<i64>;

    /// Deletes a custom group; returns how many members it had, `None` when there was none.
    async fn delete_group(&mut self, org_id: Uuid, group_id: Uuid) -> StoreResult<Option<u32>>;

    /// Which of these ids are users of the organization.
    async fn users_in_org(&mut self, org_id: Uuid, ids: &[Uuid]) -> StoreResult<Vec<Uuid>>;

    /// The ids of the organization's applications.
    async fn application_ids(&mut self, org_id: Uuid) -> StoreResult<Vec<Uuid>>;
}
