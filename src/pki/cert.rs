//! X.509 certificates from PEM text (a Helm value or a Secret's `tls.crt`): subject, issuer,
//! validity window, public key and fingerprints, plus signature checks where cheap.
//!
//! Harbor itself never reads the token certificate (research notes §5.1); the registry verifies
//! tokens with it, so what matters is that it carries the signing key's public half and is in
//! date. Signatures are checked only for RSA PKCS#1 v1.5 with SHA-256/384/512 (what OpenSSL, Sprig
//! `genCA` and cert-manager RSA issuers produce), using the `rsa` crate already needed for keys;
//! other algorithms are reported as not checkable instead of pulling in a crypto backend.

use std::collections::{HashMap, HashSet};

use rsa::pkcs1::der::Decode as _;
use rsa::pkcs8::spki::SubjectPublicKeyInfoRef;
use rsa::pkcs8::DecodePublicKey as _;
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::error::X509Error;
use x509_parser::nom::error::ErrorKind;
use x509_parser::prelude::FromDer as _;

use super::armor;
use super::fingerprint::hex_lower;
use super::key::{curve_of, OID_DSA, OID_EC, OID_ED25519, OID_ED448, OID_RSA};
use super::{sha256_hex, Error};

/// Signatures one [`chains_to`] checks at most: a real chain needs about one per link, and a
/// bundle of look-alike certificates (one subject, many keys) would otherwise cost one check
/// per pair of them.
const MAX_SIGNATURE_CHECKS: usize = 64;

const LABEL: &str = "CERTIFICATE";

/// What a certificate says, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject DN, RFC 4514-like (`CN=harbor-token-ca`); empty when the subject is empty.
    pub subject: String,
    /// Issuer DN, same form as `subject`.
    pub issuer: String,
    /// Serial number, lowercase hex, leading zero bytes removed (as `openssl x509 -serial`).
    pub serial_hex: String,
    /// Start of the validity window, Unix seconds.
    pub not_before: i64,
    /// End of the validity window (inclusive), Unix seconds.
    pub not_after: i64,
    /// DER `SubjectPublicKeyInfo`, to compare with [`crate::pki::PrivateKeyInfo::spki_der`].
    pub spki_der: Vec<u8>,
    /// Public key kind and size: `RSA 2048-bit`, `EC P-256`, `Ed25519`.
    pub public_key: String,
    /// RSA modulus bits, EC curve bits, 256 for Ed25519, 448 for Ed448.
    pub key_bits: Option<usize>,
    /// Lowercase hex SHA-256 of the certificate DER (`openssl x509 -fingerprint -sha256`).
    pub cert_sha256: String,
    /// Basic constraints say `CA:TRUE`.
    pub is_ca: bool,
    /// Subject equals issuer and, where the signature can be checked here, the certificate's own
    /// key verifies it.
    pub self_signed: bool,
}

impl CertInfo {
    /// Lowercase hex SHA-256 of [`Self::spki_der`].
    pub fn spki_sha256(&self) -> String {
        sha256_hex(&self.spki_der)
    }

    /// Where `now` (Unix seconds) falls against the validity window; both ends are inclusive
    /// (RFC 5280 §4.1.2.5).
    pub fn validity(&self, now: i64) -> Validity {
        if now < self.not_before {
            Validity::NotYetValid {
                starts_in: self.not_before.saturating_sub(now),
            }
        } else if now > self.not_after {
            Validity::Expired {
                since: now.saturating_sub(self.not_after),
            }
        } else {
            Validity::Valid {
                expires_in: self.not_after.saturating_sub(now),
            }
        }
    }
}

/// A certificate's validity at a given time; all values are seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// `now` is before `notBefore`.
    NotYetValid {
        /// Seconds until `notBefore`.
        starts_in: i64,
    },
    /// `now` is within the window.
    Valid {
        /// Seconds until `notAfter`.
        expires_in: i64,
    },
    /// `now` is after `notAfter`.
    Expired {
        /// Seconds since `notAfter`.
        since: i64,
    },
}

/// The `CERTIFICATE` blocks of one text, in order: the first is taken as the leaf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertChain {
    /// The first certificate.
    pub leaf: CertInfo,
    /// The certificates after it (intermediates, a CA), in text order.
    pub rest: Vec<CertInfo>,
}

impl CertChain {
    /// All certificates, leaf first.
    pub fn iter(&self) -> impl Iterator<Item = &CertInfo> {
        std::iter::once(&self.leaf).chain(&self.rest)
    }
}

