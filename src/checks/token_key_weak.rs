//! `token-key-weak`: an RSA token key below 2048 bits.

use super::{Context, Findings, Rule};
use crate::pki::KeyAlgorithm;
use crate::report::Severity;

/// RSA below 2048 bits.
pub struct TokenKeyWeak;

impl Rule for TokenKeyWeak {
    fn id(&self) -> &'static str {
        "token-key-weak"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "the RSA token key is shorter than 2048 bits"
    }
    fn explain(&self) -> &'static str {
        "Harbor does not check the key size, so a 1024-bit key works, but anyone who factors it can \
sign registry tokens for any repository. The chart itself generates 2048-bit keys.\n\n**Fix:** \
rotate to a key of 2048 bits or more (`harbor-upgrade keys rotate --bits 4096`); tokens issued \
with the old key stop working at once, so do it in a maintenance window."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        for pair in &ctx.token_pairs {
            let (Some(material), Some(info)) = (&pair.key, pair.key_info()) else {
                continue;
            };
            if info.algorithm == Some(KeyAlgorithm::Rsa) && info.bits.is_some_and(|b| b < 2048) {
                out.push(
                    material
                        .finding(
                            self.id(),
                            self.severity(),
                            format!(
                                "{} is a {}-bit RSA key; use 2048 bits or more",
                                material.name(),
                                info.bits.unwrap_or_default()
                            ),
                        )
                        .help("rotate to a stronger key: `harbor-upgrade keys rotate --bits 4096`"),
                );
            }
        }
    }
}
