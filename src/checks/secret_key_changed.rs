//! `secret-key-changed`: the effective `secretKey` differs from the live one.

use super::{Context, Findings, Rule};
use crate::pki::fingerprint;
use crate::report::Severity;

/// The effective `secretKey` differs from the live one.
pub struct SecretKeyChanged;

impl Rule for SecretKeyChanged {
    fn id(&self) -> &'static str {
        "secret-key-changed"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "the effective `secretKey` differs from the live one: stored credentials silently decrypt to garbage"
    }
    fn explain(&self) -> &'static str {
        "Harbor encrypts stored credentials with AES-CFB and no MAC, so decrypting with another key of \
valid length gives garbage without any error. After the upgrade, replication and proxy-cache \
endpoints get 401 from their remotes, OIDC and LDAP logins fail, and OIDC CLI secrets answer \
`secret mismatch`. The usual cause is an upgrade command that no longer passes the custom key \
(so the default applies) or a GitOps tool that re-renders it.\n\n**Fix:** set `secretKey` (or the \
Secret named by `existingSecretSecretKey`) to the value in the live `<fullname>-core` Secret. \
`harbor-upgrade keys backup` keeps a copy of it."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some(live) = ctx.live_core("secretKey") else {
            if ctx.core_secret().is_none() && !ctx.secrets.is_empty() {
                out.skip(self.id(), ctx.core_secret_missing_reason());
            }
            return;
        };
        let new = match ctx.effective("secretKey", Some("existingSecretSecretKey"), "secretKey") {
            Ok(new) => new,
            Err(why) => {
                out.skip(self.id(), why);
                return;
            }
        };
        if new.bytes.as_ref() == live {
            return;
        }
        let core = ctx
            .core_secret()
            .map_or("<fullname>-core", |s| s.name.as_str());
        let what = if new.is_default {
            "`secretKey` is not set, so the chart default"
        } else {
            "the new `secretKey`"
        };
        out.push(
            new.finding(self.id(), self.severity(), format!("{what} differs from the key in the live Secret `{core}`"))
                .path("secretKey")
                .note(format!("new: {}, live: {}", fingerprint(&new.bytes), fingerprint(live)))
                .help(format!("set `secretKey` to the value of `secretKey` in Secret `{core}`; back it up first with `harbor-upgrade keys backup`")),
        );
    }
}
