//! `log-token-claims-invalid`: tokens with a valid signature but for another audience or from
//! another issuer — minted by another Harbor, or meant for another service.

use super::log_common::{any, flags, hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose::{self, Kind};
use crate::report::Severity;

/// `invalid token audience`, `invalid token issuer`, `token has invalid audience` in the logs.
pub struct LogTokenClaimsInvalid;

impl Rule for LogTokenClaimsInvalid {
    fn id(&self) -> &'static str {
        "log-token-claims-invalid"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "logs show tokens for another audience or from another issuer: a token minted by another Harbor or for another service"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** `invalid token audience: AUD` / `invalid token issuer: ISS` (Harbor 2.5–2.10, \
Harbor's own claims check) and `token has invalid audience` (Harbor 2.11 and later, golang-jwt v5, \
in the `/v2` token check).\n\n\
**Cause:** the token's signature verified, so it was signed with this Harbor's key, but it was not \
issued for `harbor-registry` by `harbor-token-issuer`: a client replays a token it got for another \
service, a proxy or an external token service in front of Harbor issues its own tokens, or, when the \
key is shared, another Harbor (a second install, a staging copy restored from the same backup) \
minted it. Pulls and pushes answer 401 for those clients only.\n\n\
**Confirm:** check which token realm clients are sent to (`curl -sI https://HOST/v2/` shows the \
`Www-Authenticate` realm: it must be `https://HOST/service/token`), that only one Harbor answers \
the hostname (ingress and load-balancer backends), and whether another installation uses the same \
token key (`harbor-upgrade keys inspect` on both compares the public key fingerprints).\n\n\
**Fix:** route the hostname to one Harbor, let clients log in again (`docker logout HOST && docker \
login HOST`), and give each installation its own token key (`harbor-upgrade keys rotate VALUES`)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let what = match (
            any(&hits, &[Kind::AudienceV4, Kind::ClaimsV5]),
            any(&hits, &[Kind::IssuerV4]),
        ) {
            (true, true) => "for another audience or from another issuer",
            (false, true) => "from another issuer than `harbor-token-issuer`",
            _ => "for another audience than `harbor-registry`",
        };
        out.push(
            diagnose::finding(
                self.id(),
                self.severity(),
                format!(
                    "{} tokens that verify but were issued {what}: a token minted by another Harbor or meant for another service",
                    lines_that(hits.len(), "reject")
                ),
                &hits,
                scan,
                ctx.sources,
            )
            .note("likely cause: a second Harbor or a proxy answering the same hostname, a shared token key, or a client replaying a token meant for another service")
            .note(format!(
                "cross-check: `harbor-upgrade keys inspect{}` here and on any other installation: the same public key fingerprint means a shared key",
                flags(ctx)
            ))
            .help("route the hostname to one Harbor, give each installation its own token key (`harbor-upgrade keys rotate VALUES`), and have clients log in again"),
        );
    }
}
