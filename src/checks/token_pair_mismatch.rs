//! `token-pair-mismatch`: the certificate was not made from the key.

use super::{Context, Findings, Rule};
use crate::pki::{fingerprint, pair_matches};
use crate::report::Severity;

/// The certificate's public key is not the key's public key.
pub struct TokenPairMismatch;

impl Rule for TokenPairMismatch {
    fn id(&self) -> &'static str {
        "token-pair-mismatch"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "the token certificate's public key is not the token key's public key"
    }
    fn explain(&self) -> &'static str {
        "The token key and certificate must be one pair: whoever verifies tokens with the certificate \
(notary-server in charts up to 1.12) rejects every token core signs with a different key \
(`token signed by untrusted key`), and a pair that does not match is the typical leftover of a \
half-done rotation: one field updated, the other pasted from an older install. This is the \
configuration behind `crypto/rsa: verification error` reports after an upgrade.\n\n**Fix:** find \
the certificate of this key (compare `openssl x509 -noout -pubkey -in tls.crt` with `openssl \
rsa -pubout -in tls.key`), or write a fresh matching pair with `harbor-upgrade keys rotate`, or \
blank both fields so the chart generates a pair."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for pair in &ctx.token_pairs {
            let (Some(key), Some(chain), Some(cert_material)) =
                (pair.key_info(), pair.cert_chain(), &pair.cert)
            else {
                continue;
            };
            let Some(key_spki) = key.spki_der.as_deref() else {
                continue;
            };
            if pair_matches(key, &chain.leaf) {
                continue;
            }
            let key_name = pair
                .key
                .as_ref()
                .map_or_else(String::new, super::Material::name);
            out.push(
                cert_material
                    .finding(
                        self.id(),
                        self.severity(),
                        format!("{} was not made from {key_name}: their public keys differ", cert_material.name()),
                    )
                    .note(format!("key: {}, public key {}", key.describe(), fingerprint(key_spki)))
                    .note(format!(
                        "certificate: subject `{}`, {}, public key {}",
                        chain.leaf.subject, chain.leaf.public_key, fingerprint(&chain.leaf.spki_der)
                    ))
                    .help("use the certificate made from this key, write a fresh matching pair with `harbor-upgrade keys rotate`, or blank both fields so the chart generates a pair"),
            );
        }
    }
}
