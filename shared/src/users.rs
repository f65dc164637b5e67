//! Section 3 of SETTINGS.md: users.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    FieldError,
    auth::{OrgRole, Secret},
    validate::{check_list_len, check_page_limit, has_duplicates, is_forbidden_char, validate_display_name},
};

/// Longest first or last name, in characters.
pub const PERSON_NAME_MAX: usize = 100;
/// Longest email address (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;
/// Default and largest page sizes of user lists.
pub const USER_PAGE_DEFAULT: u32 = 50;
pub const USER_PAGE_MAX: u32 = 500;
/// Most custom groups one user belongs to.
pub const USER_GROUPS_MAX: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    Active,
    Locked,
    Disabled,
    /// Invited; has not set a password yet.
    Pending,
}

impl UserStatus {
    pub const ALL: [UserStatus; 4] = [
        UserStatus::Active,
        UserStatus::Locked,
        UserStatus::Disabled,
        UserStatus::Pending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Locked => "locked",
            UserStatus::Disabled => "disabled",
            UserStatus::Pending => "pending",
        }
    }

    pub fn parse(s: &str) -> Option<UserStatus> {
        UserStatus::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user as the API shows it. No password hash, token or secret ever appears here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// Decides the org role (one of the built-in groups).
    pub default_group: OrgRole,
    /// Custom groups the user belongs to.
    pub groups: Vec<Uuid>,
    pub enabled: bool,
    pub api_only: bool,
    pub status: UserStatus,
    #[schemars(with = "Option<crate::schema::Timestamp>")]
    pub last_login_at: Option<Timestamp>,
    pub last_login_ip: Option<String>,
    pub failed_attempts: u32,
    pub two_step_enabled: bool,
    #[schemars(with = "crate::schema::Timestamp")]
    pub created_at: Timestamp,
    pub version: i64,
}

impl crate::endpoint::HasVersion for User {
    fn version(&self) -> i64 {
        self.version
    }
}

impl crate::endpoint::HasVersion for UserCreated {
    fn version(&self) -> i64 {
        self.user.version
    }
}

impl User {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name).trim().to_owned()
    }
}

/// `POST users`: with a password (checked against the policy), or without one for an invitation.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NewUser {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub default_group: OrgRole,
    #[serde(default)]
    pub groups: Vec<Uuid>,
    #[serde(default)]
    pub api_only: bool,
    /// `None` invites the user: the answer carries a one-time activation token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
}

impl NewUser {
    /// The field rules that need no server state (the password policy is checked separately).
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        errors.extend(validate_email(&self.email).err());
        errors.extend(validate_person_name("first_name", &self.first_name).err());
        errors.extend(validate_person_name("last_name", &self.last_name).err());
        errors.extend(validate_user_groups(&self.groups).err());
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// The answer to `POST users`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UserCreated {
    pub user: User,
    /// Only for an invitation, shown once: the admin hands it over to the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_token: Option<Secret>,
}

/// `PATCH users/{id}`: only the fields present change. Sent with `If-Match`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UserPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_group: Option<OrgRole>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<Uuid>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_only: Option<bool>,
}

impl UserPatch {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Some(email) = &self.email {
            errors.extend(validate_email(email).err());
        }
        if let Some(name) = &self.first_name {
            errors.extend(validate_person_name("first_name", name).err());
        }
        if let Some(name) = &self.last_name {
            errors.extend(validate_person_name("last_name", name).err());
        }
        if let Some(groups) = &self.groups {
            errors.extend(validate_user_groups(groups).err());
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// Sort orders of `GET users?sort=`; a leading `-` (`-last_login`) reverses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserSort {
    #[default]
    Name,
    Email,
    Status,
    LastLogin,
}

impl UserSort {
    pub const ALL: [UserSort; 4] = [UserSort::Name, UserSort::Email, UserSort::Status, UserSort::LastLogin];

    pub fn as_str(self) -> &'static str {
        match self {
            UserSort::Name => "name",
            UserSort::Email => "email",
            UserSort::Status => "status",
            UserSort::LastLogin => "last_login",
        }
    }

    /// Parses `name` or `-name` into the order and whether it is descending.
    pub fn parse(s: &str) -> Option<(UserSort, bool)> {
        let (desc, name) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        UserSort::ALL
            .into_iter()
            .find(|o| o.as_str() == name)
            .map(|o| (o, desc))
    }
}

/// The bulk actions of `POST users/bulk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    Enable,
    Disable,
    Delete,
}

/// A CSV import's problem with one row (1-based, the header is row 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RowError {
    pub row: u32,
    pub field: String,
    pub message: String,
}

