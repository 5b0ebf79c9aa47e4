//! `rwo-rolling-update`: a Deployment with a `ReadWriteOnce` volume rolls with `RollingUpdate`,
//! so the new pod cannot attach the volume the old pod still holds.

use super::upgrade_values::{new_value, span_of, truthy};
use super::{Context, Findings, Rule};
use crate::report::{Finding, Severity};
use crate::values::Value;

/// A `ReadWriteOnce` volume with `updateStrategy.type: RollingUpdate`.
pub struct RwoRollingUpdate;

/// The claim keys of the volume a Deployment mounts, if the chart makes one for it.
struct Volume {
    component: &'static str,
    claim: &'static str,
}

/// Storage classes whose volumes live on one node's disk (Rancher's local-path, the k3s default;
/// `openebs-hostpath`; the hostpath classes of `MicroK8s` and Docker Desktop; static local PVs).
/// Their PVs carry node affinity, so the scheduler places the new pod on the old pod's node, and nothing is
/// attached: there is no `Multi-Attach error` to wait on, whatever the access mode says.
const NODE_LOCAL_CLASSES: &[&str] = &[
    "local-path",
    "openebs-hostpath",
    "microk8s-hostpath",
    "hostpath",
    "local-storage",
];

/// Whether jobservice writes job logs to files (its volume exists only then).
fn jobservice_logs_to_file(ctx: &Context<'_>) -> bool {
    match ctx
        .values
        .get_path("jobservice.jobLoggers")
        .map(|n| &n.value)
    {
        Some(Value::Seq(items)) => items.iter().any(|i| i.as_str() == Some("file")),
        Some(_) => false,
        // Charts 1.4 and 1.5 have one `jobLogger` string; later ones a list defaulting to `file`.
        None => match ctx.values.get_path("jobservice.jobLogger") {
            Some(node) => node.as_str() == Some("file"),
            None => ctx.target().is_none_or(|t| {
                t.default("jobservice.jobLogger")
                    .is_none_or(|d| d == "file")
            }),
        },
    }
}

impl Rule for RwoRollingUpdate {
    fn id(&self) -> &'static str {
        "rwo-rolling-update"
    }
    fn severity(&self) -> Severity {
        Severity::Warning
    }
    fn summary(&self) -> &'static str {
        "registry or jobservice mounts a ReadWriteOnce volume while `updateStrategy.type` is `RollingUpdate`: the new pod waits on `Multi-Attach error for volume`"
    }
    fn explain(&self) -> &'static str {
        "`updateStrategy.type` sets the rollout of the two Deployments that mount a volume, \
registry (image storage on `filesystem`) and jobservice (job logs to `file`). The default is \
`RollingUpdate`: the new pod starts before the old one stops. A ReadWriteOnce volume can be \
attached to one node only, so when the new pod lands on another node it stays in \
`ContainerCreating` with `Multi-Attach error for volume \"pvc-…\" Volume is already used by \
pod(s) harbor-registry-…` and the upgrade hangs until the old pod is deleted by hand.\n\n\
A claim given with `existingClaim` is not judged: its access mode is not in the values. Nor \
is a claim on a node-local storage class (`local-path`, `openebs-hostpath`, \
`microk8s-hostpath`, `hostpath`, `local-storage`): the new pod is scheduled onto the volume's \
node and nothing needs attaching. A component scaled to 0 replicas has no pod to roll.\n\n\
Every chart from 1.4.0 to 1.19.1 renders `rollingUpdate: null` next to `type: Recreate`, so \
`helm upgrade` removes the live `rollingUpdate` block. A tool that drops the null before applying \
(some server-side apply setups) gets `spec.strategy.rollingUpdate: Forbidden: may not be \
specified when strategy `type` is 'Recreate'`: remove the block from the live Deployments once \
(`kubectl patch deployment <name> --type json -p \
'[{\"op\":\"remove\",\"path\":\"/spec/strategy/rollingUpdate\"}]'`).\n\n\
**Fix:** set `updateStrategy.type: Recreate` (the component is down while it restarts), or use \
ReadWriteMany volumes, object storage (`persistence.imageChartStorage.type`) and \
`jobservice.jobLoggers: [database]`."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        if let Some(rendered) = ctx.rendered() {
            super::rendered_workloads::rwo_rolling_update(
                self.id(),
                self.severity(),
                ctx,
                rendered,
                out,
            );
            return;
        }
        let Some(target) = ctx.target() else {
            return;
        };
        if new_value(ctx, "updateStrategy.type").as_deref() != Some("RollingUpdate") {
            return;
        }
        if !truthy(new_value(ctx, "persistence.enabled").as_deref()) {
            return;
        }
        let mut volumes = Vec::new();
        if new_value(ctx, "persistence.imageChartStorage.type").as_deref() == Some("filesystem") {
            volumes.push(Volume {
                component: "registry",
                claim: "persistence.persistentVolumeClaim.registry",
            });
        }
        if jobservice_logs_to_file(ctx) {
            let claim = if target.has("persistence.persistentVolumeClaim.jobservice.jobLog") {
                "persistence.persistentVolumeClaim.jobservice.jobLog"
            } else {
                "persistence.persistentVolumeClaim.jobservice"
            };
            volumes.push(Volume {
                component: "jobservice",
                claim,
            });
        }
        for volume in volumes {
            let existing = new_value(ctx, &format!("{}.existingClaim", volume.claim));
            if existing.as_deref().is_some_and(|c| !c.is_empty()) {
                out.skip(
                    self.id(),
                    format!(
                        "{} mounts `{}.existingClaim`, whose access mode is not in the values",
                        volume.component, volume.claim
                    ),
                );
                continue;
            }
            let mode_path = format!("{}.accessMode", volume.claim);
            if new_value(ctx, &mode_path).as_deref() != Some("ReadWriteOnce") {
                continue;
            }
            let class =
                new_value(ctx, &format!("{}.storageClass", volume.claim)).unwrap_or_default();
            if NODE_LOCAL_CLASSES.contains(&class.as_str()) {
                continue;
            }
            let replicas = ctx.number(&format!("{}.replicas", volume.component), 1);
            if replicas == 0 {
                // Nothing runs, so nothing holds the volume when the new pod starts.
                continue;
            }
            let mut finding = Finding::new(
                self.id(),
                self.severity(),
                format!(
                    "{} mounts a ReadWriteOnce volume (`{mode_path}`) but rolls out with `updateStrategy.type: RollingUpdate`: a new pod on another node waits on `Multi-Attach error for volume`",
                    volume.component
                ),
            )
            .path("updateStrategy.type")
            .at(span_of(ctx, "updateStrategy.type").or_else(|| span_of(ctx, &mode_path)))
            .note(format!("the new {} pod starts before the old one releases the volume; the upgrade hangs until the old pod is deleted", volume.component));
            if replicas > 1 {
                finding = finding.note(format!(
                    "`{}.replicas` is {replicas}: the pods already share one ReadWriteOnce volume, which works only while they run on one node",
                    volume.component
                ));
            }
            out.push(finding.help(
                "set `updateStrategy.type: Recreate`, or use a ReadWriteMany volume (object storage for images, `jobservice.jobLoggers: [database]` for job logs)",
            ));
        }
    }
}