/// Reads every `CERTIFICATE` block of `text`; other blocks (a pasted key) are ignored.
pub fn parse_certificates(text: &str) -> Result<CertChain, Error> {
    let ders = certificate_ders(text)?;
    let mut infos = Vec::with_capacity(ders.len());
    for (index, der) in ders.iter().enumerate() {
        let cert = parse_der(index, der)?;
        infos.push(cert_info(&cert, der));
    }
    let mut infos = infos.into_iter();
    let leaf = infos.next().ok_or(Error::NoCertificate)?;
    Ok(CertChain {
        leaf,
        rest: infos.collect(),
    })
}

/// Whether the leaf of `chain_text` leads, through the certificates that follow it in the same
/// text, to one of the certificates of `ca_text`: either a certificate equal to a CA certificate
/// or one whose signature a CA's key verifies.
///
/// `Some(false)` when no such path exists with every checked signature good; `None` when the
/// answer hinges on a signature this module cannot check (not RSA PKCS#1 v1.5 with SHA-2), or
/// would take more than [`MAX_SIGNATURE_CHECKS`] signature checks (look-alike certificates
/// sharing one subject): the cost stays linear in the size of the texts.
pub fn chains_to(chain_text: &str, ca_text: &str) -> Result<Option<bool>, Error> {
    let chain_ders = certificate_ders(chain_text)?;
    let ca_ders = certificate_ders(ca_text)?;
    let chain = parse_all(&chain_ders)?;
    let cas = parse_all(&ca_ders)?;
    if chain.is_empty() {
        return Err(Error::NoCertificate);
    }
    // Certificates by subject, so each step looks only at possible issuers.
    let ca_certs: HashSet<&[u8]> = cas.iter().map(X509Certificate::as_raw).collect();
    let mut cas_by_subject: HashMap<&[u8], Vec<&X509Certificate<'_>>> = HashMap::new();
    for ca in &cas {
        cas_by_subject
            .entry(ca.subject().as_raw())
            .or_default()
            .push(ca);
    }
    let mut chain_by_subject: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (i, c) in chain.iter().enumerate() {
        chain_by_subject
            .entry(c.subject().as_raw())
            .or_default()
            .push(i);
    }
    let mut checks = 0;
    let mut signed = |cert: &X509Certificate<'_>, issuer: &X509Certificate<'_>| {
        checks += 1;
        (checks <= MAX_SIGNATURE_CHECKS).then(|| signed_by(cert, issuer.public_key().raw))
    };
    let mut visited = vec![false; chain.len()];
    visited[0] = true;
    let mut current = &chain[0];
    let mut unknown = false;
    // Each step moves one certificate up, never to one already on the path.
    loop {
        if ca_certs.contains(current.as_raw()) {
            return Ok(Some(true));
        }
        let issuer = current.issuer().as_raw();
        for ca in cas_by_subject.get(issuer).into_iter().flatten() {
            match signed(current, ca) {
                None => return Ok(None),
                Some(Some(true)) => return Ok(Some(true)),
                Some(Some(false)) => {}
                Some(None) => unknown = true,
            }
        }
        let mut next = None;
        for &i in chain_by_subject.get(issuer).into_iter().flatten() {
            if visited[i] || chain[i].as_raw() == current.as_raw() {
                continue;
            }
            match signed(current, &chain[i]) {
                None => return Ok(None),
                Some(Some(false)) => {}
                Some(_) => {
                    next = Some(i);
                    break;
                }
            }
        }
        let Some(i) = next else {
            break;
        };
        visited[i] = true;
        current = &chain[i];
    }
    Ok(if unknown { None } else { Some(false) })
}

/// Unix seconds as RFC 3339 UTC (`2029-04-15T06:57:50Z`); out-of-range values as `unix:<ts>`.
pub fn format_unix(ts: i64) -> String {
    OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("unix:{ts}"))
}

fn certificate_ders(text: &str) -> Result<Vec<Vec<u8>>, Error> {
    let blocks = armor::scan(text)?;
    let Some(first) = blocks.first() else {
        return Err(Error::NoCertificate);
    };
    let certs: Vec<_> = blocks.iter().filter(|b| b.label == LABEL).collect();
    if certs.is_empty() {
        return Err(Error::NotACertificate {
            label: first.label.to_owned(),
        });
    }
    certs.iter().map(|b| b.decode()).collect()
}

fn parse_all(ders: &[Vec<u8>]) -> Result<Vec<X509Certificate<'_>>, Error> {
    ders.iter()
        .enumerate()
        .map(|(index, der)| parse_der(index, der))
        .collect()
}

