//! The exec subresource of the test API server: `POST|GET .../pods/NAME/exec?command=...` as an
//! HTTP/1.1 upgrade to WebSocket with the `v5.channel.k8s.io` or `v4.channel.k8s.io`
//! subprotocol, then binary frames whose first byte is the channel (1 stdout, 2 stderr, 3 the
//! error channel's `Status` JSON; v5 also accepts channel 255, "close this stream", from the
//! client). Each node has a controllable clock (an offset added to the real time) and an
//! injected delay (a sleep before answering); `date +%s%N`, `sh -c 'echo $EPOCHREALTIME'`,
//! `date +%s` and `sha256sum /etc/core/private_key.pem` are answered, anything else exits 127.
//! Broken exec on purpose: an image without `date` and `sh` (the runtime's "executable file not
//! found"), and a server that refuses the WebSocket upgrade with `400`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use tungstenite::protocol::Role;
use tungstenite::{Message, WebSocket};

use super::{percent_decode, status, Response, State, TOKEN};

/// How a node's `date` behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateStyle {
    /// GNU coreutils: `%N` is nanoseconds.
    #[default]
    Nanos,
    /// An old busybox: `%N` is printed as `N`; the shell has no `EPOCHREALTIME`.
    NoNanos,
    /// A distroless image: neither `date` nor `sh` exists, and the runtime says so on the error
    /// channel as a real kubelet does.
    Missing,
}

/// One simulated node.
#[derive(Debug, Clone, Copy, Default)]
pub struct SimNode {
    /// Added to the real time when the node reads its clock.
    pub offset: Duration,
    /// The offset is negative (the node is behind).
    pub behind: bool,
    /// Slept before answering an exec.
    pub delay: Duration,
    /// Its `date`.
    pub date: DateStyle,
}

impl SimNode {
    /// The node's offset in nanoseconds.
    pub fn offset_ns(&self) -> i128 {
        let ns = i128::try_from(self.offset.as_nanos()).expect("offset");
        if self.behind {
            -ns
        } else {
            ns
        }
    }
}

/// The simulated nodes and pods.
#[derive(Debug, Default)]
pub struct Sim {
    /// Nodes by name.
    pub nodes: BTreeMap<String, SimNode>,
    /// The SHA-256 (hex) of `/etc/core/private_key.pem`, by pod.
    pub key_hashes: BTreeMap<String, String>,
    /// The subprotocols the server accepts, in its order of preference (default v5, v4).
    pub protocols: Vec<&'static str>,
    /// How often every node renews its Lease (default 100 ms; real kubelets: 10 s).
    pub lease_every: Option<Duration>,
    /// Exec commands run, `pod: command`.
    pub commands: Vec<String>,
    /// Answer every exec upgrade with `400 Bad Request`, as a proxy in front of the API server
    /// that passes only SPDY does.
    pub exec_refused: bool,
    /// Nodes that have no Lease in `kube-node-lease` (the kubelet is gone).
    pub without_lease: std::collections::BTreeSet<String>,
}

/// Nanoseconds since the Unix epoch, the test machine's clock.
pub fn now_ns() -> i128 {
    i128::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("clock")
            .as_nanos(),
    )
    .expect("now")
}

/// Whether this request is an exec (a WebSocket upgrade on `pods/NAME/exec`).
pub fn wants(target: &str, headers: &BTreeMap<String, String>) -> bool {
    let path = target.split('?').next().unwrap_or_default();
    path.ends_with("/exec")
        && headers
            .get("upgrade")
            .is_some_and(|u| u.eq_ignore_ascii_case("websocket"))
}

/// Writes a plain HTTP response and closes.
pub(super) fn write_plain<S: Write>(stream: &mut S, response: &Response) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        response.code,
        if response.code == 403 {
            "Forbidden"
        } else {
            "Error"
        },
        response.content_type,
        response.body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(&response.body)?;
    stream.flush()
}

