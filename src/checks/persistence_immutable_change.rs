//! `persistence-immutable-change`: between the deployed values and the new ones, a persistence
//! change the API server refuses to apply (`StatefulSet` `volumeClaimTemplates`, PVC spec).

use super::upgrade_values::{deployed_value, fullname, new_value, span_of, truthy};
use super::{Context, Findings, Rule};
use crate::chart::ChartView;
use crate::report::{Finding, Severity};

/// A persistence change the API server refuses.
pub struct PersistenceImmutableChange;

/// How a component keeps its data.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A `StatefulSet` with `volumeClaimTemplates`.
    StatefulSet,
    /// A Deployment mounting a `PersistentVolumeClaim` the chart makes.
    Claim,
}

struct Component {
    name: &'static str,
    kind: Kind,
}

const COMPONENTS: &[Component] = &[
    Component {
        name: "database",
        kind: Kind::StatefulSet,
    },
    Component {
        name: "redis",
        kind: Kind::StatefulSet,
    },
    Component {
        name: "trivy",
        kind: Kind::StatefulSet,
    },
    Component {
        name: "registry",
        kind: Kind::Claim,
    },
    Component {
        name: "jobservice",
        kind: Kind::Claim,
    },
];

/// The values prefix of a component's claim in one chart (`jobservice.jobLog` from 1.10.0).
fn claim_prefix(chart: Option<ChartView<'_>>, name: &str) -> String {
    let base = format!("persistence.persistentVolumeClaim.{name}");
    if name == "jobservice" && chart.is_none_or(|c| c.has(&format!("{base}.jobLog"))) {
        format!("{base}.jobLog")
    } else {
        base
    }
}

/// Both sides of one key: the deployed value, the new one.
struct Side<'c, 'a> {
    ctx: &'c Context<'a>,
    deployed: bool,
}

impl Side<'_, '_> {
    fn get(&self, path: &str) -> Option<String> {
        if self.deployed {
            // Without `--from`, the deployed chart's defaults are taken to be the target's.
            deployed_value(self.ctx, path).or_else(|| {
                self.ctx
                    .deployed()
                    .filter(|d| d.get_path(path).is_none() && self.ctx.source().is_none())
                    .and_then(|_| new_default(self.ctx, path))
            })
        } else {
            new_value(self.ctx, path)
        }
    }

    fn chart(&self) -> Option<ChartView<'_>> {
        if self.deployed {
            self.ctx.source().or_else(|| self.ctx.target())
        } else {
            self.ctx.target()
        }
    }

    /// Whether the component exists on this side at all.
    fn runs(&self, name: &str) -> bool {
        match name {
            "database" => self.get("database.type").as_deref() == Some("internal"),
            "redis" => self.get("redis.type").as_deref() == Some("internal"),
            "trivy" => truthy(self.get("trivy.enabled").as_deref()),
            "registry" => {
                self.get("persistence.imageChartStorage.type").as_deref() == Some("filesystem")
            }
            _ => true,
        }
    }
}

fn new_default(ctx: &Context<'_>, path: &str) -> Option<String> {
    ctx.target()
        .and_then(|t| t.default(path))
        .map(str::to_string)
}

