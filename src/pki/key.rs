//! Private keys as they appear in a Helm value or a Secret's `tls.key`: which PEM encoding, which
//! algorithm and size, and the public half as a DER `SubjectPublicKeyInfo` for pairing with a
//! certificate.
//!
//! Harbor signs registry tokens with an RSA key read as PEM `RSA PRIVATE KEY` (research notes
//! §5.4), so the checks built on this need the encoding and algorithm named exactly, including the
//! ones Harbor refuses (PKCS#8, EC, encrypted, OpenSSH). The returned [`PrivateKeyInfo`] holds only
//! public data: decoded key bytes live on the stack of [`parse_private_key`] and are dropped there.

use std::fmt;

use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::der::asn1::{
    AnyRef, BitStringRef, ContextSpecific, ObjectIdentifier, OctetStringRef,
};
use rsa::pkcs8::der::{Decode as _, Encode as _, Reader as _, SliceReader, TagNumber};
use rsa::pkcs8::spki::{AlgorithmIdentifierRef, SubjectPublicKeyInfoRef};
use rsa::pkcs8::EncodePublicKey as _;
use rsa::traits::PublicKeyParts as _;

use super::armor::{self, Block};
use super::{sha256_hex, Error};

pub(crate) const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
pub(crate) const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub(crate) const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
pub(crate) const OID_ED448: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.113");
pub(crate) const OID_DSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10040.4.1");

/// Named curves we can put a name and size on; any other curve is reported by OID.
const CURVES: &[(&str, &str, usize)] = &[
    ("1.2.840.10045.3.1.7", "P-256", 256),
    ("1.3.132.0.34", "P-384", 384),
    ("1.3.132.0.35", "P-521", 521),
    ("1.3.132.0.10", "secp256k1", 256),
];

/// Key algorithm, from the PEM label or the PKCS#8 / SPKI algorithm OID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// RSA (`rsaEncryption`); the only kind Harbor can sign tokens with.
    Rsa,
    /// Elliptic curve (`id-ecPublicKey`).
    Ec {
        /// `P-256`, `P-384`, `P-521`, `secp256k1`, another curve's OID, or `None` for explicit
        /// curve parameters.
        curve: Option<String>,
    },
    /// Ed25519.
    Ed25519,
    /// Ed448.
    Ed448,
    /// DSA.
    Dsa,
    /// Any other algorithm, by OID (e.g. `1.3.101.110` for X25519).
    Other(String),
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsa => f.write_str("RSA"),
            Self::Ec { curve: Some(curve) } => write!(f, "EC {curve}"),
            Self::Ec { curve: None } => f.write_str("EC (explicit curve parameters)"),
            Self::Ed25519 => f.write_str("Ed25519"),
            Self::Ed448 => f.write_str("Ed448"),
            Self::Dsa => f.write_str("DSA"),
            Self::Other(oid) => write!(f, "algorithm {oid}"),
        }
    }
}

/// How the private key is wrapped, from the PEM label and headers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum KeyEncoding {
    /// PEM `RSA PRIVATE KEY` (PKCS#1): what Harbor needs.
    Pkcs1,
    /// PEM `PRIVATE KEY` (PKCS#8, unencrypted).
    Pkcs8,
    /// PEM `EC PRIVATE KEY` (SEC1).
    Sec1,
    /// PEM `ENCRYPTED PRIVATE KEY` (PKCS#8 with a passphrase).
    EncryptedPkcs8,
    /// OpenSSL's legacy encryption: `RSA PRIVATE KEY` / `EC PRIVATE KEY` with
    /// `Proc-Type: 4,ENCRYPTED` headers.
    LegacyEncrypted,
    /// `OPENSSH PRIVATE KEY` (ssh-keygen's own format).
    OpenSsh,
    /// Any other `... PRIVATE KEY` label, e.g. `DSA PRIVATE KEY`.
    Other(String),
}

