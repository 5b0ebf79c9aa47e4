//! The namespace's Warning events, read as `kubectl describe` and `kubectl events` read them:
//! core/v1 `events` (the API server serves the same objects as `events.k8s.io/v1`; RBAC grants
//! `list` on `events` in the core group), with the field selector `type=Warning`, paged and
//! bounded. Which of them concern a release, and how one reads as a line for the signature scan,
//! is decided here too (pure functions), so that `commands/diagnose` stays glue.

use std::fmt::Write as _;

use ::kube::api::{Api, ListParams};
use k8s_openapi::api::core::v1::Event;

use super::client::Cluster;
use super::error::Error;

/// Events read at most: a namespace with a crash-looping pod holds a few hundred.
pub const MAX_EVENTS: usize = 5000;
/// Events per page of the list.
const PAGE: u32 = 500;

/// The Warning events of the namespace, managed fields dropped, at most [`MAX_EVENTS`]; the flag
/// says whether more were left out.
pub async fn list_warning_events(c: &Cluster) -> Result<(Vec<Event>, bool), Error> {
    let api: Api<Event> = Api::namespaced(c.client.clone(), &c.namespace);
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut params = ListParams::default().fields("type=Warning").limit(PAGE);
        if let Some(t) = &token {
            params = params.continue_token(t);
        }
        let request = c.request("list", "events", None, None);
        let page = c.call(request, api.list(&params)).await?;
        for mut event in page.items {
            if events.len() == MAX_EVENTS {
                return Ok((events, true));
            }
            event.metadata.managed_fields = None;
            events.push(event);
        }
        token = page.metadata.continue_.filter(|t| !t.is_empty());
        if token.is_none() {
            return Ok((events, false));
        }
    }
}

/// The involved object as `kubectl get events` names it: `kind/name` with the kind in lower
/// case (`pod/harbor-core-7d9c`). Lower case matters beyond looks: `Pod/…7d9c` mixes upper case,
/// lower case and digits like a base64 secret, and would be masked in the report.
pub fn event_object(event: &Event) -> String {
    let o = &event.involved_object;
    format!(
        "{}/{}",
        o.kind.as_deref().unwrap_or("object").to_ascii_lowercase(),
        o.name.as_deref().unwrap_or_default()
    )
}

/// When the event was last seen: the series' last observation, else `lastTimestamp`, else
/// `eventTime` (events written through `events.k8s.io/v1`), else the first time, else creation.
fn last_seen(event: &Event) -> Option<String> {
    event
        .series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref())
        .map(|t| t.0.to_string())
        .or_else(|| event.last_timestamp.as_ref().map(|t| t.0.to_string()))
        .or_else(|| event.event_time.as_ref().map(|t| t.0.to_string()))
        .or_else(|| event.first_timestamp.as_ref().map(|t| t.0.to_string()))
        .or_else(|| {
            event
                .metadata
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.to_string())
        })
}

/// One event as one line, in the shape of `kubectl get events` (time, type, reason, object,
/// message), with the message's line breaks made spaces and the repeat count at the end:
/// `2024-06-03T08:15:02Z Warning FailedMount pod/harbor-registry-x: MountVolume.SetUp failed … (×12)`.
pub fn event_line(event: &Event) -> String {
    let message: String = event
        .message
        .as_deref()
        .unwrap_or_default()
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let count = event
        .series
        .as_ref()
        .and_then(|s| s.count)
        .or(event.count)
        .unwrap_or(1);
    let mut line = String::new();
    if let Some(t) = last_seen(event) {
        line.push_str(&t);
        line.push(' ');
    }
    line.push_str(event.type_.as_deref().unwrap_or("Warning"));
    line.push(' ');
    line.push_str(event.reason.as_deref().unwrap_or("Unknown"));
    line.push(' ');
    line.push_str(&event_object(event));
    line.push_str(": ");
    line.push_str(message.trim());
    if count > 1 {
        let _ = write!(line, " (×{count})");
    }
    line
}

/// The chart's components, whose objects are named `<fullname>-<component>…`.
const COMPONENTS: &[&str] = &[
    "core",
    "jobservice",
    "registry",
    "registryctl",
    "portal",
    "nginx",
    "database",
    "redis",
    "trivy",
    "exporter",
    "notary-server",
    "notary-signer",
    "chartmuseum",
];

