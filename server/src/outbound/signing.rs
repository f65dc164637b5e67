//! Standard Webhooks 1.0 signatures (symmetric, `v1`), so a receiver can use any of that spec's libraries
//! to check that a delivery came from this server and was not replayed: `webhook-id`,
//! `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, and
//! `X-Orgdeck-Signature` with the same value (SETTINGS.md §6).

use base64::{Engine, engine::general_purpose::STANDARD};
use hmac::{Hmac, KeyInit, Mac};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use sha2::Sha256;

/// How a secret is shown: the spec's prefix, then base64.
pub const SECRET_PREFIX: &str = "whsec_";
/// Bytes of a secret the server makes.
pub const SECRET_LEN: usize = 32;
/// The spec allows 24 to 64 bytes; a secret pasted from elsewhere (rotation) may be any of those.
const SECRET_LEN_RANGE: std::ops::RangeInclusive<usize> = 24..=64;
/// The reference libraries' tolerance for a delivery's timestamp.
pub const DEFAULT_TOLERANCE_SECS: i64 = 5 * 60;

pub const WEBHOOK_ID: &str = "webhook-id";
pub const WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
pub const WEBHOOK_SIGNATURE: &str = "webhook-signature";
pub const X_ORGDECK_SIGNATURE: &str = "x-orgdeck-signature";

/// Why a secret or message id is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    #[error("a webhook secret starts with {SECRET_PREFIX}")]
    MissingPrefix,
    #[error("the webhook secret after {SECRET_PREFIX} is not base64")]
    NotBase64,
    #[error("the webhook secret is {len} bytes; it must be 24 to 64")]
    Length { len: usize },
    #[error("a message id is 1 to 255 letters, digits, '_' or '-' (no '.', which separates the signed parts)")]
    MessageId,
}

/// Why a delivery's signature does not check out (for receivers and tests).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the {0} header is missing or not text")]
    MissingHeader(&'static str),
    #[error("webhook-timestamp is not a whole number of seconds")]
    BadTimestamp,
    #[error("the delivery's timestamp is {skew_secs} s away from now (tolerance {tolerance_secs} s)")]
    OutsideTolerance { skew_secs: i64, tolerance_secs: i64 },
    #[error("no v1 signature matches")]
    NoMatch,
    #[error(transparent)]
    MessageId(#[from] SigningError),
}

/// A signing key. Its `Debug` hides it; [`WebhookSecret::expose`] gives the `whsec_` form, shown once.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret {
    key: Vec<u8>,
}

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

impl WebhookSecret {
    /// 32 random bytes from the operating system's generator.
    pub fn generate() -> Self {
        let mut key = vec![0u8; SECRET_LEN];
        rand::fill(&mut key[..]);
        Self { key }
    }

    /// `whsec_` + standard base64 of 24 to 64 bytes.
    pub fn parse(text: &str) -> Result<Self, SigningError> {
        let encoded = text
            .trim()
            .strip_prefix(SECRET_PREFIX)
            .ok_or(SigningError::MissingPrefix)?;
        let key = STANDARD.decode(encoded).map_err(|_| SigningError::NotBase64)?;
        if !SECRET_LEN_RANGE.contains(&key.len()) {
            return Err(SigningError::Length { len: key.len() });
        }
        Ok(Self { key })
    }

