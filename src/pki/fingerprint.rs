//! SHA-256 fingerprints of DER bytes (certificates, public keys).
//!
//! The full form is what reports and backups record; the short form is for one-line messages.

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of `bytes`: 64 characters.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex_lower(&Sha256::digest(bytes))
}

/// Short fingerprint for messages: `sha256:` and the first 12 hex characters.
pub fn fingerprint(bytes: &[u8]) -> String {
    let mut full = sha256_hex(bytes);
    full.truncate(12);
    format!("sha256:{full}")
}

/// Lowercase hex of any bytes (also used for certificate serials).
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_empty_input_is_the_known_constant() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn short_fingerprint_is_prefix_of_full_hash() {
        assert_eq!(fingerprint(b"abc"), "sha256:ba7816bf8f01");
        assert_eq!(sha256_hex(b"abc").len(), 64);
    }

    #[test]
    fn hex_is_lowercase_and_zero_padded() {
        assert_eq!(hex_lower(&[0x00, 0x0a, 0xff]), "000aff");
    }
}
