//! `event-scheduling-failed`: a Harbor pod cannot be scheduled (volume zone, unbound claim,
//! no room).

use super::log_common::{any, event_origin, hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose::{self, Kind};
use crate::report::Severity;

/// `FailedScheduling` events (or `kubectl describe` text): `0/3 nodes are available: …`.
pub struct EventSchedulingFailed;

impl Rule for EventSchedulingFailed {
    fn id(&self) -> &'static str {
        "event-scheduling-failed"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "a Warning event `FailedScheduling`: a Harbor pod stays Pending (volume node affinity conflict, unbound claim, no room)"
    }
    fn explain(&self) -> &'static str {
        "**Reported as** the scheduler's event `FailedScheduling` on the pod: `0/3 nodes are \
available: 3 node(s) had volume node affinity conflict.`, `pod has unbound immediate \
PersistentVolumeClaims`, or another count of nodes per reason (`Insufficient memory`, \
untolerated taints); read from the namespace's Warning events or from `kubectl describe pod` / \
`kubectl get events` text given to `--logs`.\n\n\
**Cause:** *volume node affinity conflict*: the pod's PersistentVolume can only be used in a \
zone or on a node where the pod cannot run (the node that held a local volume is gone, or the \
volume was provisioned in another zone because the storage class binds at once instead of \
`volumeBindingMode: WaitForFirstConsumer`). *Unbound immediate PersistentVolumeClaims*: a claim \
of the release is Pending: no default storage class, a `persistence.persistentVolumeClaim.*.\
storageClass` that does not exist, or no provisioner. Otherwise no node has room or matches \
the pod's `nodeSelector`, affinity and tolerations.\n\n\
**Fix:** `kubectl describe pvc` for the claim; give it an existing storage class (the claim \
templates of the database, redis and trivy StatefulSets cannot change in place: rule \
`persistence-immutable-change`), restore the node or move the data to a volume in the pod's \
zone; or free resources, adjust `nodeSelector`, `affinity` and `tolerations`."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let n = lines_that(hits.len(), "show");
        let mut finding = diagnose::finding(
            self.id(),
            self.severity(),
            format!("{n} pods that cannot be scheduled: they stay Pending"),
            &hits,
            scan,
            ctx.sources,
        );
        if any(&hits, &[Kind::SchedulingVolumeAffinity]) {
            finding = finding.note("likely cause: `volume node affinity conflict`: the pod's volume can only be used in a zone or on a node where the pod cannot run (a replaced node, or a storage class without `volumeBindingMode: WaitForFirstConsumer`)");
        }
        if any(&hits, &[Kind::SchedulingUnboundClaim]) {
            finding = finding.note("likely cause: `unbound immediate PersistentVolumeClaims`: a claim of the release is Pending (no default storage class, a `persistence.persistentVolumeClaim.*.storageClass` that does not exist, or no provisioner); `kubectl describe pvc` says why");
        }
        if any(&hits, &[Kind::SchedulingOther]) {
            finding = finding.note("where the message names no volume: no node has room (`Insufficient cpu`/`memory`) or matches the pod's `nodeSelector`, affinity and tolerations; the message counts the nodes per reason");
        }
        let finding = finding.help("bind the claim (an existing storage class), bring the volume and the pod into the same zone or node, or free resources and adjust `nodeSelector`, `affinity`, `tolerations`");
        out.push(event_origin(finding, &hits, ctx.sources));
    }
}