impl Rule for PersistenceImmutableChange {
    fn id(&self) -> &'static str {
        "persistence-immutable-change"
    }
    fn severity(&self) -> Severity {
        Severity::Error
    }
    fn summary(&self) -> &'static str {
        "deployed → new values change a volume field the API server refuses to update (StatefulSet `volumeClaimTemplates`, a PVC's storage class or access mode)"
    }
    fn explain(&self) -> &'static str {
        "The internal database, Redis and Trivy are StatefulSets whose volumes come from \
`volumeClaimTemplates`, built from `persistence.persistentVolumeClaim.<component>` (`size`, \
`storageClass`, `accessMode`) and present only while `persistence.enabled` is on and \
`existingClaim` is empty. Kubernetes never updates `volumeClaimTemplates`: `helm upgrade` stops \
with `cannot patch \"<fullname>-database\" with kind StatefulSet: ... spec: Forbidden: updates to \
statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', \
'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden`. The registry and \
jobservice volumes are PersistentVolumeClaims the chart makes; their storage class and access \
mode are fixed once bound: `PersistentVolumeClaim \"<fullname>-registry\" is invalid: spec: \
Forbidden: spec is immutable after creation except resources.requests for bound claims`. \
Pointing `existingClaim` at another claim is accepted, but the pod then mounts a volume without \
the data written so far.\n\n\
With a rendered stream (`--rendered`) and live objects (the cluster, or \
`--deployed-manifests`), the rendered StatefulSets, Deployments and claims are compared with the \
live ones instead, and so are the claims the StatefulSets' templates created \
(`database-data-<fullname>-database-0`, `data-<fullname>-redis-0`, in no manifest): a claim \
smaller than the rendered template stays at its size, since a StatefulSet never resizes the \
claims it made, and a claim whose class or access modes differ from the rendered template is a \
warning (nothing refuses the upgrade, but the values describe another volume than the one \
the data is on); a claim resized by hand to more \
than the values say makes `helm upgrade` fail with `spec.resources.requests.storage: \
Forbidden: field can not be less than previous value`.\n\n\
The deployed side is the release's values (`helm get values`; offline `--deployed-values`) over \
the deployed chart's defaults (`--from`, else the target's); the new side is the values given \
over the target chart's defaults.\n\n\
**Fix:** keep the deployed value. To really move a StatefulSet's volume: \
`kubectl delete statefulset <name> --cascade=orphan` (pods and PVCs stay), run the upgrade (it \
recreates the StatefulSet), then resize the PVC itself if its storage class allows expansion, or \
copy the data to a new claim and set `existingClaim`. For a PVC, create the new claim, copy the \
data (with the component scaled to 0), then set `existingClaim` to it."
    }
    fn check(&self, ctx: &Context<'_>, out: &mut Findings) {
        // Without live objects the deployed values stand for them, as without a stream.
        if let Some(rendered) = ctx.rendered().filter(|_| ctx.has_live_objects()) {
            super::rendered_workloads::persistence(self.id(), self.severity(), ctx, rendered, out);
            return;
        }
        if ctx.deployed().is_none() || ctx.target().is_none() {
            return;
        }
        let old = Side {
            ctx,
            deployed: true,
        };
        let new = Side {
            ctx,
            deployed: false,
        };
        let fullname = fullname(ctx);
        let persistence_old = truthy(old.get("persistence.enabled").as_deref());
        let persistence_new = truthy(new.get("persistence.enabled").as_deref());
        for component in COMPONENTS {
            if !old.runs(component.name) || !new.runs(component.name) {
                continue;
            }
            let old_prefix = claim_prefix(old.chart(), component.name);
            let new_prefix = claim_prefix(new.chart(), component.name);
            let claim = |side: &Side<'_, '_>, prefix: &str| {
                side.get(&format!("{prefix}.existingClaim"))
                    .unwrap_or_default()
            };
            let (old_claim, new_claim) = (claim(&old, &old_prefix), claim(&new, &new_prefix));
            let templated_old = persistence_old && old_claim.is_empty();
            let templated_new = persistence_new && new_claim.is_empty();
            let mut changes: Vec<(String, String, String)> = Vec::new();
            if templated_old && templated_new {
                let fields: &[&str] = match component.kind {
                    Kind::StatefulSet => &["size", "storageClass", "accessMode"],
                    Kind::Claim => &["storageClass", "accessMode"],
                };
                for field in fields {
                    let before = old.get(&format!("{old_prefix}.{field}"));
                    let after = new.get(&format!("{new_prefix}.{field}"));
                    if let (Some(before), Some(after)) = (before, after) {
                        if before != after {
                            changes.push((format!("{new_prefix}.{field}"), before, after));
                        }
                    }
                }
            } else if component.kind == Kind::StatefulSet && templated_old != templated_new {
                let path = if persistence_old == persistence_new {
                    format!("{new_prefix}.existingClaim")
                } else {
                    "persistence.enabled".to_string()
                };
                let describe = |templated: bool| {
                    if templated {
                        "volumeClaimTemplates".to_string()
                    } else {
                        "no volumeClaimTemplates".to_string()
                    }
                };
                changes.push((path, describe(templated_old), describe(templated_new)));
            }
            if component.kind == Kind::Claim
                && persistence_old
                && persistence_new
                && old_claim != new_claim
            {
                changes.push((
                    format!("{new_prefix}.existingClaim"),
                    if old_claim.is_empty() {
                        format!("the chart's `{fullname}-{}`", component.name)
                    } else {
                        format!("`{old_claim}`")
                    },
                    if new_claim.is_empty() {
                        format!("the chart's `{fullname}-{}`", component.name)
                    } else {
                        format!("`{new_claim}`")
                    },
                ));
            }
            for (path, before, after) in changes {
                out.push(finding(
                    self,
                    ctx,
                    component,
                    fullname,
                    &new_prefix,
                    &path,
                    &before,
                    &after,
                ));
            }
        }
    }
}

