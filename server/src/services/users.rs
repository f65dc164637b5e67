//! Users: list, read, create (with a password or as an invitation), update, delete, effective access.
//!
//! Rules kept here: emails are unique in the server; an organization never loses its last admin who can log
//! in (delete, disable, demote); disabling, deleting, locking or making a user API-only ends their sessions
//! in the same transaction; every change is audited with its field changes, secrets redacted.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jiff::{SignedDuration, Timestamp};
use orgdeck_shared::{
    FieldError, Page,
    audit::{AuditTarget, FieldChange, REDACTED, diff_fields},
    auth::{OrgRole, Secret},
    groups::{AppRoleOf, Group, UserAccess, builtin_group, effective_app_role, user_grants},
    users::{
        NewUser, USER_PAGE_DEFAULT, USER_PAGE_MAX, User, UserCreated, UserPatch, UserQuery, UserSort, UserStatus,
        normalize_email,
    },
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    auth::{AuthUser, OrgAdmin, password, token},
    error::{AppError, AppResult},
    state::AppState,
    store::{
        Activation, AuditRecord, GroupFilter, KeyPart, UserListFilter, UserRecord, WriteTx, fold, sort_key, uuid_v7_at,
    },
};

/// How long an invitation's activation token stays valid.
pub const ACTIVATION_TTL: SignedDuration = SignedDuration::from_hours(7 * 24);
/// The longest search text used (longer is cut).
const Q_MAX: usize = 100;

// ---- the list ----

#[derive(Serialize, Deserialize)]
struct Cursor {
    s: String,
    d: bool,
    k: Vec<KeyPart>,
}

fn encode_cursor(user: &User, sort: UserSort, desc: bool) -> String {
    let c = Cursor {
        s: sort.as_str().to_owned(),
        d: desc,
        k: sort_key(user, sort, desc),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap_or_default())
}

fn decode_cursor(text: &str, sort: UserSort, desc: bool) -> AppResult<Vec<KeyPart>> {
    let bad = || AppError::BadRequest("invalid cursor".into());
    let raw = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let c: Cursor = serde_json::from_slice(&raw).map_err(|_| bad())?;
    if c.s != sort.as_str() || c.d != desc {
        return Err(AppError::BadRequest(
            "the cursor belongs to another sort order; start again without it".into(),
        ));
    }
    let template = sort_key(&placeholder_user(), sort, desc);
    let fits = c.k.len() == template.len()
        && c.k.iter().zip(&template).all(|(a, b)| {
            matches!(
                (a, b),
                (KeyPart::Int(_), KeyPart::Int(_)) | (KeyPart::Text(_), KeyPart::Text(_))
            )
        });
    if !fits {
        return Err(bad());
    }
    Ok(c.k)
}

fn placeholder_user() -> User {
    User {
        id: Uuid::nil(),
        email: String::new(),
        first_name: String::new(),
        last_name: String::new(),
        default_group: OrgRole::View,
        groups: Vec::new(),
        enabled: true,
        api_only: false,
        status: UserStatus::Active,
        last_login_at: None,
        last_login_ip: None,
        failed_attempts: 0,
        two_step_enabled: false,
        created_at: Timestamp::UNIX_EPOCH,
        version: 0,
    }
}

/// Parses `group=`: a built-in group (`admin`, `Rules Admin`) or a custom group's id.
fn group_filter(text: &str) -> AppResult<GroupFilter> {
    if let Some(role) = builtin_group(text) {
        return Ok(GroupFilter::Role(role));
    }
    Uuid::parse_str(text.trim()).map(GroupFilter::Custom).map_err(|_| {
        AppError::Validation(vec![FieldError::new(
            "group",
            format!("{text:?} is neither a built-in group nor a group id"),
        )])
    })
}

pub async fn list(state: &AppState, admin: &OrgAdmin, query: UserQuery) -> AppResult<Page<User>> {
    let limit = query.limit.unwrap_or(USER_PAGE_DEFAULT).clamp(1, USER_PAGE_MAX);
    let (sort, desc) = match query.sort.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => UserSort::parse(s).ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "sort",
                format!("{s:?} is not one of name, email, status, last_login (with - first for descending)"),
            )])
        })?,
        None => (UserSort::Name, false),
    };
    let after = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => Some(decode_cursor(c, sort, desc)?),
        None => None,
    };
    let q = query
        .q
        .map(|q| fold(&q.chars().take(Q_MAX).collect::<String>()))
        .filter(|q| !q.is_empty());
    let group = query
        .group
        .as_deref()
        .filter(|g| !g.trim().is_empty())
        .map(group_filter)
        .transpose()?;
    let filter = UserListFilter {
        q,
        status: query.status,
        group,
        sort,
        desc,
        after,
        limit: limit + 1,
    };
    let mut items = state.store.list_users(admin.org_id(), &filter).await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|u| encode_cursor(u, sort, desc))
    } else {
        None
    };
    Ok(Page { items, next_cursor })
}

