//! API keys: long-lived credentials for scripts and API-only users, sent like a session token
//! (`Authorization: Bearer od_...`). A key is `od_` + 32 random base62 characters + a 6-character
//! checksum, so a typo or a truncated paste is caught before any request, and secret scanners can tell
//! a real key from noise. The server keeps only a hash and the short prefix shown in lists.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{FieldError, auth::Secret};

/// Every key starts with this.
pub const KEY_PREFIX: &str = "od_";
/// Random base62 characters after the prefix (about 190 bits).
pub const RANDOM_LEN: usize = 32;
/// Base62 characters of the checksum at the end.
pub const CHECKSUM_LEN: usize = 6;
/// The whole key's length.
pub const KEY_LEN: usize = KEY_PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;
/// Characters of a key shown in lists (the prefix and the first random characters).
pub const DISPLAY_LEN: usize = KEY_PREFIX.len() + 6;
/// The longest grace period a rotation may give the old key: one week.
pub const MAX_GRACE_MINUTES: u32 = 7 * 24 * 60;
/// The largest page of `GET api_keys?limit=`.
pub const API_KEY_PAGE_MAX: u32 = 500;

pub const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CRC-32 (IEEE) of `data`.
fn crc32(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

/// The checksum of a key's prefix and random part: its CRC-32 in six base62 digits.
pub fn checksum(body: &str) -> String {
    let mut n = u64::from(crc32(body.as_bytes()));
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out.iter().map(|b| char::from(*b)).collect()
}

/// The key made of `random` (RANDOM_LEN base62 characters): prefix, random part, checksum.
pub fn assemble(random: &str) -> String {
    let body = format!("{KEY_PREFIX}{random}");
    let sum = checksum(&body);
    body + &sum
}

/// Whether `key` has the shape of a key and its checksum matches (says nothing of whether it exists).
pub fn well_formed(key: &str) -> bool {
    key.len() == KEY_LEN
        && key.starts_with(KEY_PREFIX)
        && key[KEY_PREFIX.len()..].bytes().all(|b| b.is_ascii_alphanumeric())
        && checksum(&key[..KEY_LEN - CHECKSUM_LEN]) == key[KEY_LEN - CHECKSUM_LEN..]
}

/// What a list shows of a key: `od_AbC123`.
pub fn display_prefix(key: &str) -> String {
    key.chars().take(DISPLAY_LEN).collect()
}

/// Whose key it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApiKeyHolder {
    pub id: Uuid,
    pub email: String,
}

/// A key as lists show it: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApiKeyInfo {
    pub id: Uuid,
    pub holder: ApiKeyHolder,
    /// The first characters of the current key (`od_AbC123`), to tell keys apart.
    pub prefix: String,
    #[schemars(with = "crate::schema::Timestamp")]
    pub created_at: Timestamp,
    /// When the current key was made (creation or the last rotation).
    #[schemars(with = "crate::schema::Timestamp")]
    pub rotated_at: Timestamp,
    #[schemars(with = "Option<crate::schema::Timestamp>")]
    pub last_used_at: Option<Timestamp>,
    /// A rotation's grace period: the key it replaced keeps working until then.
    #[schemars(with = "Option<crate::schema::Timestamp>")]
    pub previous_valid_until: Option<Timestamp>,
}

/// A key just made: the only time the server shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NewApiKey {
    pub info: ApiKeyInfo,
    pub key: Secret,
}

/// `POST api_keys`: a personal key for the caller, or (admins only) for a user of the organization, such
/// as an API-only user who cannot log in to make their own. One key a user: a second answers 409.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CreateApiKey {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
}

/// `POST api_keys/{id}/rotate`: a new key at once; the old one keeps working `grace_minutes` more
/// (0, the default: it stops now).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RotateApiKey {
    #[serde(default)]
    pub grace_minutes: u32,
}

impl RotateApiKey {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        if self.grace_minutes > MAX_GRACE_MINUTES {
            Err(vec![FieldError::new(
                "grace_minutes",
                format!("at most {MAX_GRACE_MINUTES} minutes (one week)"),
            )])
        } else {
            Ok(())
        }
    }
}

