//! `token-key-invalid`: the token key is not a usable PEM private key.

use super::{Context, Findings, Rule};
use crate::report::Severity;

/// Not a PEM private key: garbage, truncated, wrong PEM type, encrypted.
pub struct TokenKeyInvalid;

impl Rule for TokenKeyInvalid {
    fn id(&self) -> &'static str {
        "token-key-invalid"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "the token key is not a usable PEM private key: garbage, truncated, wrong PEM type, encrypted"
    }
    fn explain(&self) -> &'static str {
        "Core reads `/etc/core/private_key.pem` (the `tls.key` of the core Secret, from \
`core.tokenKey` or `core.secretName`) every time it issues a registry token. If the file is not \
a PEM private key, token issuance fails (`failed to read private key`, `unable to decode private \
key PEM`) and every `docker login` and pull answers 401 or 500. Harbor cannot use an encrypted \
key: it has no passphrase to open it.\n\n**Fix:** put the unencrypted PEM private key (`-----BEGIN \
RSA PRIVATE KEY-----` … `-----END RSA PRIVATE KEY-----`, whole) into the field, for example with \
`helm --set-file core.tokenKey=tls.key`, or generate a fresh pair with `harbor-upgrade keys rotate`."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for pair in &ctx.token_pairs {
            let (Some(material), Some(parsed)) = (&pair.key, &pair.parsed_key) else {
                continue;
            };
            match parsed {
                Err(e) => out.push(
                    material
                        .finding(self.id(), self.severity(), format!("{} is not a usable private key: {e}", material.name()))
                        .help("supply the whole unencrypted PEM private key, or blank the field so the chart generates one"),
                ),
                Ok(info) if info.is_encrypted() => out.push(
                    material
                        .finding(
                            self.id(),
                            self.severity(),
                            format!("{} is an encrypted private key: Harbor cannot open it", material.name()),
                        )
                        .note(info.describe())
                        .help("decrypt it (`openssl rsa -in key.pem -traditional -out plain.pem`) and supply the unencrypted key"),
                ),
                Ok(_) => {}
            }
        }
    }
}
