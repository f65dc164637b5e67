//! Groups: built-in groups are listed with their members (users whose default group they are) and are
//! never renamed, deleted or given access rows; custom groups have a unique name, access rows over the
//! organization's applications, and members of the organization.

use std::collections::HashSet;

use jiff::Timestamp;
use orgdeck_shared::{
    FieldError, Page,
    audit::{AuditTarget, diff_fields},
    groups::{AppSelection, Group, GroupDeleted, GroupInput},
};
use uuid::Uuid;

use crate::{
    auth::OrgAdmin,
    error::{AppError, AppResult},
    state::AppState,
    store::{AuditRecord, WriteTx, uuid_v7_at},
};

fn audit(admin: &OrgAdmin, now: Timestamp, action: &str, id: Uuid, summary: impl Into<String>) -> AuditRecord {
    AuditRecord::new(
        Some(admin.org_id()),
        now,
        admin.user().actor(),
        action,
        AuditTarget::new("group", id.to_string()),
        summary,
    )
    .ip(admin.user().client_ip.to_string())
}

fn no_group() -> AppError {
    AppError::NotFound("group not found".into())
}

fn built_in_refusal(g: &Group) -> AppError {
    AppError::Conflict(format!(
        "{} is a built-in group: it cannot be renamed, deleted or given access rows; its members are the users \
         whose default group it is",
        g.name
    ))
}

pub async fn list(state: &AppState, admin: &OrgAdmin) -> AppResult<Page<Group>> {
    Ok(Page {
        items: state.store.groups(admin.org_id()).await?,
        next_cursor: None,
    })
}

pub async fn get(state: &AppState, admin: &OrgAdmin, id: Uuid) -> AppResult<Group> {
    state.store.group(admin.org_id(), id).await?.ok_or_else(no_group)
}

/// Checks what needs the organization's data: a unique name (case-insensitive), its applications, its users.
async fn check_input(
    tx: &mut dyn WriteTx,
    admin: &OrgAdmin,
    input: &GroupInput,
    this: Option<Uuid>,
) -> AppResult<GroupInput> {
    let input = GroupInput {
        name: input.name.trim().to_owned(),
        ..input.clone()
    };
    input.validate().map_err(AppError::Validation)?;
    let org_id = admin.org_id();
    let mut errors = Vec::new();
    let groups = tx.groups_tx(org_id).await?;
    let lower = input.name.to_lowercase();
    if groups
        .iter()
        .any(|g| Some(g.id) != this && g.name.to_lowercase() == lower)
    {
        errors.push(FieldError::new("name", "another group already has this name"));
    }
    let apps: HashSet<Uuid> = tx.application_ids(org_id).await?.into_iter().collect();
    for (i, row) in input.app_access.iter().enumerate() {
        if let AppSelection::Only(ids) = &row.applications
            && let Some(bad) = ids.iter().find(|id| !apps.contains(id))
        {
            errors.push(FieldError::new(
                format!("app_access[{i}].applications"),
                format!("no application {bad} in this organization"),
            ));
        }
    }
    let known: HashSet<Uuid> = tx.users_in_org(org_id, &input.members).await?.into_iter().collect();
    if let Some(bad) = input.members.iter().find(|m| !known.contains(m)) {
        errors.push(FieldError::new(
            "members",
            format!("no user {bad} in this organization"),
        ));
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(AppError::Validation(errors))
    }
}

pub async fn create(state: &AppState, admin: &OrgAdmin, input: GroupInput) -> AppResult<Group> {
    let now = state.clock.now();
    let mut tx = state.store.begin_org(admin.org_id()).await?;
    let input = check_input(tx.as_mut(), admin, &input, None).await?;
    let group = Group {
        id: uuid_v7_at(now),
        name: input.name,
        built_in: false,
        grants_role: None,
        app_access: input.app_access,
        members: input.members,
        version: 1,
    };
    tx.insert_group(admin.org_id(), &group, now).await?;
    let empty = Group {
        name: String::new(),
        app_access: Vec::new(),
        members: Vec::new(),
        ..group.clone()
    };
    let changes = diff_fields(&empty, &group, &[]);
    let summary = format!("Group {} created with {} member(s)", group.name, group.members.len());
    tx.append_audit(&audit(admin, now, "group.create", group.id, summary).changes(changes))
        .await?;
    tx.commit().await?;
    Ok(group)
}

pub async fn update(
    state: &AppState,
    admin: &OrgAdmin,
    id: Uuid,
    expected: i64,
    input: GroupInput,
) -> AppResult<Group> {
    let now = state.clock.now();
    let mut tx = state.store.begin_org(admin.org_id()).await?;
    let before = tx
        .groups_tx(admin.org_id())
        .await?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or_else(no_group)?;
    if before.built_in {
        return Err(built_in_refusal(&before));
    }
    if before.version != expected {
        return Err(AppError::VersionMismatch {
            current: before.version,
        });
    }
    let input = check_input(tx.as_mut(), admin, &input, Some(id)).await?;
    let mut after = Group {
        name: input.name,
        app_access: input.app_access,
        members: input.members,
        ..before.clone()
    };
    let mut a = before.members.clone();
    a.sort();
    let mut b = after.members.clone();
    b.sort();
    if a == b && before.name == after.name && before.app_access == after.app_access {
        return Ok(before);
    }
    after.version = tx.save_group(admin.org_id(), &after, expected).await?;
    let changes: Vec<_> = diff_fields(&before, &after, &[])
        .into_iter()
        .filter(|c| c.field != "version")
        .collect();
    let names: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
    let summary = format!("Group {} changed: {}", after.name, names.join(", "));
    tx.append_audit(&audit(admin, now, "group.update", id, summary).changes(changes))
        .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn delete(state: &AppState, admin: &OrgAdmin, id: Uuid, expected: Option<i64>) -> AppResult<GroupDeleted> {
    let now = state.clock.now();
    let mut tx = state.store.begin_org(admin.org_id()).await?;
    let before = tx
        .groups_tx(admin.org_id())
        .await?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or_else(no_group)?;
    if before.built_in {
        return Err(built_in_refusal(&before));
    }
    if let Some(expected) = expected
        && before.version != expected
    {
        return Err(AppError::VersionMismatch {
            current: before.version,
        });
    }
    let members_affected = tx.delete_group(admin.org_id(), id).await?.ok_or_else(no_group)?;
    let empty = Group {
        name: String::new(),
        app_access: Vec::new(),
        members: Vec::new(),
        ..before.clone()
    };
    let changes = diff_fields(&before, &empty, &[]);
    let summary = format!(
        "Group {} deleted; {members_affected} member(s) lost the access it granted",
        before.name
    );
    tx.append_audit(&audit(admin, now, "group.delete", id, summary).changes(changes))
        .await?;
    tx.commit().await?;
    Ok(GroupDeleted { members_affected })
}
