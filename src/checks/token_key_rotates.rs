//! `token-key-rotates`: nothing pins the token key, so every render makes a new one.

use super::{Context, Findings, Rule};
use crate::report::{Finding, Severity};

/// Nothing pins the key: every render makes a new one.
pub struct TokenKeyRotates;

impl Rule for TokenKeyRotates {
    fn id(&self) -> &'static str {
        "token-key-rotates"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "nothing pins the token key: every render makes a new one and core pods roll (warning when `core.replicas` > 1)"
    }
    fn explain(&self) -> &'static str {
        "Unless `core.tokenKey`/`core.tokenCert` or `core.secretName` are set, the chart runs `genCA` on \
every render (it never preserves the pair with `lookup`, up to 1.19.1). Each `helm upgrade` \
therefore writes a new signing key, and core pods restart. While old and new pods coexist, a \
token issued by one is rejected by the other with `crypto/rsa: verification error`; with several \
core replicas this shows as intermittent 401s on `docker login`/push until the rollout ends. \
Tokens issued before the upgrade become invalid (they live 30 minutes by default).\n\n**Fix:** pin \
the pair: put a key and its certificate into `core.secretName` (`harbor-upgrade keys generate \
--secret-name harbor-token`) or into `core.tokenKey`/`core.tokenCert`. Taking today's pair from \
the live Secret keeps existing tokens valid."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let pinned_in_values = ctx.field("core.tokenKey").set_str().is_some()
            || ctx.field("core.tokenCert").set_str().is_some();
        if pinned_in_values || ctx.setting("core.secretName").is_some() {
            return;
        }
        let replicas = ctx.number("core.replicas", 1);
        let severity = if replicas > 1 {
            Severity::Warning
        } else {
            Severity::Info
        };
        let field = ctx.field("core.tokenKey");
        let mut finding = Finding::new(
            self.id(),
            severity,
            "nothing pins the token signing key: the chart generates a new key pair on every render",
        )
        .path("core.tokenKey")
        .at(field.span())
        .help("pin the pair with `core.secretName` (see `harbor-upgrade keys generate`) or `core.tokenKey`/`core.tokenCert`");
        if replicas > 1 {
            finding = finding.note(format!(
                "`core.replicas` is {replicas}: during each rollout, tokens issued by one core pod fail on another with `crypto/rsa: verification error`"
            ));
        }
        out.push(finding);
    }
}
