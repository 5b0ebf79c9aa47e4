//! `event-mount-failed`: a volume of a Harbor pod cannot be attached or mounted.

use super::log_common::{details, event_origin, hits, lines_that};
use super::{Context, Findings, Rule};
use crate::diagnose;
use crate::report::Severity;

/// `FailedMount` / `FailedAttachVolume` events (or `kubectl describe` text) other than
/// Multi-Attach.
pub struct EventMountFailed;

impl Rule for EventMountFailed {
    fn id(&self) -> &'static str {
        "event-mount-failed"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "a Warning event `FailedMount` (or `FailedAttachVolume`): a Harbor pod cannot mount a volume and does not start"
    }
    fn explain(&self) -> &'static str {
        "**Reported as** the kubelet's event `FailedMount` on the pod: `MountVolume.SetUp failed for \
volume \"…\" : secret \"…\" not found`, `MountVolume.MountDevice failed for volume \"…\"`, \
`Unable to attach or mount volumes: unmounted volumes=[registry-data], unattached volumes=[…]: \
timed out waiting for the condition`, or the attach/detach controller's `FailedAttachVolume` \
`AttachVolume.Attach failed for volume \"…\"`; read from the namespace's Warning events or from \
`kubectl describe pod` / `kubectl get events` text given to `--logs` (harbor-helm#881, #1347).\n\n\
**Cause:** a Secret or ConfigMap the pod mounts does not exist (a name in the values such as \
`existingSecret`, `internalTLS.*.secretName`, `core.secretName`, or a chart Secret not created \
yet), the volume is still attached to another node (`event-volume-multi-attach`), or the \
storage backend failed to attach or mount it. The pod stays in `ContainerCreating`.\n\n\
**Fix:** read the whole message (`kubectl describe pod`); create the missing Secret (`preflight \
check` names missing ones: rule `existing-secret-missing`), free the volume from the old pod or \
node, or repair the storage; then delete the pod so that it is started again."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        let Some((scan, hits)) = hits(ctx, self.id()) else {
            return;
        };
        let n = lines_that(hits.len(), "show");
        let mut finding = diagnose::finding(
            self.id(),
            self.severity(),
            format!("{n} volumes failing to attach or mount: the pods cannot start"),
            &hits,
            scan,
            ctx.sources,
        );
        let missing = details(&hits);
        if scan.has("event-volume-multi-attach") {
            finding = finding.note("a `Multi-Attach error` is reported too (`event-volume-multi-attach`): a mount that times out while the volume is attached to another node follows from it");
        }
        if missing.is_empty() {
            finding = finding.note("likely cause: the volume is still attached elsewhere or the storage failed to attach it; the example lines carry the storage's own message");
        } else {
            finding = finding.note(format!(
                "likely cause: the pod mounts {} that does not exist: a name in the values (`existingSecret`, `internalTLS.*.secretName`, `core.secretName` …) or a chart object not created (rule `existing-secret-missing`)",
                missing
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        let finding = finding.help("create the missing Secret or ConfigMap, or free or repair the volume, then delete the pod so that it starts again");
        out.push(event_origin(finding, &hits, ctx.sources));
    }
}
