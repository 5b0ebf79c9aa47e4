//! The nodes' Leases in `kube-node-lease`: each kubelet renews its Lease about every 10 s and
//! writes `spec.renewTime` with its own clock, which lets the tool compare clocks when it may
//! not exec into pods. Read-only: `list` once, then `watch` from that list's resourceVersion.

use std::collections::BTreeMap;
use std::time::Duration;

use ::kube::api::{ListParams, WatchEvent, WatchParams};
use ::kube::Api;
use futures_util::StreamExt as _;
use k8s_openapi::api::coordination::v1::Lease;

use super::client::Cluster;
use super::error::{Error, Request};
use super::exec::now_ns;

/// The namespace of the node Leases.
pub const NODE_LEASE_NAMESPACE: &str = "kube-node-lease";

/// One renewal seen on the watch (nanoseconds since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renewal {
    /// `spec.renewTime`, the node's clock.
    pub renew: i128,
    /// When the watch delivered it, the tool's clock.
    pub arrival: i128,
}

fn renew_time(lease: &Lease) -> Option<i128> {
    lease
        .spec
        .as_ref()?
        .renew_time
        .as_ref()
        .map(|t| t.0.as_nanosecond())
}

fn request(verb: &'static str) -> Request {
    Request {
        verb,
        resource: "leases.coordination.k8s.io",
        name: None,
        namespace: NODE_LEASE_NAMESPACE.to_string(),
        selector: None,
    }
}

/// Watches the Leases of `nodes` until each has been renewed `per_node` times or `max_wait`
/// has passed, and returns the renewals seen per node. A node whose Lease the first list had is
/// in the map (with no renewals if none came in time); a node without a Lease is absent and not
/// waited for, since only a starting kubelet creates one.
pub async fn watch_renewals(
    c: &Cluster,
    nodes: &[String],
    per_node: usize,
    max_wait: Duration,
) -> Result<BTreeMap<String, Vec<Renewal>>, Error> {
    let api: Api<Lease> = Api::namespaced(c.client.clone(), NODE_LEASE_NAMESPACE);
    let list = c
        .call(request("list"), api.list(&ListParams::default()))
        .await?;
    let version = list.metadata.resource_version.clone().unwrap_or_default();
    let mut renewed: BTreeMap<String, Option<i128>> = list
        .items
        .iter()
        .filter_map(|l| Some((l.metadata.name.clone()?, renew_time(l))))
        .collect();
    let mut seen: BTreeMap<String, Vec<Renewal>> = nodes
        .iter()
        .filter(|n| renewed.contains_key(*n))
        .map(|n| (n.clone(), Vec::new()))
        .collect();
    let done = |seen: &BTreeMap<String, Vec<Renewal>>| seen.values().all(|r| r.len() >= per_node);
    let deadline = tokio::time::Instant::now() + max_wait;
    // The server ends a watch after `timeoutSeconds`; start again from the last version seen.
    let mut version = version;
    while !done(&seen) && tokio::time::Instant::now() < deadline {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let params =
            WatchParams::default().timeout(u32::try_from(left.as_secs().max(1)).unwrap_or(290));
        let stream = c
            .call(request("watch"), api.watch(&params, &version))
            .await?;
        let mut stream = std::pin::pin!(stream);
        loop {
            let Ok(Some(next)) = tokio::time::timeout_at(deadline, stream.next()).await else {
                break;
            };
            let arrival = now_ns();
            let event = next.map_err(|e| Error::classify(e, &c.server, request("watch"), None))?;
            let lease = match event {
                WatchEvent::Added(l) | WatchEvent::Modified(l) => l,
                WatchEvent::Bookmark(b) => {
                    version = b.metadata.resource_version;
                    continue;
                }
                WatchEvent::Deleted(_) => continue,
                // `410 Gone`: the version is too old; list again on the next round.
                WatchEvent::Error(_) => {
                    version = String::new();
                    break;
                }
            };
            if let Some(v) = &lease.metadata.resource_version {
                version.clone_from(v);
            }
            let Some(name) = lease.metadata.name.clone() else {
                continue;
            };
            let renew = renew_time(&lease);
            let previous = renewed.insert(name.clone(), renew);
            if let (Some(renew), true) = (renew, previous.flatten() != renew) {
                if nodes.contains(&name) {
                    seen.entry(name)
                        .or_default()
                        .push(Renewal { renew, arrival });
                }
            }
            if done(&seen) {
                break;
            }
        }
        if version.is_empty() {
            let list = c
                .call(request("list"), api.list(&ListParams::default()))
                .await?;
            version = list.metadata.resource_version.unwrap_or_default();
        }
    }
    Ok(seen)
}
