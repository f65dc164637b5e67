//! The Users and Groups routes of the client.

use orgdeck_shared::{
    ApiError, ErrorCode, Page,
    groups::{Group, GroupDeleted, GroupInput, UserAccess},
    inventory::Application,
    password::PasswordPolicy,
    routes,
    users::{BulkReport, BulkRequest, ImportReport, User, UserCreated, UserPatch, UserQuery},
};
use reqwest::{Method, header};
use uuid::Uuid;

use super::{ApiClient, Created, NewUserRequest, UserAction};

/// `?q=...&status=...` from a user query (only the fields set).
pub fn query_string(q: &UserQuery) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(v) = &q.q {
        pairs.push(("q", v.clone()));
    }
    if let Some(v) = q.status {
        pairs.push(("status", v.as_str().to_owned()));
    }
    if let Some(v) = &q.group {
        pairs.push(("group", v.clone()));
    }
    if let Some(v) = &q.sort {
        pairs.push(("sort", v.clone()));
    }
    if let Some(v) = &q.cursor {
        pairs.push(("cursor", v.clone()));
    }
    if let Some(v) = q.limit {
        pairs.push(("limit", v.to_string()));
    }
    if pairs.is_empty() {
        return String::new();
    }
    let joined: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
    format!("?{}", joined.join("&"))
}

/// Percent-encodes everything but the unreserved characters.
pub(super) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl ApiClient {
    /// The password policy; a server without the route yet (404) means the default policy.
    pub async fn password_policy(&self) -> Result<PasswordPolicy, ApiError> {
        match self.get_settings::<PasswordPolicy>(routes::area::PASSWORD_POLICY).await {
            Ok(v) => Ok(v.value),
            Err(e) if e.code == ErrorCode::NotFound => Ok(PasswordPolicy::default()),
            Err(e) => Err(e),
        }
    }

    pub async fn users(&self, query: &UserQuery) -> Result<Page<User>, ApiError> {
        let path = format!("{}{}", routes::USERS, query_string(query));
        self.call::<(), _>(Method::GET, &path, None).await
    }

    pub async fn user(&self, id: Uuid) -> Result<User, ApiError> {
        self.call::<(), _>(Method::GET, &routes::user(id), None).await
    }

    pub async fn user_access(&self, id: Uuid) -> Result<UserAccess, ApiError> {
        self.call::<(), _>(Method::GET, &routes::user_access(id), None).await
    }

    pub async fn create_user(&self, new: &NewUserRequest) -> Result<Created, ApiError> {
        let created: UserCreated = self.call(Method::POST, routes::USERS, Some(&new.to_wire())).await?;
        Ok(created.into())
    }

    pub async fn update_user(&self, id: Uuid, version: i64, patch: &UserPatch) -> Result<User, ApiError> {
        let rb = self
            .request(Method::PATCH, &routes::user(id))
            .header(header::IF_MATCH, orgdeck_shared::etag_for(version))
            .json(patch);
        self.send(rb).await.map(|(v, _)| v)
    }

    pub async fn delete_user(&self, id: Uuid) -> Result<(), ApiError> {
        let _: serde_json::Value = self.call::<(), _>(Method::DELETE, &routes::user(id), None).await?;
        Ok(())
    }

    pub async fn user_action(&self, id: Uuid, action: UserAction) -> Result<User, ApiError> {
        self.call::<(), _>(Method::POST, &routes::user_action(id, action.route()), None)
            .await
    }

    pub async fn bulk_users(&self, req: &BulkRequest) -> Result<BulkReport, ApiError> {
        self.call(Method::POST, routes::USERS_BULK, Some(req)).await
    }

    /// Reads the CSV file and posts it; the server imports every row or none.
    pub async fn import_users(&self, path: &str) -> Result<Vec<Created>, ApiError> {
        let expanded = expand_home(path);
        let csv = tokio::fs::read(&expanded)
            .await
            .map_err(|e| ApiError::new(ErrorCode::BadRequest, format!("cannot read {path}: {e}")))?;
        let rb = self
            .request(Method::POST, routes::USERS_IMPORT)
            .header(header::CONTENT_TYPE, "text/csv")
            .body(csv);
        let (report, _): (ImportReport, _) = self.send(rb).await?;
        Ok(report.created.into_iter().map(Created::from).collect())
    }

    pub async fn groups(&self) -> Result<Page<Group>, ApiError> {
        self.call::<(), _>(Method::GET, routes::GROUPS, None).await
    }

    pub async fn create_group(&self, input: &GroupInput) -> Result<Group, ApiError> {
        self.call(Method::POST, routes::GROUPS, Some(input)).await
    }

    pub async fn update_group(&self, id: Uuid, version: i64, input: &GroupInput) -> Result<Group, ApiError> {
        let rb = self
            .request(Method::PATCH, &routes::group(id))
            .header(header::IF_MATCH, orgdeck_shared::etag_for(version))
            .json(input);
        self.send(rb).await.map(|(v, _)| v)
    }

    pub async fn delete_group(&self, id: Uuid) -> Result<GroupDeleted, ApiError> {
        self.call::<(), _>(Method::DELETE, &routes::group(id), None).await
    }

    pub async fn applications(&self) -> Result<Page<Application>, ApiError> {
        self.call::<(), _>(Method::GET, routes::APPLICATIONS, None).await
    }
}

/// `~/x.csv` is the home directory's `x.csv`, as people type it.
fn expand_home(path: &str) -> std::path::PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => std::path::PathBuf::from(path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_encode_only_what_is_set() {
        let q = UserQuery {
            q: Some("ana maría&x".into()),
            limit: Some(100),
            ..Default::default()
        };
        assert_eq!(query_string(&q), "?q=ana%20mar%C3%ADa%26x&limit=100");
        assert_eq!(query_string(&UserQuery::default()), "");
    }
}
