//! `log-token-not-yet-valid`: tokens rejected because their `nbf`/`iat` lies in the verifier's
//! future — clock skew between the pod that issued a token and the one that checks it.

use super::log_common::{any, flags, hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose::{self, Kind};
use crate::report::Severity;

/// `token is not valid yet` / `token used before issued` in the logs.
pub struct LogTokenNotYetValid;

impl Rule for LogTokenNotYetValid {
    fn id(&self) -> &'static str {
        "log-token-not-yet-valid"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "logs reject tokens as `not valid yet` or `used before issued`: the node clocks differ"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** `parse token error, token is not valid yet` (ERROR, core `pkg/token/token.go`) \
and `failed to decode bearer token: token is not valid yet` (WARNING, core `v2_token.go`); \
`token used before issued` when `iat` fails; from Harbor 2.11 (golang-jwt v5) \
`token has invalid claims: token is not valid yet`.\n\n\
**Cause:** one core pod issued a token (`nbf` = `iat` = its clock) and another pod, whose clock is \
behind, checked it. Harbor before 2.11 validates with no leeway and JWT times are whole seconds, so \
a lag of d seconds (d < 1) rejects about a fraction d of fresh tokens: `docker login` fails \
intermittently and never with one core replica. From 2.11 the leeway is 60 s, so the message means \
clocks more than a minute apart.\n\n\
**Confirm:** `harbor-upgrade clock check --release NAME` measures the offset between the nodes that \
run core, registry and jobservice (rule `clock-skew`); scaling core to one replica makes the errors \
stop.\n\n\
**Fix:** synchronise every node's clock (NTP or chrony, one source for all nodes). Restarting pods \
does not help. Upgrading to Harbor 2.11 or later adds the 60 s leeway."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let v5 = any(&hits, &[Kind::NotValidYetV5]);
        let v4 = any(&hits, &[Kind::NotValidYet, Kind::UsedBeforeIssued]);
        let mut finding = diagnose::finding(
            self.id(),
            self.severity(),
            format!(
                "{} tokens as not yet valid: the clock of the pod that checks a token is behind the clock of the pod that issued it",
                lines_that(hits.len(), "reject")
            ),
            &hits,
            scan,
            ctx.sources,
        );
        if v4 {
            finding = finding.note("likely cause: clock skew between the nodes running core; Harbor before 2.11 has no leeway, so even a fraction of a second fails a share of logins, and only with more than one core replica");
        }
        if v5 {
            finding = finding.note("likely cause: clocks more than 60 s apart (Harbor 2.11 and later tolerates up to 60 s)");
        }
        let pods = scan.pods(&hits);
        if pods.len() > 1 {
            finding = finding.note(format!(
                "{} pods log it: compare the clocks of their nodes first",
                pods.len()
            ));
        }
        out.push(
            finding
                .note(format!(
                    "cross-check: run `harbor-upgrade clock check{}` (rule `clock-skew`) to measure the offsets",
                    flags(ctx)
                ))
                .help("synchronise the clocks of every node that runs Harbor (NTP or chrony from one source); restarting pods does not help"),
        );
    }
}
