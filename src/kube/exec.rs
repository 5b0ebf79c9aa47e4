//! Commands run in pods through the exec subresource (WebSocket, `v5.channel.k8s.io` or
//! `v4.channel.k8s.io`), and the pods to run them in.
//!
//! Only what a command prints on stdout comes back, and callers choose commands that print
//! nothing secret (a clock reading, a SHA-256 digest). Stderr is not attached.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::kube::api::AttachParams;
use ::kube::Api;
use k8s_openapi::api::core::v1::Pod;
use tokio::io::AsyncReadExt as _;

use super::client::Cluster;
use super::error::Error;

/// A running pod of the release, as the clock and key checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodInfo {
    /// The pod name.
    pub name: String,
    /// The `component` label (`core`, `registry` …).
    pub component: String,
    /// The node it runs on.
    pub node: String,
    /// The first container, the one commands run in.
    pub container: Option<String>,
    /// `status.phase` is `Running`.
    pub running: bool,
}

impl From<Pod> for PodInfo {
    fn from(p: Pod) -> Self {
        let labels = p.metadata.labels.unwrap_or_default();
        PodInfo {
            name: p.metadata.name.unwrap_or_default(),
            component: labels.get("component").cloned().unwrap_or_default(),
            node: p
                .spec
                .as_ref()
                .and_then(|s| s.node_name.clone())
                .unwrap_or_default(),
            container: p
                .spec
                .as_ref()
                .and_then(|s| s.containers.first())
                .map(|c| c.name.clone()),
            running: p
                .status
                .as_ref()
                .and_then(|s| s.phase.as_deref())
                .is_some_and(|phase| phase == "Running"),
        }
    }
}

/// The pods with a label selector as exec targets, sorted by name.
pub async fn exec_targets(c: &Cluster, selector: &str) -> Result<Vec<PodInfo>, Error> {
    let mut pods: Vec<PodInfo> = super::pods::list_pods(c, selector)
        .await?
        .into_iter()
        .map(PodInfo::from)
        .collect();
    pods.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(pods)
}

/// What one command printed, and when (nanoseconds since the Unix epoch, the tool's clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The tool's clock just before the request was sent.
    pub sent: i128,
    /// The tool's clock when the first line of stdout had arrived (or stdout ended).
    pub received: i128,
    /// Stdout, at most 4 KiB.
    pub stdout: Vec<u8>,
    /// `None` when the command succeeded; else the status message (exit code, not found …).
    pub failure: Option<String>,
}

/// The current time of the tool, nanoseconds since the Unix epoch.
pub fn now_ns() -> i128 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i128::try_from(d.as_nanos()).unwrap_or(i128::MAX),
        Err(e) => -i128::try_from(e.duration().as_nanos()).unwrap_or(i128::MAX),
    }
}

const MAX_STDOUT: usize = 4096;

/// How long one exec may take when `--request-timeout` does not say.
const EXEC_TIMEOUT: Duration = Duration::from_secs(30);

/// Runs `command` in `container` of `pod` and returns its stdout with the times around it.
/// A `403` is [`Error::Forbidden`] for `create` on `pods/exec`.
pub async fn exec(
    c: &Cluster,
    pod: &str,
    container: Option<&str>,
    command: &[&str],
) -> Result<ExecOutput, Error> {
    let request = c.request("create", "pods/exec", Some(pod), None);
    let api: Api<Pod> = Api::namespaced(c.client.clone(), &c.namespace);
    let mut params = AttachParams::default().stdout(true).stderr(false);
    if let Some(container) = container {
        params = params.container(container);
    }
    let command: Vec<String> = command.iter().map(|s| (*s).to_string()).collect();
    let limit = c.timeout.unwrap_or(EXEC_TIMEOUT);
    let run = async {
        let sent = now_ns();
        let mut process = api.exec(pod, command, &params).await?;
        let mut stdout = Vec::new();
        let mut received = None;
        if let Some(mut reader) = process.stdout() {
            let mut buf = [0u8; 512];
            loop {
                let n = reader.read(&mut buf).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                if stdout.len() < MAX_STDOUT {
                    stdout.extend_from_slice(&buf[..n.min(MAX_STDOUT - stdout.len())]);
                }
                // The reading is complete with its newline: stamp now, not after the teardown.
                if received.is_none() && stdout.contains(&b'\n') {
                    received = Some(now_ns());
                }
            }
        }
        let received = received.unwrap_or_else(now_ns);
        let status = match process.take_status() {
            Some(status) => status.await,
            None => None,
        };
        let _ = process.join().await;
        // The k8s-openapi `Status` of the error channel: `Success`, or `Failure` with a message
        // (`NonZeroExitCode`, executable not found).
        let failure = status
            .filter(|s| s.status.as_deref() != Some("Success"))
            .map(|s| {
                s.message
                    .filter(|m| !m.is_empty())
                    .or(s.reason)
                    .unwrap_or_else(|| "the command failed".into())
            });
        Ok::<_, ::kube::Error>(ExecOutput {
            sent,
            received,
            stdout,
            failure,
        })
    };
    match tokio::time::timeout(limit, c.call(request.clone(), run)).await {
        Ok(result) => result,
        Err(_) => Err(Error::Timeout {
            server: c.server.clone(),
            request,
            after: limit,
        }),
    }
}
