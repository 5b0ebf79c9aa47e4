//! Glue for the measurements that run commands in pods: the nodes' clocks (`clock check`,
//! `preflight check`) and the mounted token key's digest in core pods (`preflight check`).
//!
//! Nodes are measured concurrently, one tokio task per node, so a run takes about as long as
//! the slowest node. Exec methods are tried in order ([`Method::EXEC`]): `date +%s%N`, then
//! `sh -c 'echo $EPOCHREALTIME'` for images whose `date` lacks `%N`, then `date +%s` (whole
//! seconds, half a second more uncertainty). When exec gives no reading on a node, for any
//! reason (forbidden, refused by a proxy, no `date` in the image, no running pod), that node's
//! Lease is watched for one renewal instead.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::checks::{ClusterFacts, PodKeyHash, TokenKeyFacts};
use crate::clock::{
    estimate, estimate_lease, ClockFacts, LeaseSample, Method, NodeClock, Sample,
    LEASE_MAX_DELAY_NS,
};
use crate::kube::{self, Cluster, PodInfo};

/// How long to watch the Leases: the kubelet renews every 10 s; a little more for jitter.
pub const LEASE_WAIT: Duration = Duration::from_secs(15);

/// The release's Harbor pods: `release=<name>` with an `app` and a `component` label.
pub fn pod_selector(release: &str) -> String {
    format!("release={release},app,component")
}

/// The pod to read a node's clock in: a running one, core first, then registry, jobservice,
/// then any other component.
fn pick(pods: &[&PodInfo]) -> Option<PodInfo> {
    let rank = |c: &str| match c {
        "core" => 0,
        "registry" => 1,
        "jobservice" => 2,
        _ => 3,
    };
    pods.iter()
        .filter(|p| p.running)
        .min_by_key(|p| (rank(&p.component), p.name.clone()))
        .map(|p| (*p).clone())
}

enum NodeOutcome {
    Measured(NodeClock),
    /// No exec method gave a reading; the error is kept when the API server refused exec (403).
    ExecFailed(NodeClock, Option<Box<kube::Error>>),
}

/// Reads one node's clock through exec `samples` times. A command that fails or prints something
/// else moves on to the next method; a request the API server refuses (403, a 400 from a proxy
/// that passes only SPDY, a timeout) ends the attempts, since every method would meet it too.
async fn measure_node(
    cluster: Cluster,
    mut node: NodeClock,
    pod: PodInfo,
    samples: u32,
) -> NodeOutcome {
    node.measured = Some(pod.name.clone());
    let container = pod.container.as_deref();
    let mut reasons = Vec::new();
    for method in Method::EXEC {
        node.method = method;
        let mut taken = Vec::new();
        for _ in 0..samples.max(1) {
            match kube::exec(&cluster, &pod.name, container, method.command()).await {
                Ok(out) => {
                    let text = String::from_utf8_lossy(&out.stdout);
                    match (&out.failure, method.parse(&text)) {
                        (None, Some(remote)) => taken.push(Sample {
                            sent: out.sent,
                            received: out.received,
                            remote,
                            resolution: method.resolution_ns(),
                        }),
                        (Some(failure), _) => {
                            reasons.push(format!("{method}: {failure}"));
                            break;
                        }
                        (None, None) => {
                            reasons.push(format!("{method}: unexpected output"));
                            break;
                        }
                    }
                }
                Err(e) => {
                    node.result = Err(format!("exec in pod `{}`: {e}", pod.name));
                    let denial = e.forbidden().is_some().then(|| Box::new(e));
                    return NodeOutcome::ExecFailed(node, denial);
                }
            }
        }
        if let Some(e) = estimate(&taken) {
            node.result = Ok(e);
            return NodeOutcome::Measured(node);
        }
    }
    node.result = Err(format!(
        "exec in pod `{}` gave no reading ({})",
        pod.name,
        reasons.join("; ")
    ));
    NodeOutcome::ExecFailed(node, None)
}