/// Checks the token and RBAC like `respond()` does; `Some` is the refusal to send.
pub(super) fn refuse(
    state: &State,
    headers: &BTreeMap<String, String>,
    verb: &str,
    resource: &str,
    name: Option<&str>,
    namespace: &str,
) -> Option<Response> {
    if headers.get("authorization").map(String::as_str) != Some(&format!("Bearer {TOKEN}")) {
        return Some(status(
            401,
            "Unauthorized",
            "Unauthorized".into(),
            json!({}),
        ));
    }
    let denied = state.forbidden.iter().any(|(v, r, n)| {
        v == verb && r == resource && n.as_deref().is_none_or(|n| Some(n) == name)
    });
    denied.then(|| {
        status(
            403,
            "Forbidden",
            format!("{resource} \"{}\" is forbidden: User \"system:serviceaccount:harbor:tester\" cannot {verb} resource \"{resource}\" in API group \"\" in the namespace \"{namespace}\"", name.unwrap_or_default()),
            json!({"name": name.unwrap_or(""), "kind": "pods"}),
        )
    })
}

/// Serves one exec request on an accepted TLS stream.
pub fn serve<S: Read + Write>(
    mut stream: S,
    target: &str,
    headers: &BTreeMap<String, String>,
    state: &Mutex<State>,
) -> std::io::Result<()> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (ns, pod) = match segments.as_slice() {
        ["api", "v1", "namespaces", ns, "pods", pod, "exec"] => (*ns, *pod),
        _ => {
            return write_plain(
                &mut stream,
                &status(404, "NotFound", "no such exec".into(), json!({})),
            )
        }
    };
    let command: Vec<String> = query
        .split('&')
        .filter_map(|kv| kv.strip_prefix("command="))
        .map(percent_decode)
        .collect();
    let (node, hash, protocol) = {
        let mut st = state.lock().expect("state");
        if let Some(refusal) = refuse(&st, headers, "create", "pods/exec", Some(pod), ns) {
            drop(st);
            return write_plain(&mut stream, &refusal);
        }
        if st.sim.exec_refused {
            st.sim
                .commands
                .push(format!("{pod}: {} (refused)", command.join(" ")));
            drop(st);
            return write_plain(
                &mut stream,
                &status(
                    400,
                    "BadRequest",
                    "Upgrade request required".into(),
                    json!({}),
                ),
            );
        }
        let Some(p) = st.pods.get(&(ns.to_string(), pod.to_string())) else {
            drop(st);
            return write_plain(
                &mut stream,
                &status(
                    404,
                    "NotFound",
                    format!("pods \"{pod}\" not found"),
                    json!({}),
                ),
            );
        };
        let node_name = p
            .spec
            .as_ref()
            .and_then(|s| s.node_name.clone())
            .unwrap_or_default();
        let node = st.sim.nodes.get(&node_name).copied().unwrap_or_default();
        let hash = st.sim.key_hashes.get(pod).cloned();
        let offered: Vec<String> = headers
            .get("sec-websocket-protocol")
            .map(|v| v.split(',').map(|p| p.trim().to_string()).collect())
            .unwrap_or_default();
        let accepted = if st.sim.protocols.is_empty() {
            vec!["v5.channel.k8s.io", "v4.channel.k8s.io"]
        } else {
            st.sim.protocols.clone()
        };
        let protocol = accepted
            .into_iter()
            .find(|p| offered.iter().any(|o| o == p));
        st.sim
            .commands
            .push(format!("{pod}: {}", command.join(" ")));
        (node, hash, protocol)
    };
    let Some(protocol) = protocol else {
        return write_plain(
            &mut stream,
            &status(
                400,
                "BadRequest",
                "no supported stream protocol".into(),
                json!({}),
            ),
        );
    };
    let key = headers
        .get("sec-websocket-key")
        .cloned()
        .unwrap_or_default();
    let head = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\nSec-WebSocket-Protocol: {protocol}\r\n\r\n",
        tungstenite::handshake::derive_accept_key(key.as_bytes())
    );
    stream.write_all(head.as_bytes())?;
    stream.flush()?;
    let mut ws = WebSocket::from_raw_socket(stream, Role::Server, None);

    std::thread::sleep(node.delay);
    let (stdout, exit) = answer(&command, &node, hash.as_deref());
    if !stdout.is_empty() {
        let mut frame = vec![1u8];
        frame.extend_from_slice(stdout.as_bytes());
        ws.send(Message::binary(frame))
            .map_err(std::io::Error::other)?;
    }
    let status = if exit == 0 {
        json!({"metadata": {}, "status": "Success"})
    } else if exit == 126 {
        let program = command.first().map_or("", String::as_str);
        json!({
            "metadata": {}, "status": "Failure",
            "message": format!("Internal error occurred: error executing command in container: failed to exec in container: failed to start exec: OCI runtime exec failed: exec failed: unable to start container process: exec: \"{program}\": executable file not found in $PATH: unknown"),
            "reason": "InternalError",
            "details": {"causes": [{"message": "executable file not found in $PATH"}]},
            "code": 500,
        })
    } else {
        json!({
            "metadata": {}, "status": "Failure",
            "message": format!("command terminated with non-zero exit code: error executing command [{}], exit code {exit}", command.join(" ")),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": exit.to_string()}]},
        })
    };
    let mut frame = vec![3u8];
    frame.extend_from_slice(&serde_json::to_vec(&status).expect("status"));
    ws.send(Message::binary(frame))
        .map_err(std::io::Error::other)?;
    let _ = ws.close(None);
    // Drain until the client acknowledges the close (or goes away); in v5 it may first send
    // channel 255 frames closing its stdin, which are ignored.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        match ws.read() {
            Ok(Message::Binary(b)) if b.first() == Some(&255) => {}
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(())
}

