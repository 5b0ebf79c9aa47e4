//! `token-key-public`: the token key is the one the chart used to ship publicly.

use super::{Context, Findings, Rule};
use crate::pki::PUBLIC_STATIC_TOKEN_SPKI_SHA256;
use crate::report::Severity;

/// The well-known key shipped inside charts 1.4.0–1.9.5 (1.5.6 and 1.7.1 too), 1.10.0–1.10.3 and
/// 1.11.0, as rendering each release shows.
pub struct TokenKeyPublic;

impl Rule for TokenKeyPublic {
    fn id(&self) -> &'static str {
        "token-key-public"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "the token key is the public key pair shipped inside charts 1.4.0–1.9.5 (1.5.6 and 1.7.1 too), 1.10.0–1.10.3 and 1.11.0"
    }
    fn explain(&self) -> &'static str {
        "Charts 1.4.0–1.9.5 (with 1.5.6 and 1.7.1, tagged without `v`), 1.10.0–1.10.3 and 1.11.0 \
shipped a fixed token key pair in the chart itself (`cert/tls.key`); every install of those versions that did not set its own key uses it, \
and installs that copied the chart's Secret into values or `core.secretName` keep using it after \
upgrades. The key is public, so anyone can forge registry tokens that this Harbor accepts. It is \
recognised by the SHA-256 of its public key \
(`fd980556ee5175ddf5a03277dc995879b134769399ad8a511c7cff9bed560374`).\n\n**Fix:** rotate now: \
`harbor-upgrade keys rotate values.yaml`, or blank `core.tokenKey`/`core.tokenCert` on a chart \
1.12.0 or later so it generates a fresh pair."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for pair in &ctx.token_pairs {
            let from_key = pair.key.as_ref().zip(
                pair.key_info()
                    .and_then(crate::pki::PrivateKeyInfo::spki_sha256),
            );
            let from_cert = pair
                .cert
                .as_ref()
                .zip(pair.cert_chain().map(|c| c.leaf.spki_sha256()));
            let Some((material, spki)) = from_key.or(from_cert) else {
                continue;
            };
            if spki == PUBLIC_STATIC_TOKEN_SPKI_SHA256 {
                out.push(
                    material
                        .finding(
                            self.id(),
                            self.severity(),
                            format!("{} is the token key pair published in the chart repository: anyone can forge tokens", material.name()),
                        )
                        .help("rotate the pair now: `harbor-upgrade keys rotate VALUES` (or blank both fields on chart 1.12.0+)"),
                );
            }
        }
    }
}
