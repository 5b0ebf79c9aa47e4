//! `log-oidc-session-lost`: the identity provider answered `Offline user session not found` to a
//! token refresh — an identity-provider session problem, not a Harbor key problem.

use super::log_common::{hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose;
use crate::report::Severity;

/// `Offline user session not found` in the logs.
pub struct LogOidcSessionLost;

impl Rule for LogOidcSessionLost {
    fn id(&self) -> &'static str {
        "log-oidc-session-lost"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "logs show `Offline user session not found`: the identity provider lost the users' sessions (not a key problem)"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** `failed to verify secret, username: U, error: failed to refresh token, username: U, error: oauth2: \"invalid_grant\" \"Offline user session not found\"` \
(oauth2 v0.8.0 and later: Harbor 2.7.4, 2.8.5+, 2.9.1+, 2.10 and later), or with older oauth2 \
(Harbor up to 2.8.4 and 2.9.0) over two lines: `… oauth2: cannot fetch token: 400 Bad Request` then \
`Response: {\"error\":\"invalid_grant\",\"error_description\":\"Offline user session not found\"}`.\n\n\
**Cause:** this is Keycloak's answer when the offline session behind a user's stored refresh \
token is gone: Keycloak restarted or was upgraded without persistent sessions, the session expired \
or was revoked. Harbor only refreshes while checking a CLI secret whose stored access token has \
expired. It is not a signing-key or `secretKey` problem, and fixing keys does not bring the \
sessions back (in the Harbor 2.8.4 → 2.10.2 reports it appeared next to \
`crypto/rsa: verification error`, which is a separate problem: `log-token-signature-invalid`).\n\n\
**Confirm:** the IdP's sessions for the user (Keycloak: Users › Sessions › Offline); the user's \
UI login works.\n\n\
**Fix:** the user logs in to the Harbor UI once (the callback stores a fresh token), then CLI \
logins work again. Keep IdP offline sessions across IdP restarts."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let mut finding = diagnose::finding(
            self.id(),
            self.severity(),
            format!(
                "{} the identity provider refused token refreshes with `Offline user session not found`: the users' IdP sessions are gone; this is not a Harbor key problem",
                lines_that(hits.len(), "show")
            ),
            &hits,
            scan,
            ctx.sources,
        )
        .note("likely cause: the IdP (Keycloak) lost or expired the offline sessions behind the stored refresh tokens, e.g. after an IdP restart or upgrade");
        if scan.has("log-token-signature-invalid") {
            finding = finding.note("the `crypto/rsa: verification error` lines in the same logs are a separate problem, the token signing key (`log-token-signature-invalid`): fixing the key does not restore IdP sessions, and logging in again does not fix the key");
        }
        out.push(finding.help(
            "each affected user logs in to the Harbor UI once, which stores a fresh token; keep the IdP's offline sessions across its restarts",
        ));
    }
}
