//! Events in the test API server, as the cluster's components write them: core/v1 `Event`
//! objects (served by the generic object store of `objects.rs`, listed with the field selector
//! `type=Warning` that `diagnose` sends), in the two shapes a real API server returns: the old
//! recorder's (`source`, `firstTimestamp`, `lastTimestamp`, `count`: the kubelet, the
//! attach/detach controller) and the `events.k8s.io/v1` recorder's seen through core/v1
//! (`eventTime`, `series`, `reportingComponent`, no timestamps: the scheduler).

use serde_json::{json, Value};

use super::State;

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