fn parse_der(index: usize, der: &[u8]) -> Result<X509Certificate<'_>, Error> {
    let invalid = |reason: String| Error::InvalidCertificate { index, reason };
    let (rest, cert) = X509Certificate::from_der(der).map_err(|e| {
        invalid(match e {
            x509_parser::nom::Err::Error(X509Error::NomError(ErrorKind::Eof))
            | x509_parser::nom::Err::Failure(X509Error::NomError(ErrorKind::Eof))
            | x509_parser::nom::Err::Incomplete(_) => "DER ends early".to_owned(),
            x509_parser::nom::Err::Error(e) | x509_parser::nom::Err::Failure(e) => e.to_string(),
        })
    })?;
    if !rest.is_empty() {
        return Err(invalid(format!(
            "{} bytes after the certificate",
            rest.len()
        )));
    }
    Ok(cert)
}

fn cert_info(cert: &X509Certificate<'_>, der: &[u8]) -> CertInfo {
    let spki = cert.public_key().raw;
    let (public_key, key_bits) = describe_spki(spki);
    let same_name = cert.subject().as_raw() == cert.issuer().as_raw();
    CertInfo {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial_hex: serial_hex(cert.raw_serial()),
        not_before: cert.validity().not_before.timestamp(),
        not_after: cert.validity().not_after.timestamp(),
        spki_der: spki.to_vec(),
        public_key,
        key_bits,
        cert_sha256: sha256_hex(der),
        is_ca: cert.is_ca(),
        // A bad self-signature means the certificate was edited or its key swapped: not
        // self-signed. An uncheckable one falls back to the name comparison.
        self_signed: same_name && signed_by(cert, spki) != Some(false),
    }
}

fn serial_hex(raw: &[u8]) -> String {
    let start = raw
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(raw.len().saturating_sub(1));
    hex_lower(raw.get(start..).unwrap_or_default())
}

/// `RSA 2048-bit`, `EC P-256`, `Ed25519`, ... and the size, from a DER `SubjectPublicKeyInfo`.
fn describe_spki(spki: &[u8]) -> (String, Option<usize>) {
    let Ok(info) = SubjectPublicKeyInfoRef::from_der(spki) else {
        return ("unreadable public key".to_owned(), None);
    };
    let oid = info.algorithm.oid;
    if oid == OID_RSA {
        let bits = info
            .subject_public_key
            .as_bytes()
            .and_then(|b| rsa::pkcs1::RsaPublicKey::from_der(b).ok())
            .map(|k| uint_bits(k.modulus.as_bytes()));
        match bits {
            Some(bits) => (format!("RSA {bits}-bit"), Some(bits)),
            None => ("RSA (unreadable modulus)".to_owned(), None),
        }
    } else if oid == OID_EC {
        let (curve, bits) = info.algorithm.parameters.map_or((None, None), curve_of);
        let name = curve.unwrap_or_else(|| "(explicit curve parameters)".to_owned());
        (format!("EC {name}"), bits)
    } else if oid == OID_ED25519 {
        ("Ed25519".to_owned(), Some(256))
    } else if oid == OID_ED448 {
        ("Ed448".to_owned(), Some(448))
    } else if oid == OID_DSA {
        ("DSA".to_owned(), None)
    } else {
        (format!("algorithm {oid}"), None)
    }
}

/// Bit length of a big-endian unsigned integer.
fn uint_bits(bytes: &[u8]) -> usize {
    let Some(start) = bytes.iter().position(|&b| b != 0) else {
        return 0;
    };
    let significant = bytes.len() - start;
    // `leading_zeros` of a u8 is at most 8, so the cast is lossless.
    significant * 8 - bytes[start].leading_zeros() as usize
}

/// DER `DigestInfo` prefixes (RFC 8017 §9.2 note 1) for the SHA-2 hashes `sha2` provides.
const SHA256_PREFIX: &[u8] = &[
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];
const SHA384_PREFIX: &[u8] = &[
    0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05,
    0x00, 0x04, 0x30,
];
const SHA512_PREFIX: &[u8] = &[
    0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05,
    0x00, 0x04, 0x40,
];

