//! Session tokens: 32 random bytes, base64url; only their SHA-256 is stored.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use orgdeck_shared::auth::Secret;
use rand::Rng;
use sha2::{Digest, Sha256};

const TOKEN_BYTES: usize = 32;

/// A new session token (256 random bits) and the hash to store.
pub fn new_session_token() -> (Secret, String) {
    let mut bytes = [0u8; TOKEN_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (Secret::new(token), hash)
}

/// The lower-case hex SHA-256 of a token: what the store keeps and looks up.
pub fn hash_token(token: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(token.as_bytes());
    // Once per authenticated request: no formatting machinery.
    let mut hex = String::with_capacity(digest.len() * 2);
    for b in digest.iter() {
        hex.push(char::from(HEX[usize::from(b >> 4)]));
        hex.push(char::from(HEX[usize::from(b & 15)]));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_stored_only_as_hash() {
        let (a, ha) = new_session_token();
        let (b, _) = new_session_token();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43, "32 bytes in unpadded base64url");
        assert_eq!(ha.len(), 64);
        assert_eq!(ha, hash_token(a.expose()));
        assert!(!ha.contains(a.expose()));
        // The hex of SHA-256("abc"), from FIPS 180-2.
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