impl fmt::Display for KeyEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Pkcs1 => "PKCS#1",
            Self::Pkcs8 => "PKCS#8",
            Self::Sec1 => "SEC1",
            Self::EncryptedPkcs8 => "encrypted PKCS#8",
            Self::LegacyEncrypted => "legacy OpenSSL encryption",
            Self::OpenSsh => "OpenSSH format",
            Self::Other(_) => "unrecognised encoding",
        })
    }
}

/// What a private key text holds, without any secret part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateKeyInfo {
    /// Label of the key's PEM block, e.g. `RSA PRIVATE KEY`.
    pub pem_label: String,
    /// Encoding, from the label and headers.
    pub encoding: KeyEncoding,
    /// Algorithm; `None` when encrypted or not readable (OpenSSH, unknown labels).
    pub algorithm: Option<KeyAlgorithm>,
    /// RSA modulus bits, EC curve bits, 256 for Ed25519, 448 for Ed448.
    pub bits: Option<usize>,
    /// DER `SubjectPublicKeyInfo` of the public half; `None` when encrypted, or when the key does
    /// not carry its public half and deriving it would need curve arithmetic (Ed25519 PKCS#8 v1,
    /// SEC1 without `publicKey`).
    pub spki_der: Option<Vec<u8>>,
    /// Labels of the other PEM blocks in the same text, in order (e.g. a pasted `CERTIFICATE`).
    pub other_blocks: Vec<String>,
}

impl PrivateKeyInfo {
    /// Whether the key is passphrase-protected (Harbor cannot read it).
    pub fn is_encrypted(&self) -> bool {
        matches!(
            self.encoding,
            KeyEncoding::EncryptedPkcs8 | KeyEncoding::LegacyEncrypted
        )
    }

    /// Lowercase hex SHA-256 of [`Self::spki_der`].
    pub fn spki_sha256(&self) -> Option<String> {
        self.spki_der.as_deref().map(sha256_hex)
    }

    /// One-line description for messages, e.g.
    /// ``RSA 2048-bit private key, PKCS#1 (`RSA PRIVATE KEY`)``.
    pub fn describe(&self) -> String {
        let label = &self.pem_label;
        match (&self.encoding, &self.algorithm) {
            (KeyEncoding::EncryptedPkcs8, _) => format!("encrypted private key (`{label}`)"),
            (KeyEncoding::LegacyEncrypted, _) => {
                format!("encrypted private key (`{label}` with `Proc-Type: 4,ENCRYPTED`)")
            }
            (encoding, None) => format!("private key, {encoding} (`{label}`)"),
            (encoding, Some(algorithm)) => {
                let size = match (algorithm, self.bits) {
                    (KeyAlgorithm::Rsa | KeyAlgorithm::Dsa, Some(bits)) => format!(" {bits}-bit"),
                    _ => String::new(),
                };
                format!("{algorithm}{size} private key, {encoding} (`{label}`)")
            }
        }
    }
}

/// Reads the first `... PRIVATE KEY` PEM block of `text`; other blocks are only named.
///
/// Tolerates surrounding text and whitespace, CRLF, and newlines flattened to spaces. Encrypted
/// keys are recognised, not decrypted. Public halves are checked against nothing: an RSA key is
/// fully validated by the `rsa` crate, an EC key's embedded public point is taken as it is.
pub fn parse_private_key(text: &str) -> Result<PrivateKeyInfo, Error> {
    let blocks = armor::scan(text)?;
    let Some(first) = blocks.first() else {
        return Err(Error::NoPem);
    };
    let Some(index) = blocks.iter().position(|b| is_private_key_label(b.label)) else {
        return Err(Error::NotAPrivateKey {
            label: first.label.to_owned(),
        });
    };
    let other_blocks = blocks
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != index)
        .map(|(_, b)| b.label.to_owned())
        .collect();
    let mut info = classify(&blocks[index])?;
    info.other_blocks = other_blocks;
    Ok(info)
}

