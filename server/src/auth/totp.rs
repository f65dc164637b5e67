//! TOTP (RFC 6238): SHA-1, 6 digits, 30 s steps, one step of skew either way. Verification takes the
//! time from the injected clock and returns the matched step; a step at or before the user's last
//! accepted step is refused, so a code works once.

use totp_rs::{Algorithm, Builder, Totp};

/// Seconds per code.
pub const STEP_SECS: u64 = 30;
/// Digits per code.
pub const DIGITS: u8 = 6;
/// Steps accepted either side of the current one.
pub const SKEW: u64 = 1;
/// Secret length in bytes (160 bits, as RFC 4226 recommends).
pub const SECRET_LEN: usize = 20;
/// Shown by authenticator apps.
pub const ISSUER: &str = "orgdeck";

/// Why the `otpauth://` URI of a secret could not be made.
#[derive(Debug, thiserror::Error)]
pub enum OtpauthError {
    #[error("invalid TOTP parameters")]
    Parameters(#[source] totp_rs::TotpError),
    #[error("otpauth uri")]
    Uri(#[source] totp_rs::TotpError),
}

fn build(secret: &[u8], digits: u8, account: Option<&str>) -> Result<Totp, totp_rs::TotpError> {
    let mut b = Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(digits)
        .with_skew(SKEW as u16)
        .with_step_duration(STEP_SECS)
        .with_secret(secret.to_vec());
    if let Some(account) = account {
        b = b.with_account_name(account).with_issuer(Some(ISSUER));
    }
    b.build()
}

/// A fresh secret from the operating system's CSPRNG.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_LEN];
    rand::fill(&mut secret[..]);
    secret
}

/// The base32 form of a secret, for typing into an authenticator by hand.
pub fn secret_base32(secret: &[u8]) -> String {
    totp_rs::Secret::from(secret.to_vec()).to_base32()
}

/// The `otpauth://totp/orgdeck:EMAIL?...` URI for a secret.
pub fn otpauth_uri(secret: &[u8], email: &str) -> Result<String, OtpauthError> {
    let totp = build(secret, DIGITS, Some(email)).map_err(OtpauthError::Parameters)?;
    totp.to_url().map_err(OtpauthError::Uri)
}

/// The code of `secret` at unix time `secs` with `digits` digits.
pub fn code_at(secret: &[u8], digits: u8, secs: u64) -> Option<String> {
    Some(build(secret, digits, None).ok()?.generate(secs).to_string())
}

/// Checks `code` at unix time `now_secs`: the matched step, if it is within one step of now and later
/// than `last_step` (a step already used, or an older one, is refused).
pub fn verify(secret: &[u8], code: &str, now_secs: u64, last_step: Option<u64>) -> Option<u64> {
    let code = code.trim();
    if code.len() != usize::from(DIGITS) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = build(secret, DIGITS, None).ok()?;
    let origin = now_secs / STEP_SECS;
    (origin.saturating_sub(SKEW)..=origin + SKEW)
        .filter(|step| last_step.is_none_or(|last| *step > last))
        .find(|step| constant_eq(totp.generate(step * STEP_SECS).to_string().as_bytes(), code.as_bytes()))
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";
    const VECTORS: [(u64, &str); 5] = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
    ];

    #[test]
    fn rfc6238_sha1_vectors() {
        for (t, expected) in VECTORS {
            assert_eq!(code_at(RFC_SECRET, 8, t).unwrap(), expected, "8 digits at {t}");
            let six = &expected[2..];
            assert_eq!(code_at(RFC_SECRET, 6, t).unwrap(), six, "6 digits at {t}");
            assert_eq!(verify(RFC_SECRET, six, t, None), Some(t / STEP_SECS));
        }
    }

    #[test]
    fn one_step_of_skew_accepted_two_refused() {
        let t = 1_234_567_890;
        let step = t / STEP_SECS;
        for (offset, ok) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let at = ((step as i64 + offset) as u64) * STEP_SECS;
            let code = code_at(RFC_SECRET, 6, at).unwrap();
            assert_eq!(verify(RFC_SECRET, &code, t, None).is_some(), ok, "offset {offset}");
        }
    }

    #[test]
    fn a_step_is_accepted_once() {
        let t = 1_111_111_111;
        let code = code_at(RFC_SECRET, 6, t).unwrap();
        let step = verify(RFC_SECRET, &code, t, None).unwrap();
        assert_eq!(verify(RFC_SECRET, &code, t, Some(step)), None, "replay");
        assert_eq!(verify(RFC_SECRET, &code, t + 15, Some(step)), None, "replay later");
        // An older step than the last one used is refused too.
        let older = code_at(RFC_SECRET, 6, t - STEP_SECS).unwrap();
        assert_eq!(verify(RFC_SECRET, &older, t, Some(step)), None);
        let newer = code_at(RFC_SECRET, 6, t + STEP_SECS).unwrap();
        assert_eq!(verify(RFC_SECRET, &newer, t + STEP_SECS, Some(step)), Some(step + 1));
    }

    #[test]
    fn malformed_codes_refused() {
        for bad in ["", "12345", "1234567", "abcdef", "12 345"] {
            assert_eq!(verify(RFC_SECRET, bad, 59, None), None);
        }
    }

    #[test]
    fn uri_names_issuer_and_account() {
        let secret = new_secret();
        assert_eq!(secret.len(), 20);
        let uri = otpauth_uri(&secret, "ada@example.com").unwrap();
        assert!(uri.starts_with("otpauth://totp/orgdeck:ada%40example.com?"), "{uri}");
        assert!(uri.contains(&format!("secret={}", secret_base32(&secret))), "{uri}");
        assert!(uri.contains("issuer=orgdeck"), "{uri}");
    }
}
