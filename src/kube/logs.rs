//! Pods of a release and their container logs, bounded: the pod log API with `tailLines`,
//! `sinceSeconds` and `limitBytes`, so that a chatty pod cannot make a run slow or huge. Logs are
//! read as a stream and handed out line by line as they arrive, one line in memory at a time.

use ::kube::api::LogParams;
use ::kube::Api;
use k8s_openapi::api::core::v1::Pod;

use futures_util::io::AsyncBufReadExt as _;

use super::client::Cluster;
use super::error::Error;
use crate::input::{LineInfo, LineSplitter};

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
/// Each line (cut at `max_line` bytes, as [`LineSplitter`] cuts it) goes to `on_line` as soon as
/// it has arrived; the log is never held whole. `--request-timeout` bounds the whole read.
#[allow(clippy::too_many_arguments)]
pub async fn pod_log_lines(
    c: &Cluster,
    pod: &str,
    container: &str,
    previous: bool,
    bounds: LogBounds,
    max_line: usize,
    mut on_line: impl FnMut(&[u8], LineInfo),
) -> Result<(), Error> {
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
        let stream = api.log_stream(pod, &params).await?;
        let mut stream = Box::pin(stream);
        let mut splitter = LineSplitter::new(max_line);
        loop {
            let chunk = stream.fill_buf().await.map_err(::kube::Error::ReadEvents)?;
            if chunk.is_empty() {
                break;
            }
            let used = chunk.len();
            splitter.feed(chunk, &mut on_line);
            stream.consume_unpin(used);
        }
        splitter.finish(&mut on_line);
        Ok(())
    };
    c.call(request, read).await
}
