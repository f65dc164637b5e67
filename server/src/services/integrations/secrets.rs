//! An integration's secret values: sealed at rest with the server key (bound to the integration's id, so
//! a sealed value copied onto another row does not open), opened only for the request that needs them,
//! and cut out of any text that leaves the server.

use std::collections::BTreeMap;

use base64::{Engine, engine::general_purpose::STANDARD};
use orgdeck_shared::{auth::Secret, integrations::IntegrationKind};
use uuid::Uuid;

use crate::{
    error::{AppResult, Internal},
    secret_box::{SecretBox, SecretBoxError},
};

/// The name of a webhook's signing secret among its secrets.
pub const SIGNING_SECRET: &str = "signing_secret";

/// The Standard Webhooks prefix of a signing secret as people see it.
pub const SIGNING_PREFIX: &str = "whsec_";

/// The secret fields' values of one integration, by wire name. `Debug` shows only the names.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets(BTreeMap<String, Secret>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

fn context(id: Uuid) -> Vec<u8> {
    format!("orgdeck integration {id}").into_bytes()
}

impl Secrets {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(Secret::expose)
    }

    /// Sets (or replaces) one value.
    pub fn set(&mut self, name: &str, value: Secret) {
        self.0.insert(name.to_owned(), value);
    }

    /// For the view: each secret field of `kind`, and whether it holds a value.
    pub fn which_set(&self, kind: IntegrationKind) -> BTreeMap<String, bool> {
        kind.secret_fields()
            .iter()
            .map(|f| ((*f).to_owned(), self.0.contains_key(*f)))
            .collect()
    }

    /// Sealed for the store (`None` when there is nothing to keep).
    pub fn seal(&self, secret_box: &SecretBox, id: Uuid) -> AppResult<Option<Vec<u8>>> {
        if self.0.is_empty() {
            return Ok(None);
        }
        let plain: BTreeMap<&str, &str> = self.0.iter().map(|(k, v)| (k.as_str(), v.expose())).collect();
        let json = serde_json::to_vec(&plain).map_err(Internal::from)?;
        Ok(Some(secret_box.seal(&context(id), &json)?))
    }

    /// The values a row keeps (none when it keeps none).
    pub fn open(secret_box: &SecretBox, id: Uuid, sealed: Option<&[u8]>) -> AppResult<Self> {
        let Some(sealed) = sealed else {
            return Ok(Self::default());
        };
        let plain = secret_box.open(&context(id), sealed)?;
        let map: BTreeMap<String, String> = serde_json::from_slice(&plain).map_err(|_| SecretBoxError::Decrypt)?;
        Ok(Secrets(map.into_iter().map(|(k, v)| (k, Secret::new(v))).collect()))
    }

    /// `text` with every secret value (as sent, URL-encoded, and inside HTTP Basic credentials) replaced
    /// by `***`: a remote error message or a transport error may quote the request back.
    pub fn redact(&self, text: &str, extra: &[&str]) -> String {
        let mut out = text.to_owned();
        let mut values: Vec<String> = Vec::new();
        for v in self.0.values().map(Secret::expose).chain(extra.iter().copied()) {
            // A value this short would blank ordinary words; the kinds' secrets are never this short.
            if v.len() < 4 {
                continue;
            }
            values.push(v.to_owned());
            let encoded: String = form_urlencoded::byte_serialize(v.as_bytes()).collect();
            values.push(encoded);
            values.push(STANDARD.encode(v));
        }
        // Longest first, so a value containing another is cut whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        for v in values {
            out = out.replace(&v, "***");
        }
        out
    }
}

/// A new webhook signing secret: `whsec_` and the base64 of 32 random bytes (Standard Webhooks asks for
/// 24 to 64), made here so its strength never depends on what a person types.
pub fn new_signing_secret() -> Secret {
    let mut key = [0u8; 32];
    rand::fill(&mut key[..]);
    Secret::new(format!("{SIGNING_PREFIX}{}", STANDARD.encode(key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_for_their_integration() {
        let b = SecretBox::new(&[3; 32]);
        let (a, other) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut s = Secrets::default();
        assert_eq!(s.seal(&b, a).unwrap(), None);
        s.set("token", Secret::new("tok-123456"));
        let sealed = s.seal(&b, a).unwrap().unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("tok-123456"));
        assert_eq!(Secrets::open(&b, a, Some(&sealed)).unwrap(), s);
        assert!(Secrets::open(&b, other, Some(&sealed)).is_err());
        assert_eq!(format!("{s:?}"), r#"{"token"}"#);
        assert_eq!(
            s.which_set(IntegrationKind::Jira),
            BTreeMap::from([("token".to_owned(), true)])
        );
    }

    #[test]
    fn redaction_covers_plain_encoded_and_basic_forms() {
        let mut s = Secrets::default();
        s.set("api_key", Secret::new("k3y/with+chars"));
        let basic = STANDARD.encode("me@acme.test:k3y/with+chars");
        let text = format!("bad key k3y/with+chars at ?api_key=k3y%2Fwith%2Bchars, auth Basic {basic}");
        let out = s.redact(&text, &["me@acme.test:k3y/with+chars"]);
        assert!(!out.contains("k3y"), "{out}");
        assert!(!out.contains(&basic), "{out}");
        assert_eq!(s.redact("no secret here", &[]), "no secret here");
    }

    #[test]
    fn signing_secrets_are_whsec_and_32_random_bytes() {
        let a = new_signing_secret();
        let b = new_signing_secret();
        assert_ne!(a, b);
        let raw = a.expose().strip_prefix(SIGNING_PREFIX).unwrap();
        assert_eq!(STANDARD.decode(raw).unwrap().len(), 32);
    }
}