/// Whether `issuer_spki` verifies `cert`'s signature; `None` when this module cannot tell
/// (signature algorithm other than RSA PKCS#1 v1.5 with SHA-2, or a non-RSA issuer key).
fn signed_by(cert: &X509Certificate<'_>, issuer_spki: &[u8]) -> Option<bool> {
    let signature_oid = cert.signature_algorithm.algorithm.to_id_string();
    // A key of one family cannot have made a signature of another: no arithmetic needed.
    let key_oid = SubjectPublicKeyInfoRef::from_der(issuer_spki)
        .ok()?
        .algorithm
        .oid
        .to_string();
    if let (Some(sig), Some(key)) = (signature_family(&signature_oid), key_family(&key_oid)) {
        if sig != key {
            return Some(false);
        }
    }
    let tbs = cert.tbs_certificate.as_ref();
    let (digest, prefix): (Vec<u8>, &[u8]) = match signature_oid.as_str() {
        "1.2.840.113549.1.1.11" => (Sha256::digest(tbs).to_vec(), SHA256_PREFIX),
        "1.2.840.113549.1.1.12" => (Sha384::digest(tbs).to_vec(), SHA384_PREFIX),
        "1.2.840.113549.1.1.13" => (Sha512::digest(tbs).to_vec(), SHA512_PREFIX),
        _ => return None,
    };
    let key = rsa::RsaPublicKey::from_public_key_der(issuer_spki).ok()?;
    let scheme = rsa::Pkcs1v15Sign {
        hash_len: Some(digest.len()),
        prefix: prefix.into(),
    };
    Some(
        key.verify(scheme, &digest, &cert.signature_value.data)
            .is_ok(),
    )
}

/// Key family a signature algorithm OID belongs to: `rsa`, `ec`, `ed25519`, `ed448`.
fn signature_family(oid: &str) -> Option<&'static str> {
    if oid.starts_with("1.2.840.113549.1.1.") {
        Some("rsa")
    } else if oid.starts_with("1.2.840.10045.4.") {
        Some("ec")
    } else {
        key_family(oid).filter(|f| f.starts_with("ed"))
    }
}

