//! Generation of a token signing pair: a fresh RSA key and a self-signed certificate made from
//! it, the way the chart's own template does it when `core.tokenKey` is blank (sprig's `genCA`).
//!
//! Pure apart from the random number generator the caller passes in; the time is passed in too,
//! so tests can fix it. The key comes out as PKCS#1 (`RSA PRIVATE KEY`), the only form Harbor's
//! token service reads; the certificate is X.509 v3 with `CN=harbor-token-ca`, `CA:TRUE`, key
//! usage digitalSignature, keyEncipherment and keyCertSign, and a random 127-bit serial.

use std::str::FromStr as _;
use std::time::Duration;

use rand_core::CryptoRngCore;
use rsa::pkcs1::{EncodeRsaPrivateKey as _, LineEnding};
use rsa::pkcs1v15::SigningKey;
use rsa::RsaPrivateKey;
use sha2::Sha256;
use x509_cert::builder::{Builder as _, CertificateBuilder, Profile};
use x509_cert::der::asn1::GeneralizedTime;
use x509_cert::der::referenced::OwnedToRef as _;
use x509_cert::der::Encode as _;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{EncodePublicKey as _, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

/// The subject (and issuer) common name of a generated token certificate, as the chart uses.
pub const TOKEN_CA_COMMON_NAME: &str = "harbor-token-ca";

/// Smallest RSA size [`generate_token_pair`] accepts.
pub const MIN_BITS: usize = 2048;
/// Largest RSA size [`generate_token_pair`] accepts: larger keys take minutes to generate and buy nothing for a token signer.
pub const MAX_BITS: usize = 8192;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPairSpec {
    /// RSA modulus size in bits (2048–8192, a multiple of 8).
    pub bits: usize,
    /// Certificate validity in days from `now`.
    pub days: u32,
    /// Start of the validity window, Unix seconds.
    pub now: i64,
}

/// A generated key and certificate, both PEM with `\n` line breaks and a final line break.
///
/// The key is secret: it must only ever be written to a file or, for `keys generate` without
/// `--out`, to standard output.
pub struct TokenPair {
    /// `-----BEGIN RSA PRIVATE KEY-----` …
    pub key_pem: String,
    /// `-----BEGIN CERTIFICATE-----` …
    pub cert_pem: String,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("key_pem", &"<redacted>")
            .field("cert_pem", &self.cert_pem)
            .finish()
    }
}

/// Why a pair could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The key size is out of range.
    #[error(
        "RSA key size {bits} is not supported: use {MIN_BITS} to {MAX_BITS} bits, a multiple of 8"
    )]
    Bits {
        /// The requested size.
        bits: usize,
    },
    /// The validity window is empty or does not fit X.509 time.
    #[error("certificate validity of {days} days from the given time cannot be encoded")]
    Validity {
        /// The requested number of days.
        days: u32,
    },
    /// The RSA library failed.
    #[error("RSA key generation failed")]
    Rsa(#[source] rsa::Error),
    /// Encoding the key or certificate failed.
    #[error("encoding the {what} failed: {reason}")]
    Encoding {
        /// `key` or `certificate`.
        what: &'static str,
        /// The encoder's description (never key material).
        reason: String,
    },
}

/// Generates an RSA key and a self-signed CA certificate for it.
pub fn generate_token_pair(
    spec: TokenPairSpec,
    rng: &mut impl CryptoRngCore,
) -> Result<TokenPair, GenerateError> {
    if !(MIN_BITS..=MAX_BITS).contains(&spec.bits) || !spec.bits.is_multiple_of(8) {
        return Err(GenerateError::Bits { bits: spec.bits });
    }
    let validity = validity(spec.now, spec.days)?;
    let key = RsaPrivateKey::new(rng, spec.bits).map_err(GenerateError::Rsa)?;
    let key_pem = key
        .to_pkcs1_pem(LineEnding::LF)
        .map_err(|e| encoding("key", &e))?
        .to_string();
    let cert_der = self_signed_certificate(&key, validity, rng)?;
    Ok(TokenPair {
        key_pem,
        cert_pem: pem("CERTIFICATE", &cert_der),
    })
}

fn encoding(what: &'static str, e: &dyn std::fmt::Display) -> GenerateError {
    GenerateError::Encoding {
        what,
        reason: e.to_string(),
    }
}

fn validity(now: i64, days: u32) -> Result<Validity, GenerateError> {
    let bad = || GenerateError::Validity { days };
    if days == 0 {
        return Err(bad());
    }
    let start = u64::try_from(now).map_err(|_| bad())?;
    let end = start
        .checked_add(u64::from(days) * 86_400)
        .ok_or_else(bad)?;
    let time = |secs: u64| {
        GeneralizedTime::from_unix_duration(Duration::from_secs(secs))
            .map(Time::GeneralTime)
            .map_err(|_| bad())
    };
    // The builder turns times before 2050 into UTCTime, as RFC 5280 asks.
    Ok(Validity {
        not_before: time(start)?,
        not_after: time(end)?,
    })
}

