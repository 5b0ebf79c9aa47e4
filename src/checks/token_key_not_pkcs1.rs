//! `token-key-not-pkcs1`: an RSA token key in PKCS#8 form.

use super::{Context, Findings, Rule};
use crate::pki::{KeyAlgorithm, KeyEncoding};
use crate::report::Severity;

/// PKCS#8 `PRIVATE KEY`: the token service needs `RSA PRIVATE KEY` and answers 500.
pub struct TokenKeyNotPkcs1;

impl Rule for TokenKeyNotPkcs1 {
    fn id(&self) -> &'static str {
        "token-key-not-pkcs1"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "the RSA token key is PKCS#8 (`PRIVATE KEY`): the token service needs `RSA PRIVATE KEY` and answers 500"
    }
    fn explain(&self) -> &'static str {
        "Harbor verifies tokens with a key parsed by `jwt.ParseRSAPrivateKeyFromPEM`, which accepts \
PKCS#8, but it issues them through `libtrust.UnmarshalPrivateKeyPEM`, which accepts only the PEM \
types `RSA PRIVATE KEY` and `EC PRIVATE KEY`. With a PKCS#8 key (`-----BEGIN PRIVATE KEY-----`, \
what `openssl genpkey` and OpenSSL 3 `genrsa` write by default) the token endpoint logs \
`unable to get PrivateKey from PEM type: PRIVATE KEY` and answers HTTP 500: `docker login` fails.\n\n\
**Fix:** convert the key to PKCS#1 without changing it: `openssl rsa -in tls.key -traditional \
-out tls-pkcs1.key`; the certificate stays valid because the key is the same."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for pair in &ctx.token_pairs {
            let (Some(material), Some(info)) = (&pair.key, pair.key_info()) else {
                continue;
            };
            if info.algorithm == Some(KeyAlgorithm::Rsa)
                && info.encoding != KeyEncoding::Pkcs1
                && !info.is_encrypted()
            {
                out.push(
                    material
                        .finding(
                            self.id(),
                            self.severity(),
                            format!("{} is an RSA key in `{}` form; Harbor issues tokens only with `RSA PRIVATE KEY` (PKCS#1)", material.name(), info.pem_label),
                        )
                        .note(info.describe())
                        .help("convert it without changing the key: `openssl rsa -in tls.key -traditional -out tls-pkcs1.key`"),
                );
            }
        }
    }
}
