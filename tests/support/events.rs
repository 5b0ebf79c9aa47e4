//! Events in the test API server, as the cluster's components write them: core/v1 `Event`
//! objects (served by the generic object store of `objects.rs`, listed with the field selector
//! `type=Warning` that `diagnose` sends), in the two shapes a real API server returns: the old
//! recorder's (`source`, `firstTimestamp`, `lastTimestamp`, `count`: the kubelet, the
//! attach/detach controller) and the `events.k8s.io/v1` recorder's seen through core/v1
//! (`eventTime`, `series`, `reportingComponent`, no timestamps: the scheduler).
//!
//! Lists of events are paged as kube-apiserver pages them: `limit` items per answer, and a
//! `metadata.continue` token for the rest ([`list`]).

use serde_json::{json, Value};

use super::{json_response, percent_decode, status, Response, State};

/// Who reported an event, and how.
#[derive(Debug, Clone, Copy)]
pub enum Recorder {
    /// The core/v1 recorder with `source.component` (the kubelet, controllers).
    Legacy(&'static str),
    /// The `events.k8s.io/v1` recorder (the scheduler): `eventTime` and `series` only.
    EventsApi(&'static str),
}

/// One event about `kind/name` in `namespace`, last seen at `last_seen` (RFC 3339), `count`
/// times.
#[allow(clippy::too_many_arguments)]
pub fn event(
    namespace: &str,
    kind: &str,
    name: &str,
    type_: &str,
    reason: &str,
    message: &str,
    recorder: Recorder,
    count: i32,
    last_seen: &str,
) -> Value {
    let api_version = if kind == "Pod" || kind == "PersistentVolumeClaim" {
        "v1"
    } else {
        "apps/v1"
    };
    let mut event = json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": format!("{name}.{:016x}", fingerprint(reason, message)),
            "namespace": namespace,
        },
        "involvedObject": {
            "apiVersion": api_version,
            "kind": kind,
            "name": name,
            "namespace": namespace,
            "uid": "5f0e3c1a-7d2b-4b8e-9a61-0c2f4d6e8a10",
            "resourceVersion": "48213",
        },
        "reason": reason,
        "message": message,
        "type": type_,
    });
    match recorder {
        Recorder::Legacy(component) => {
            event["source"] = json!({"component": component});
            event["firstTimestamp"] = json!(last_seen);
            event["lastTimestamp"] = json!(last_seen);
            event["count"] = json!(count);
            event["reportingComponent"] = json!(component);
            event["reportingInstance"] = json!("");
        }
        Recorder::EventsApi(component) => {
            let micro = last_seen.replace('Z', ".512034Z");
            event["eventTime"] = json!(micro);
            event["reportingComponent"] = json!(component);
            event["reportingInstance"] = json!(format!("{component}-control-plane"));
            event["action"] = json!("Scheduling");
            event["source"] = json!({});
            if count > 1 {
                event["series"] = json!({"count": count, "lastObservedTime": micro});
            }
        }
    }
    event
}

/// A stable suffix for the event's name, as the recorders make one per event.
fn fingerprint(reason: &str, message: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in reason.bytes().chain(message.bytes()) {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl State {
    /// Stores an event made by [`event`].
    pub fn put_event(&mut self, event: Value) {
        self.put_object(event);
    }
}

/// `GET /api/v1/namespaces/NS/events`: the stored events of the namespace in name order,
/// filtered by `fieldSelector` (`type=Warning`, `involvedObject.name=…`: equality on the JSON
/// field) and paged by `limit` and `continue` (here: the offset of the next item), with
/// `metadata.continue` set while items remain; a `403` when `list events` is refused. Only the
/// page is copied, so that a namespace of thousands of events stays fast.
pub(super) fn list(state: &State, ns: &str, query: &str) -> Response {
    let params: Vec<(String, String)> = query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if state
        .forbidden
        .iter()
        .any(|(v, r, _)| v == "list" && r == "events")
    {
        return status(
            403,
            "Forbidden",
            format!("events is forbidden: User \"system:serviceaccount:harbor:tester\" cannot list resource \"events\" in API group \"\" in the namespace \"{ns}\""),
            json!({"kind": "events"}),
        );
    }
    let terms: Vec<(String, String)> = param("fieldSelector")
        .unwrap_or_default()
        .split(',')
        .filter_map(|t| t.split_once('='))
        .map(|(f, v)| (format!("/{}", f.replace('.', "/")), v.to_string()))
        .collect();
    let matches = |e: &Value| {
        terms
            .iter()
            .all(|(pointer, want)| e.pointer(pointer).and_then(Value::as_str) == Some(want))
    };
    let all = state
        .store
        .objects
        .iter()
        .filter(|((r, n, _), _)| r == "events" && n == ns)
        .map(|(_, e)| e)
        .filter(|e| matches(e));
    let start: usize = param("continue").and_then(|c| c.parse().ok()).unwrap_or(0);
    let limit: usize = param("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(usize::MAX);
    let mut page = Vec::new();
    let mut remaining = 0usize;
    for (i, e) in all.enumerate().skip(start) {
        if i - start < limit {
            page.push(e.clone());
        } else {
            remaining += 1;
        }
    }
    let mut metadata = json!({"resourceVersion": "1"});
    if remaining > 0 {
        metadata["continue"] = json!((start + page.len()).to_string());
        metadata["remainingItemCount"] = json!(remaining);
    }
    json_response(
        200,
        &json!({"kind": "EventList", "apiVersion": "v1", "metadata": metadata, "items": page}),
    )
}
