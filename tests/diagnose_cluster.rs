//! `diagnose` against the test API server: the pod log API of the release's core, registry and
//! jobservice pods (and the previous instance of restarted containers), bounded by `--tail`,
//! `--since` and a byte cap, with a `403` on logs reported as `rbac-forbidden`.

mod common;
mod support;

use common::{Run, Scratch};
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

/// Lines as the kubelet stores them: its timestamp, then Harbor's own line.
fn harbor_line(minutes: i64, level: &str, text: &str) -> String {
    let t = ago(minutes);
    format!("{t} {t} [{level}] [/pkg/token/token.go:82]: {text}\n")
}

/// The standard release plus its pods and logs: a restarted core pod whose previous instance
/// saw key errors, a healthy core pod, a registry with an htpasswd mismatch, jobservice with a
/// 10011, and a portal that must not be read.
fn release_with_logs() -> (ApiServer, Scratch) {
    let (server, s) = standard();
    {
        let mut st = server.state();
        st.put_pod(harbor_pod(
            NS,
            "harbor",
            "harbor-core-aaa",
            "core",
            &[("core", 1)],
        ));
        st.put_pod(harbor_pod(
            NS,
            "harbor",
            "harbor-core-bbb",
            "core",
            &[("core", 0)],
        ));
        st.put_pod(harbor_pod(
            NS,
            "harbor",
            "harbor-registry-ccc",
            "registry",
            &[("registry", 0), ("registryctl", 0)],
        ));
        st.put_pod(harbor_pod(
            NS,
            "harbor",
            "harbor-jobservice-ddd",
            "jobservice",
            &[("jobservice", 0)],
        ));
        st.put_pod(harbor_pod(
            NS,
            "harbor",
            "harbor-portal-eee",
            "portal",
            &[("portal", 0)],
        ));
        let previous = [
            harbor_line(
                50,
                "ERROR",
                "parse token error, crypto/rsa: verification error",
            ),
            harbor_line(
                49,
                "ERROR",
                "parse token error, crypto/rsa: verification error",
            ),
        ]
        .concat();
        st.put_log(NS, "harbor-core-aaa", "core", true, &previous);
        st.put_log(
            NS,
            "harbor-core-aaa",
            "core",
            false,
            &harbor_line(5, "INFO", "core started"),
        );
        let core_b = [
            harbor_line(180, "ERROR", "parse token error, token is not valid yet"),
            harbor_line(10, "INFO", "ping"),
            harbor_line(9, "INFO", "ping"),
        ]
        .concat();
        st.put_log(NS, "harbor-core-bbb", "core", false, &core_b);
        let t = ago(20);
        st.put_log(
            NS,
            "harbor-registry-ccc",
            "registry",
            false,
            &format!("{t} time=\"{t}\" level=error msg=\"error authenticating user \\\"harbor_registry_user\\\": authentication failure\" go.version=go1.21.8\n"),
        );
        st.put_log(
            NS,
            "harbor-registry-ccc",
            "registryctl",
            false,
            &format!("{t} registryctl started\n"),
        );
        st.put_log(
            NS,
            "harbor-jobservice-ddd",
            "jobservice",
            false,
            &format!("{t} {t} [ERROR] [/jobservice/api/router.go:96]: Serve http request 'POST /api/v1/jobs' failed with error: {{\"code\":10011,\"message\":\"unauthorized\",\"details\":\"unauthorized\"}}\n"),
        );
        st.put_log(
            NS,
            "harbor-portal-eee",
            "portal",
            false,
            &format!("{t} parse token error, crypto/rsa: verification error\n"),
        );
    }
    (server, s)
}

fn diagnose(server: &ApiServer, s: &Scratch, extra: &[&str]) -> Run {
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let mut args = vec!["diagnose", "--output=json"];
    args.extend_from_slice(extra);
    let r = run_with(&kubeconfig, s.path(), &args);
    r.assert_judged();
    r
}

fn log_requests(server: &ApiServer) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.contains("/log?"))
        .collect()
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

#[test]
fn reads_core_registry_and_jobservice_logs_and_previous_instances() {
    let (server, s) = release_with_logs();
    let r = diagnose(&server, &s, &[]);
    assert_eq!(r.status, 1, "{}", r.stdout);
    let mut rules = r.rules();
    rules.sort();
    assert_eq!(
        rules,
        [
            "log-internal-secret-mismatch",
            "log-registry-credentials",
            "log-token-not-yet-valid",
            "log-token-signature-invalid",
        ],
        "{}",
        r.stdout
    );
    let key = &r.findings("log-token-signature-invalid")[0];
    assert!(
        notes(key).contains("harbor-core-aaa (core, previous instance)"),
        "{}",
        notes(key)
    );
    assert_eq!(
        key["location"]["file"],
        "cluster://harbor/pod/harbor-core-aaa/log/core/previous"
    );
    assert!(
        notes(key).contains("--release harbor -n harbor"),
        "{}",
        notes(key)
    );
    let registry = &r.findings("log-registry-credentials")[0];
    assert!(notes(registry).contains("harbor-registry-ccc (registry)"));

    let requests = log_requests(&server);
    // Previous only for the restarted container; every container of the three components.
    let previous: Vec<&String> = requests
        .iter()
        .filter(|r| r.contains("previous=true"))
        .collect();
    assert_eq!(previous.len(), 1, "{requests:?}");
    assert!(
        previous[0].contains("/pods/harbor-core-aaa/log?")
            && previous[0].contains("container=core&"),
        "{requests:?}"
    );
    for pod_container in [
        ("harbor-core-aaa", "core"),
        ("harbor-core-bbb", "core"),
        ("harbor-registry-ccc", "registry"),
        ("harbor-registry-ccc", "registryctl"),
        ("harbor-jobservice-ddd", "jobservice"),
    ] {
        let (pod, container) = pod_container;
        assert!(
            requests
                .iter()
                .any(|r| r.contains(&format!("/pods/{pod}/log?"))
                    && r.contains(&format!("container={container}&"))),
            "{pod}/{container}: {requests:?}"
        );
    }
    assert!(
        !requests.iter().any(|r| r.contains("portal")),
        "{requests:?}"
    );
    for request in &requests {
        assert!(request.contains("tailLines=2000"), "{request}");
        assert!(request.contains("limitBytes="), "{request}");
        assert!(request.contains("timestamps=true"), "{request}");
        assert!(!request.contains("sinceSeconds"), "{request}");
        assert!(request.contains("/namespaces/harbor/"), "{request}");
    }
    assert!(
        r.stderr
            .contains("from 6 container log(s) of release `harbor`"),
        "{}",
        r.stderr
    );
}