fn self_signed_certificate(
    key: &RsaPrivateKey,
    validity: Validity,
    rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, GenerateError> {
    let cert_err = |e: &dyn std::fmt::Display| encoding("certificate", e);
    let mut serial = [0u8; 16];
    rng.fill_bytes(&mut serial);
    // Positive and without a leading zero byte, so the DER integer stays 16 bytes.
    serial[0] = (serial[0] & 0x7f) | 0x40;
    let serial = SerialNumber::new(&serial).map_err(|e| cert_err(&e))?;
    let subject =
        Name::from_str(&format!("CN={TOKEN_CA_COMMON_NAME}")).map_err(|e| cert_err(&e))?;
    let spki_der = key
        .to_public_key()
        .to_public_key_der()
        .map_err(|e| cert_err(&e))?;
    let public_key =
        SubjectPublicKeyInfoOwned::try_from(spki_der.as_bytes()).map_err(|e| cert_err(&e))?;
    let signer = SigningKey::<Sha256>::new(key.clone());
    let mut builder = CertificateBuilder::new(
        Profile::Manual { issuer: None },
        serial,
        validity,
        subject,
        public_key.clone(),
        &signer,
    )
    .map_err(|e| cert_err(&e))?;
    let ski =
        SubjectKeyIdentifier::try_from(public_key.owned_to_ref()).map_err(|e| cert_err(&e))?;
    builder.add_extension(&ski).map_err(|e| cert_err(&e))?;
    builder
        .add_extension(&BasicConstraints {
            ca: true,
            path_len_constraint: None,
        })
        .map_err(|e| cert_err(&e))?;
    builder
        .add_extension(&KeyUsage(
            KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment | KeyUsages::KeyCertSign,
        ))
        .map_err(|e| cert_err(&e))?;
    builder
        .add_extension(&ExtendedKeyUsage(vec![
            x509_cert::der::oid::db::rfc5280::ID_KP_SERVER_AUTH,
            x509_cert::der::oid::db::rfc5280::ID_KP_CLIENT_AUTH,
        ]))
        .map_err(|e| cert_err(&e))?;
    let cert = builder
        .build::<rsa::pkcs1v15::Signature>()
        .map_err(|e| cert_err(&e))?;
    cert.to_der().map_err(|e| cert_err(&e))
}

/// PEM armour with 64-character lines and `\n` breaks.
fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    use std::fmt::Write as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    let _ = writeln!(out, "-----END {label}-----");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{pair_matches, parse_certificates, parse_private_key, KeyEncoding};

    fn rng() -> rand_core::OsRng {
        rand_core::OsRng
    }

    const NOW: i64 = 1_900_000_000; // 2030-03-17

    #[test]
    fn generated_pair_is_pkcs1_and_matches() {
        let spec = TokenPairSpec {
            bits: 2048,
            days: 3650,
            now: NOW,
        };
        let pair = generate_token_pair(spec, &mut rng()).unwrap();
        assert!(pair
            .key_pem
            .starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        assert!(pair.key_pem.ends_with("-----END RSA PRIVATE KEY-----\n"));
        assert!(pair.cert_pem.ends_with("-----END CERTIFICATE-----\n"));
        let key = parse_private_key(&pair.key_pem).unwrap();
        assert_eq!(key.encoding, KeyEncoding::Pkcs1);
        assert_eq!(key.bits, Some(2048));
        let chain = parse_certificates(&pair.cert_pem).unwrap();
        let cert = &chain.leaf;
        assert!(pair_matches(&key, cert));
        assert_eq!(cert.subject, "CN=harbor-token-ca");
        assert_eq!(cert.issuer, "CN=harbor-token-ca");
        assert!(cert.is_ca);
        assert!(cert.self_signed);
        assert_eq!(cert.not_before, NOW);
        assert_eq!(cert.not_after, NOW + 3650 * 86_400);
        assert_eq!(cert.serial_hex.len(), 32);
        assert!(!format!("{pair:?}").contains("PRIVATE KEY"));
    }

    #[test]
    fn serials_differ() {
        let spec = TokenPairSpec {
            bits: 2048,
            days: 1,
            now: NOW,
        };
        let a = generate_token_pair(spec, &mut rng()).unwrap();
        let b = generate_token_pair(spec, &mut rng()).unwrap();
        let sa = parse_certificates(&a.cert_pem).unwrap().leaf.serial_hex;
        let sb = parse_certificates(&b.cert_pem).unwrap().leaf.serial_hex;
        assert_ne!(sa, sb);
        assert_ne!(a.key_pem, b.key_pem);
    }

    #[test]
    fn bad_sizes_and_windows_are_refused() {
        for bits in [0, 1024, 2047, 16384] {
            let spec = TokenPairSpec {
                bits,
                days: 1,
                now: NOW,
            };
            assert!(matches!(
                generate_token_pair(spec, &mut rng()),
                Err(GenerateError::Bits { .. })
            ));
        }
        let spec = TokenPairSpec {
            bits: 2048,
            days: 0,
            now: NOW,
        };
        assert!(matches!(
            generate_token_pair(spec, &mut rng()),
            Err(GenerateError::Validity { .. })
        ));
    }

    #[test]
    fn times_after_2049_use_generalized_time() {
        let spec = TokenPairSpec {
            bits: 2048,
            days: 36_500,
            now: NOW,
        };
        let pair = generate_token_pair(spec, &mut rng()).unwrap();
        let cert = parse_certificates(&pair.cert_pem).unwrap().leaf;
        assert_eq!(cert.not_after, NOW + 36_500 * 86_400);
    }
}
