//! `rollout-failed`: after an upgrade, a Deployment of the release stopped rolling out
//! (`ProgressDeadlineExceeded`): its new pods do not run, and waiting will not change that.

use super::{Context, Findings, Rule};
use crate::report::{Finding, Origin, Severity};

/// A workload whose rollout failed.
pub struct RolloutFailed;

/// One workload `verify` found failed, and the ones still rolling out beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRollout {
    /// `deployment/harbor-core`.
    pub workload: String,
    /// Why, as `kubectl rollout status` says it.
    pub why: String,
}

impl Rule for RolloutFailed {
    fn id(&self) -> &'static str {
        "rollout-failed"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "`verify`: a Deployment of the release exceeded its progress deadline: the new pods do not run"
    }
    fn explain(&self) -> &'static str {
        "`harbor-upgrade verify` (and step 5 of `harbor-upgrade upgrade`) waits for the release's \
Deployments and StatefulSets to roll out by the conditions `kubectl rollout status` uses. A \
Deployment whose `Progressing` condition has the reason `ProgressDeadlineExceeded` (after \
`spec.progressDeadlineSeconds`, 600 s by default) will not finish by waiting longer: its new \
pods cannot start (an image that cannot be pulled, a volume that cannot attach — `Multi-Attach \
error` —, a Secret or key that is missing, a crash loop after a failed migration) and the old \
ones keep serving, or nothing does. That is a broken upgrade, not one that cannot be judged; a \
rollout that is merely slower than `--wait` exits 2 instead.\n\n\
**Fix:** read the other findings of the same report (the `event-*` and `log-*` rules name the \
cause from the Warning events and the logs since the upgrade), then `kubectl describe \
deployment/NAME` and its newest pods. Fix the cause and upgrade again, or go back with `helm \
rollback RELEASE REVISION` and `harbor-upgrade keys restore` of the backup taken before (see \
docs/upgrade.md; the database schema cannot be downgraded)."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some(cluster) = ctx.cluster else {
            return;
        };
        for failed in &cluster.failed_rollouts {
            out.push(
                Finding::new(
                    self.id(),
                    self.severity(),
                    format!(
                        "{} {}: its new pods do not run, and waiting longer will not change that",
                        failed.workload, failed.why
                    ),
                )
                .from_object(
                    Origin::Cluster,
                    Some(format!("cluster://{}/{}", cluster.namespace, failed.workload)),
                )
                .note("the causes the Warning events and logs show are reported beside this finding")
                .help(format!(
                    "`kubectl describe {}` and its newest pods; fix the cause and upgrade again, or `helm rollback` to the previous revision",
                    failed.workload
                )),
            );
        }
    }
}