pub async fn get(state: &AppState, admin: &OrgAdmin, id: Uuid) -> AppResult<User> {
    state.store.user(admin.org_id(), id).await?.ok_or_else(no_user)
}

pub fn no_user() -> AppError {
    AppError::NotFound("user not found".into())
}

// ---- shared rules ----

/// An audit entry by `admin` about `user_id`.
pub fn audit(admin: &AuthUser, now: Timestamp, action: &str, user_id: Uuid, summary: impl Into<String>) -> AuditRecord {
    AuditRecord::new(
        Some(admin.org_id),
        now,
        admin.actor(),
        action,
        AuditTarget::new("user", user_id.to_string()),
        summary,
    )
    .ip(admin.client_ip.to_string())
}

/// The field changes between two states of a user, without the version counter.
pub fn user_changes(before: &UserRecord, after: &UserRecord) -> Vec<FieldChange> {
    let mut changes: Vec<FieldChange> = diff_fields(&before.user, &after.user, &[])
        .into_iter()
        .filter(|c| c.field != "version")
        .collect();
    if before.password_hash != after.password_hash {
        changes.push(FieldChange {
            field: "password".into(),
            old: REDACTED.into(),
            new: REDACTED.into(),
        });
    }
    if before.must_change_password != after.must_change_password {
        changes.push(FieldChange {
            field: "must_change_password".into(),
            old: before.must_change_password.into(),
            new: after.must_change_password.into(),
        });
    }
    changes
}

/// Whether this user is an admin who can log in (what an organization must keep at least one of).
fn is_login_admin(r: &UserRecord) -> bool {
    r.user.default_group == OrgRole::Admin
        && r.user.enabled
        && !r.user.api_only
        && r.user.status == UserStatus::Active
        && r.password_hash.is_some()
}

/// Refuses a change that would take away the organization's last admin who can log in. `after` is `None`
/// for a deletion.
pub async fn keep_an_admin(tx: &mut dyn WriteTx, before: &UserRecord, after: Option<&UserRecord>) -> AppResult<()> {
    if !is_login_admin(before) || after.is_some_and(is_login_admin) {
        return Ok(());
    }
    if tx.login_admin_count(before.org_id).await? <= 1 {
        let what = match after {
            None => "deleted",
            Some(a) if a.user.default_group != OrgRole::Admin => "moved out of the Admin group",
            Some(a) if a.user.api_only => "made API-only (it could no longer log in)",
            Some(a) if a.user.status == UserStatus::Locked => "locked",
            Some(_) => "disabled",
        };
        return Err(AppError::Conflict(format!(
            "{} is the organization's last admin and cannot be {what}; make another user an admin first",
            before.user.email
        )));
    }
    Ok(())
}

/// The status a user rests in when nothing holds them: active with a password, pending without one.
pub fn resting_status(r: &UserRecord) -> UserStatus {
    if r.password_hash.is_some() {
        UserStatus::Active
    } else {
        UserStatus::Pending
    }
}

