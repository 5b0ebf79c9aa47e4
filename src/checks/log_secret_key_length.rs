//! `log-secret-key-length`: `crypto/aes: invalid key size N` — `secretKey` is not an AES key.

use super::log_common::{flags, hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose;
use crate::report::Severity;

/// `crypto/aes: invalid key size N` in the logs.
pub struct LogSecretKeyLength;

impl Rule for LogSecretKeyLength {
    fn id(&self) -> &'static str {
        "log-secret-key-length"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "logs show `crypto/aes: invalid key size N`: `secretKey` is not 16, 24 or 32 bytes"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** `crypto/aes: invalid key size N`, alone (saving a registry endpoint: \
`Convert registry model to dao layer model error`) or inside \
`decrypt password failed, key: …, error crypto/aes: invalid key size N`.\n\n\
**Cause:** core encrypts stored credentials (registry endpoints, LDAP and OIDC secrets, CLI \
secrets) with AES using `secretKey` (`/etc/core/key`), which must be 16, 24 or 32 bytes. N = 17 \
with a 16-character key means a trailing newline: a Secret created from a file \
(`kubectl create secret --from-file`) or a `|` block in the values.\n\n\
**Confirm:** `harbor-upgrade preflight check --release NAME` (rule `secret-key-length`).\n\n\
**Fix:** set `secretKey` (or the `secretKey` of the Secret `existingSecretSecretKey` names) to \
the same 16 characters without the newline. Do not pick a new key: data already stored was \
encrypted with the old one (rule `secret-key-changed`)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let mut sizes: Vec<usize> = hits
            .iter()
            .filter_map(|h| h.detail.as_deref()?.parse().ok())
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        let shown = sizes
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let mut finding = diagnose::finding(
            self.id(),
            self.severity(),
            format!(
                "{} core cannot encrypt or decrypt stored credentials: `secretKey` is {} bytes, and AES needs 16, 24 or 32",
                lines_that(hits.len(), "show"),
                if shown.is_empty() { "of a wrong size".to_string() } else { shown }
            ),
            &hits,
            scan,
            ctx.sources,
        );
        if sizes.iter().any(|s| matches!(s, 17 | 25 | 33)) {
            finding = finding.note("one byte over a valid size: most likely a trailing newline (a Secret created from a file, or a `|` block)");
        }
        out.push(
            finding
                .note(format!(
                    "cross-check: `harbor-upgrade preflight check{}` (rule `secret-key-length`)",
                    flags(ctx)
                ))
                .help("set `secretKey` to the same key without the extra bytes (no trailing newline), not to a new key, then restart core"),
        );
    }
}
