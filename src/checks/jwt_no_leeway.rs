//! `jwt-no-leeway`: the target Harbor validates tokens with no clock leeway.

use super::{Context, Findings, Rule};
use crate::chart::behaviour::has_jwt_leeway;
use crate::report::{Finding, Severity};

/// Target Harbor < 2.11 validates tokens with no clock leeway.
pub struct JwtNoLeeway;

impl Rule for JwtNoLeeway {
    fn id(&self) -> &'static str {
        "jwt-no-leeway"
    }
    fn severity(&self) -> Severity {
        Severity::Info
    }
    fn summary(&self) -> &'static str {
        "the target Harbor (before 2.11) validates registry tokens with no clock leeway"
    }
    fn explain(&self) -> &'static str {
        "Harbor's tokens carry `nbf`/`iat`/`exp` in whole seconds. Before 2.11 (golang-jwt v4) core \
checks them with no leeway at all, so when the core pod that verifies a token runs a clock \
behind the one that issued it, the token is rejected as `token is not valid yet` or `token used \
before issued` — about as often as the skew is a fraction of a second, which shows as random \
401s on `docker pull`/`push` with several core replicas. Harbor 2.11 added a 60 s leeway.\n\n\
**Fix:** keep the nodes' clocks synchronised (chrony or NTP on every node that runs core) and \
measure the skew before the upgrade; or target Harbor 2.11 or later."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some(to) = ctx.settings.to else {
            return;
        };
        if has_jwt_leeway(to.harbor) {
            return;
        }
        let replicas = ctx.number("core.replicas", 1);
        let mut finding = Finding::new(
            self.id(),
            self.severity(),
            format!(
                "{} validates registry tokens with no clock leeway: a core pod whose clock lags the issuing one rejects fresh tokens",
                to.describe()
            ),
        )
        .help("keep node clocks in sync (chrony/NTP) and measure the skew before upgrading; Harbor 2.11 and later allow 60 s");
        if replicas > 1 {
            finding = finding
                .path("core.replicas")
                .at(ctx.field("core.replicas").span())
                .note(format!("`core.replicas` is {replicas}: a token issued by one core pod is often checked by another"));
        }
        out.push(finding);
    }
}