fn is_private_key_label(label: &str) -> bool {
    label == "PRIVATE KEY" || label.ends_with(" PRIVATE KEY")
}

/// Algorithm, bits and SPKI of a decoded key.
struct Public {
    algorithm: KeyAlgorithm,
    bits: Option<usize>,
    spki_der: Option<Vec<u8>>,
}

fn classify(block: &Block<'_>) -> Result<PrivateKeyInfo, Error> {
    let label = block.label;
    let invalid = |reason: String| Error::InvalidKey {
        label: label.to_owned(),
        reason,
    };
    let (encoding, public) = if block.has_encrypted_header() {
        (KeyEncoding::LegacyEncrypted, None)
    } else {
        // Decode even when the content is not read further, so broken base64 is reported.
        let der = block.decode()?;
        match label {
            "RSA PRIVATE KEY" => (KeyEncoding::Pkcs1, Some(rsa_pkcs1(&der).map_err(invalid)?)),
            "PRIVATE KEY" => (KeyEncoding::Pkcs8, Some(pkcs8(&der).map_err(invalid)?)),
            "EC PRIVATE KEY" => (
                KeyEncoding::Sec1,
                Some(sec1(&der, None, None).map_err(invalid)?),
            ),
            "ENCRYPTED PRIVATE KEY" => (KeyEncoding::EncryptedPkcs8, None),
            "OPENSSH PRIVATE KEY" => (KeyEncoding::OpenSsh, None),
            other => (KeyEncoding::Other(other.to_owned()), None),
        }
    };
    let (algorithm, bits, spki_der) = match public {
        Some(p) => (Some(p.algorithm), p.bits, p.spki_der),
        None => (None, None, None),
    };
    Ok(PrivateKeyInfo {
        pem_label: label.to_owned(),
        encoding,
        algorithm,
        bits,
        spki_der,
        other_blocks: Vec::new(),
    })
}

/// PKCS#1 `RSAPrivateKey`, validated by the `rsa` crate (primes multiply to the modulus, ...).
fn rsa_pkcs1(der: &[u8]) -> Result<Public, String> {
    // Structure first: `from_pkcs1_der` goes through a PKCS#8 wrapper, so its ASN.1 errors would
    // say "PKCS#8" about a PKCS#1 block.
    let structure = rsa::pkcs1::RsaPrivateKey::from_der(der).map_err(|e| e.to_string())?;
    if structure.version() != rsa::pkcs1::Version::TwoPrime {
        return Err("multi-prime RSA keys are not supported".to_owned());
    }
    let key = rsa::RsaPrivateKey::from_pkcs1_der(der)
        .map_err(|_| "RSA key components are inconsistent".to_owned())?;
    let bits = key.n().bits();
    let spki = rsa::RsaPublicKey::from(&key)
        .to_public_key_der()
        .map_err(|e| e.to_string())?;
    Ok(Public {
        algorithm: KeyAlgorithm::Rsa,
        bits: Some(bits),
        spki_der: Some(spki.into_vec()),
    })
}

