//! The reads and writes the commands need, each scoped to the one namespace.

use ::kube::api::{ListParams, PostParams};
use ::kube::Api;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};

use super::client::Cluster;
use super::error::Error;
use super::helm::{decode_release, decode_release_config_map, HelmRelease, ReleaseError};

fn secrets(c: &Cluster) -> Api<Secret> {
    Api::namespaced(c.client.clone(), &c.namespace)
}

/// Managed fields are server bookkeeping: never kept, never shown, never backed up.
fn neat_secret(mut s: Secret) -> Secret {
    s.metadata.managed_fields = None;
    s
}

/// One Secret; `None` when the namespace has no Secret of that name.
pub async fn get_secret(c: &Cluster, name: &str) -> Result<Option<Secret>, Error> {
    let request = c.request("get", "secrets", Some(name), None);
    let api = secrets(c);
    let result = c
        .call(request, async {
            match api.get(name).await {
                Ok(s) => Ok(Some(s)),
                // A Kubernetes `NotFound` status; a bare 404 page (not an API server) stays an error.
                Err(::kube::Error::Api(status))
                    if status.code == 404 && status.reason == "NotFound" =>
                {
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        })
        .await?;
    Ok(result.map(neat_secret))
}

/// Secrets with a label selector, in the namespace only.
pub async fn list_secrets(c: &Cluster, selector: &str) -> Result<Vec<Secret>, Error> {
    let request = c.request("list", "secrets", None, Some(selector));
    let api = secrets(c);
    let params = ListParams::default().labels(selector);
    let list = c.call(request, api.list(&params)).await?;
    Ok(list.items.into_iter().map(neat_secret).collect())
}

/// `ConfigMap`s with a label selector, in the namespace only (Helm's `configmap` storage driver).
pub async fn list_config_maps(c: &Cluster, selector: &str) -> Result<Vec<ConfigMap>, Error> {
    let request = c.request("list", "configmaps", None, Some(selector));
    let api: Api<ConfigMap> = Api::namespaced(c.client.clone(), &c.namespace);
    let params = ListParams::default().labels(selector);
    let list = c.call(request, api.list(&params)).await?;
    Ok(list
        .items
        .into_iter()
        .map(|mut m| {
            m.metadata.managed_fields = None;
            m
        })
        .collect())
}

/// Deployments with a label selector, in the namespace only.
pub async fn list_deployments(c: &Cluster, selector: &str) -> Result<Vec<Deployment>, Error> {
    let request = c.request("list", "deployments.apps", None, Some(selector));
    let api: Api<Deployment> = Api::namespaced(c.client.clone(), &c.namespace);
    let params = ListParams::default().labels(selector);
    let list = c.call(request, api.list(&params)).await?;
    Ok(list
        .items
        .into_iter()
        .map(|mut d| {
            d.metadata.managed_fields = None;
            d
        })
        .collect())
}

/// Creates a Secret in the namespace.
pub async fn create_secret(c: &Cluster, secret: &Secret) -> Result<Secret, Error> {
    let name = secret.metadata.name.clone().unwrap_or_default();
    let request = c.request("create", "secrets", Some(&name), None);
    let api = secrets(c);
    let created = c
        .call(request, api.create(&PostParams::default(), secret))
        .await?;
    Ok(neat_secret(created))
}

/// Replaces a Secret (its `resourceVersion` must be the live one).
pub async fn replace_secret(c: &Cluster, secret: &Secret) -> Result<Secret, Error> {
    let name = secret.metadata.name.clone().unwrap_or_default();
    let request = c.request("update", "secrets", Some(&name), None);
    let api = secrets(c);
    let replaced = c
        .call(request, api.replace(&name, &PostParams::default(), secret))
        .await?;
    Ok(neat_secret(replaced))
}

/// A Harbor release found by its core Deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// The `release` label.
    pub release: String,
    /// The core Deployment's name.
    pub deployment: String,
}

/// Label selector of Harbor's core Deployments (every chart version labels them so).
pub const CORE_SELECTOR: &str = "component=core,release";

/// The Harbor releases of the namespace, from the labels of their core Deployments
/// (`component=core`, `release=<name>`, and `app=harbor` or `chart=harbor`), sorted.
pub async fn detect_releases(c: &Cluster) -> Result<Vec<Detected>, Error> {
    let mut found: Vec<Detected> = list_deployments(c, CORE_SELECTOR)
        .await?
        .into_iter()
        .filter_map(|d| {
            let labels = d.metadata.labels?;
            let harbor = labels.get("chart").map(String::as_str) == Some("harbor")
                || labels.get("app").map(String::as_str) == Some("harbor");
            harbor.then(|| Detected {
                release: labels.get("release").cloned().unwrap_or_default(),
                deployment: d.metadata.name.unwrap_or_default(),
            })
        })
        .filter(|d| !d.release.is_empty())
        .collect();
    found.sort_by(|a, b| {
        a.release
            .cmp(&b.release)
            .then(a.deployment.cmp(&b.deployment))
    });
    found.dedup_by(|a, b| a.release == b.release);
    Ok(found)
}

/// The deployed revision of a release, from its Helm record (`owner=helm,name=<release>,
/// status=deployed`): in Secrets (Helm's default `secret` driver), else in `ConfigMap`s
/// (`HELM_DRIVER=configmap`); the highest revision if a failed upgrade left several. `None` when
/// neither holds a deployed revision of that name. A refused Secret list is returned as the error
/// when the `ConfigMap`s do not hold the record either.
pub async fn read_deployed_release(
    c: &Cluster,
    release: &str,
) -> Result<Option<HelmRelease>, Error> {
    let selector = format!("owner=helm,name={release},status=deployed");
    let refused = match list_secrets(c, &selector).await {
        Ok(secrets) if !secrets.is_empty() => {
            return newest(secrets.iter().map(decode_release)).map_err(|e| record_error(c, e));
        }
        Ok(_) => None,
        Err(e) if e.forbidden().is_some() => Some(e),
        Err(e) => return Err(e),
    };
    match list_config_maps(c, &selector).await {
        Ok(maps) if !maps.is_empty() => {
            newest(maps.iter().map(decode_release_config_map)).map_err(|e| record_error(c, e))
        }
        Ok(_) => refused.map_or(Ok(None), Err),
        Err(e) => Err(refused.unwrap_or(e)),
    }
}

fn record_error(c: &Cluster, source: ReleaseError) -> Error {
    Error::Release {
        server: c.server.clone(),
        source,
    }
}

/// The highest revision among decoded records; the first that does not decode is the error.
fn newest(
    records: impl Iterator<Item = Result<HelmRelease, ReleaseError>>,
) -> Result<Option<HelmRelease>, ReleaseError> {
    let mut best: Option<HelmRelease> = None;
    for record in records {
        let decoded = record?;
        if best.as_ref().is_none_or(|b| decoded.revision > b.revision) {
            best = Some(decoded);
        }
    }
    Ok(best)
}