/// Whether an event's object belongs to the release whose fullname is one of `fullnames`: one
/// of the release's pods (`pods`, found by its labels), or a Pod, `ReplicaSet`, Deployment,
/// `StatefulSet` or `PersistentVolumeClaim` named as the chart names them (`<fn>-core-…`,
/// `<fn>-registry`, `data-<fn>-redis-0`, `database-data-<fn>-database-0`). A name that only
/// starts with the fullname (`harbor-two-core-…` for release `harbor`) is another release's.
pub fn belongs(event: &Event, fullnames: &[String], pods: &[String]) -> bool {
    let o = &event.involved_object;
    let (Some(kind), Some(name)) = (o.kind.as_deref(), o.name.as_deref()) else {
        return false;
    };
    if kind == "Pod" && pods.iter().any(|p| p == name) {
        return true;
    }
    let named = |name: &str| {
        fullnames.iter().any(|fullname| {
            COMPONENTS.iter().any(|component| {
                let base = format!("{fullname}-{component}");
                name == base || name.starts_with(&format!("{base}-"))
            })
        })
    };
    match kind {
        "Pod" | "ReplicaSet" | "Deployment" | "StatefulSet" => named(name),
        "PersistentVolumeClaim" => {
            named(name)
                || ["data-", "database-data-"]
                    .iter()
                    .any(|prefix| name.strip_prefix(prefix).is_some_and(named))
        }
        _ => false,
    }
}

/// The fullname a release pod's name shows: what comes before `-<component>-` in
/// `<fullname>-<component>-…` (a `fullnameOverride` shows here, as no label carries it).
pub fn fullname_of_pod(pod: &str, component: &str) -> Option<String> {
    let infix = format!("-{component}-");
    let at = pod.rfind(&infix)?;
    (at > 0).then(|| pod[..at].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ObjectReference;

    fn event(kind: &str, name: &str) -> Event {
        Event {
            involved_object: ObjectReference {
                kind: Some(kind.into()),
                name: Some(name.into()),
                ..Default::default()
            },
            type_: Some("Warning".into()),
            reason: Some("FailedMount".into()),
            message: Some("Unable to attach or mount volumes:\nunmounted volumes=[data]".into()),
            count: Some(3),
            ..Default::default()
        }
    }

    #[test]
    fn objects_of_the_release_by_the_chart_names() {
        let fns = vec!["harbor".to_string()];
        let pods = vec!["odd-name-0".to_string()];
        for (kind, name) in [
            ("Pod", "harbor-registry-5b4c8f9d8-x2x7k"),
            ("Pod", "harbor-database-0"),
            ("Pod", "odd-name-0"),
            ("StatefulSet", "harbor-trivy"),
            ("PersistentVolumeClaim", "harbor-registry"),
            ("PersistentVolumeClaim", "data-harbor-redis-0"),
            ("PersistentVolumeClaim", "database-data-harbor-database-0"),
        ] {
            assert!(belongs(&event(kind, name), &fns, &pods), "{kind}/{name}");
        }
        for (kind, name) in [
            ("Pod", "harbor-two-core-5b4c8f9d8-x2x7k"),
            ("Pod", "gitlab-redis-0"),
            ("PersistentVolumeClaim", "data-gitlab-redis-0"),
            ("Node", "harbor-core"),
        ] {
            assert!(!belongs(&event(kind, name), &fns, &pods), "{kind}/{name}");
        }
    }

    #[test]
    fn a_fullname_override_shows_in_the_pod_names() {
        assert_eq!(
            fullname_of_pod("registry-harbor-core-7d9c-abcde", "core"),
            Some("registry-harbor".into())
        );
        assert_eq!(
            fullname_of_pod("hb-database-0", "database"),
            Some("hb".into())
        );
        assert_eq!(fullname_of_pod("core-x", "core"), None);
    }

    #[test]
    fn one_event_one_line() {
        assert_eq!(
            event_line(&event("Pod", "harbor-core-1")),
            "Warning FailedMount pod/harbor-core-1: Unable to attach or mount volumes: unmounted volumes=[data] (×3)"
        );
    }
}