/// PKCS#8 `PrivateKeyInfo` / `OneAsymmetricKey`: dispatch on the algorithm OID.
fn pkcs8(der: &[u8]) -> Result<Public, String> {
    let info = rsa::pkcs8::PrivateKeyInfo::try_from(der).map_err(|e| e.to_string())?;
    let oid = info.algorithm.oid;
    if oid == OID_RSA {
        rsa_pkcs1(info.private_key)
    } else if oid == OID_EC {
        sec1(info.private_key, info.algorithm.parameters, info.public_key)
    } else if oid == OID_ED25519 || oid == OID_ED448 {
        let (algorithm, bits, len) = if oid == OID_ED25519 {
            (KeyAlgorithm::Ed25519, 256, 32)
        } else {
            (KeyAlgorithm::Ed448, 448, 57)
        };
        // RFC 8410: the private key is an OCTET STRING wrapped in the PKCS#8 OCTET STRING.
        let seed = OctetStringRef::from_der(info.private_key).map_err(|e| e.to_string())?;
        if seed.as_bytes().len() != len {
            return Err(format!("{algorithm} private key must be {len} bytes"));
        }
        // Only PKCS#8 v2 carries the public key; deriving it needs curve arithmetic (not here).
        let spki_der = info
            .public_key
            .map(|pk| {
                encode_spki(
                    AlgorithmIdentifierRef {
                        oid,
                        parameters: None,
                    },
                    pk,
                )
            })
            .transpose()?;
        Ok(Public {
            algorithm,
            bits: Some(bits),
            spki_der,
        })
    } else if oid == OID_DSA {
        Ok(Public {
            algorithm: KeyAlgorithm::Dsa,
            bits: None,
            spki_der: None,
        })
    } else {
        Ok(Public {
            algorithm: KeyAlgorithm::Other(oid.to_string()),
            bits: None,
            spki_der: None,
        })
    }
}

/// SEC1 `ECPrivateKey` (RFC 5915). `outer_params` / `outer_public` come from a PKCS#8 wrapper,
/// where the curve usually sits outside and the inner parameters are omitted.
fn sec1(
    der: &[u8],
    outer_params: Option<AnyRef<'_>>,
    outer_public: Option<&[u8]>,
) -> Result<Public, String> {
    let parse = || -> rsa::pkcs8::der::Result<_> {
        let mut reader = SliceReader::new(der)?;
        let parsed = reader.sequence(|r| {
            let version = u8::decode(r)?;
            let _private = OctetStringRef::decode(r)?;
            let params = ContextSpecific::<AnyRef<'_>>::decode_explicit(r, TagNumber::N0)?;
            let public = ContextSpecific::<BitStringRef<'_>>::decode_explicit(r, TagNumber::N1)?;
            Ok((version, params.map(|p| p.value), public.map(|p| p.value)))
        })?;
        reader.finish(parsed)
    };
    let (version, inner_params, inner_public) = parse().map_err(|e| e.to_string())?;
    if version != 1 {
        return Err(format!("ECPrivateKey version {version} is not 1"));
    }
    let params = outer_params
        .or(inner_params)
        .ok_or_else(|| "no curve parameters in the key".to_owned())?;
    let (curve, bits) = curve_of(params);
    let public = inner_public
        .and_then(|bits| bits.as_bytes())
        .or(outer_public);
    let spki_der = public
        .map(|point| {
            encode_spki(
                AlgorithmIdentifierRef {
                    oid: OID_EC,
                    parameters: Some(params),
                },
                point,
            )
        })
        .transpose()?;
    Ok(Public {
        algorithm: KeyAlgorithm::Ec { curve },
        bits,
        spki_der,
    })
}

/// Curve name (or OID text) and size from EC parameters; `None` name for explicit parameters.
pub(crate) fn curve_of(params: AnyRef<'_>) -> (Option<String>, Option<usize>) {
    match ObjectIdentifier::try_from(params) {
        Ok(oid) => {
            let text = oid.to_string();
            match CURVES.iter().find(|(dotted, _, _)| *dotted == text) {
                Some((_, name, bits)) => (Some((*name).to_owned()), Some(*bits)),
                None => (Some(text), None),
            }
        }
        Err(_) => (None, None),
    }
}

