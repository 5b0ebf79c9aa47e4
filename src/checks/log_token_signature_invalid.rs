//! `log-token-signature-invalid`: tokens whose RSA signature does not verify — signed with
//! another private key than the verifying pod holds.

use super::log_common::{any, flags, hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose::{self, Kind};
use crate::report::Severity;

/// `crypto/rsa: verification error` in the logs.
pub struct LogTokenSignatureInvalid;

impl Rule for LogTokenSignatureInvalid {
    fn id(&self) -> &'static str {
        "log-token-signature-invalid"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "logs show `crypto/rsa: verification error`: tokens signed with another key than the verifying pod holds"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** `parse token error, crypto/rsa: verification error` and \
`failed to decode bearer token: crypto/rsa: verification error` (Harbor 2.5–2.10, golang-jwt v4); \
`token signature is invalid: crypto/rsa: verification error` (Harbor 2.11 and later, golang-jwt v5); \
`token signed by untrusted key with ID` from notary-server.\n\n\
**Cause:** the token was signed with a different private key than the one the checking core pod \
holds (`/etc/core/private_key.pem`, from `tls.key` of the core Secret or of `core.secretName`). \
Seen after an upgrade that regenerated the key (nothing pinned it: the chart makes a new one on \
every render where `lookup` finds nothing, as under Argo CD or `helm template`), while old and new \
core pods both served; when replicas hold different keys; when a key in the values no longer \
matches what the release uses (the Harbor 2.8.4 → 2.10.2 reports); or when two Harbor deployments \
answer one hostname. Tokens issued before a key change stay invalid, so clients must log in again.\n\n\
**Confirm:** `harbor-upgrade preflight check --release NAME` (rules `token-key-rotates`, \
`token-pair-mismatch`, `token-key-inconsistent`), and `harbor-upgrade keys diff BACKUP` against a \
backup taken before the upgrade shows whether `tls.key` changed.\n\n\
**Fix:** pin one key (`core.tokenKey` and `core.tokenCert`, or `core.secretName`; restore the old \
one from `harbor-upgrade keys backup` with `keys restore`, or write a fresh pair with \
`keys rotate`), then `kubectl rollout restart deployment/<fullname>-core` so that every pod loads \
the same key; then `docker login` again and refresh robot credentials held by clients."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let mut finding = diagnose::finding(
            self.id(),
            self.severity(),
            format!(
                "{} tokens whose signature does not verify: they were signed with another private key than the one the checking core pod holds",
                lines_that(hits.len(), "reject")
            ),
            &hits,
            scan,
            ctx.sources,
        )
        .note("likely cause: the token key changed or differs between core pods: regenerated on upgrade while old pods still served, replicas with different keys, or a key in the values that does not match the release's");
        if any(&hits, &[Kind::UntrustedKey]) {
            finding = finding.note("notary-server checks tokens with the certificate `core.tokenCert` / `tls.crt`: it must be the certificate of the signing key");
        }
        let pods = scan.pods(&hits);
        if pods.len() > 1 {
            finding = finding.note(format!(
                "{} pods log it: if only some do, they hold a different key than the rest",
                pods.len()
            ));
        }
        let f = flags(ctx);
        out.push(
            finding
                .note(format!(
                    "cross-check: `harbor-upgrade preflight check{f}` (rules `token-key-rotates`, `token-pair-mismatch`, `token-key-inconsistent`) and `harbor-upgrade keys diff BACKUP{f}` with a backup from before the upgrade"
                ))
                .help("pin one token key (`core.tokenKey`/`core.tokenCert` or `core.secretName`; restore the previous one with `harbor-upgrade keys restore`), restart every core pod, then log in again with docker and robot accounts"),
        );
    }
}