/// A user's custom groups: each at most once, at most [`USER_GROUPS_MAX`].
fn validate_user_groups(groups: &[Uuid]) -> Result<(), FieldError> {
    check_list_len("groups", groups, USER_GROUPS_MAX)?;
    if has_duplicates(groups) {
        return Err(FieldError::new("groups", "lists a group twice"));
    }
    Ok(())
}

/// A plausible email address: one `@`, a local part, a dotted domain, no spaces, no control or
/// text-direction characters, at most 254 characters. (Whether it exists is for the mail server to say.)
pub fn validate_email(email: &str) -> Result<(), FieldError> {
    let err = |m: &str| Err(FieldError::new("email", m));
    if email.is_empty() {
        return err("is required");
    }
    if email.chars().count() > EMAIL_MAX {
        return err("must be at most 254 characters");
    }
    if email.chars().any(char::is_whitespace) {
        return err("must not contain spaces");
    }
    if email.chars().any(is_forbidden_char) {
        return err("must not contain control or text-direction characters");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return err("must look like name@example.com");
    };
    let labels_ok = domain
        .split('.')
        .all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'));
    if local.is_empty() || local.contains('@') || !domain.contains('.') || !labels_ok {
        return err("must look like name@example.com");
    }
    Ok(())
}

/// A first or last name: the shared display-name rule ([`validate_display_name`]), at most 100 characters.
pub fn validate_person_name(field: &str, name: &str) -> Result<(), FieldError> {
    validate_display_name(field, name, PERSON_NAME_MAX)
}

/// Emails compare case-insensitively: the stored and looked-up form.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// `GET users?q=&status=&group=&sort=&cursor=&limit=`. `group` is a built-in role (`admin`, `rules_admin`,
/// `edit`, `view`: users whose default group it is) or a custom group's id; `sort` is a [`UserSort`] name,
/// `-` first for descending (default `name`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct UserQuery {
    /// Prefix of the first name, last name, full name ("first last" or "last first") or email; case-insensitive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl UserQuery {
    /// `limit` is 1 to [`USER_PAGE_MAX`] when given.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        check_page_limit(self.limit, USER_PAGE_MAX).map_err(|e| vec![e])
    }
}

/// `POST auth/activate` (no session): redeems an invitation's one-time token and sets the password.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ActivateRequest {
    pub token: Secret,
    pub password: Secret,
}

/// `POST me/password`: change one's own password (also clears a forced reset).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChangePasswordRequest {
    pub current: Secret,
    pub new: Secret,
}

/// `POST users/bulk`. Ids are processed in order, each on its own: one refusal (say, the last admin)
/// does not stop the others. At most [`BULK_MAX`] ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BulkRequest {
    pub action: BulkAction,
    pub ids: Vec<Uuid>,
}

/// Most ids in one bulk request.
pub const BULK_MAX: usize = 10_000;

impl BulkRequest {
    /// At least one id, at most [`BULK_MAX`].
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        if self.ids.is_empty() {
            return Err(vec![FieldError::new("ids", "choose at least one user")]);
        }
        check_list_len("ids", &self.ids, BULK_MAX).map_err(|e| vec![e])
    }
}

/// The outcome for one id of a bulk request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BulkOutcome {
    pub id: Uuid,
    pub ok: bool,
    /// Why this id was refused (`not_found`, `conflict` for the last admin, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::ApiError>,
}

/// The answer to `POST users/bulk`: one outcome per requested id, in request order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct BulkReport {
    pub succeeded: u32,
    pub failed: u32,
    pub results: Vec<BulkOutcome>,
}

/// The answer to a successful `POST users/import`: every row became an invitation (status `pending`)
/// with its one-time activation token, in file order. A failed import answers 422 with an `ApiError`
/// whose `fields` are named `row N: field` (see [`row_errors`]) and imports nothing.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ImportReport {
    pub created: Vec<UserCreated>,
}

/// Most data rows in one CSV import.
pub const IMPORT_MAX_ROWS: usize = 10_000;

/// The columns a CSV import's header must name (in any order, case ignored)...
pub const IMPORT_COLUMNS: [&str; 4] = ["email", "first_name", "last_name", "group"];
/// ...and the one it may name too (true/false, yes/no, y/n, 1/0; false when left out or empty). No other.
pub const IMPORT_OPTIONAL_COLUMNS: [&str; 1] = ["api_only"];

impl RowError {
    /// The `FieldError` name this row error travels under in an `ApiError`: `row 3: email`.
    pub fn field_name(&self) -> String {
        format!("row {}: {}", self.row, self.field)
    }