/// Custom groups of the organization a user may be put in: refuses unknown and built-in ones on `field`.
pub fn check_custom_groups(groups: &[Group], ids: &[Uuid], field: &str) -> Result<(), FieldError> {
    for id in ids {
        match groups.iter().find(|g| g.id == *id) {
            None => return Err(FieldError::new(field, format!("no group {id} in this organization"))),
            Some(g) if g.built_in => {
                return Err(FieldError::new(
                    field,
                    format!("{} is a built-in group: choose it as the default group", g.name),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Hashes a password off the async threads.
pub async fn hash_password(password: &Secret) -> AppResult<String> {
    let pw = password.clone();
    Ok(tokio::task::spawn_blocking(move || password::hash(pw.expose())).await??)
}

/// A new invitation for `user_id`: the token to hand over (once) and its stored form.
pub fn new_activation(user_id: Uuid, org_id: Uuid, now: Timestamp) -> AppResult<(Secret, Activation)> {
    let (token, token_hash) = token::new_session_token();
    let expires_at = now
        .checked_add(ACTIVATION_TTL)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        token,
        Activation {
            token_hash,
            user_id,
            org_id,
            created_at: now,
            expires_at,
        },
    ))
}

fn email_taken() -> FieldError {
    FieldError::new("email", "is already used by another user")
}

// ---- create, update, delete ----

pub async fn create(state: &AppState, admin: &OrgAdmin, new: NewUser) -> AppResult<UserCreated> {
    let org_id = admin.org_id();
    let email = normalize_email(&new.email);
    let new = NewUser { email, ..new };
    new.validate().map_err(AppError::Validation)?;
    let password_hash = match &new.password {
        Some(pw) => {
            let owner = super::passwords::PasswordOwner {
                org_id,
                user_id: None,
                email: &new.email,
                org_name: &admin.user().org_name,
                current_hash: None,
            };
            Some(super::passwords::accept_password(state, &owner, "password", pw).await?)
        }
        None => None,
    };
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let groups = tx.groups_tx(org_id).await?;
    let mut errors = Vec::new();
    errors.extend(check_custom_groups(&groups, &new.groups, "groups").err());
    if !tx.emails_in_use(std::slice::from_ref(&new.email)).await?.is_empty() {
        errors.push(email_taken());
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let (created, token) = insert_new_user(tx.as_mut(), admin.user(), &new, password_hash.clone(), now).await?;
    if let Some(hash) = &password_hash {
        super::passwords::record_password(tx.as_mut(), created.id, hash, now).await?;
    }
    tx.commit().await?;
    Ok(UserCreated {
        user: created,
        activation_token: token,
    })
}

/// Inserts a validated new user (an invitation when `password_hash` is `None`) with its audit entry.
pub async fn insert_new_user(
    tx: &mut dyn WriteTx,
    admin: &AuthUser,
    new: &NewUser,
    password_hash: Option<String>,
    now: Timestamp,
) -> AppResult<(User, Option<Secret>)> {
    // Stored to the millisecond: answer what a later read gives.
    let now = Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now);
    let id = uuid_v7_at(now);
    let invited = password_hash.is_none();
    let user = User {
        id,
        email: new.email.clone(),
        first_name: new.first_name.trim().to_owned(),
        last_name: new.last_name.trim().to_owned(),
        default_group: new.default_group,
        groups: new.groups.clone(),
        enabled: true,
        api_only: new.api_only,
        status: if invited {
            UserStatus::Pending
        } else {
            UserStatus::Active
        },
        last_login_at: None,
        last_login_ip: None,
        failed_attempts: 0,
        two_step_enabled: false,
        created_at: now,
        version: 1,
    };
    let record = UserRecord {
        org_id: admin.org_id,
        user: user.clone(),
        password_hash,
        must_change_password: false,
        locked_at: None,
    };
    tx.insert_user_record(&record).await?;
    let token = if invited {
        let (token, activation) = new_activation(id, admin.org_id, now)?;
        tx.insert_activation(&activation).await?;
        Some(token)
    } else {
        None
    };
    let mut changes: Vec<FieldChange> = Vec::new();
    if let serde_json::Value::Object(fields) = serde_json::to_value(&user).map_err(|e| AppError::Internal(e.into()))? {
        for key in [
            "email",
            "first_name",
            "last_name",
            "default_group",
            "groups",
            "api_only",
            "status",
        ] {
            if let Some(v) = fields.get(key) {
                changes.push(FieldChange {
                    field: key.into(),
                    old: serde_json::Value::Null,
                    new: v.clone(),
                });
            }
        }
    }
    if !invited {
        changes.push(FieldChange {
            field: "password".into(),
            old: serde_json::Value::Null,
            new: REDACTED.into(),
        });
    }
    let how = if invited { "invited" } else { "created with a password" };
    let summary = format!(
        "User {} {how}, default group {}",
        user.email,
        user.default_group.label()
    );
    tx.append_audit(&audit(admin, now, "user.create", id, summary).changes(changes))
        .await?;
    Ok((user, token))
}

pub async fn update(state: &AppState, admin: &OrgAdmin, id: Uuid, expected: i64, patch: UserPatch) -> AppResult<User> {
    let patch = UserPatch {
        email: patch.email.map(|e| normalize_email(&e)),
        ..patch
    };
    patch.validate().map_err(AppError::Validation)?;
    let org_id = admin.org_id();
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    let before = tx.user_record(org_id, id).await?.ok_or_else(no_user)?;
    if before.user.version != expected {
        return Err(AppError::VersionMismatch {
            current: before.user.version,
        });
    }
    let mut after = before.clone();
    let u = &mut after.user;
    let mut errors = Vec::new();
    if let Some(email) = patch.email
        && email != u.email
    {
        if !tx.emails_in_use(std::slice::from_ref(&email)).await?.is_empty() {
            errors.push(email_taken());
        }
        u.email = email;
    }
    if let Some(first) = patch.first_name {
        u.first_name = first.trim().to_owned();
    }
    if let Some(last) = patch.last_name {
        u.last_name = last.trim().to_owned();
    }
    if let Some(group) = patch.default_group {
        u.default_group = group;
    }
    if let Some(groups) = patch.groups {
        let all = tx.groups_tx(org_id).await?;
        errors.extend(check_custom_groups(&all, &groups, "groups").err());
        if groups.iter().enumerate().any(|(i, g)| groups[..i].contains(g)) {
            errors.push(FieldError::new("groups", "lists a group twice"));
        }
        u.groups = groups;
    }
    if let Some(api_only) = patch.api_only {
        u.api_only = api_only;
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let mut current = before.user.clone();
    current.groups.sort();
    let mut next = after.user.clone();
    next.groups.sort();
    if current == next {
        return Ok(before.user);
    }
    keep_an_admin(tx.as_mut(), &before, Some(&after)).await?;
    let version = tx.save_user(&after, expected).await?;
    after.user.version = version;
    let changes = user_changes(&before, &after);
    let names: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    let mut summary = format!("User {} changed: {}", after.user.email, names.join(", "));
    if after.user.api_only && !before.user.api_only {
        let ended = tx.end_user_sessions(id).await?;
        summary.push_str(&format!("; API-only now, {ended} session(s) ended"));
    }
    tx.append_audit(&audit(admin.user(), now, "user.update", id, summary).changes(changes))
        .await?;
    tx.commit().await?;
    Ok(after.user)
}

/// Deletes a user inside `tx` (sessions, memberships and invitations go with it).
pub async fn delete_in(
    tx: &mut dyn WriteTx,
    admin: &AuthUser,
    id: Uuid,
    expected: Option<i64>,
    now: Timestamp,
) -> AppResult<()> {
    let before = tx.user_record(admin.org_id, id).await?.ok_or_else(no_user)?;
    if let Some(expected) = expected
        && before.user.version != expected
    {
        return Err(AppError::VersionMismatch {
            current: before.user.version,
        });
    }
    keep_an_admin(tx, &before, None).await?;
    let ended = tx.end_user_sessions(id).await?;
    tx.delete_user(admin.org_id, id).await?;
    let changes = vec![FieldChange {
        field: "email".into(),
        old: before.user.email.clone().into(),
        new: serde_json::Value::Null,
    }];
    let summary = format!("User {} deleted; {ended} session(s) ended", before.user.email);
    tx.append_audit(&audit(admin, now, "user.delete", id, summary).changes(changes))
        .await?;
    Ok(())
}

pub async fn delete(state: &AppState, admin: &OrgAdmin, id: Uuid, expected: Option<i64>) -> AppResult<()> {
    let now = state.clock.now();
    let mut tx = state.store.begin().await?;
    delete_in(tx.as_mut(), admin.user(), id, expected, now).await?;
    tx.commit().await?;
    Ok(())
}

// ---- effective access ----

pub async fn access(state: &AppState, admin: &OrgAdmin, id: Uuid) -> AppResult<UserAccess> {
    let org_id = admin.org_id();
    let user = state.store.user(org_id, id).await?.ok_or_else(no_user)?;
    let mut groups = Vec::with_capacity(user.groups.len());
    for gid in &user.groups {
        groups.extend(state.store.group(org_id, *gid).await?.filter(|g| !g.built_in));
    }
    let apps = state.store.applications(org_id).await?;
    let rows: Vec<&[orgdeck_shared::groups::AppAccess]> = groups.iter().map(|g| g.app_access.as_slice()).collect();
    let grants = user_grants(user.default_group, rows);
    let applications = apps
        .into_iter()
        .map(|a| AppRoleOf {
            role: effective_app_role(&grants, a.id),
            application_id: a.id,
            application_name: a.name,
        })
        .collect();
    Ok(UserAccess {
        user_id: user.id,
        default_group: user.default_group,
        groups: user.groups,
        applications,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_only_for_their_sort() {
        let mut u = placeholder_user();
        u.last_name = "Doe".into();
        u.last_login_at = Some(Timestamp::from_millisecond(5).unwrap());
        let c = encode_cursor(&u, UserSort::LastLogin, true);
        assert_eq!(decode_cursor(&c, UserSort::LastLogin, true).unwrap().len(), 3);
        assert!(decode_cursor(&c, UserSort::LastLogin, false).is_err());
        assert!(decode_cursor(&c, UserSort::Name, true).is_err());
        assert!(decode_cursor("garbage!", UserSort::Name, false).is_err());
    }
}
