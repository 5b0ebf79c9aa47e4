//! `token-key-not-rsa`: the token key is EC, Ed25519 or another non-RSA key.

use super::{Context, Findings, Rule};
use crate::pki::KeyAlgorithm;
use crate::report::Severity;

/// EC / Ed25519 key: Harbor signs RS256 only.
pub struct TokenKeyNotRsa;

impl Rule for TokenKeyNotRsa {
    fn id(&self) -> &'static str {
        "token-key-not-rsa"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "the token key is EC, Ed25519 or another non-RSA key: Harbor signs RS256 only"
    }
    fn explain(&self) -> &'static str {
        "Harbor's token service signs with the fixed method RS256 and parses the key with \
`jwt.ParseRSAPrivateKeyFromPEM`. An EC key gives `key is not a valid RSA private key`; worse, \
for an `EC PRIVATE KEY` the token code swallows the error and hands clients an empty token, so \
every `/v2/` request is unauthorized with no clear log line.\n\n**Fix:** use an RSA key (2048 bits \
or more) in PKCS#1 form: `openssl genrsa -traditional -out tls.key 4096`, or \
`harbor-upgrade keys rotate`."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for pair in &ctx.token_pairs {
            let (Some(material), Some(info)) = (&pair.key, pair.key_info()) else {
                continue;
            };
            match &info.algorithm {
                Some(KeyAlgorithm::Rsa) | None => {}
                Some(_) => out.push(
                    material
                        .finding(self.id(), self.severity(), format!("{} is not an RSA key: Harbor signs tokens with RS256 only", material.name()))
                        .note(info.describe())
                        .help("generate an RSA key pair (`harbor-upgrade keys rotate`, or `openssl genrsa -traditional 4096` plus a matching certificate)"),
                ),
            }
        }
    }
}
