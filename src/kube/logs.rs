//! Pods of a release and their container logs, bounded: the pod log API with `tailLines`,
//! `sinceSeconds` and `limitBytes`, so that a chatty pod cannot make a run slow or huge.

use ::kube::api::LogParams;
use ::kube::Api;
use k8s_openapi::api::core::v1::Pod;

use super::client::Cluster;
use super::error::Error;

/// Bounds of one log read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogBounds {
    /// `tailLines`.
    pub tail_lines: Option<i64>,
    /// `sinceSeconds`.
    pub since_seconds: Option<i64>,
    /// `limitBytes`.
    pub limit_bytes: Option<i64>,
}

/// One container's log, each line prefixed with the kubelet's RFC 3339 timestamp
/// (`timestamps=true`); `previous` reads the terminated instance of a restarted container.
/// Bytes that are not UTF-8 (a line cut by `limitBytes`) are replaced, not an error.
pub async fn pod_log(
    c: &Cluster,
    pod: &str,
    container: &str,
    previous: bool,
    bounds: LogBounds,
) -> Result<String, Error> {
    let request = c.request("get", "pods/log", Some(pod), None);
    let api: Api<Pod> = Api::namespaced(c.client.clone(), &c.namespace);
    let params = LogParams {
        container: Some(container.to_string()),
        previous,
        timestamps: true,
        tail_lines: bounds.tail_lines,
        since_seconds: bounds.since_seconds,
        limit_bytes: bounds.limit_bytes,
        ..LogParams::default()
    };
    let read = async {
        match api.logs(pod, &params).await {
            Err(::kube::Error::FromUtf8(e)) => {
                Ok(String::from_utf8_lossy(&e.into_bytes()).into_owned())
            }
            other => other,
        }
    };
    c.call(request, read).await
}
