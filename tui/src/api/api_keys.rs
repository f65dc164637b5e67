//! The API keys routes of the client: the list, a new key, rotate, "email me my key", revoke, and the
//! organization's `api_keys` settings document.

use orgdeck_shared::{
    ApiError, Page, Versioned,
    api_keys::{ApiKeyEmailed, ApiKeyInfo, ApiKeySettings, CreateApiKey, NewApiKey, RotateApiKey},
    routes,
};
use reqwest::Method;
use uuid::Uuid;

use super::{ApiClient, users::encode};

impl ApiClient {
    /// A page of keys: the caller's own, or (admins) every key of the organization.
    pub async fn api_keys(&self, cursor: Option<&str>, limit: u32) -> Result<Page<ApiKeyInfo>, ApiError> {
        let mut path = format!("{}?limit={limit}", routes::API_KEYS);
        if let Some(c) = cursor {
            path.push_str(&format!("&cursor={}", encode(c)));
        }
        self.call::<(), _>(Method::GET, &path, None).await
    }

    /// A key for the caller, or (admins) for the user `user`; shown once.
    pub async fn create_api_key(&self, user: Option<Uuid>) -> Result<NewApiKey, ApiError> {
        let body = CreateApiKey { user_id: user };
        self.call(Method::POST, routes::API_KEYS, Some(&body)).await
    }

    pub async fn rotate_api_key(&self, id: Uuid, grace_minutes: u32) -> Result<NewApiKey, ApiError> {
        let body = RotateApiKey { grace_minutes };
        self.call(Method::POST, &routes::api_key_rotate(id), Some(&body)).await
    }

    /// "Email me my key": the server rotates the caller's own key and mails the new one to them.
    pub async fn email_api_key(&self, id: Uuid) -> Result<ApiKeyEmailed, ApiError> {
        let body = RotateApiKey::default();
        self.call(Method::POST, &routes::api_key_email(id), Some(&body)).await
    }

    pub async fn revoke_api_key(&self, id: Uuid) -> Result<(), ApiError> {
        let _: serde_json::Value = self.call::<(), _>(Method::DELETE, &routes::api_key(id), None).await?;
        Ok(())
    }

    pub async fn api_key_settings(&self) -> Result<Versioned<ApiKeySettings>, ApiError> {
        self.get_settings(routes::area::API_KEYS).await
    }

    pub async fn put_api_key_settings(
        &self,
        version: i64,
        value: &ApiKeySettings,
    ) -> Result<Versioned<ApiKeySettings>, ApiError> {
        self.put_settings(routes::area::API_KEYS, version, value).await
    }
}
