//! Whether a release's Deployments and `StatefulSets` finished rolling out, judged by the
//! conditions `kubectl rollout status` uses, and a bounded wait for it (polling the list, with a
//! growing interval, never past the deadline). Reads only the one namespace.

use std::time::{Duration, Instant};

use ::kube::api::ListParams;
use ::kube::Api;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};

use super::client::Cluster;
use super::error::Error;

/// Where one workload's rollout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RolloutState {
    /// Every replica runs the current spec and is available (ready).
    Done,
    /// Still rolling out; why, as `kubectl rollout status` says it.
    Waiting(String),
    /// Will not finish by waiting (`ProgressDeadlineExceeded`).
    Failed(String),
}

/// One workload and where its rollout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// `deployment` or `statefulset`.
    pub kind: &'static str,
    /// Its name.
    pub name: String,
    /// Its state.
    pub state: RolloutState,
}

impl Workload {
    /// `deployment/harbor-core`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

/// Judges a Deployment as `kubectl rollout status deployment/NAME` does.
pub fn deployment_state(d: &Deployment) -> RolloutState {
    let generation = d.metadata.generation.unwrap_or(0);
    let Some(status) = &d.status else {
        return RolloutState::Waiting(
            "waiting for the deployment spec update to be observed".into(),
        );
    };
    if status.observed_generation.unwrap_or(0) < generation {
        return RolloutState::Waiting(
            "waiting for the deployment spec update to be observed".into(),
        );
    }
    let stalled = status.conditions.iter().flatten().any(|c| {
        c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
    });
    if stalled {
        return RolloutState::Failed("exceeded its progress deadline".into());
    }
    let wanted = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let updated = status.updated_replicas.unwrap_or(0);
    let total = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if updated < wanted {
        return RolloutState::Waiting(format!(
            "{updated} of {wanted} updated replicas are available"
        ));
    }
    if total > updated {
        return RolloutState::Waiting(format!(
            "{} old replicas are pending termination",
            total - updated
        ));
    }
    if available < updated {
        return RolloutState::Waiting(format!(
            "{available} of {updated} updated replicas are available"
        ));
    }
    RolloutState::Done
}

/// Judges a `StatefulSet` as `kubectl rollout status statefulset/NAME` does: the current
/// generation observed, every replica ready, and (with `RollingUpdate`) every pod at the update
/// revision above the partition. With `OnDelete` only readiness is judged: pods change only when
/// someone deletes them.
pub fn statefulset_state(s: &StatefulSet) -> RolloutState {
    let generation = s.metadata.generation.unwrap_or(0);
    let Some(status) = &s.status else {
        return RolloutState::Waiting(
            "waiting for the statefulset spec update to be observed".into(),
        );
    };
    if status.observed_generation.unwrap_or(0) < generation || status.observed_generation.is_none()
    {
        return RolloutState::Waiting(
            "waiting for the statefulset spec update to be observed".into(),
        );
    }
    let spec = s.spec.as_ref();
    let wanted = spec.and_then(|s| s.replicas).unwrap_or(1);
    let ready = status.ready_replicas.unwrap_or(0);
    if ready < wanted {
        return RolloutState::Waiting(format!("{ready} of {wanted} pods are ready"));
    }
    let strategy = spec.and_then(|s| s.update_strategy.as_ref());
    if strategy
        .and_then(|u| u.type_.as_deref())
        .is_some_and(|t| t == "OnDelete")
    {
        return RolloutState::Done;
    }
    let partition = strategy
        .and_then(|u| u.rolling_update.as_ref())
        .and_then(|r| r.partition)
        .unwrap_or(0);
    if partition > 0 {
        let updated = status.updated_replicas.unwrap_or(0);
        let expected = (wanted - partition).max(0);
        return if updated < expected {
            RolloutState::Waiting(format!(
                "{updated} of {expected} pods above the partition are updated"
            ))
        } else {
            RolloutState::Done
        };
    }
    match (&status.update_revision, &status.current_revision) {
        (Some(update), Some(current)) if update != current => RolloutState::Waiting(format!(
            "{} of {wanted} pods are at revision `{update}`",
            status.updated_replicas.unwrap_or(0)
        )),
        (Some(_), None) => RolloutState::Waiting("waiting for the current revision".into()),
        _ => RolloutState::Done,
    }
}

/// The Deployments and `StatefulSets` with `selector`, each judged.
pub async fn workloads(c: &Cluster, selector: &str) -> Result<Vec<Workload>, Error> {
    let params = ListParams::default().labels(selector);
    let deployments: Api<Deployment> = Api::namespaced(c.client.clone(), &c.namespace);
    let request = c.request("list", "deployments.apps", None, Some(selector));
    let listed = c.call(request, deployments.list(&params)).await?;
    let mut out: Vec<Workload> = listed
        .items
        .iter()
        .map(|d| Workload {
            kind: "deployment",
            name: d.metadata.name.clone().unwrap_or_default(),
            state: deployment_state(d),
        })
        .collect();
    let sets: Api<StatefulSet> = Api::namespaced(c.client.clone(), &c.namespace);
    let request = c.request("list", "statefulsets.apps", None, Some(selector));
    let listed = c.call(request, sets.list(&params)).await?;
    out.extend(listed.items.iter().map(|s| Workload {
        kind: "statefulset",
        name: s.metadata.name.clone().unwrap_or_default(),
        state: statefulset_state(s),
    }));
    out.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    Ok(out)
}

/// How a wait ended.
#[derive(Debug, Clone)]
pub struct Waited {
    /// Every workload as last seen.
    pub workloads: Vec<Workload>,
    /// Whether the deadline passed before all were done.
    pub timed_out: bool,
    /// How long it took.
    pub elapsed: Duration,
}

impl Waited {
    /// Whether every workload is done.
    pub fn done(&self) -> bool {
        self.workloads.iter().all(|w| w.state == RolloutState::Done)
    }
}

/// Polls [`workloads`] until all are done, one failed, or `wait` has passed (`0`: one look).
/// The interval starts at 250 ms and doubles up to `max_interval`; the last sleep ends at the
/// deadline. `tick` sees each round, for progress.
pub async fn wait_rollouts(
    c: &Cluster,
    selector: &str,
    wait: Duration,
    max_interval: Duration,
    mut tick: impl FnMut(&[Workload]),
) -> Result<Waited, Error> {
    let start = Instant::now();
    let deadline = start + wait;
    let mut interval = Duration::from_millis(250).min(max_interval);
    loop {
        let workloads = workloads(c, selector).await?;
        tick(&workloads);
        let all_done = workloads.iter().all(|w| w.state == RolloutState::Done);
        let failed = workloads
            .iter()
            .any(|w| matches!(w.state, RolloutState::Failed(_)));
        let now = Instant::now();
        if all_done || failed || now >= deadline {
            return Ok(Waited {
                timed_out: !all_done && !failed,
                workloads,
                elapsed: now - start,
            });
        }
        tokio::time::sleep(interval.min(deadline - now)).await;
        interval = (interval * 2).min(max_interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::apps::v1::{
        DeploymentCondition, DeploymentSpec, DeploymentStatus, RollingUpdateStatefulSetStrategy,
        StatefulSetSpec, StatefulSetStatus, StatefulSetUpdateStrategy,
    };

    fn deployment(generation: i64, replicas: i32, status: DeploymentStatus) -> Deployment {
        let mut d = Deployment {
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                ..Default::default()
            }),
            status: Some(status),
            ..Default::default()
        };
        d.metadata.generation = Some(generation);
        d
    }

    fn ready(observed: i64, n: i32) -> DeploymentStatus {
        DeploymentStatus {
            observed_generation: Some(observed),
            replicas: Some(n),
            updated_replicas: Some(n),
            available_replicas: Some(n),
            ready_replicas: Some(n),
            ..Default::default()
        }
    }

    #[test]
    fn a_deployment_is_done_when_every_replica_is_updated_and_available() {
        assert_eq!(
            deployment_state(&deployment(3, 2, ready(3, 2))),
            RolloutState::Done
        );
        // The controller has not seen generation 3 yet.
        assert!(matches!(
            deployment_state(&deployment(3, 2, ready(2, 2))),
            RolloutState::Waiting(_)
        ));
        let mut surge = ready(3, 2);
        surge.replicas = Some(3);
        let RolloutState::Waiting(why) = deployment_state(&deployment(3, 2, surge)) else {
            panic!("old replicas still run");
        };
        assert!(why.contains("1 old replicas"), "{why}");
        let mut unavailable = ready(3, 2);
        unavailable.available_replicas = Some(1);
        assert!(matches!(
            deployment_state(&deployment(3, 2, unavailable)),
            RolloutState::Waiting(_)
        ));
        let mut behind = ready(3, 2);
        behind.updated_replicas = Some(1);
        assert!(matches!(
            deployment_state(&deployment(3, 2, behind)),
            RolloutState::Waiting(_)
        ));
        // No status at all: nothing observed yet.
        let mut fresh = deployment(1, 1, ready(1, 1));
        fresh.status = None;
        assert!(matches!(deployment_state(&fresh), RolloutState::Waiting(_)));
    }

    #[test]
    fn a_deployment_past_its_progress_deadline_has_failed() {
        let mut status = ready(2, 1);
        status.available_replicas = Some(0);
        status.conditions = Some(vec![DeploymentCondition {
            type_: "Progressing".into(),
            status: "False".into(),
            reason: Some("ProgressDeadlineExceeded".into()),
            ..Default::default()
        }]);
        assert!(matches!(
            deployment_state(&deployment(2, 1, status)),
            RolloutState::Failed(_)
        ));
    }

    fn statefulset(
        status: StatefulSetStatus,
        strategy: Option<StatefulSetUpdateStrategy>,
    ) -> StatefulSet {
        let mut s = StatefulSet {
            spec: Some(StatefulSetSpec {
                replicas: Some(1),
                update_strategy: strategy,
                ..Default::default()
            }),
            status: Some(status),
            ..Default::default()
        };
        s.metadata.generation = Some(2);
        s
    }

    fn set_status(current: &str, update: &str, ready: i32) -> StatefulSetStatus {
        StatefulSetStatus {
            observed_generation: Some(2),
            replicas: 1,
            ready_replicas: Some(ready),
            updated_replicas: Some(i32::from(current == update)),
            current_revision: Some(current.into()),
            update_revision: Some(update.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_statefulset_is_done_when_every_pod_is_ready_at_the_update_revision() {
        assert_eq!(
            statefulset_state(&statefulset(set_status("r2", "r2", 1), None)),
            RolloutState::Done
        );
        let RolloutState::Waiting(why) =
            statefulset_state(&statefulset(set_status("r1", "r2", 1), None))
        else {
            panic!("old revision");
        };
        assert!(why.contains("`r2`"), "{why}");
        assert!(matches!(
            statefulset_state(&statefulset(set_status("r2", "r2", 0), None)),
            RolloutState::Waiting(_)
        ));
        // OnDelete: the revisions differ until someone deletes the pods; readiness is judged.
        let on_delete = StatefulSetUpdateStrategy {
            type_: Some("OnDelete".into()),
            rolling_update: None,
        };
        assert_eq!(
            statefulset_state(&statefulset(set_status("r1", "r2", 1), Some(on_delete))),
            RolloutState::Done
        );
        // A partition at the replica count: nothing above it to update.
        let partitioned = StatefulSetUpdateStrategy {
            type_: Some("RollingUpdate".into()),
            rolling_update: Some(RollingUpdateStatefulSetStrategy {
                partition: Some(1),
                max_unavailable: None,
            }),
        };
        assert_eq!(
            statefulset_state(&statefulset(set_status("r1", "r2", 1), Some(partitioned))),
            RolloutState::Done
        );
        let mut unobserved = set_status("r2", "r2", 1);
        unobserved.observed_generation = Some(1);
        assert!(matches!(
            statefulset_state(&statefulset(unobserved, None)),
            RolloutState::Waiting(_)
        ));
    }
}