/// Measures the clock of every node that runs a pod of `pods`, concurrently. A node that exec
/// could not read (whatever the reason) is bounded by its Lease in `kube-node-lease`; a node that
/// neither gives a reading keeps the reasons of both in its result. Denied reads are recorded in
/// `facts`.
pub async fn measure_clocks(
    cluster: &Cluster,
    pods: &[PodInfo],
    samples: u32,
    lease_wait: Duration,
    facts: &mut ClusterFacts,
) -> ClockFacts {
    let mut by_node: BTreeMap<&str, Vec<&PodInfo>> = BTreeMap::new();
    for pod in pods.iter().filter(|p| !p.node.is_empty()) {
        by_node.entry(&pod.node).or_default().push(pod);
    }
    let mut tasks = JoinSet::new();
    let mut nodes = Vec::new();
    // Nodes exec gave nothing for: they are read from their Leases.
    let mut unread = Vec::new();
    for (name, on_node) in &by_node {
        let mut components: Vec<String> = on_node.iter().map(|p| p.component.clone()).collect();
        components.sort();
        components.dedup();
        let node = NodeClock {
            node: (*name).to_string(),
            pods: on_node
                .iter()
                .map(|p| format!("{}/{}", p.component, p.name))
                .collect(),
            components,
            method: Method::ExecNanos,
            measured: None,
            result: Err("no running pod of the release on this node".into()),
        };
        match pick(on_node) {
            Some(pod) => {
                tasks.spawn(measure_node(cluster.clone(), node, pod, samples));
            }
            None => unread.push(node),
        }
    }
    let mut denial = None;
    let step = crate::progress::Step::counter("reading node clocks", tasks.len() as u64);
    while let Some(joined) = tasks.join_next().await {
        step.inc();
        match joined {
            Ok(NodeOutcome::Measured(node)) => nodes.push(node),
            Ok(NodeOutcome::ExecFailed(node, e)) => {
                if let Some(e) = e {
                    denial.get_or_insert(*e);
                }
                unread.push(node);
            }
            Err(e) => nodes.push(NodeClock {
                node: "?".into(),
                pods: Vec::new(),
                components: Vec::new(),
                method: Method::ExecNanos,
                measured: None,
                result: Err(format!("the measuring task failed: {e}")),
            }),
        }
    }
    drop(step);
    let mut fallback = None;
    if let Some(e) = &denial {
        super::cluster::deny(
            facts,
            e,
            "clocks were read from the nodes' Leases instead (about ±0.5 s), and the core pods' token keys were not compared".into(),
        );
    }
    if !unread.is_empty() {
        unread.sort_by(|a, b| a.node.cmp(&b.node));
        fallback = Some(match &denial {
            Some(e) => format!(
                "exec into pods is not allowed ({}); read the clocks from the nodes' Leases in `{}` instead",
                e.forbidden().map(ToString::to_string).unwrap_or_default(),
                kube::NODE_LEASE_NAMESPACE
            ),
            None => format!(
                "exec gave no clock reading on {}; read {} from the nodes' Leases in `{}` instead",
                unread
                    .iter()
                    .map(|n| format!("`{}`", n.node))
                    .collect::<Vec<_>>()
                    .join(", "),
                if unread.len() == 1 { "its clock" } else { "their clocks" },
                kube::NODE_LEASE_NAMESPACE
            ),
        });
        let step = crate::progress::Step::spinner("reading the nodes' Leases");
        nodes.extend(read_leases(cluster, unread, lease_wait, facts).await);
        drop(step);
    }
    nodes.sort_by(|a, b| a.node.cmp(&b.node));
    ClockFacts { nodes, fallback }
}

/// Bounds the clocks of the nodes exec could not read by one renewal of their Leases; a node
/// without a renewal keeps why exec failed and why the Lease did not help.
async fn read_leases(
    cluster: &Cluster,
    unread: Vec<NodeClock>,
    lease_wait: Duration,
    facts: &mut ClusterFacts,
) -> Vec<NodeClock> {
    let names: Vec<String> = unread.iter().map(|n| n.node.clone()).collect();
    let watched = kube::watch_renewals(cluster, &names, 1, lease_wait).await;
    let mut nodes = Vec::new();
    for mut node in unread {
        let why_not_exec = node.result.clone().err().unwrap_or_default();
        node.result = match &watched {
            Ok(seen) => match seen.get(&node.node) {
                Some(renewals) => {
                    let samples: Vec<LeaseSample> = renewals
                        .iter()
                        .map(|r| LeaseSample {
                            renew: r.renew,
                            arrival: r.arrival,
                        })
                        .collect();
                    estimate_lease(&samples, LEASE_MAX_DELAY_NS).ok_or_else(|| {
                        format!(
                            "{why_not_exec}, and its Lease was not renewed within {} s",
                            lease_wait.as_secs()
                        )
                    })
                }
                None => Err(format!(
                    "{why_not_exec}, and it has no Lease in `{}`",
                    kube::NODE_LEASE_NAMESPACE
                )),
            },
            Err(e) => Err(format!("{why_not_exec}, and the Lease watch failed: {e}")),
        };
        if node.result.is_ok() {
            node.method = Method::Lease;
            node.measured = Some(format!("{}/{}", kube::NODE_LEASE_NAMESPACE, node.node));
        }
        nodes.push(node);
    }
    if let Err(e) = &watched {
        super::cluster::deny(
            facts,
            e,
            "the clocks of the nodes exec could not read were not read at all".into(),
        );
    }
    nodes
}