fn encode_spki(algorithm: AlgorithmIdentifierRef<'_>, public: &[u8]) -> Result<Vec<u8>, String> {
    let subject_public_key = BitStringRef::from_bytes(public).map_err(|e| e.to_string())?;
    SubjectPublicKeyInfoRef {
        algorithm,
        subject_public_key,
    }
    .to_der()
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!("{}/testdata/keys/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn parse(name: &str) -> PrivateKeyInfo {
        parse_private_key(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// `openssl pkey -in rsa2048.key -pubout -outform DER | sha256sum`, taken at fixture time.
    const RSA2048_SPKI_SHA256: &str =
        "9f3505cf1e00e4f6f57ec0a66c10ac8ee8bf1fc4ce58a5697796213864a256db";
    /// `openssl pkey -in ec-p256.key -pubout -outform DER | sha256sum`, taken at fixture time.
    const EC_P256_SPKI_SHA256: &str =
        "34b4150ebf5d930dee069d0303c21631e3c7f93d4c33bcbb91a015089a674871";

    #[test]
    fn rsa_pkcs1_is_classified_with_openssl_spki() {
        let key = parse("rsa2048.key");
        assert_eq!(key.pem_label, "RSA PRIVATE KEY");
        assert_eq!(key.encoding, KeyEncoding::Pkcs1);
        assert_eq!(key.algorithm, Some(KeyAlgorithm::Rsa));
        assert_eq!(key.bits, Some(2048));
        assert!(!key.is_encrypted());
        assert_eq!(key.spki_sha256().as_deref(), Some(RSA2048_SPKI_SHA256));
        assert!(key.other_blocks.is_empty());
        assert_eq!(
            key.describe(),
            "RSA 2048-bit private key, PKCS#1 (`RSA PRIVATE KEY`)"
        );
    }

    #[test]
    fn rsa_pkcs8_gives_same_spki_as_pkcs1() {
        let pkcs1 = parse("rsa2048.key");
        let pkcs8 = parse("rsa2048-pkcs8.key");
        assert_eq!(pkcs8.encoding, KeyEncoding::Pkcs8);
        assert_eq!(pkcs8.algorithm, Some(KeyAlgorithm::Rsa));
        assert_eq!(pkcs8.bits, Some(2048));
        assert_eq!(pkcs8.spki_der, pkcs1.spki_der);
        assert_eq!(
            pkcs8.describe(),
            "RSA 2048-bit private key, PKCS#8 (`PRIVATE KEY`)"
        );
    }

    #[test]
    fn other_rsa_keys_are_classified() {
        let weak = parse("rsa1024.key");
        assert_eq!((weak.encoding, weak.bits), (KeyEncoding::Pkcs1, Some(1024)));
        let other = parse("other-rsa2048.key");
        assert_eq!(other.bits, Some(2048));
        assert_ne!(other.spki_der, parse("rsa2048.key").spki_der);
    }

    // The key pair charts 1.9.0-1.11.0 shipped publicly; the constant must identify it.
    #[test]
    fn chart_static_token_key_matches_published_constant() {
        let key = parse("chart-static-token.key");
        assert_eq!(key.encoding, KeyEncoding::Pkcs1);
        assert_eq!(key.bits, Some(4096));
        assert_eq!(
            key.spki_sha256().as_deref(),
            Some(crate::pki::PUBLIC_STATIC_TOKEN_SPKI_SHA256)
        );
    }

    #[test]
    fn ec_sec1_and_pkcs8_are_classified_with_same_spki() {
        let p256 = Some(KeyAlgorithm::Ec {
            curve: Some("P-256".to_owned()),
        });
        let sec1 = parse("ec-p256.key");
        assert_eq!(sec1.encoding, KeyEncoding::Sec1);
        assert_eq!(sec1.algorithm, p256);
        assert_eq!(sec1.bits, Some(256));
        assert_eq!(sec1.spki_sha256().as_deref(), Some(EC_P256_SPKI_SHA256));
        assert_eq!(
            sec1.describe(),
            "EC P-256 private key, SEC1 (`EC PRIVATE KEY`)"
        );

        let pkcs8 = parse("ec-p256-pkcs8.key");
        assert_eq!(pkcs8.encoding, KeyEncoding::Pkcs8);
        assert_eq!(pkcs8.algorithm, p256);
        assert_eq!(pkcs8.bits, Some(256));
        assert_eq!(pkcs8.spki_der, sec1.spki_der);
    }

    #[test]
    fn ed25519_pkcs8_is_classified_without_spki() {
        let key = parse("ed25519.key");
        assert_eq!(key.encoding, KeyEncoding::Pkcs8);
        assert_eq!(key.algorithm, Some(KeyAlgorithm::Ed25519));
        assert_eq!(key.bits, Some(256));
        // OpenSSL writes PKCS#8 v1 (no public key); deriving it would need curve arithmetic.
        assert_eq!(key.spki_der, None);
        assert_eq!(
            key.describe(),
            "Ed25519 private key, PKCS#8 (`PRIVATE KEY`)"
        );
    }

    #[test]
    fn encrypted_keys_are_named_not_read() {
        let pkcs8 = parse("rsa2048-encrypted-pkcs8.key");
        assert_eq!(pkcs8.encoding, KeyEncoding::EncryptedPkcs8);
        assert!(pkcs8.is_encrypted());
        assert_eq!(
            (
                pkcs8.algorithm.as_ref(),
                pkcs8.bits,
                pkcs8.spki_der.as_ref()
            ),
            (None, None, None)
        );
        assert_eq!(
            pkcs8.describe(),
            "encrypted private key (`ENCRYPTED PRIVATE KEY`)"
        );

        let legacy = parse("rsa2048-encrypted-legacy.key");
        assert_eq!(legacy.pem_label, "RSA PRIVATE KEY");
        assert_eq!(legacy.encoding, KeyEncoding::LegacyEncrypted);
        assert!(legacy.is_encrypted());
        assert_eq!(legacy.spki_der, None);
        assert_eq!(
            legacy.describe(),
            "encrypted private key (`RSA PRIVATE KEY` with `Proc-Type: 4,ENCRYPTED`)"
        );
    }

    #[test]
    fn openssh_key_is_recognised() {
        let key = parse("ed25519-openssh.key");
        assert_eq!(key.encoding, KeyEncoding::OpenSsh);
        assert_eq!(key.algorithm, None);
        assert_eq!(
            key.describe(),
            "private key, OpenSSH format (`OPENSSH PRIVATE KEY`)"
        );
    }

    #[test]
    fn unknown_private_key_label_is_other() {
        let text = fixture("rsa2048.key").replace("RSA PRIVATE KEY", "FOO PRIVATE KEY");
        let key = parse_private_key(&text).unwrap();
        assert_eq!(
            key.encoding,
            KeyEncoding::Other("FOO PRIVATE KEY".to_owned())
        );
        assert_eq!(key.algorithm, None);
    }

    #[test]
    fn crlf_whitespace_and_trailing_certificate_are_tolerated() {
        let key = fixture("rsa2048.key");
        let crt = fixture("rsa2048.crt");
        let text = format!("\n\n   {}\r\n\t\n{}  \n", key.replace('\n', "\r\n"), crt);
        let info = parse_private_key(&text).unwrap();
        assert_eq!(info.spki_sha256().as_deref(), Some(RSA2048_SPKI_SHA256));
        assert_eq!(info.other_blocks, ["CERTIFICATE"]);

        // Certificate first, key second: the key is still found.
        let info = parse_private_key(&format!("{crt}{key}")).unwrap();
        assert_eq!(info.encoding, KeyEncoding::Pkcs1);
        assert_eq!(info.other_blocks, ["CERTIFICATE"]);
    }

    #[test]
    fn newlines_flattened_to_spaces_are_tolerated() {
        // `--set-string tls.key=...` pasted from one line, or a folded YAML scalar.
        let flat = fixture("rsa2048.key").replace('\n', " ");
        let info = parse_private_key(&flat).unwrap();
        assert_eq!(info.spki_sha256().as_deref(), Some(RSA2048_SPKI_SHA256));
    }

    #[test]
    fn error_kinds() {
        assert_eq!(
            parse_private_key(&fixture("truncated.key")),
            Err(Error::Truncated)
        );
        assert_eq!(
            parse_private_key(&fixture("not-pem.txt")),
            Err(Error::NoPem)
        );
        assert_eq!(parse_private_key(""), Err(Error::NoPem));
        assert_eq!(parse_private_key("  \r\n "), Err(Error::NoPem));
        assert_eq!(
            parse_private_key(&fixture("public.pem")),
            Err(Error::NotAPrivateKey {
                label: "PUBLIC KEY".to_owned()
            })
        );
        assert_eq!(
            parse_private_key(&fixture("rsa2048.crt")),
            Err(Error::NotAPrivateKey {
                label: "CERTIFICATE".to_owned()
            })
        );
    }

    #[test]
    fn damaged_key_body_is_invalid_key() {
        // Drop one base64 line from the middle: base64 still decodes, DER does not.
        let text = fixture("rsa2048.key");
        let mut lines: Vec<&str> = text.lines().collect();
        lines.remove(5);
        let err = parse_private_key(&lines.join("\n")).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidKey { label, .. } if label == "RSA PRIVATE KEY"),
            "{err:?}"
        );
        // The reason speaks of the block's own format, not of an internal PKCS#8 wrapper.
        assert!(!err.to_string().contains("PKCS#8"), "{err}");
        // A valid PKCS#8 RSA key relabelled as PKCS#1 is not a PKCS#1 key.
        let relabelled = fixture("rsa2048-pkcs8.key").replace("PRIVATE KEY", "RSA PRIVATE KEY");
        assert!(matches!(
            parse_private_key(&relabelled),
            Err(Error::InvalidKey { .. })
        ));
    }

    #[test]
    fn bad_base64_is_malformed() {
        let text = fixture("rsa2048.key").replacen("MII", "MI!", 1);
        assert!(matches!(
            parse_private_key(&text),
            Err(Error::MalformedPem { .. })
        ));
    }

    /// Every base64 line of every key fixture; none may appear in an error message.
    fn secret_lines() -> Vec<String> {
        let mut lines = Vec::new();
        for name in [
            "rsa2048.key",
            "rsa2048-pkcs8.key",
            "ec-p256.key",
            "truncated.key",
        ] {
            for line in fixture(name).lines() {
                if !line.starts_with("-----") && line.len() >= 8 {
                    lines.push(line.to_owned());
                }
            }
        }
        lines
    }

    #[test]
    fn no_error_message_echoes_key_content() {
        let rsa = fixture("rsa2048.key");
        let mut damaged = vec![
            fixture("truncated.key"),
            rsa.replacen("MII", "MI!", 1),
            rsa.replace("END RSA PRIVATE KEY", "END EC PRIVATE KEY"),
            rsa.replace(
                "-----BEGIN RSA PRIVATE KEY-----",
                "-----BEGIN RSA PRIVATE KEY",
            ),
            rsa.replace("-----END RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY"),
            fixture("ec-p256.key").replace("EC PRIVATE KEY", "RSA PRIVATE KEY"),
            fixture("rsa2048-pkcs8.key").replace("PRIVATE KEY", "EC PRIVATE KEY"),
            rsa.replace("RSA PRIVATE KEY", "PRIVATE KEY"),
        ];
        let mut lines: Vec<&str> = rsa.lines().collect();
        lines.remove(7);
        damaged.push(lines.join("\n"));
        let secrets = secret_lines();
        for text in &damaged {
            let err = parse_private_key(text).expect_err("damaged text must not parse");
            let shown = format!("{err} {err:?}");
            for secret in &secrets {
                // Any 8-character window of a base64 line is enough to count as an echo.
                for window in secret.as_bytes().windows(8).step_by(8) {
                    let window = std::str::from_utf8(window).unwrap();
                    assert!(!shown.contains(window), "error echoes key content: {shown}");
                }
            }
        }
    }

    #[test]
    fn debug_output_holds_no_private_bytes() {
        let info = parse("rsa2048.key");
        let debug = format!("{info:?}");
        for secret in secret_lines() {
            assert!(!debug.contains(&secret));
        }
    }
}
