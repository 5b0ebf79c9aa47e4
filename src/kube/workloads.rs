//! The release's live workloads and claims, as the API server holds them: its Deployments and
//! `StatefulSets` (label `release=RELEASE`, which every chart version puts on every object) and
//! the `PersistentVolumeClaims` that matter to an upgrade: the chart's own claims, named by the
//! caller, and the claims a `StatefulSet`'s `volumeClaimTemplates` created
//! (`<template>-<statefulset>-<ordinal>`, in no manifest). Lists are paged and bounded; a
//! refused list is returned beside the rest, so that callers judge what was read.
//!
//! The objects come back as one `List` in JSON (managed fields and status dropped), for
//! [`crate::rendered::parse`] to read like any manifest stream.

use ::kube::api::{Api, ListParams};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::PersistentVolumeClaim;
use serde::de::DeserializeOwned;

use super::client::Cluster;
use super::error::Error;

/// Objects of one kind read at most: a release has a handful.
pub const MAX_OBJECTS: usize = 2000;
/// Objects per page of a list.
const PAGE: u32 = 500;

/// What was read.
#[derive(Debug, Default)]
pub struct LiveWorkloads {
    /// The objects as a JSON `List`.
    pub json: String,
    /// How many objects it holds.
    pub count: usize,
    /// The lists the API server refused (`403`), each as its error.
    pub denied: Vec<Error>,
    /// Lists cut at [`MAX_OBJECTS`] (`deployments.apps` …).
    pub truncated: Vec<&'static str>,
}

/// Lists every page of `api` with `selector`, at most [`MAX_OBJECTS`] items.
async fn list_all<K>(
    c: &Cluster,
    api: &Api<K>,
    resource: &'static str,
    selector: Option<&str>,
) -> Result<(Vec<K>, bool), Error>
where
    K: Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(PAGE);
        if let Some(s) = selector {
            params = params.labels(s);
        }
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        let request = c.request("list", resource, None, selector);
        let page = c.call(request, api.list(&params)).await?;
        for item in page.items {
            if out.len() == MAX_OBJECTS {
                return Ok((out, true));
            }
            out.push(item);
        }
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok((out, false));
        }
    }
}

/// Whether `claim` is one that template `template` of `StatefulSet` `set` created:
/// `<template>-<set>-<ordinal>`.
pub fn is_template_claim(claim: &str, template: &str, set: &str) -> bool {
    claim
        .strip_prefix(template)
        .and_then(|r| r.strip_prefix('-'))
        .and_then(|r| r.strip_prefix(set))
        .and_then(|r| r.strip_prefix('-'))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The `volumeClaimTemplates` names of a `StatefulSet`.
fn template_names(s: &StatefulSet) -> Vec<String> {
    s.spec
        .iter()
        .flat_map(|spec| spec.volume_claim_templates.iter().flatten())
        .filter_map(|t| t.metadata.name.clone())
        .collect()
}

/// Reads the release's Deployments, `StatefulSets` and claims: `claims` by name, and those
/// the templates of `template_sets` (`(statefulset, [template])`, e.g. from a rendered stream)
/// or of the live `StatefulSets` created. Errors other than `403` end the read.
pub async fn read_live_workloads(
    c: &Cluster,
    release: &str,
    claims: &[String],
    template_sets: &[(String, Vec<String>)],
) -> Result<LiveWorkloads, Error> {
    let selector = format!("release={release}");
    let mut live = LiveWorkloads::default();
    let mut items: Vec<serde_json::Value> = Vec::new();
    let push = |items: &mut Vec<serde_json::Value>, value: serde_json::Value| {
        let mut value = value;
        if let Some(meta) = value.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            meta.remove("managedFields");
        }
        if let Some(o) = value.as_object_mut() {
            o.remove("status");
        }
        items.push(value);
    };
    let deployments: Api<Deployment> = Api::namespaced(c.client.clone(), &c.namespace);
    match list_all(c, &deployments, "deployments.apps", Some(&selector)).await {
        Ok((list, cut)) => {
            if cut {
                live.truncated.push("deployments.apps");
            }
            for d in list {
                push(&mut items, to_value(&d));
            }
        }
        Err(e) if e.forbidden().is_some() => live.denied.push(e),
        Err(e) => return Err(e),
    }
    let mut sets: Vec<(String, Vec<String>)> = template_sets.to_vec();
    let api: Api<StatefulSet> = Api::namespaced(c.client.clone(), &c.namespace);
    match list_all(c, &api, "statefulsets.apps", Some(&selector)).await {
        Ok((list, cut)) => {
            if cut {
                live.truncated.push("statefulsets.apps");
            }
            for s in list {
                let name = s.metadata.name.clone().unwrap_or_default();
                for template in template_names(&s) {
                    match sets.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, t)) if !t.contains(&template) => t.push(template),
                        Some(_) => {}
                        None => sets.push((name.clone(), vec![template])),
                    }
                }
                push(&mut items, to_value(&s));
            }
        }
        Err(e) if e.forbidden().is_some() => live.denied.push(e),
        Err(e) => return Err(e),
    }
    // Claim-template claims carry the template's labels, not always the release's: every claim
    // of the namespace is listed and those of the release kept by name.
    let api: Api<PersistentVolumeClaim> = Api::namespaced(c.client.clone(), &c.namespace);
    match list_all(c, &api, "persistentvolumeclaims", None).await {
        Ok((list, cut)) => {
            if cut {
                live.truncated.push("persistentvolumeclaims");
            }
            for claim in list {
                let name = claim.metadata.name.as_deref().unwrap_or_default();
                let wanted = claims.iter().any(|c| c == name)
                    || sets.iter().any(|(set, templates)| {
                        templates.iter().any(|t| is_template_claim(name, t, set))
                    });
                if wanted {
                    push(&mut items, to_value(&claim));
                }
            }
        }
        Err(e) if e.forbidden().is_some() => live.denied.push(e),
        Err(e) => return Err(e),
    }
    live.count = items.len();
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    live.json = serde_json::to_string_pretty(&list).unwrap_or_default();
    Ok(live)
}

/// The object as the API returns it (with `apiVersion` and `kind`).
fn to_value<T: serde::Serialize>(object: &T) -> serde_json::Value {
    serde_json::to_value(object).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::is_template_claim;

    #[test]
    fn claim_template_claims_are_template_set_ordinal() {
        assert!(is_template_claim(
            "database-data-harbor-database-0",
            "database-data",
            "harbor-database"
        ));
        assert!(is_template_claim(
            "data-harbor-redis-12",
            "data",
            "harbor-redis"
        ));
        assert!(!is_template_claim(
            "data-harbor-redis-",
            "data",
            "harbor-redis"
        ));
        assert!(!is_template_claim(
            "data-harbor-redis-x",
            "data",
            "harbor-redis"
        ));
        assert!(!is_template_claim(
            "data-harbor-redis2-0",
            "data",
            "harbor-redis"
        ));
        assert!(!is_template_claim(
            "harbor-registry",
            "data",
            "harbor-redis"
        ));
    }
}