/// `preflight check` with a cluster: lists the release's pods, then (unless `clock` is false)
/// measures the nodes' clocks, and hashes the token key in the core pods; the results go into
/// `facts` for the `clock-skew` and `token-key-inconsistent` rules.
pub async fn probe(
    cluster: &Cluster,
    release: &str,
    clock: bool,
    facts: &mut ClusterFacts,
) -> anyhow::Result<()> {
    let pods = match kube::exec_targets(cluster, &pod_selector(release)).await {
        Ok(pods) => pods,
        Err(e) if e.forbidden().is_some() => {
            super::cluster::deny(
                facts,
                &e,
                "the pods were not listed: the node clocks and the core pods' token keys were not checked".into(),
            );
            return Ok(());
        }
        Err(e) => return Err(anyhow::Error::new(e).context("cannot list the release's pods")),
    };
    if clock {
        let nodes = pods
            .iter()
            .map(|p| p.node.as_str())
            .filter(|n| !n.is_empty())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        crate::note!("note: reading the clocks of {nodes} node(s) that run release `{release}` (skip with `--skip-clock`)");
        facts.clock =
            Some(measure_clocks(cluster, &pods, DEFAULT_SAMPLES, LEASE_WAIT, facts).await);
    }
    facts.token_keys = Some(hash_token_keys(cluster, &pods, facts).await);
    Ok(())
}

/// Samples per node when the command line does not say.
pub const DEFAULT_SAMPLES: u32 = 5;

/// Hashes the mounted token key in every running core pod, concurrently; only the digest leaves
/// the pod, and output that is not a digest is discarded unseen.
pub async fn hash_token_keys(
    cluster: &Cluster,
    pods: &[PodInfo],
    facts: &mut ClusterFacts,
) -> TokenKeyFacts {
    let core: Vec<&PodInfo> = pods
        .iter()
        .filter(|p| p.component == "core" && p.running)
        .collect();
    if core.is_empty() {
        return TokenKeyFacts {
            pods: Vec::new(),
            not_read: Some("no running core pod".into()),
        };
    }
    let mut tasks = JoinSet::new();
    for pod in core {
        let cluster = cluster.clone();
        let pod = pod.clone();
        tasks.spawn(async move {
            let command = ["sha256sum", crate::checks::TOKEN_KEY_PATH];
            let result = kube::exec(&cluster, &pod.name, pod.container.as_deref(), &command).await;
            (pod.name, result)
        });
    }
    let mut out = Vec::new();
    let mut denial = None;
    while let Some(Ok((pod, result))) = tasks.join_next().await {
        let sha256 = match result {
            Ok(output) => match (output.failure, digest(&output.stdout)) {
                (None, Some(hash)) => Ok(hash),
                (Some(failure), _) => Err(format!("`sha256sum` failed: {failure}")),
                (None, None) => Err("`sha256sum` printed no digest".into()),
            },
            Err(e) if e.forbidden().is_some() => {
                denial.get_or_insert(e);
                continue;
            }
            Err(e) => Err(e.to_string()),
        };
        out.push(PodKeyHash { pod, sha256 });
    }
    out.sort_by(|a, b| a.pod.cmp(&b.pod));
    if let Some(e) = denial {
        let reason = "exec into the core pods is not allowed: the token keys they run with were not compared";
        if facts.denied.iter().all(|d| d.resource != "pods/exec") {
            super::cluster::deny(facts, &e, reason.into());
        }
        return TokenKeyFacts {
            pods: out,
            not_read: Some(reason.into()),
        };
    }
    TokenKeyFacts {
        pods: out,
        not_read: None,
    }
}

/// The first word of `sha256sum` output when it is 64 hex digits.
fn digest(stdout: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(stdout).ok()?;
    let word = text.split_whitespace().next()?;
    (word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| word.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_digest_is_kept() {
        let h = "a".repeat(64);
        assert_eq!(
            digest(format!("{h}  /etc/core/private_key.pem\n").as_bytes()),
            Some(h)
        );
        assert_eq!(digest(b"-----BEGIN RSA PRIVATE KEY-----\n"), None);
        assert_eq!(digest(b"sha256sum: not found"), None);
    }

    #[test]
    fn core_pods_are_preferred_and_must_run() {
        let p = |name: &str, component: &str, running| PodInfo {
            name: name.into(),
            component: component.into(),
            node: "n1".into(),
            container: None,
            running,
        };
        let pods = [
            p("a", "portal", true),
            p("b", "core", false),
            p("c", "registry", true),
        ];
        let refs: Vec<&PodInfo> = pods.iter().collect();
        assert_eq!(pick(&refs).unwrap().name, "c");
    }
}
