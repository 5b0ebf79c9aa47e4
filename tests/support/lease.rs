//! The node Leases of the test API server: `GET /apis/coordination.k8s.io/v1/namespaces/
//! kube-node-lease/leases` lists one Lease per simulated node, and with `watch=true` streams
//! `{"type":"MODIFIED","object":...}` lines (chunked) as every node renews its Lease, with
//! `spec.renewTime` written with the node's clock (offset added) 20 ms before the event is sent,
//! as a kubelet's write reaches a watcher a little later.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use serde_json::json;

use super::exec::{now_ns, refuse, write_plain};
use super::State;

const PATH: &str = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";

/// The simulated write → delivery delay.
const WRITE_DELAY_NS: i128 = 20_000_000;

/// Whether this request is for the node Leases.
pub fn wants(method: &str, target: &str) -> bool {
    method == "GET" && target.split('?').next() == Some(PATH)
}

fn lease(node: &str, renew_ns: i128, version: u64) -> Lease {
    let micros = renew_ns.div_euclid(1000) * 1000;
    Lease {
        metadata: ObjectMeta {
            name: Some(node.into()),
            namespace: Some("kube-node-lease".into()),
            resource_version: Some(version.to_string()),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(node.into()),
            lease_duration_seconds: Some(40),
            renew_time: Some(MicroTime(
                k8s_openapi::jiff::Timestamp::from_nanosecond(micros).expect("time"),
            )),
            ..Default::default()
        }),
    }
}

fn chunk<S: Write>(stream: &mut S, data: &[u8]) -> std::io::Result<()> {
    write!(stream, "{:x}\r\n", data.len())?;
    stream.write_all(data)?;
    stream.write_all(b"\r\n")?;
    stream.flush()
}

/// Serves a list or a watch of the node Leases.
pub fn serve<S: Read + Write>(
    mut stream: S,
    target: &str,
    headers: &BTreeMap<String, String>,
    state: &Mutex<State>,
) -> std::io::Result<()> {
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let watch = query.split('&').any(|kv| kv == "watch=true");
    let timeout = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("timeoutSeconds="))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(30)
        .min(60);
    let verb = if watch { "watch" } else { "list" };
    let (nodes, every) = {
        let st = state.lock().expect("state");
        if let Some(refusal) = refuse(&st, headers, verb, "leases", None, "kube-node-lease") {
            drop(st);
            return write_plain(&mut stream, &refusal);
        }
        let nodes: Vec<(String, i128)> = st
            .sim
            .nodes
            .iter()
            .filter(|(n, _)| !st.sim.without_lease.contains(*n))
            .map(|(n, sim)| (n.clone(), sim.offset_ns()))
            .collect();
        (
            nodes,
            st.sim.lease_every.unwrap_or(Duration::from_millis(100)),
        )
    };
    if !watch {
        // Renewed a while ago, as a list usually finds them.
        let items: Vec<_> = nodes
            .iter()
            .map(|(n, offset)| lease(n, now_ns() + offset - 3_000_000_000, 1))
            .collect();
        let body = serde_json::to_vec(&json!({
            "kind": "LeaseList", "apiVersion": "coordination.k8s.io/v1",
            "metadata": {"resourceVersion": "1"}, "items": items,
        }))
        .expect("json");
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes())?;
        stream.write_all(&body)?;
        return stream.flush();
    }
    stream.write_all(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    )?;
    stream.flush()?;
    let end = Instant::now() + Duration::from_secs(timeout);
    let mut version = 1u64;
    while Instant::now() < end {
        std::thread::sleep(every);
        for (node, offset) in &nodes {
            version += 1;
            let written = now_ns() - WRITE_DELAY_NS + offset;
            let event = json!({"type": "MODIFIED", "object": lease(node, written, version)});
            let mut line = serde_json::to_vec(&event).expect("json");
            line.push(b'\n');
            if chunk(&mut stream, &line).is_err() {
                return Ok(());
            }
        }
    }
    chunk(&mut stream, b"")
}