/// The finding for one refused (or data-losing) change of `path` from `before` to `after`.
#[allow(clippy::too_many_arguments)]
fn finding(
    rule: &PersistenceImmutableChange,
    ctx: &Context<'_>,
    component: &Component,
    fullname: &str,
    new_prefix: &str,
    path: &str,
    before: &str,
    after: &str,
) -> Finding {
    let object = format!("{fullname}-{}", component.name);
    let (message, error, help) = if path.ends_with(".existingClaim")
        && component.kind == Kind::Claim
    {
        (
            format!("`{path}` moves {} from {before} to {after}: the pod mounts a volume without the data written so far", component.name),
            "Kubernetes accepts this; the data stays in the old claim".to_string(),
            "keep the deployed claim, or copy the data into the new claim first (with the component scaled to 0)".to_string(),
        )
    } else if component.kind == Kind::StatefulSet {
        (
            format!("`{path}` changes from `{before}` to `{after}`: it is part of the `volumeClaimTemplates` of StatefulSet `{object}`, which Kubernetes never updates"),
            format!("`helm upgrade` fails: `cannot patch \"{object}\" with kind StatefulSet: StatefulSet.apps \"{object}\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden`"),
            format!("keep the deployed `{before}`; to really change it, `kubectl delete statefulset {object} --cascade=orphan` before the upgrade, then resize or migrate the existing claim yourself"),
        )
    } else {
        (
            format!("`{path}` changes from `{before}` to `{after}`: PersistentVolumeClaim `{object}` cannot change it once created"),
            format!("`helm upgrade` fails: `PersistentVolumeClaim \"{object}\" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests for bound claims`"),
            format!("keep the deployed `{before}`; for a new class or mode, create a new claim, copy the data with {} scaled to 0, and set `{new_prefix}.existingClaim`", component.name),
        )
    };
    Finding::new(rule.id(), rule.severity(), message)
        .path(path)
        .at(span_of(ctx, path))
        .note(error)
        .help(help)
}

#[cfg(test)]
mod tests {
    use super::claim_prefix;
    use crate::chart::{known_release, ChartView};

    #[test]
    fn the_jobservice_claim_moved_under_job_log_in_chart_1_10_0() {
        let view = |v: &str| ChartView::embedded(known_release(v).expect("known"));
        assert_eq!(
            claim_prefix(view("1.9.6"), "jobservice"),
            "persistence.persistentVolumeClaim.jobservice"
        );
        assert_eq!(
            claim_prefix(view("1.10.0"), "jobservice"),
            "persistence.persistentVolumeClaim.jobservice.jobLog"
        );
        assert_eq!(
            claim_prefix(view("1.10.0"), "database"),
            "persistence.persistentVolumeClaim.database"
        );
    }
}