    /// The `whsec_…` text the admin copies into the receiver.
    pub fn expose(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.key))
    }

    /// `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` over the exact bytes sent.
    pub fn sign(&self, id: &MessageId, timestamp: i64, body: &[u8]) -> String {
        format!(
            "v1,{}",
            STANDARD.encode(self.mac(id, timestamp, body).finalize().into_bytes())
        )
    }

    fn mac(&self, id: &MessageId, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(id.as_str().as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

/// A delivery's `webhook-id`: the same for every attempt (and a redelivery), so receivers can drop
/// duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MessageId(String);

impl MessageId {
    /// `msg_` + a UUIDv7 (time-ordered, so ids sort by creation in a receiver's log).
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(format!("msg_{}", uuid::Uuid::now_v7().simple()))
    }

    /// An id stored earlier (a redelivery keeps it).
    pub fn parse(id: &str) -> Result<Self, SigningError> {
        let ok =
            (1..=255).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            return Err(SigningError::MessageId);
        }
        Ok(Self(id.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The signature header's value: one `v1,…` per secret, space-separated (two during a rotation's overlap,
/// so receivers holding either secret accept the delivery).
pub fn signature_value(secrets: &[WebhookSecret], id: &MessageId, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|secret| secret.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The headers of one delivery attempt: `webhook-id` and `webhook-timestamp` always (the id lets a
/// receiver deduplicate even unsigned deliveries), `webhook-signature` and `X-Orgdeck-Signature` when
/// there is a secret.
pub fn headers(secrets: &[WebhookSecret], id: &MessageId, timestamp: i64, body: &[u8]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(HeaderName::from_static(WEBHOOK_ID), text_value(id.as_str()));
    headers.insert(
        HeaderName::from_static(WEBHOOK_TIMESTAMP),
        text_value(&timestamp.to_string()),
    );
    if !secrets.is_empty() {
        let signature = text_value(&signature_value(secrets, id, timestamp, body));
        headers.insert(HeaderName::from_static(WEBHOOK_SIGNATURE), signature.clone());
        headers.insert(HeaderName::from_static(X_ORGDECK_SIGNATURE), signature);
    }
    headers
}

/// Ids, digits and base64 are visible ASCII, always a valid header value.
fn text_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text).expect("ASCII header value")
}

/// A receiver's check: the timestamp within `tolerance_secs` of `now`, and some `v1` signature matching
/// `secret` (compared in constant time).
pub fn verify(
    secret: &WebhookSecret,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let header = |name: &'static str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or(VerifyError::MissingHeader(name))
    };
    let id = MessageId::parse(header(WEBHOOK_ID)?)?;
    let timestamp: i64 = header(WEBHOOK_TIMESTAMP)?
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    let skew = now.saturating_sub(timestamp);
    if skew.abs() > tolerance_secs {
        return Err(VerifyError::OutsideTolerance {
            skew_secs: skew,
            tolerance_secs,
        });
    }
    for entry in header(WEBHOOK_SIGNATURE)?.split(' ') {
        let Some(encoded) = entry.strip_prefix("v1,") else {
            continue;
        };
        let Ok(signature) = STANDARD.decode(encoded) else {
            continue;
        };
        if secret.mac(&id, timestamp, body).verify_slice(&signature).is_ok() {
            return Ok(());
        }
    }
    Err(VerifyError::NoMatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The known-answer vector of the Standard Webhooks reference library (notes/integrations.md §5.1).
    const KAT_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
    const KAT_ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const KAT_TS: i64 = 1649367553;
    const KAT_BODY: &[u8] = br#"{"email":"test@example.com","username":"test_user"}"#;
    const KAT_SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

    #[test]
    fn the_spec_known_answer_vector_signs_to_its_published_signature() {
        let secret = WebhookSecret::parse(KAT_SECRET).unwrap();
        let id = MessageId::parse(KAT_ID).unwrap();
        assert_eq!(secret.sign(&id, KAT_TS, KAT_BODY), KAT_SIGNATURE);
        // One changed byte anywhere changes the signature.
        assert_ne!(secret.sign(&id, KAT_TS + 1, KAT_BODY), KAT_SIGNATURE);
        assert_ne!(secret.sign(&id, KAT_TS, &KAT_BODY[1..]), KAT_SIGNATURE);
        assert_ne!(
            secret.sign(
                &MessageId::parse("msg_27UH4WbU6Z5A5EzD8u03UvzRbpK").unwrap(),
                KAT_TS,
                KAT_BODY
            ),
            KAT_SIGNATURE
        );
    }

    #[test]
    fn the_headers_carry_the_signature_twice_and_verify() {
        let secret = WebhookSecret::parse(KAT_SECRET).unwrap();
        let id = MessageId::parse(KAT_ID).unwrap();
        let h = headers(std::slice::from_ref(&secret), &id, KAT_TS, KAT_BODY);
        assert_eq!(h[WEBHOOK_ID], KAT_ID);
        assert_eq!(h[WEBHOOK_TIMESTAMP], "1649367553");
        assert_eq!(h[WEBHOOK_SIGNATURE], KAT_SIGNATURE);
        assert_eq!(h[X_ORGDECK_SIGNATURE], KAT_SIGNATURE);
        assert_eq!(
            verify(&secret, &h, KAT_BODY, KAT_TS + 10, DEFAULT_TOLERANCE_SECS),
            Ok(())
        );
        assert_eq!(
            verify(&secret, &h, b"{}", KAT_TS, DEFAULT_TOLERANCE_SECS),
            Err(VerifyError::NoMatch)
        );
        assert!(matches!(
            verify(&secret, &h, KAT_BODY, KAT_TS + 301, DEFAULT_TOLERANCE_SECS),
            Err(VerifyError::OutsideTolerance { skew_secs: 301, .. })
        ));
        assert_eq!(
            verify(&WebhookSecret::generate(), &h, KAT_BODY, KAT_TS, DEFAULT_TOLERANCE_SECS),
            Err(VerifyError::NoMatch)
        );
    }

    #[test]
    fn during_a_rotation_either_secret_verifies() {
        let old = WebhookSecret::generate();
        let new = WebhookSecret::generate();
        let id = MessageId::new();
        let h = headers(&[old.clone(), new.clone()], &id, 1_700_000_000, b"body");
        let value = h[WEBHOOK_SIGNATURE].to_str().unwrap();
        assert_eq!(value.split(' ').count(), 2);
        assert!(verify(&old, &h, b"body", 1_700_000_000, 0).is_ok());
        assert!(verify(&new, &h, b"body", 1_700_000_000, 0).is_ok());
        let unsigned = headers(&[], &id, 1_700_000_000, b"body");
        assert!(unsigned.contains_key(WEBHOOK_ID) && !unsigned.contains_key(WEBHOOK_SIGNATURE));
    }

    #[test]
    fn generated_secrets_are_32_random_bytes_shown_as_whsec() {
        let a = WebhookSecret::generate();
        let shown = a.expose();
        assert!(shown.starts_with("whsec_"), "{shown}");
        assert_eq!(STANDARD.decode(&shown[6..]).unwrap().len(), 32);
        assert_eq!(WebhookSecret::parse(&shown).unwrap(), a);
        assert_ne!(WebhookSecret::generate(), a);
        assert_eq!(format!("{a:?}"), "WebhookSecret(***)");
    }

    #[test]
    fn bad_secrets_and_ids_are_named() {
        assert_eq!(
            WebhookSecret::parse("C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
            Err(SigningError::MissingPrefix)
        );
        assert_eq!(WebhookSecret::parse("whsec_!!!"), Err(SigningError::NotBase64));
        assert_eq!(WebhookSecret::parse("whsec_AAAA"), Err(SigningError::Length { len: 3 }));
        for bad in ["", "msg.1", "msg 1", "msg/1"] {
            assert_eq!(MessageId::parse(bad), Err(SigningError::MessageId), "{bad:?}");
        }
        let id = MessageId::new();
        assert!(id.as_str().starts_with("msg_") && MessageId::parse(id.as_str()).is_ok());
    }
}
