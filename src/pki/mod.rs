//! Key material: PEM private keys, X.509 certificates, pairing and fingerprints.
//!
//! Pure functions over text and bytes: no files, no clock (`now` is passed in as Unix seconds),
//! no network; key generation takes the random number generator as an argument. Nothing here ever returns or formats secret bytes; callers get kinds, sizes,
//! subjects, validity and SHA-256 fingerprints.

mod armor;
mod cert;
mod error;
mod fingerprint;
mod generate;
mod key;

pub use cert::{chains_to, format_unix, parse_certificates, CertChain, CertInfo, Validity};
pub use error::Error;
pub(crate) use fingerprint::hex_lower;
pub use fingerprint::{fingerprint, sha256_hex};
pub use generate::{
    generate_token_pair, GenerateError, TokenPair, TokenPairSpec, MAX_BITS, MIN_BITS,
    TOKEN_CA_COMMON_NAME,
};
pub use key::{parse_private_key, KeyAlgorithm, KeyEncoding, PrivateKeyInfo};

/// SHA-256 of the DER `SubjectPublicKeyInfo` of the token key pair that charts 1.4.0–1.9.5 (1.5.6
/// and 1.7.1 too), 1.10.0–1.10.3 and 1.11.0 shipped inside the chart (`cert/tls.key`): a public
/// key pair.
pub const PUBLIC_STATIC_TOKEN_SPKI_SHA256: &str =
    "fd980556ee5175ddf5a03277dc995879b134769399ad8a511c7cff9bed560374";

/// Whether a certificate belongs to a private key: their `SubjectPublicKeyInfo` are equal.
pub fn pair_matches(key: &PrivateKeyInfo, cert: &CertInfo) -> bool {
    key.spki_der
        .as_deref()
        .is_some_and(|spki| spki == cert.spki_der.as_slice())
}
