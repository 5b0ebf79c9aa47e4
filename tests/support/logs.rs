//! The pod log endpoint of the test API server:
//! `GET /api/v1/namespaces/NS/pods/NAME/log?container=&previous=&sinceSeconds=&tailLines=&limitBytes=&timestamps=`,
//! answered in `text/plain` from [`super::State::logs`] as the kubelet would: `tailLines`
//! counts from the end, `sinceSeconds` against the real clock, `limitBytes` cuts the body, and
//! the stored RFC 3339 timestamps are kept only with `timestamps=true`. A `403` for verb `get` on
//! resource `pods/log`; a `400` for a previous instance that was not kept.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, ContainerStatus, Pod, PodSpec, PodStatus};
use serde_json::json;

use super::{meta, percent_decode, status, Response, State};

/// Log text of one container instance: (namespace, pod, container, previous) → lines, each
/// starting with an RFC 3339 timestamp and a space, as the kubelet stores them.
pub type Logs = BTreeMap<(String, String, String, bool), String>;

impl State {
    /// Stores the log of one container instance (lines `TIMESTAMP TEXT`).
    pub fn put_log(
        &mut self,
        namespace: &str,
        pod: &str,
        container: &str,
        previous: bool,
        text: &str,
    ) {
        self.logs.insert(
            (namespace.into(), pod.into(), container.into(), previous),
            text.into(),
        );
    }
}

/// A Harbor component Pod with its containers and their restart counts.
pub fn harbor_pod(
    namespace: &str,
    release: &str,
    name: &str,
    component: &str,
    containers: &[(&str, i32)],
) -> Pod {
    Pod {
        metadata: meta(
            namespace,
            name,
            &[
                ("app", "harbor"),
                ("release", release),
                ("component", component),
            ],
        ),
        spec: Some(PodSpec {
            containers: containers
                .iter()
                .map(|(c, _)| Container {
                    name: (*c).to_string(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }),
        status: Some(PodStatus {
            container_statuses: Some(
                containers
                    .iter()
                    .map(|(c, restarts)| ContainerStatus {
                        name: (*c).to_string(),
                        restart_count: *restarts,
                        ready: true,
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
    }
}

/// Answers one log request.
pub(super) fn respond(state: &State, ns: &str, pod: &str, query: &str) -> Response {
    let params: BTreeMap<String, String> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect();
    let denied = state
        .forbidden
        .iter()
        .any(|(v, r, n)| v == "get" && r == "pods/log" && n.as_deref().is_none_or(|n| n == pod));
    if denied {
        return status(
            403,
            "Forbidden",
            format!("pods \"{pod}\" is forbidden: User \"system:serviceaccount:harbor:tester\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"{ns}\""),
            json!({"name": pod, "kind": "pods"}),
        );
    }
    if !state.pods.contains_key(&(ns.to_string(), pod.to_string())) {
        return status(
            404,
            "NotFound",
            format!("pods \"{pod}\" not found"),
            json!({"name": pod, "kind": "pods"}),
        );
    }
    let container = params.get("container").cloned().unwrap_or_default();
    let previous = params.get("previous").is_some_and(|v| v == "true");
    let key = (ns.to_string(), pod.to_string(), container.clone(), previous);
    let Some(text) = state.logs.get(&key) else {
        return status(
            400,
            "BadRequest",
            format!("previous terminated container \"{container}\" in pod \"{pod}\" not found"),
            json!({}),
        );
    };
    let mut lines: Vec<&str> = text.lines().collect();
    if let Some(since) = params
        .get("sinceSeconds")
        .and_then(|s| s.parse::<i64>().ok())
    {
        let cutoff = time::OffsetDateTime::now_utc().unix_timestamp() - since;
        lines.retain(|l| {
            l.split(' ')
                .next()
                .and_then(|t| {
                    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .is_none_or(|t| t.unix_timestamp() >= cutoff)
        });
    }
    if let Some(tail) = params
        .get("tailLines")
        .and_then(|s| s.parse::<usize>().ok())
    {
        let skip = lines.len().saturating_sub(tail);
        lines.drain(..skip);
    }
    let timestamps = params.get("timestamps").is_some_and(|v| v == "true");
    let mut body = String::new();
    for l in lines {
        let shown = if timestamps {
            l
        } else {
            l.split_once(' ').map_or(l, |(_, rest)| rest)
        };
        body.push_str(shown);
        body.push('\n');
    }
    let mut body = body.into_bytes();
    if let Some(limit) = params
        .get("limitBytes")
        .and_then(|s| s.parse::<usize>().ok())
    {
        body.truncate(limit);
    }
    Response {
        code: 200,
        content_type: "text/plain",
        body,
    }
}
