//! Errors of the `pki` module.
//!
//! Callers match on these to turn a bad key or certificate into a finding. No variant carries
//! key or certificate content: only PEM labels (`RSA PRIVATE KEY`), indexes and short reasons
//! written by this module or by the ASN.1 decoders, which name positions and tags, never bytes.

/// Why a text could not be read as a private key or as certificates.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The text holds no `-----BEGIN ...-----` line at all.
    #[error("no PEM block found")]
    NoPem,
    /// The text holds PEM blocks, but none is a private key; `label` is the first block's.
    #[error("PEM block is `{label}`, not a private key")]
    NotAPrivateKey {
        /// Label of the first PEM block, e.g. `CERTIFICATE` or `PUBLIC KEY`.
        label: String,
    },
    /// A `-----BEGIN ...-----` line has no matching `-----END ...-----` line.
    #[error("PEM block is truncated: no END line")]
    Truncated,
    /// The PEM framing or its base64 body is broken.
    #[error("malformed PEM: {reason}")]
    MalformedPem {
        /// What is wrong, without any of the content.
        reason: String,
    },
    /// The block decodes from base64 but its DER is not a key of the kind its label names.
    #[error("`{label}` block does not hold a valid key: {reason}")]
    InvalidKey {
        /// PEM label of the block.
        label: String,
        /// What is wrong, without any of the content.
        reason: String,
    },
    /// The text holds no PEM block at all where certificates were expected.
    #[error("no certificate found")]
    NoCertificate,
    /// The text holds PEM blocks, but none is a `CERTIFICATE`; `label` is the first block's.
    #[error("PEM block is `{label}`, not a certificate")]
    NotACertificate {
        /// Label of the first PEM block, e.g. `RSA PRIVATE KEY`.
        label: String,
    },
    /// The certificate at `index` (0 = the first `CERTIFICATE` block) is not valid X.509.
    #[error("certificate {index} is not a valid X.509 certificate: {reason}")]
    InvalidCertificate {
        /// Position among the `CERTIFICATE` blocks, starting at 0.
        index: usize,
        /// What is wrong, without any of the content.
        reason: String,
    },
}
