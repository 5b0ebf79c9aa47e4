//! What the Deployment and `StatefulSet` controllers and the kubelet would do after a write, so
//! that `verify` has a rollout to wait for: every Deployment or `StatefulSet` created or changed
//! (not a dry run) gets the status `kubectl rollout status` reads as finished — the generation
//! observed, every replica updated, ready and available, the `StatefulSet` at its update
//! revision — unless the test left it stuck ([`Rollout::stuck`]). A core Deployment that rolls
//! out gets fresh running core pods in place of its old ones, each holding the `tls.key` its
//! Secret has at that moment (the SHA-256 the exec simulation answers `sha256sum` with), so the
//! pods' keys and the live Secret can be compared as in a real cluster.
//!
//! [`Rollout::stale_core_pod`] keeps one old core pod, with the old key, beside the new ones: the
//! broken rollout `token-key-inconsistent` catches.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::apps::v1::{Deployment, DeploymentStatus};
use serde_json::{json, Value};

use super::discovery::ServedKind;
use super::State;

/// The node every simulated pod runs on.
pub const NODE: &str = "node-1";

/// Switches and bookkeeping of the simulated controllers.
#[derive(Debug, Default)]
pub struct Rollout {
    /// Workloads (by name) whose rollout never finishes: their status says the new replicas are
    /// not available.
    pub stuck: BTreeSet<String>,
    /// Keep one old core pod, with its old key, when a core Deployment rolls out.
    pub stale_core_pod: bool,
    /// The pods each Deployment runs now, by (namespace, Deployment).
    pub pods: BTreeMap<(String, String), Vec<String>>,
    /// How many times each workload rolled out.
    pub rollouts: BTreeMap<String, u32>,
}

/// After a stored write of `kind` `ns/name`: the controllers' answer.
pub fn settle(state: &mut State, kind: &ServedKind, ns: &str, name: &str) {
    match (kind.group, kind.resource) {
        ("apps", "deployments") => settle_deployment(state, ns, name),
        ("apps", "statefulsets") => settle_statefulset(state, ns, name),
        _ => {}
    }
}

/// Sets the Deployment's status as its controller would; a core one gets new pods.
pub fn settle_deployment(state: &mut State, ns: &str, name: &str) {
    let key = (ns.to_string(), name.to_string());
    let stuck = state.rollout.stuck.contains(name);
    let Some(d) = state.deployments.get_mut(&key) else {
        return;
    };
    let generation = d.metadata.generation.unwrap_or(1);
    let replicas = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let ready = if stuck { 0 } else { replicas };
    d.status = Some(DeploymentStatus {
        observed_generation: Some(generation),
        replicas: Some(replicas),
        updated_replicas: Some(ready),
        ready_replicas: Some(ready),
        available_replicas: Some(ready),
        ..Default::default()
    });
    let d = d.clone();
    *state.rollout.rollouts.entry(name.to_string()).or_default() += 1;
    if !stuck && label(&d, "component") == Some("core") {
        replace_core_pods(state, &d, replicas);
    }
}

fn label<'a>(d: &'a Deployment, key: &str) -> Option<&'a str> {
    d.spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.labels.as_ref())
        .or(d.metadata.labels.as_ref())
        .and_then(|l| l.get(key))
        .map(String::as_str)
}

/// The Secret the core pods mount `tls.key` from: the pod template's secret volume that has it,
/// else the Secret named like the Deployment (`<fullname>-core`).
fn token_secret(d: &Deployment) -> String {
    let volumes = d
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|s| s.volumes.as_ref());
    volumes
        .into_iter()
        .flatten()
        .filter_map(|v| v.secret.as_ref())
        .find(|s| s.items.iter().flatten().any(|i| i.key == "tls.key"))
        .and_then(|s| s.secret_name.clone())
        .unwrap_or_else(|| d.metadata.name.clone().unwrap_or_default())
}

fn replace_core_pods(state: &mut State, d: &Deployment, replicas: i32) {
    use sha2::Digest as _;
    let ns = d.metadata.namespace.clone().unwrap_or_default();
    let name = d.metadata.name.clone().unwrap_or_default();
    let release = label(d, "release").unwrap_or_default().to_string();
    let secret = token_secret(d);
    let hash = state
        .secrets
        .get(&(ns.clone(), secret))
        .and_then(|s| s.data.as_ref())
        .and_then(|data| data.get("tls.key"))
        .map(|k| format!("{:x}", sha2::Sha256::digest(&k.0)));
    let generation = d.metadata.generation.unwrap_or(1);
    let key = (ns.clone(), name.clone());
    let old = state.rollout.pods.remove(&key).unwrap_or_default();
    let mut now = Vec::new();
    let keep = if state.rollout.stale_core_pod {
        old.first().cloned()
    } else {
        None
    };
    for pod in &old {
        if Some(pod) != keep.as_ref() {
            state.pods.remove(&(ns.clone(), pod.clone()));
            state.sim.key_hashes.remove(pod);
        }
    }
    now.extend(keep);
    for i in 0..replicas.max(1) {
        let pod = format!("{name}-g{generation}-{i}");
        state.put_pod(super::exec::running_pod(&ns, &release, &pod, "core", NODE));
        match &hash {
            Some(h) => {
                state.sim.key_hashes.insert(pod.clone(), h.clone());
            }
            None => {
                state.sim.key_hashes.remove(&pod);
            }
        }
        now.push(pod);
    }
    state.rollout.pods.insert(key, now);
}

/// Sets the `StatefulSet`'s status as its controller would.
pub fn settle_statefulset(state: &mut State, ns: &str, name: &str) {
    let stuck = state.rollout.stuck.contains(name);
    let key = (
        "statefulsets.apps".to_string(),
        ns.to_string(),
        name.to_string(),
    );
    let Some(object) = state.store.objects.get_mut(&key) else {
        return;
    };
    let generation = object["metadata"]["generation"].as_i64().unwrap_or(1);
    let replicas = object["spec"]["replicas"].as_i64().unwrap_or(1);
    let revision = format!("{name}-{generation}");
    let status = if stuck {
        json!({
            "observedGeneration": generation,
            "replicas": replicas,
            "readyReplicas": 0,
            "currentReplicas": replicas,
            "updatedReplicas": 0,
            "currentRevision": format!("{name}-{}", generation - 1),
            "updateRevision": revision,
        })
    } else {
        json!({
            "observedGeneration": generation,
            "replicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
            "currentReplicas": replicas,
            "updatedReplicas": replicas,
            "currentRevision": revision,
            "updateRevision": revision,
        })
    };
    if let Value::Object(map) = object {
        map.insert("status".into(), status);
    }
    *state.rollout.rollouts.entry(name.to_string()).or_default() += 1;
}

/// Settles every Deployment and `StatefulSet` of `ns` (fixtures put without the API).
pub fn settle_all(state: &mut State, ns: &str) {
    let deployments: Vec<String> = state
        .deployments
        .keys()
        .filter(|(n, _)| n == ns)
        .map(|(_, name)| name.clone())
        .collect();
    for name in deployments {
        settle_deployment(state, ns, &name);
    }
    let sets: Vec<String> = state
        .store
        .objects
        .keys()
        .filter(|(kind, n, _)| kind == "statefulsets.apps" && n == ns)
        .map(|(_, _, name)| name.clone())
        .collect();
    for name in sets {
        settle_statefulset(state, ns, &name);
    }
}
