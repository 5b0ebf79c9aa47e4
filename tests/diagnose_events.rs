//! `diagnose` against the test API server, beyond core, registry and jobservice: the logs of the
//! database, redis and trivy pods, and the namespace's Warning events about the release's pods
//! and volumes (core/v1 `events`, `fieldSelector=type=Warning`), with a `403` on events
//! reported as `rbac-forbidden`.

mod common;
mod support;

use common::{Run, Scratch};
use support::events::{event, Recorder};
use support::harbor::{run_with, standard, NS};
use support::logs::harbor_pod;
use support::ApiServer;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// An RFC 3339 time `minutes` before now (the server judges `sinceSeconds` by its clock).
fn ago(minutes: i64) -> String {
    (OffsetDateTime::now_utc() - time::Duration::minutes(minutes))
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

fn diagnose(server: &ApiServer, s: &Scratch, extra: &[&str]) -> Run {
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let mut args = vec!["diagnose", "--output=json"];
    args.extend_from_slice(extra);
    let r = run_with(&kubeconfig, s.path(), &args);
    r.assert_judged();
    r
}

fn notes(f: &serde_json::Value) -> String {
    f["notes"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

/// The internal database's pod after a failed PostgreSQL upgrade (its previous instance) and a
/// password mismatch (its current one), a healthy redis, and a trivy adapter whose volume is
/// not writable (harbor-helm#881), each as the kubelet stores the lines.
fn release_with_data_pods() -> (ApiServer, Scratch) {
    let (server, s) = standard();
    {
        let mut st = server.state();
        st.put_pod(harbor_pod(
            NS,
            "harbor",
            "harbor-database-0",
            "database",
            &[("database", 2)],
        ));
        st.put_pod(harbor_pod(
            NS,
            "harbor",
            "harbor-redis-0",
            "redis",
            &[("redis", 0)],
        ));
        st.put_pod(harbor_pod(
            NS,
            "harbor",
            "harbor-trivy-0",
            "trivy",
            &[("trivy", 0)],
        ));
        let t = ago(30);
        let db_time = t.replace('T', " ").replace('Z', ".512 UTC");
        st.put_log(
            NS,
            "harbor-database-0",
            "database",
            true,
            &format!(
                "{t} initdb: error: directory \"/var/lib/postgresql/data/pgdata\" exists but is not empty\n{t} initdb: hint: If you want to create a new database system, either remove or empty the directory \"/var/lib/postgresql/data/pgdata\" or run initdb with an argument other than \"/var/lib/postgresql/data/pgdata\".\n"
            ),
        );
        let t = ago(10);
        st.put_log(
            NS,
            "harbor-database-0",
            "database",
            false,
            &format!("{t} {db_time} [88] FATAL:  password authentication failed for user \"postgres\"\n{t} {db_time} [88] DETAIL:  Connection matched pg_hba.conf line 99: \"host all all all scram-sha-256\"\n"),
        );
        st.put_log(
            NS,
            "harbor-redis-0",
            "redis",
            false,
            &format!("{t} 1:M 03 Jun 2024 08:15:02.112 * Ready to accept connections tcp\n"),
        );
        st.put_log(
            NS,
            "harbor-trivy-0",
            "trivy",
            false,
            &format!(
                "{t} {{\"level\":\"warning\",\"msg\":\"trivy cache dir does not exist\",\"path\":\"/home/scanner/.cache/trivy\",\"time\":\"{t}\"}}\n{t} {{\"level\":\"fatal\",\"msg\":\"Error: checking config: creating trivy cache dir: mkdir /home/scanner/.cache/trivy: permission denied\",\"time\":\"{t}\"}}\n"
            ),
        );
    }
    (server, s)
}

#[test]
fn database_redis_and_trivy_logs_are_read_and_their_rules_fire() {
    let (server, s) = release_with_data_pods();
    let r = diagnose(&server, &s, &[]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    let mut rules = r.rules();
    rules.sort();
    assert_eq!(
        rules,
        [
            "log-database-password",
            "log-database-upgrade-failed",
            "log-trivy-cache-permission",
        ],
        "{}",
        r.stdout
    );
    let upgrade = &r.findings("log-database-upgrade-failed")[0];
    assert_eq!(
        upgrade["location"]["file"],
        "cluster://harbor/pod/harbor-database-0/log/database/previous"
    );
    assert!(
        notes(upgrade).contains("harbor-database-0 (database, previous instance)"),
        "{}",
        notes(upgrade)
    );
    let password = &r.findings("log-database-password")[0];
    assert_eq!(
        password["location"]["file"],
        "cluster://harbor/pod/harbor-database-0/log/database"
    );
    let trivy = &r.findings("log-trivy-cache-permission")[0];
    assert!(
        notes(trivy).contains("-n harbor"),
        "the command names the namespace: {}",
        notes(trivy)
    );
    let requests = server.requests();
    for (pod, container) in [
        ("harbor-database-0", "database"),
        ("harbor-redis-0", "redis"),
        ("harbor-trivy-0", "trivy"),
    ] {
        let read: Vec<&String> = requests
            .iter()
            .filter(|q| q.contains(&format!("/pods/{pod}/log?")))
            .collect();
        assert!(!read.is_empty(), "{pod}: {requests:?}");
        for q in read {
            assert!(q.contains(&format!("container={container}&")), "{q}");
            assert!(q.contains("tailLines=2000"), "{q}");
            assert!(q.contains("limitBytes="), "{q}");
        }
    }
    for selector in [
        "component%3Ddatabase",
        "component%3Dredis",
        "component%3Dtrivy",
    ] {
        assert!(
            requests
                .iter()
                .any(|q| q.contains("/pods?") && q.contains(selector)),
            "{selector}: {requests:?}"
        );
    }
    // The database restarted: its previous instance was read first.
    assert!(requests
        .iter()
        .any(|q| q.contains("/pods/harbor-database-0/log?") && q.contains("previous=true")));
    support::harbor::assert_no_secret(&r);
}

/// The release's Warning events: a registry pod of a rolling update waiting on its
/// `ReadWriteOnce` volume, a core pod mounting a Secret that does not exist, the database's
/// volume in another zone (reported by the scheduler through `events.k8s.io/v1`), redis's
/// unbound claim; and events of another release and of a pod of a `fullnameOverride`.
// One fixture, read top to bottom: each event as the API server returns it.
#[allow(clippy::too_many_lines)]
fn release_with_events() -> (ApiServer, Scratch) {
    let (server, s) = standard();
    {
        let mut st = server.state();
        // A pod of this release whose name shows a `fullnameOverride` of `hb`.
        st.put_pod(harbor_pod(
            NS,
            "harbor",
            "hb-jobservice-6d5f7c8b9-q4w2e",
            "jobservice",
            &[("jobservice", 0)],
        ));
        st.put_log(
            NS,
            "hb-jobservice-6d5f7c8b9-q4w2e",
            "jobservice",
            false,
            &format!("{} jobservice started\n", ago(5)),
        );
        let events = [
            event(
                NS,
                "Pod",
                "harbor-registry-7c9f6d5b8-x2x7k",
                "Warning",
                "FailedAttachVolume",
                "Multi-Attach error for volume \"pvc-0c8f5e2a-6a0b-4c1e-9f3d-2b7d8e1a4c55\" Volume is already used by pod(s) harbor-registry-5b4c8f9d8-abcde",
                Recorder::Legacy("attachdetach-controller"),
                1,
                &ago(9),
            ),
            event(
                NS,
                "Pod",
                "harbor-core-6b8d9c7f5-k2xqz",
                "Warning",
                "FailedMount",
                "MountVolume.SetUp failed for volume \"token-service-private-key\" : secret \"harbor-token-pair\" not found",
                Recorder::Legacy("kubelet"),
                12,
                &ago(2),
            ),
            event(
                NS,
                "Pod",
                "harbor-database-0",
                "Warning",
                "FailedScheduling",
                "0/3 nodes are available: 1 node(s) had volume node affinity conflict, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
                Recorder::EventsApi("default-scheduler"),
                5,
                &ago(4),
            ),
            event(
                NS,
                "Pod",
                "harbor-redis-0",
                "Warning",
                "FailedScheduling",
                "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
                Recorder::EventsApi("default-scheduler"),
                1,
                &ago(6),
            ),
            event(
                NS,
                "PersistentVolumeClaim",
                "hb-registry",
                "Warning",
                "FailedMount",
                "MountVolume.MountDevice failed for volume \"pvc-77aa\" : rpc error: code = Internal desc = mount failed: exit status 32",
                Recorder::Legacy("kubelet"),
                1,
                &ago(3),
            ),
            // Another release in the same namespace: not ours.
            event(
                NS,
                "Pod",
                "harbor-two-registry-5d7f9c8b6-zz9kk",
                "Warning",
                "FailedAttachVolume",
                "Multi-Attach error for volume \"pvc-9999\" Volume is already exclusively attached to one node and can't be attached to another",
                Recorder::Legacy("attachdetach-controller"),
                1,
                &ago(9),
            ),
            // A Normal event: the field selector leaves it out.
            event(
                NS,
                "Pod",
                "harbor-registry-7c9f6d5b8-x2x7k",
                "Normal",
                "SuccessfulAttachVolume",
                "AttachVolume.Attach succeeded for volume \"pvc-0c8f5e2a-6a0b-4c1e-9f3d-2b7d8e1a4c55\"",
                Recorder::Legacy("attachdetach-controller"),
                1,
                &ago(1),
            ),
            // Another namespace.
            event(
                "gitlab",
                "Pod",
                "harbor-core-6b8d9c7f5-k2xqz",
                "Warning",
                "FailedMount",
                "MountVolume.SetUp failed for volume \"x\" : secret \"y\" not found",
                Recorder::Legacy("kubelet"),
                1,
                &ago(1),
            ),
        ];
        for e in events {
            st.put_event(e);
        }
    }
    (server, s)
}

#[test]
fn warning_events_of_the_release_become_findings_at_their_objects() {
    let (server, s) = release_with_events();
    let r = diagnose(&server, &s, &[]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    let mut rules = r.rules();
    rules.sort();
    rules.dedup();
    assert_eq!(
        rules,
        [
            "event-mount-failed",
            "event-scheduling-failed",
            "event-volume-multi-attach",
        ],
        "{}",
        r.stdout
    );
    let attach = r.findings("event-volume-multi-attach");
    assert_eq!(attach.len(), 1, "{}", r.stdout);
    let attach = &attach[0];
    assert_eq!(attach["source"], "cluster");
    assert_eq!(
        attach["location"]["file"],
        "cluster://harbor/pod/harbor-registry-7c9f6d5b8-x2x7k/events"
    );
    assert_eq!(attach["location"]["line"], 1);
    let n = notes(attach);
    assert!(
        n.contains("pod/harbor-registry-7c9f6d5b8-x2x7k (events)"),
        "{n}"
    );
    assert!(n.contains("`harbor-registry-5b4c8f9d8-abcde`"), "{n}");
    assert!(n.contains("--release harbor -n harbor"), "{n}");
    assert!(!r.stdout.contains("harbor-two"), "{}", r.stdout);
    assert!(!r.stdout.contains("succeeded"), "{}", r.stdout);

    let mount = &r.findings("event-mount-failed")[0];
    let n = notes(mount);
    assert!(n.contains("2 matching lines"), "{n}");
    assert!(n.contains("`secret \"harbor-token-pair\"`"), "{n}");
    // The repeat count of the kubelet's event, and the volume of the `fullnameOverride`.
    assert!(n.contains("(×12)"), "{n}");
    assert!(
        n.contains("persistentvolumeclaim/hb-registry (events)"),
        "{n}"
    );

    let scheduling = &r.findings("event-scheduling-failed")[0];
    let n = notes(scheduling);
    assert!(n.contains("`volume node affinity conflict`"), "{n}");
    assert!(
        n.contains("`unbound immediate PersistentVolumeClaims`"),
        "{n}"
    );
    // The scheduler's events carry only `eventTime`: their times are still known.
    assert!(!n.contains("without timestamps"), "{n}");

    let requests = server.requests();
    let listed: Vec<&String> = requests.iter().filter(|q| q.contains("/events")).collect();
    assert_eq!(listed.len(), 1, "{requests:?}");
    assert!(
        listed[0].starts_with("GET /api/v1/namespaces/harbor/events?")
            && listed[0].contains("fieldSelector=type%3DWarning")
            && listed[0].contains("limit=500"),
        "{}",
        listed[0]
    );
    assert!(
        r.stderr
            .contains("looked at 5 of 6 Warning event(s) in namespace `harbor`"),
        "{}",
        r.stderr
    );
}

#[test]
fn since_leaves_out_older_events() {
    let (server, s) = release_with_events();
    // Only the mount failures of the last three minutes.
    let r = diagnose(&server, &s, &["--since", "3m30s"]);
    let mut rules = r.rules();
    rules.dedup();
    assert_eq!(rules, ["event-mount-failed"], "{}", r.stdout);
}

#[test]
fn forbidden_events_are_an_rbac_finding_and_the_logs_are_still_judged() {
    let (server, s) = release_with_data_pods();
    server.forbid("list", "events", None);
    let r = diagnose(&server, &s, &[]);
    assert_eq!(r.status, 1, "the logs' errors still count: {}", r.stdout);
    let denied = r.findings("rbac-forbidden");
    assert_eq!(denied.len(), 1, "{}", r.stdout);
    let message = denied[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("not allowed to `list` `events`"),
        "{message}"
    );
    assert!(message.contains("Multi-Attach"), "{message}");
    assert!(
        denied[0]["help"]
            .as_str()
            .unwrap_or_default()
            .contains("grant `list` on `events`"),
        "{}",
        denied[0]
    );
    assert!(!r.findings("log-trivy-cache-permission").is_empty());

    // Only events refused, nothing else wrong: a warning, exit 0.
    let (server, s) = standard();
    server.forbid("list", "events", None);
    let r = diagnose(&server, &s, &[]);
    assert_eq!(r.status, 0, "{}", r.stdout);
    assert_eq!(r.findings("rbac-forbidden").len(), 1, "{}", r.stdout);
}

/// A namespace full of events is read in pages of 500 (`continue`), and no further than 5000
/// events, with a note saying the rest was left out.
#[test]
fn events_are_read_in_pages_and_capped() {
    let (server, s) = standard();
    {
        let mut st = server.state();
        let seen = ago(2);
        for i in 0..5003 {
            st.put_event(event(
                NS,
                "Pod",
                &format!("harbor-core-6b8d9c7f5-{i:05}"),
                "Warning",
                "FailedMount",
                "MountVolume.SetUp failed for volume \"token-service-private-key\" : secret \"harbor-token-pair\" not found",
                Recorder::Legacy("kubelet"),
                1,
                &seen,
            ));
        }
    }
    let r = diagnose(&server, &s, &[]);
    let listed: Vec<String> = server
        .requests()
        .into_iter()
        .filter(|q| q.contains("/events?"))
        .collect();
    assert_eq!(listed.len(), 11, "{listed:?}");
    assert!(!listed[0].contains("continue="), "{}", listed[0]);
    assert!(listed[1].contains("continue=500"), "{}", listed[1]);
    assert!(
        r.stderr.contains("only the first 5000 were read"),
        "{}",
        r.stderr
    );
    let f = &r.findings("event-mount-failed")[0];
    assert!(
        f["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("5000 lines show"),
        "{f}"
    );
}

// `Pod/harbor-registry-7c9f6d5b8-x2x7k` mixes upper case, lower case and digits like a base64
// secret and was shown as `<redacted>`; objects are now written in lower case, as `kubectl get
// events` writes them, and stay readable.
#[test]
fn event_lines_are_not_taken_for_secrets() {
    let (server, s) = release_with_events();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let r = run_with(&kubeconfig, s.path(), &["diagnose", "--color=never"]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(!r.stdout.contains("<redacted>"), "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "Warning FailedAttachVolume pod/harbor-registry-7c9f6d5b8-x2x7k: Multi-Attach error"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("--> cluster://harbor/pod/harbor-database-0/events:1:"),
        "{}",
        r.stdout
    );
}
