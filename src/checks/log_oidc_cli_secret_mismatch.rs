//! `log-oidc-cli-secret-mismatch`: CLI-secret logins of OIDC users rejected with `secret mismatch`.

use super::log_common::{flags, hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose;
use crate::report::Severity;

/// `failed to verify the secret: secret mismatch` in the logs.
pub struct LogOidcCliSecretMismatch;

impl Rule for LogOidcCliSecretMismatch {
    fn id(&self) -> &'static str {
        "log-oidc-cli-secret-mismatch"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "logs show OIDC CLI-secret logins rejected with `secret mismatch`"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** `failed to verify secret, username: U, error: failed to verify the secret: secret mismatch, username: U` \
(core `oidc_cli.go`; from Harbor 2.13 not logged for the admin user).\n\n\
**Cause:** an OIDC user's `docker login` presented a CLI secret that is not the one Harbor stores \
for them: the user regenerated it in the UI, or — when every user fails at once — `secretKey` \
changed, so the stored secrets decrypt to something else.\n\n\
**Confirm:** one user or many? Many, right after an upgrade, points at `secretKey`: \
`harbor-upgrade preflight check --release NAME` (rule `secret-key-changed`).\n\n\
**Fix:** users copy the current CLI secret from their user profile; if `secretKey` changed, \
restore it (`harbor-upgrade keys restore`)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let mut finding = diagnose::finding(
            self.id(),
            self.severity(),
            format!(
                "{} OIDC CLI-secret logins (`secret mismatch`): the secret presented is not the one Harbor stores for the user",
                lines_that(hits.len(), "reject")
            ),
            &hits,
            scan,
            ctx.sources,
        )
        .note("likely cause: the user regenerated the CLI secret; if every user fails at once, `secretKey` changed");
        if scan.has("log-secret-key-decrypt") || scan.has("log-secret-key-length") {
            finding = finding.note("the same logs show stored credentials that do not decrypt: `secretKey` is the likely cause here");
        }
        out.push(
            finding
                .note(format!(
                    "cross-check: `harbor-upgrade preflight check{}` (rule `secret-key-changed`)",
                    flags(ctx)
                ))
                .help("users copy the current CLI secret from their profile page; if all users fail, restore the previous `secretKey`"),
        );
    }
}
