//! The release's `StatefulSets` and `PersistentVolumeClaims` as they stand in a cluster: the
//! objects of a manifest stored as live, and the claims the `StatefulSet` controller creates
//! from `volumeClaimTemplates` (`<template>-<statefulset>-<ordinal>`, bound, in no manifest),
//! which the test API server has no controller to make.

use serde_json::{json, Value};

use super::helm::yaml_documents;
use super::State;

/// Stores the `StatefulSets` and `PersistentVolumeClaims` of `manifest` as live objects of
/// `namespace`, and for each `StatefulSet` the claims its templates made for every ordinal.
pub fn put_manifest_workloads(state: &mut State, namespace: &str, manifest: &str) {
    for mut doc in yaml_documents(manifest) {
        let kind = doc["kind"].as_str().unwrap_or_default().to_string();
        if kind != "StatefulSet" && kind != "PersistentVolumeClaim" {
            continue;
        }
        doc["metadata"]["namespace"] = json!(namespace);
        if kind == "StatefulSet" {
            for claim in template_claims(&doc, namespace) {
                state.put_object(claim);
            }
        } else {
            doc["status"] = json!({"phase": "Bound"});
        }
        state.put_object(doc);
    }
}

/// The claims a `StatefulSet`'s `volumeClaimTemplates` create, one per template and ordinal,
/// with the template's spec and labels.
pub fn template_claims(set: &Value, namespace: &str) -> Vec<Value> {
    let name = set["metadata"]["name"].as_str().unwrap_or_default();
    let replicas = set["spec"]["replicas"].as_u64().unwrap_or(1);
    let mut out = Vec::new();
    for template in set["spec"]["volumeClaimTemplates"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let prefix = template["metadata"]["name"].as_str().unwrap_or_default();
        for ordinal in 0..replicas {
            out.push(claim(
                namespace,
                &format!("{prefix}-{name}-{ordinal}"),
                &template["metadata"]["labels"],
                &template["spec"],
            ));
        }
    }
    out
}

/// A bound claim named `name` with `spec`.
pub fn claim(namespace: &str, name: &str, labels: &Value, spec: &Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": spec,
        "status": {"phase": "Bound"},
    })
}

/// Sets `spec.resources.requests.storage` of the stored claim `name`, as `kubectl patch pvc`
/// (a resize by hand) does.
pub fn resize(state: &mut State, namespace: &str, name: &str, size: &str) {
    let kind = super::discovery::find("", "v1", "persistentvolumeclaims").expect("claims");
    let mut claim = state
        .object(kind, namespace, name)
        .unwrap_or_else(|| panic!("no claim {name}"));
    claim["spec"]["resources"]["requests"]["storage"] = json!(size);
    state.put_object(claim);
}
