//! `token-pair-incomplete`: only one half of the token key pair is set.

use super::existing_secret::token_secret_keys;
use super::{Context, Findings, Rule};
use crate::report::Severity;

/// Only one of key and certificate is set.
pub struct TokenPairIncomplete;

impl Rule for TokenPairIncomplete {
    fn id(&self) -> &'static str {
        "token-pair-incomplete"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "only one of the token key and certificate is set"
    }
    fn explain(&self) -> &'static str {
        "The chart takes `core.tokenKey` and `core.tokenCert` as a pair and never checks that they \
belong together. When only one is set, the other half comes from `genCA` on every render, so a \
user key is mixed with a random certificate (or the reverse). Core signs tokens with the key; in \
charts up to 1.12 notary-server verifies them with the certificate, and the mismatch breaks \
Docker Content Trust. Even where nothing reads the certificate, a half-pinned pair in the values \
is a sign that the other half was lost. A Secret named by `core.secretName` may hold `tls.key` \
alone where no pod mounts `tls.crt`: from chart 1.13.0, and in 1.6.0–1.12.6 with notary off.\n\n**Fix:** set both fields from the same key pair, or blank both and let \
the chart generate them (`harbor-upgrade keys reset --only token`)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        // The Secret named by `core.secretName` only needs `tls.crt` where a pod mounts it.
        let token_secret = ctx.setting("core.secretName");
        let cert_read = token_secret_keys(ctx, ctx.target()).contains(&"tls.crt");
        for pair in &ctx.token_pairs {
            if pair.cert.is_none()
                && !cert_read
                && pair.secret_name.is_some()
                && pair.secret_name == token_secret
            {
                continue;
            }
            let (present, missing_name) = match (&pair.key, &pair.cert) {
                (Some(key), None) => (
                    key,
                    if key.path.is_some() {
                        "`core.tokenCert`"
                    } else {
                        "`tls.crt`"
                    },
                ),
                (None, Some(cert)) => (
                    cert,
                    if cert.path.is_some() {
                        "`core.tokenKey`"
                    } else {
                        "`tls.key`"
                    },
                ),
                _ => continue,
            };
            out.push(
                present
                    .finding(self.id(), self.severity(), format!("{} is set but {missing_name} is not", present.name()))
                    .help(format!(
                        "set {missing_name} from the same key pair, or blank both so the chart generates a matching pair"
                    )),
            );
        }
    }
}
