//! The only place that talks to the cluster, through kube-rs.
//!
//! [`connect`] resolves the cluster flags exactly as kubectl does (`--kubeconfig`, else every
//! file in `KUBECONFIG` merged, else `~/.kube/config`, else the in-cluster service account;
//! `--context`; `-n`, else the context's namespace, else `default`; `--request-timeout`).
//! Every read takes the [`Cluster`] handle as an argument, so tests point it at a test API
//! server, and returns plain k8s-openapi objects with managed fields dropped. Only objects in
//! the one namespace are read; Secrets are never listed across namespaces.
//!
//! Two reads leave the namespace or run something: `clock check` runs `date` in one pod per node
//! (the exec subresource) or, when that is forbidden, watches the nodes' Leases in
//! `kube-node-lease`; `preflight check` runs `sha256sum` on the mounted token key in core pods.
//! Only stdout of those commands comes back: a time, or a digest.
//!
//! `preflight check --rendered` and `verify` list the release's Deployments, `StatefulSets` and
//! claims to judge the rendered workloads against the live ones ([`read_live_workloads`]).
//!
//! Errors say which API server and which request failed ([`Error`]); a `403` is
//! [`Error::Forbidden`] so that callers can turn a denied optional read into a finding.

mod client;
mod error;
mod events;
mod exec;
mod helm;
mod lease;
mod logs;
pub mod names;
mod pods;
mod read;
mod rollout;
mod workloads;

pub use client::{connect, parse_request_timeout, Cluster, ClusterOptions};
pub use error::{Error, Request};
pub use events::{
    belongs, event_line, event_object, fullname_of_pod, list_warning_events, MAX_EVENTS,
};
pub use exec::{exec, exec_targets, now_ns, ExecOutput, PodInfo};
pub use helm::{decode_release, decode_release_config_map, HelmRelease, ReleaseError, Storage};
pub use lease::{watch_renewals, Renewal, NODE_LEASE_NAMESPACE};
pub use logs::{pod_log_lines, LogBounds};
pub use pods::list_pods;
pub use read::{
    create_secret, detect_releases, get_secret, list_config_maps, list_deployments,
    read_deployed_release, replace_secret, Detected,
};
pub use rollout::{
    deployment_state, statefulset_state, wait_rollouts, workloads, RolloutState, Waited, Workload,
};
pub use workloads::{is_template_claim, read_live_workloads, LiveWorkloads, MAX_OBJECTS};
