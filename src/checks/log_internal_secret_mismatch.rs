//! `log-internal-secret-mismatch`: core, jobservice and registryctl reject each other's calls —
//! `core.secret` / `jobservice.secret` differ between the components.

use super::log_common::{any, flags, hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose::{self, Kind};
use crate::report::Severity;

/// jobservice 401s (`code 10011`, `Failed on load rest config`, `Harbor-Secret`) and registryctl's
/// `invalid authorization credential` in the logs.
pub struct LogInternalSecretMismatch;

impl Rule for LogInternalSecretMismatch {
    fn id(&self) -> &'static str {
        "log-internal-secret-mismatch"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "logs show core, jobservice or registryctl rejecting each other's secret (401)"
    }
    fn explain(&self) -> &'static str {
        "**Logged as** jobservice's `Serve http request 'POST /api/v1/jobs' failed with error: {\"code\":10011,\"message\":\"unauthorized\",…}` \
(details `unauthorized`, `header 'Authorization' missing`, \
`'Authorization' should start with 'Harbor-Secret'`, `empty secret is not allowed`); jobservice at \
startup `Failed on load rest config err:http error: code 401, …` followed by a panic and \
CrashLoopBackOff; registryctl `failed to authenticate request: invalid authorization credential` \
(garbage collection calls).\n\n\
**Cause:** the components authenticate to each other with `CORE_SECRET` (`core.secret`) and \
`JOBSERVICE_SECRET` (`jobservice.secret`). When the chart regenerates them (unpinned, charts before \
1.14, Argo CD) and one component starts before the Secret update and another after, they hold \
different values; or a component was not restarted after an upgrade.\n\n\
**Confirm:** `harbor-upgrade preflight check --release NAME` (rules `secrets-regenerate`, \
`secret-length`); compare pod start times with the Secret's last change.\n\n\
**Fix:** pin `core.secret` and `jobservice.secret` (16 characters each), then restart core first, \
then jobservice and registry (`kubectl rollout restart deployment/…`)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let n = lines_that(hits.len(), "show");
        let message = if any(&hits, &[Kind::RestConfig]) {
            format!("{n} jobservice cannot load its configuration from core (401): the `CORE_SECRET` it presents is not core's, so it crash-loops")
        } else if any(
            &hits,
            &[Kind::HarborSecretScheme, Kind::JobserviceUnauthorized],
        ) {
            format!("{n} jobservice rejecting calls from core (code 10011): core and jobservice hold different internal secrets")
        } else {
            format!("{n} registryctl rejecting calls (garbage collection): the secret core or jobservice presents is not the one registryctl holds")
        };
        out.push(
            diagnose::finding(self.id(), self.severity(), message, &hits, scan, ctx.sources)
                .note("likely cause: `core.secret` or `jobservice.secret` was regenerated on upgrade and the components restarted in different order, or one was not restarted")
                .note(format!(
                    "cross-check: `harbor-upgrade preflight check{}` (rules `secrets-regenerate`, `secret-length`)",
                    flags(ctx)
                ))
                .help("pin `core.secret` and `jobservice.secret` (16 characters), then restart core, then jobservice and registry"),
        );
    }
}
