//! `secret-key-default`: `secretKey` is the chart's public default.

use super::fields::DEFAULT_SECRET_KEY;
use super::{Context, Findings, Rule};
use crate::report::Severity;

/// `secretKey` is `not-a-secure-key`.
pub struct SecretKeyDefault;

impl Rule for SecretKeyDefault {
    fn id(&self) -> &'static str {
        "secret-key-default"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "`secretKey` is the chart's public default"
    }
    fn explain(&self) -> &'static str {
        "Every chart release defaults `secretKey` to the same public 16-byte string. Anyone who reads \
the database (a backup, a dump) can decrypt the stored registry passwords, OIDC and LDAP secrets \
with it. It is also easy to lose: an upgrade that no longer passes a custom key silently falls \
back to the default, which is the same failure as `secret-key-changed`.\n\n**Fix:** on a new \
install, set a random 16-character `secretKey` (or `existingSecretSecretKey`). On an existing \
install, do not just change it: stored credentials would decrypt to garbage. Either keep the \
default knowingly or re-enter every stored credential after changing it."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Ok(key) = ctx.effective("secretKey", Some("existingSecretSecretKey"), "secretKey")
        else {
            return;
        };
        if key.bytes.as_ref() != DEFAULT_SECRET_KEY.as_bytes() {
            return;
        }
        let message = if key.is_default {
            "`secretKey` is not set: the chart's public default key encrypts stored credentials"
        } else {
            "`secretKey` is the chart's public default key"
        };
        out.push(
            key.finding(self.id(), self.severity(), message)
                .path("secretKey")
                .help("new install: set a random 16-character key; existing install: keep the key it uses today, or re-enter stored credentials after changing it"),
        );
    }
}
