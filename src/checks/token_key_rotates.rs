//! `token-key-rotates`: nothing pins the token key, so every render makes a new one.

use super::{Context, Findings, Rule};
use crate::chart::behaviour::{token_pair_source, TokenPairSource};
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
Tokens issued before the upgrade become invalid (they live 30 minutes by default).\n\n\
Target charts before 1.9.6, and 1.10.0–1.10.3 and 1.11.0, do not rotate the key: they sign with \
the public pair shipped in the chart, so anyone can forge tokens. The finding then says so, as an \
error.\n\n**Fix:** pin \
the pair: put a key and its certificate into `core.secretName` (`harbor-upgrade keys generate \
--secret-name harbor-token`) or into `core.tokenKey`/`core.tokenCert`. Taking today's pair from \
the live Secret keeps existing tokens valid."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        // The rendered pair is what core gets; `token-key-changed` compares it with the live one.
        if ctx.token_pairs.iter().any(|p| p.rendered) {
            return;
        }
        let pinned_in_values = ctx.field("core.tokenKey").set_str().is_some()
            || ctx.field("core.tokenCert").set_str().is_some();
        if ctx.setting("core.secretName").is_some() {
            return;
        }
        // Charts before 1.9.6, 1.10.0–1.10.3 and 1.11.0 do not rotate: they use the pair shipped
        // in the chart, which is worse (`core.tokenKey` there is `token-key-ignored`).
        if let Some(target) = ctx.target() {
            if token_pair_source(target.release.chart) == TokenPairSource::StaticPublic {
                if !pinned_in_values {
                    out.push(
                        Finding::new(
                            self.id(),
                            Severity::Error,
                            format!("the target {} does not generate a token key: it signs with the public key pair shipped in the chart", target.label()),
                        )
                        .path("core.tokenKey")
                        .at(ctx.field("core.tokenKey").span())
                        .note("the chart's own pair is public (SPKI SHA-256 fd980556…): anyone can forge tokens this Harbor accepts")
                        .help("put your own pair into a Secret with `tls.key` and `tls.crt` and name it in `core.secretName` (see `harbor-upgrade keys generate`), or target chart 1.9.6, 1.10.4, 1.11.1 or 1.12.0+"),
                    );
                }
                return;
            }
        }
        if pinned_in_values {
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