    pub fn to_field_error(&self) -> FieldError {
        FieldError::new(self.field_name(), self.message.clone())
    }

    /// The row error a `row N: field` field error stands for.
    pub fn from_field_error(e: &FieldError) -> Option<RowError> {
        let rest = e.field.strip_prefix("row ")?;
        let (row, field) = rest.split_once(": ")?;
        Some(RowError {
            row: row.parse().ok()?,
            field: field.to_owned(),
            message: e.message.clone(),
        })
    }
}

/// The per-row problems of a refused CSV import (empty for any other error).
pub fn row_errors(err: &crate::ApiError) -> Vec<RowError> {
    err.fields.iter().filter_map(RowError::from_field_error).collect()
}

/// The routes of users, and of one's own password.
pub mod endpoints {
    use super::*;
    use crate::{Page, groups::UserAccess, routes::*};
    use uuid::Uuid;

    crate::endpoints! {
        /// One page of users, filtered and sorted.
        List: Get USERS, Admin, params (), query UserQuery, body () => Page<User>;
        /// Adds a user with a password, or invites them (the activation token is answered once).
        Create: Post USERS, Admin, params (), query (), body NewUser => UserCreated, status 201, etag true;
        /// One user.
        Get: Get USER, Admin, params Uuid, query (), body () => User, etag true;
        /// Changes a user's fields.
        Update: Patch USER, Admin, params Uuid, query (), body UserPatch => User, if_match Required, etag true;
        /// Deletes a user.
        Delete: Delete USER, Admin, params Uuid, query (), body () => (), status 204, if_match Optional;
        /// Enables, disables, unlocks a user, forces a password reset or resets their two-step verification.
        Act: Post USER_ACTION, Admin, params (Uuid, &'static str), query (), body () => User, etag true;
        /// A user's effective role on every application.
        Access: Get USER_ACCESS, Admin, params Uuid, query (), body () => UserAccess;
        /// One action on many users; answers each one's outcome.
        Bulk: Post USERS_BULK, Admin, params (), query (), body BulkRequest => BulkReport;
        /// Imports users from CSV: every row or none (row errors name their line).
        Import: Post USERS_IMPORT, Admin, params (), query (), body String => ImportReport, status 201, body_content Csv;
        /// Redeems an invitation's one-time token and sets the password.
        Activate: Post ACTIVATE, Public, params (), query (), body ActivateRequest => (), status 204;
        /// Changes one's own password (also clears a forced reset).
        ChangePassword: Post ME_PASSWORD, Session, params (), query (), body ChangePasswordRequest => (), status 204;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<List>();
        v.visit::<Create>();
        v.visit::<Get>();
        v.visit::<Update>();
        v.visit::<Delete>();
        v.visit::<Act>();
        v.visit::<Access>();
        v.visit::<Bulk>();
        v.visit::<Import>();
        v.visit::<Activate>();
        v.visit::<ChangePassword>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_must_look_like_addresses() {
        for ok in ["a@b.co", "first.last+tag@sub.example.com", "ü@exämple.de"] {
            assert!(validate_email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@b",
            "a b@c.de",
            "a@-x.com",
            "a@b..com",
            "a@b@c.com",
        ] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
        assert!(validate_email(&format!("{}@example.com", "x".repeat(250))).is_err());
    }

    #[test]
    fn new_user_names_each_invalid_field() {
        let u = NewUser {
            email: "nope".into(),
            first_name: " ".into(),
            last_name: "Ok".into(),
            default_group: OrgRole::View,
            groups: vec![],
            api_only: false,
            password: None,
        };
        let fields: Vec<String> = u.validate().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["email", "first_name"]);
    }

    #[test]
    fn sort_parses_direction() {
        assert_eq!(UserSort::parse("-last_login"), Some((UserSort::LastLogin, true)));
        assert_eq!(UserSort::parse("email"), Some((UserSort::Email, false)));
        assert_eq!(UserSort::parse("age"), None);
    }

    #[test]
    fn row_errors_travel_as_field_errors() {
        let e = RowError {
            row: 3,
            field: "email".into(),
            message: "is taken".into(),
        };
        let api = crate::ApiError::validation(vec![e.to_field_error(), FieldError::new("other", "x")]);
        assert_eq!(api.fields[0].field, "row 3: email");
        assert_eq!(row_errors(&api), [e]);
    }

    #[test]
    fn an_invitation_carries_no_password() {
        let json = r#"{"email":"a@b.co","first_name":"A","last_name":"B","default_group":"view"}"#;
        let u: NewUser = serde_json::from_str(json).unwrap();
        assert!(u.password.is_none() && u.groups.is_empty() && !u.api_only);
    }
}