/// What the command prints and its exit code.
fn answer(command: &[String], node: &SimNode, hash: Option<&str>) -> (String, i32) {
    let now = now_ns() + node.offset_ns();
    let secs = now.div_euclid(1_000_000_000);
    let nanos = now.rem_euclid(1_000_000_000);
    let words: Vec<&str> = command.iter().map(String::as_str).collect();
    match (words.as_slice(), node.date) {
        (["date" | "sh", ..], DateStyle::Missing) => (String::new(), 126),
        (["date", "+%s%N"], DateStyle::Nanos) => (format!("{secs}{nanos:09}\n"), 0),
        (["date", "+%s%N"], DateStyle::NoNanos) => (format!("{secs}N\n"), 0),
        (["sh", "-c", "echo $EPOCHREALTIME"], DateStyle::Nanos) => {
            (format!("{secs}.{:06}\n", nanos / 1000), 0)
        }
        (["sh", "-c", "echo $EPOCHREALTIME"], DateStyle::NoNanos) => ("\n".into(), 0),
        (["date", "+%s"], _) => (format!("{secs}\n"), 0),
        (["sha256sum", "/etc/core/private_key.pem"], _) => match hash {
            Some(h) => (format!("{h}  /etc/core/private_key.pem\n"), 0),
            None => (String::new(), 1),
        },
        _ => (String::new(), 127),
    }
}

/// A pod scheduled on `node`, running, with one container named like its component.
pub fn running_pod(
    namespace: &str,
    release: &str,
    name: &str,
    component: &str,
    node: &str,
) -> k8s_openapi::api::core::v1::Pod {
    use k8s_openapi::api::core::v1::{Container, PodSpec, PodStatus};
    let mut pod = super::pod(namespace, release, name, component);
    pod.spec = Some(PodSpec {
        node_name: Some(node.into()),
        containers: vec![Container {
            name: component.into(),
            image: Some(format!("goharbor/harbor-{component}:v2.10.2")),
            ..Default::default()
        }],
        ..Default::default()
    });
    pod.status = Some(PodStatus {
        phase: Some("Running".into()),
        ..Default::default()
    });
    pod
}