#[test]
fn tail_and_since_reach_the_api() {
    let (server, s) = release_with_logs();
    // The `not valid yet` line of core-bbb is three hours old: outside the last hour.
    let r = diagnose(&server, &s, &["--since", "1h", "--release", "harbor"]);
    assert!(
        r.findings("log-token-not-yet-valid").is_empty(),
        "{}",
        r.stdout
    );
    assert!(
        !r.findings("log-token-signature-invalid").is_empty(),
        "{}",
        r.stdout
    );
    assert!(log_requests(&server)
        .iter()
        .all(|r| r.contains("sinceSeconds=3600")));

    let (server, s) = release_with_logs();
    // The last line of each log only: the older `not valid yet` and first key error drop out.
    let r = diagnose(&server, &s, &["--tail", "1"]);
    assert!(
        r.findings("log-token-not-yet-valid").is_empty(),
        "{}",
        r.stdout
    );
    let key = &r.findings("log-token-signature-invalid")[0];
    assert!(notes(key).contains("1 matching line,"), "{}", notes(key));
    assert!(
        log_requests(&server)
            .iter()
            .all(|r| r.contains("tailLines=1&") || r.ends_with("tailLines=1")),
        "{:?}",
        log_requests(&server)
    );
}

#[test]
fn forbidden_logs_are_an_rbac_finding_not_a_failure() {
    let (server, s) = release_with_logs();
    server.forbid("get", "pods/log", Some("harbor-jobservice-ddd"));
    let r = diagnose(&server, &s, &[]);
    let denied = r.findings("rbac-forbidden");
    assert_eq!(denied.len(), 1, "{}", r.stdout);
    let message = denied[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`pods/log/harbor-jobservice-ddd`"),
        "{message}"
    );
    assert!(message.contains("container `jobservice`"), "{message}");
    assert!(r.findings("log-internal-secret-mismatch").is_empty());
    // The other logs were still read.
    assert!(!r.findings("log-token-signature-invalid").is_empty());

    let (server, s) = release_with_logs();
    server.forbid("list", "pods", None);
    let r = diagnose(&server, &s, &["--release", "harbor"]);
    // One refusal of `list pods` stands for every component: one warning, naming them.
    let denied = r.findings("rbac-forbidden");
    assert_eq!(denied.len(), 1, "{}", r.stdout);
    let message = denied[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("core, registry, jobservice, database, redis, trivy"),
        "{message}"
    );
    assert_eq!(r.status, 0, "a warning only: {}", r.stdout);
    let listed = server
        .requests()
        .into_iter()
        .filter(|q| q.contains("/pods?"))
        .count();
    assert_eq!(listed, 1, "no second refused list");
}

#[test]
fn logs_files_and_cluster_flags_exclude_each_other() {
    let (server, s) = release_with_logs();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let r = run_with(&kubeconfig, s.path(), &["diagnose", "--logs=x.log"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("not both"), "{}", r.stderr);
}

#[test]
// Pod logs were read whole into memory; they are now split as they arrive, a line longer than
// 64 KiB is cut, and the lines after it keep their numbers.
fn pod_logs_are_streamed_and_long_lines_cut() {
    let (server, s) = release_with_logs();
    {
        let mut st = server.state();
        let cut = harbor_line(
            30,
            "ERROR",
            &format!(
                "parse token error, token is not valid yet {}",
                "y".repeat(200 * 1024)
            ),
        );
        let lines = [
            cut,
            harbor_line(29, "INFO", "ping"),
            harbor_line(28, "ERROR", "parse token error, token is not valid yet"),
        ]
        .concat();
        st.put_log(NS, "harbor-core-bbb", "core", false, &lines);
    }
    let r = diagnose(&server, &s, &[]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    let f = &r.findings("log-token-not-yet-valid")[0];
    assert_eq!(f["location"]["line"], 1);
    assert!(notes(f).contains("2 matching lines"), "{}", notes(f));
    assert!(notes(f).contains("/log/core:3: "), "{}", notes(f));
    assert!(
        r.stderr.contains("1 line(s) longer than 64 KiB were cut"),
        "{}",
        r.stderr
    );
}
