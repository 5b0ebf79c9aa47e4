//! `token-key-ignored`: `core.tokenKey`/`core.tokenCert` set for a target chart that predates them.

use super::{Context, Findings, Rule};
use crate::chart::behaviour::{token_pair_source, TokenPairSource};
use crate::chart::catalog;
use crate::report::{Finding, Severity};

/// The target chart has no `core.tokenKey`: it signs with the public static pair instead.
pub struct TokenKeyIgnored;

impl Rule for TokenKeyIgnored {
    fn id(&self) -> &'static str {
        "token-key-ignored"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "`core.tokenKey`/`core.tokenCert` are set but the target chart predates them (before 1.9.6, 1.10.0–1.10.3, 1.11.0): it signs with the public static key pair"
    }
    fn explain(&self) -> &'static str {
        "`core.tokenKey` and `core.tokenCert` were added in chart 1.12.0 and back-ported to 1.9.6, \
1.10.4 and 1.11.1. Charts before 1.9.6, and 1.10.0–1.10.3 and 1.11.0, do not read them: they put \
the token key pair shipped inside the chart (`cert/tls.key`) into the core Secret. That pair is \
public, so anyone can forge registry tokens the installation accepts, and the key you pinned is \
silently dropped — tokens it issued stop verifying.\n\n**Fix:** target a patch that reads the \
keys (1.9.6, 1.10.4, 1.11.1 or any 1.12.0+), or put the pair into a Secret with `tls.key` and \
`tls.crt` and name it in `core.secretName`, which every chart version reads."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some(target) = ctx.target() else {
            return;
        };
        if target.has("core.tokenKey") {
            return;
        }
        let static_pair = token_pair_source(target.release.chart) == TokenPairSource::StaticPublic;
        // The first release at or after the target that reads the keys, preferably a patch of
        // the same minor.
        let fixed = catalog()
            .releases()
            .iter()
            .filter(|r| r.chart > target.release.chart)
            .find(|r| token_pair_source(r.chart) == TokenPairSource::GeneratedEveryRender);
        for path in ["core.tokenKey", "core.tokenCert"] {
            let field = ctx.field(path);
            if field.set_str().is_none() && !matches!(field.state(), super::FieldState::Placeholder)
            {
                continue;
            }
            let mut finding = Finding::new(
                self.id(),
                self.severity(),
                if static_pair {
                    format!("`{path}` is ignored by the target {}: it predates the setting and signs tokens with the public key pair shipped in the chart", target.label())
                } else {
                    format!("`{path}` is not a key of the target {}: the pinned pair is ignored", target.label())
                },
            )
            .path(path)
            .at(field.span())
            .help(match fixed {
                Some(r) => format!("target chart {} (Harbor {}) or later, or move the pair into a Secret named by `core.secretName`", r.chart, r.harbor),
                None => "move the pair into a Secret (`tls.key`, `tls.crt`) named by `core.secretName`".to_string(),
            });
            if static_pair {
                finding = finding.note("the chart's own pair is public (SPKI SHA-256 fd980556…): anyone can forge tokens this Harbor accepts");
            }
            out.push(finding);
        }
    }
}
