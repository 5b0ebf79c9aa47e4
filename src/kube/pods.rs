//! Listing the release's pods (diagnose reads their logs, the clock check execs into them).

use ::kube::api::{Api, ListParams};
use k8s_openapi::api::core::v1::Pod;

use super::client::Cluster;
use super::error::Error;

/// Pods with a label selector, in the namespace only, managed fields dropped.
pub async fn list_pods(c: &Cluster, selector: &str) -> Result<Vec<Pod>, Error> {
    let request = c.request("list", "pods", None, Some(selector));
    let api: Api<Pod> = Api::namespaced(c.client.clone(), &c.namespace);
    let params = ListParams::default().labels(selector);
    let list = c.call(request, api.list(&params)).await?;
    Ok(list
        .items
        .into_iter()
        .map(|mut p| {
            p.metadata.managed_fields = None;
            p
        })
        .collect())
}