/// Key family of a `SubjectPublicKeyInfo` algorithm OID.
fn key_family(oid: &str) -> Option<&'static str> {
    match oid {
        "1.2.840.113549.1.1.1" => Some("rsa"),
        "1.2.840.10045.2.1" => Some("ec"),
        "1.3.101.112" => Some("ed25519"),
        "1.3.101.113" => Some("ed448"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!("{}/testdata/keys/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn leaf(name: &str) -> CertInfo {
        parse_certificates(&fixture(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .leaf
    }

    /// `openssl x509 -in rsa2048.crt -noout -fingerprint -sha256`, lowercased without colons,
    /// taken when the fixture was made.
    const RSA2048_CRT_SHA256: &str =
        "ee36043f9b0b779013108f9fe4834bab46526f0b45bb90ad4a909b1e40f425f2";
    /// `openssl x509 -in rsa2048.crt -noout -startdate -enddate`: Nov 22 09:34:21 2026 GMT and
    /// Nov 19 09:34:21 2036 GMT.
    const RSA2048_NOT_BEFORE: i64 = 1_795_340_061;
    const RSA2048_NOT_AFTER: i64 = 2_110_700_061;

    #[test]
    fn self_signed_rsa_certificate_matches_openssl() {
        let cert = leaf("rsa2048.crt");
        assert_eq!(cert.subject, "CN=harbor-token-ca");
        assert_eq!(cert.issuer, "CN=harbor-token-ca");
        assert_eq!(cert.cert_sha256, RSA2048_CRT_SHA256);
        assert_eq!(cert.serial_hex, "1b7f2fbb7e9adfd34a5504e1a660a5d177f52cba");
        assert_eq!(cert.not_before, RSA2048_NOT_BEFORE);
        assert_eq!(cert.not_after, RSA2048_NOT_AFTER);
        assert_eq!(cert.public_key, "RSA 2048-bit");
        assert_eq!(cert.key_bits, Some(2048));
        assert!(cert.is_ca, "openssl req -x509 adds CA:TRUE");
        assert!(cert.self_signed);
        assert_eq!(
            cert.spki_sha256(),
            "9f3505cf1e00e4f6f57ec0a66c10ac8ee8bf1fc4ce58a5697796213864a256db"
        );
    }

    #[test]
    fn key_and_certificate_pairing() {
        let key = crate::pki::parse_private_key(&fixture("rsa2048.key")).unwrap();
        let pkcs8 = crate::pki::parse_private_key(&fixture("rsa2048-pkcs8.key")).unwrap();
        assert!(crate::pki::pair_matches(&key, &leaf("rsa2048.crt")));
        assert!(crate::pki::pair_matches(&pkcs8, &leaf("rsa2048.crt")));
        assert!(!crate::pki::pair_matches(&key, &leaf("other-rsa2048.crt")));
        // The chain's leaf was issued for the same key by another CA.
        assert!(crate::pki::pair_matches(&key, &leaf("rsa2048-chain.crt")));
        let ec = crate::pki::parse_private_key(&fixture("ec-p256.key")).unwrap();
        assert!(crate::pki::pair_matches(&ec, &leaf("ec-p256.crt")));
        assert!(!crate::pki::pair_matches(&ec, &leaf("rsa2048.crt")));
        // No SPKI for an encrypted key: never a match.
        let enc = crate::pki::parse_private_key(&fixture("rsa2048-encrypted-pkcs8.key")).unwrap();
        assert!(!crate::pki::pair_matches(&enc, &leaf("rsa2048.crt")));
    }

    // The certificate charts 1.9.0-1.11.0 shipped along the public static token key.
    #[test]
    fn chart_static_token_certificate_carries_the_public_key() {
        let cert = leaf("chart-static-token.crt");
        assert_eq!(
            cert.spki_sha256(),
            crate::pki::PUBLIC_STATIC_TOKEN_SPKI_SHA256
        );
        assert_eq!(cert.public_key, "RSA 4096-bit");
        assert_eq!(cert.subject, "");
        assert_eq!(format_unix(cert.not_after), "2029-04-15T02:27:37Z");
    }

    #[test]
    fn other_key_kinds_are_described() {
        let weak = leaf("rsa1024.crt");
        assert_eq!(
            (weak.public_key.as_str(), weak.key_bits),
            ("RSA 1024-bit", Some(1024))
        );
        let ec = leaf("ec-p256.crt");
        assert_eq!(
            (ec.public_key.as_str(), ec.key_bits),
            ("EC P-256", Some(256))
        );
        assert!(
            ec.self_signed,
            "ECDSA signature is not checked: falls back to names"
        );
        let ed = leaf("ed25519.crt");
        assert_eq!(
            (ed.public_key.as_str(), ed.key_bits),
            ("Ed25519", Some(256))
        );
        assert_eq!(
            ed.spki_sha256(),
            "bf6bed94d367a78a00ed4a05f7092e719289eae656203f189e459fffc8e177ba"
        );
    }

    #[test]
    fn chain_leaf_is_first_and_ca_follows() {
        let chain = parse_certificates(&fixture("rsa2048-chain.crt")).unwrap();
        assert_eq!(chain.leaf.subject, "CN=harbor-token-leaf");
        assert_eq!(chain.leaf.issuer, "CN=test-intermediate-ca");
        assert_eq!(chain.leaf.serial_hex, "1001");
        assert!(!chain.leaf.self_signed);
        assert!(!chain.leaf.is_ca);
        assert_eq!(chain.rest.len(), 1);
        assert_eq!(chain.rest[0].subject, "CN=test-intermediate-ca");
        assert!(chain.rest[0].self_signed);
        assert_eq!(chain.iter().count(), 2);
    }

    /// `n` self-signed certificates that share one subject, made by openssl with `key`.
    fn look_alikes(key: &str, n: u32) -> Option<String> {
        let key = format!("{}/testdata/keys/{key}", env!("CARGO_MANIFEST_DIR"));
        let mut out = String::new();
        for serial in 1..=n {
            let made = std::process::Command::new("openssl")
                .args([
                    "req",
                    "-x509",
                    "-key",
                    &key,
                    "-subj",
                    "/CN=look-alike",
                    "-days",
                    "1",
                ])
                .args(["-set_serial", &serial.to_string()])
                .output()
                .ok()
                .filter(|o| o.status.success())?;
            out.push_str(&String::from_utf8_lossy(&made.stdout));
        }
        Some(out)
    }

    // Look-alike certificates (one subject, other keys) in tls.crt and ca.crt cost one
    // signature check per pair; the checks are capped and the answer is "cannot tell".
    #[test]
    fn chains_of_look_alike_certificates_stop_after_bounded_checks() {
        let (Some(chain), Some(cas)) = (
            look_alikes("rsa2048.key", 80),
            look_alikes("other-rsa2048.key", 80),
        ) else {
            crate::test_skip(
                "chains_of_look_alike_certificates_stop_after_bounded_checks: openssl is not available",
            );
            return;
        };
        assert_eq!(chains_to(&chain, &cas), Ok(None));
        // A real answer is still found within the cap.
        assert_eq!(
            chains_to(&chain, &look_alikes("rsa2048.key", 1).unwrap()),
            Ok(Some(true))
        );
    }

    #[test]
    fn chains_to_checks_signatures() {
        let chain = fixture("rsa2048-chain.crt");
        let ca_only = chain
            .split_inclusive("-----END CERTIFICATE-----")
            .nth(1)
            .unwrap()
            .to_owned();
        let leaf_only = chain
            .split_inclusive("-----END CERTIFICATE-----")
            .next()
            .unwrap();
        assert_eq!(chains_to(&chain, &ca_only), Ok(Some(true)));
        assert_eq!(chains_to(leaf_only, &ca_only), Ok(Some(true)));
        assert_eq!(
            chains_to(leaf_only, &fixture("rsa2048.crt")),
            Ok(Some(false))
        );
        assert_eq!(
            chains_to(&fixture("rsa2048.crt"), &fixture("rsa2048.crt")),
            Ok(Some(true))
        );
        assert_eq!(
            chains_to(&fixture("ec-p256.crt"), &fixture("rsa2048.crt")),
            Ok(Some(false))
        );
        // Same subject name as rsa2048.crt, other key: the signature check tells them apart.
        assert_eq!(
            chains_to(&fixture("other-rsa2048.crt"), &fixture("rsa2048.crt")),
            Ok(Some(false))
        );
    }

    #[test]
    fn tampered_self_signature_is_not_self_signed() {
        let text = fixture("rsa2048.crt");
        let blocks = armor::scan(&text).unwrap();
        let mut der = blocks[0].decode().unwrap();
        let last = der.len() - 1;
        der[last] ^= 1; // flips a bit of the signature only
        let cert = parse_der(0, &der).unwrap();
        assert!(!cert_info(&cert, &der).self_signed);
    }

    #[test]
    fn validity_against_injected_now() {
        let cert = leaf("rsa2048.crt");
        assert_eq!(
            cert.validity(RSA2048_NOT_BEFORE - 10),
            Validity::NotYetValid { starts_in: 10 }
        );
        assert_eq!(
            cert.validity(RSA2048_NOT_BEFORE),
            Validity::Valid {
                expires_in: RSA2048_NOT_AFTER - RSA2048_NOT_BEFORE
            }
        );
        assert_eq!(
            cert.validity(RSA2048_NOT_AFTER),
            Validity::Valid { expires_in: 0 }
        );
        assert_eq!(
            cert.validity(RSA2048_NOT_AFTER + 86_400),
            Validity::Expired { since: 86_400 }
        );
    }

    #[test]
    fn crlf_whitespace_and_a_key_alongside_are_tolerated() {
        let text = format!(
            "  \r\n{}\r\n{}\n\n",
            fixture("rsa2048.key").replace('\n', "\r\n"),
            fixture("rsa2048.crt").replace('\n', "\r\n")
        );
        let chain = parse_certificates(&text).unwrap();
        assert_eq!(chain.leaf.cert_sha256, RSA2048_CRT_SHA256);
        assert!(chain.rest.is_empty());
    }

    #[test]
    fn error_kinds() {
        assert_eq!(parse_certificates(""), Err(Error::NoCertificate));
        assert_eq!(
            parse_certificates(&fixture("not-pem.txt")),
            Err(Error::NoCertificate)
        );
        assert_eq!(
            parse_certificates(&fixture("rsa2048.key")),
            Err(Error::NotACertificate {
                label: "RSA PRIVATE KEY".to_owned()
            })
        );
        assert_eq!(
            parse_certificates(&fixture("public.pem")),
            Err(Error::NotACertificate {
                label: "PUBLIC KEY".to_owned()
            })
        );
        let truncated: String = fixture("rsa2048.crt")
            .lines()
            .take(5)
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(parse_certificates(&truncated), Err(Error::Truncated));
        // Second certificate damaged: the index names it.
        let chain = fixture("rsa2048-chain.crt");
        let mut lines: Vec<&str> = chain.lines().collect();
        let second_begin = lines
            .iter()
            .rposition(|l| l.starts_with("-----BEGIN"))
            .unwrap();
        lines.remove(second_begin + 3);
        let err = parse_certificates(&lines.join("\n")).unwrap_err();
        assert!(
            matches!(err, Error::InvalidCertificate { index: 1, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn format_unix_is_rfc3339_utc() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_unix(1_870_930_670), "2029-04-15T06:57:50Z");
        assert_eq!(format_unix(i64::MAX), format!("unix:{}", i64::MAX));
    }
}
