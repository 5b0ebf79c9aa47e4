//! `event-volume-multi-attach`: a pod waits for a `ReadWriteOnce` volume that a pod on another
//! node still holds.

use super::log_common::{details, event_origin, flags, hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose;
use crate::report::Severity;

/// `FailedAttachVolume` events (or `kubectl describe` text) with `Multi-Attach error for volume`.
pub struct EventVolumeMultiAttach;

impl Rule for EventVolumeMultiAttach {
    fn id(&self) -> &'static str {
        "event-volume-multi-attach"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "a Warning event `Multi-Attach error for volume`: a new pod waits for a ReadWriteOnce volume another node holds"
    }
    fn explain(&self) -> &'static str {
        "**Reported as** the event `FailedAttachVolume` of the attach/detach controller on the new \
pod: `Multi-Attach error for volume \"pvc-…\" Volume is already used by pod(s) \
harbor-registry-…` (or `… Volume is already exclusively attached to one node and can't be \
attached to another`), read from the namespace's Warning events or from `kubectl describe pod` \
/ `kubectl get events` text given to `--logs` (harbor-helm#224, #2288, #881).\n\n\
**Cause:** a ReadWriteOnce volume (the registry's or jobservice's PVC) can be attached to one \
node at a time. With the chart's default `updateStrategy.type: RollingUpdate`, the upgrade \
starts the new pod before the old one stops; when it lands on another node it waits for the \
volume until the rollout times out (`helm upgrade --wait` fails). `preflight check` warns of \
this before the upgrade (rule `rwo-rolling-update`).\n\n\
**Fix:** set `updateStrategy.type: Recreate` (the old pod stops first), or use a ReadWriteMany \
storage class for the registry and jobservice volumes. To unblock a rollout that waits now, \
delete the old pod that holds the volume (named in the message) so that the volume detaches."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let n = lines_that(hits.len(), "show");
        let mut finding = diagnose::finding(
            self.id(),
            self.severity(),
            format!("{n} `Multi-Attach error`: a pod waits for a ReadWriteOnce volume that a pod on another node still holds"),
            &hits,
            scan,
            ctx.sources,
        );
        let holders = details(&hits);
        if !holders.is_empty() {
            finding = finding.note(format!(
                "the volume is held by {}",
                holders
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let finding = finding
            .note("likely cause: a ReadWriteOnce volume with `updateStrategy.type: RollingUpdate`: the rollout starts the new pod on another node before the old one lets go of the volume")
            .note(format!(
                "cross-check before the next upgrade: `harbor-upgrade preflight check -f values.yaml{}` (rule `rwo-rolling-update`)",
                flags(ctx)
            ))
            .help("set `updateStrategy.type: Recreate` (or use a ReadWriteMany storage class); to unblock now, delete the old pod that holds the volume");
        out.push(event_origin(finding, &hits, ctx.sources));
    }
}