/// `POST api_keys/{id}/email` answers this: the key was rotated and the new one mailed to the holder's
/// own address (`sent_to`, masked); the key itself is never in an answer that can be sent elsewhere.
/// The request body is optional: [`RotateApiKey`], for a grace period of the replaced key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApiKeyEmailed {
    pub sent_to: String,
    pub info: ApiKeyInfo,
}

/// `settings/api_keys`: the organization's rules for API keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default)]
pub struct ApiKeySettings {
    /// Holders may have their key emailed to them ("email me my key"); off for organizations that
    /// forbid secrets in mail.
    pub email_keys: bool,
}

impl Default for ApiKeySettings {
    fn default() -> Self {
        Self { email_keys: true }
    }
}

impl ApiKeySettings {
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        Ok(())
    }
}

/// `GET api_keys?user=&cursor=&limit=`: admins may name a holder; others see their own key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ApiKeyQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<uuid::Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<uuid::Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// The routes of API keys.
pub mod endpoints {
    use super::*;
    use crate::{Page, routes::*};
    use uuid::Uuid;

    crate::endpoints! {
        /// One page of keys: the caller's own, or (admins) every key of the organization.
        List: Get API_KEYS, User, params (), query ApiKeyQuery, body () => Page<ApiKeyInfo>;
        /// A key for the caller, or (admins) for another user; shown once.
        Create: Post API_KEYS, Session, params (), query (), body CreateApiKey => NewApiKey, status 201;
        /// Revokes a key (its holder, or an admin).
        Revoke: Delete API_KEY, Session, params Uuid, query (), body () => (), status 204;
        /// A new key in place of the old one, which keeps working for the grace period; shown once.
        Rotate: Post API_KEY_ROTATE, Session, params Uuid, query (), body RotateApiKey => NewApiKey;
        /// The holder only: rotates the key and mails the new one to the holder's own address.
        Email: Post API_KEY_EMAIL, Session, params Uuid, query (), body RotateApiKey => ApiKeyEmailed, body_required false;
    }

    pub(crate) fn each(v: &mut impl crate::endpoint::EndpointVisitor) {
        v.visit::<List>();
        v.visit::<Create>();
        v.visit::<Revoke>();
        v.visit::<Rotate>();
        v.visit::<Email>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANDOM: &str = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn an_assembled_key_has_the_documented_shape_and_checks() {
        let key = assemble(RANDOM);
        assert_eq!(key.len(), KEY_LEN);
        assert!(key.starts_with("od_AbCdEf"));
        assert!(well_formed(&key));
        assert_eq!(display_prefix(&key), "od_AbCdEf");
    }

    #[test]
    fn a_typo_a_truncation_or_a_foreign_token_is_not_well_formed() {
        let key = assemble(RANDOM);
        let mut typo = key.clone().into_bytes();
        typo[10] = if typo[10] == b'x' { b'y' } else { b'x' };
        assert!(!well_formed(std::str::from_utf8(&typo).unwrap()));
        assert!(!well_formed(&key[..KEY_LEN - 1]));
        assert!(!well_formed(&key.replacen("od_", "xx_", 1)));
        assert!(!well_formed("q2FrZS1zZXNzaW9uLXRva2VuLW9mLTQzLWNoYXJzLWxvbmc"));
        assert!(!well_formed(&format!("od_{}{}", "é".repeat(16), checksum("od_"))));
    }

    #[test]
    fn emailing_keys_is_allowed_unless_an_organization_turns_it_off() {
        assert!(ApiKeySettings::default().email_keys);
        let off: ApiKeySettings = serde_json::from_str(r#"{"email_keys": false}"#).unwrap();
        assert!(!off.email_keys);
        let empty: ApiKeySettings = serde_json::from_str("{}").unwrap();
        assert!(empty.email_keys, "a document without the field keeps the default");
    }

    #[test]
    fn a_rotation_grace_period_is_at_most_a_week() {
        assert!(RotateApiKey { grace_minutes: 0 }.validate().is_ok());
        assert!(
            RotateApiKey {
                grace_minutes: MAX_GRACE_MINUTES
            }
            .validate()
            .is_ok()
        );
        let e = RotateApiKey {
            grace_minutes: MAX_GRACE_MINUTES + 1,
        }
        .validate()
        .unwrap_err();
        assert_eq!(e[0].field, "grace_minutes");
    }
}
