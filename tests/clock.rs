//! `clock check` and the cluster measurements of `preflight check` against the test API server:
//! exec over WebSocket with simulated node clocks, the Lease fallback, and the core pods' keys.

mod common;
mod support;

use std::time::{Duration, Instant};

use common::{key, Run, Scratch};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use support::exec::{running_pod, DateStyle, SimNode};
use support::harbor::{assert_no_secret, deployed_values, run_with, standard, NS};
use support::{helm_release_secret, ApiServer};

fn node(offset_ms: i64, delay_ms: u64) -> SimNode {
    SimNode {
        offset: Duration::from_millis(offset_ms.unsigned_abs()),
        behind: offset_ms < 0,
        delay: Duration::from_millis(delay_ms),
        date: DateStyle::Nanos,
    }
}

/// Puts `pods` (name, component, node) on the server and the nodes' clocks.
fn cluster(server: &ApiServer, nodes: &[(&str, SimNode)], pods: &[(&str, &str, &str)]) {
    let mut st = server.state();
    for (name, sim) in nodes {
        st.sim.nodes.insert((*name).to_string(), *sim);
    }
    for (pod, component, on) in pods {
        st.put_pod(running_pod(NS, "harbor", pod, component, on));
    }
}

/// Makes the deployed revision run `chart` (`1.14.2` = Harbor 2.10.2, `1.15.0` = 2.11.0).
fn deploy(server: &ApiServer, chart: &str, app: &str) {
    server.state().put_secret(helm_release_secret(
        NS,
        "harbor",
        3,
        "deployed",
        chart,
        app,
        &deployed_values(),
    ));
}

fn clock_check(server: &ApiServer, s: &Scratch, extra: &[&str]) -> Run {
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let mut args = vec!["clock", "check", "-o", "json"];
    args.extend_from_slice(extra);
    run_with(&kubeconfig, s.path(), &args)
}

fn nodes(r: &Run) -> Vec<Value> {
    r.json()["clock"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("{}\n{}", r.stdout, r.stderr))
        .clone()
}

fn node_named<'a>(nodes: &'a [Value], name: &str) -> &'a Value {
    nodes
        .iter()
        .find(|n| n["node"] == name)
        .unwrap_or_else(|| panic!("no node {name} in {nodes:?}"))
}

/// The estimate must contain the injected offset within its own uncertainty.
fn assert_within(n: &Value, injected_s: f64) {
    let offset = n["offsetSeconds"].as_f64().unwrap_or_else(|| panic!("{n}"));
    let uncertainty = n["uncertaintySeconds"].as_f64().expect("uncertainty");
    assert!(
        (offset - injected_s).abs() <= uncertainty,
        "estimate {offset} ± {uncertainty} misses the injected {injected_s}: {n}"
    );
}

#[test]
fn estimates_lie_within_their_uncertainty_of_the_injected_offsets() {
    let (server, s) = standard();
    cluster(
        &server,
        &[
            ("node-a", node(0, 0)),
            ("node-b", node(250, 0)),
            ("node-c", node(-1200, 0)),
            (
                "node-d",
                SimNode {
                    date: DateStyle::NoNanos,
                    ..node(700, 0)
                },
            ),
        ],
        &[
            ("harbor-core-1", "core", "node-a"),
            ("harbor-registry-1", "registry", "node-b"),
            ("harbor-jobservice-1", "jobservice", "node-c"),
            ("harbor-portal-1", "portal", "node-d"),
        ],
    );
    let r = clock_check(&server, &s, &["--samples", "3"]);
    // Deployed Harbor 2.8.4: no leeway, 1.45 s of skew fails.
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    let all = nodes(&r);
    assert_eq!(all.len(), 4);
    for (name, injected) in [
        ("node-a", 0.0),
        ("node-b", 0.25),
        ("node-c", -1.2),
        ("node-d", 0.7),
    ] {
        assert_within(node_named(&all, name), injected);
    }
    let a = node_named(&all, "node-a");
    assert_eq!(a["method"], "exec `date +%s%N`");
    assert_eq!(a["samples"], 3);
    assert!(a["uncertaintySeconds"].as_f64().unwrap() < 0.2, "{a}");
    // busybox without `%N` and without EPOCHREALTIME: whole seconds, half a second more.
    let d = node_named(&all, "node-d");
    assert_eq!(d["method"], "exec `date +%s`", "{d}");
    assert!(d["uncertaintySeconds"].as_f64().unwrap() >= 0.5, "{d}");
    // The portal's node is shown but does not take part in the pairs.
    let worst = &r.json()["clock"]["worstPair"];
    assert_eq!(
        (worst["a"].as_str(), worst["b"].as_str()),
        (Some("node-b"), Some("node-c")),
        "{worst}"
    );
    let findings = r.findings("clock-skew");
    assert_eq!(findings.len(), 1, "{}", r.stdout);
    assert_eq!(findings[0]["severity"], "error");
    let commands = server.state().sim.commands.clone();
    assert!(commands
        .iter()
        .all(|c| !c.contains("portal") || c.starts_with("harbor-portal-1: ")));
}

#[test]
fn text_output_is_a_table_with_the_worst_pair() {
    let (server, s) = standard();
    cluster(
        &server,
        &[("node-a", node(0, 0)), ("node-b", node(20, 0))],
        &[
            ("harbor-core-1", "core", "node-a"),
            ("harbor-core-2", "core", "node-b"),
            ("harbor-registry-1", "registry", "node-b"),
        ],
    );
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let r = run_with(&kubeconfig, s.path(), &["clock", "check", "--samples", "2"]);
    assert!(r.status == 0 || r.status == 1, "{}\n{}", r.stdout, r.stderr);
    let header = r.stdout.lines().next().unwrap_or_default();
    for column in [
        "node",
        "pods",
        "offset",
        "± uncertainty",
        "round trip",
        "method",
    ] {
        assert!(header.contains(column), "{header}");
    }
    assert!(
        r.stdout
            .contains("core/harbor-core-2, registry/harbor-registry-1"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("worst pair"), "{}", r.stdout);
    assert!(r.stdout.contains("limits (Harbor 2.8.4"), "{}", r.stdout);
    // The pod with core on node-b is the one measured there.
    assert!(server
        .state()
        .sim
        .commands
        .iter()
        .any(|c| c.starts_with("harbor-core-2: date")));
}

/// 0.3 s is above the 0.05 s warning limit of Harbor before 2.11 (and below its 0.5 s error
/// limit), far below the 10 s of 2.11: `clock check` (which fails on warnings by default)
/// fails on 2.10 and passes on 2.11.
#[test]
fn three_tenths_of_a_second_fail_on_2_10_and_pass_on_2_11() {
    for (chart, app, status) in [("1.14.2", "2.10.2", 1), ("1.15.0", "2.11.0", 0)] {
        let (server, s) = standard();
        deploy(&server, chart, app);
        cluster(
            &server,
            &[("node-a", node(0, 0)), ("node-b", node(300, 0))],
            &[
                ("harbor-core-1", "core", "node-a"),
                ("harbor-registry-1", "registry", "node-b"),
            ],
        );
        let r = clock_check(&server, &s, &[]);
        assert_eq!(r.status, status, "Harbor {app}: {}\n{}", r.stdout, r.stderr);
        let findings = r.findings("clock-skew");
        if status == 1 {
            assert_eq!(findings.len(), 1, "{}", r.stdout);
            assert_eq!(findings[0]["severity"], "warning");
            let message = findings[0]["message"].as_str().unwrap();
            assert!(
                message.contains("node-a") && message.contains("node-b"),
                "{message}"
            );
            assert!(message.contains("Harbor 2.10.2"), "{message}");
        } else {
            assert!(findings.is_empty(), "{}", r.stdout);
            assert_eq!(r.json()["clock"]["limits"]["leeway"], true);
        }
        let worst = r.json()["clock"]["worstPair"].clone();
        let skew = worst["skewSeconds"].as_f64().unwrap();
        let uncertainty = worst["uncertaintySeconds"].as_f64().unwrap();
        assert!((skew - 0.3).abs() <= uncertainty, "{worst}");
    }
}

/// Above 0.5 s Harbor 2.10 fails even with `--fail-on error`; 2.11 still passes.
#[test]
fn over_half_a_second_is_an_error_before_2_11_only() {
    for (chart, app, status) in [("1.14.2", "2.10.2", 1), ("1.15.0", "2.11.0", 0)] {
        let (server, s) = standard();
        deploy(&server, chart, app);
        cluster(
            &server,
            &[("node-a", node(0, 0)), ("node-b", node(-700, 0))],
            &[
                ("harbor-core-1", "core", "node-a"),
                ("harbor-jobservice-1", "jobservice", "node-b"),
            ],
        );
        let r = clock_check(&server, &s, &["--fail-on", "error"]);
        assert_eq!(r.status, status, "Harbor {app}: {}\n{}", r.stdout, r.stderr);
        if status == 1 {
            assert_eq!(r.findings("clock-skew")[0]["severity"], "error");
        }
    }
}

#[test]
fn a_stricter_target_decides_and_fail_on_is_honoured() {
    let (server, s) = standard();
    deploy(&server, "1.15.0", "2.11.0");
    cluster(
        &server,
        &[("node-a", node(0, 0)), ("node-b", node(700, 0))],
        &[
            ("harbor-core-1", "core", "node-a"),
            ("harbor-registry-1", "registry", "node-b"),
        ],
    );
    let r = clock_check(&server, &s, &[]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    // Going back to 2.10: its limits apply.
    let r = clock_check(&server, &s, &["--to", "2.10.2"]);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    let r = clock_check(&server, &s, &["--to", "2.10.2", "--fail-on", "never"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert_eq!(r.findings("clock-skew").len(), 1);
}

#[test]
fn the_v4_subprotocol_works_too() {
    let (server, s) = standard();
    server.state().sim.protocols = vec!["v4.channel.k8s.io"];
    cluster(
        &server,
        &[("node-a", node(-40, 0))],
        &[("harbor-core-1", "core", "node-a")],
    );
    let r = clock_check(&server, &s, &["--samples", "2"]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert_within(node_named(&nodes(&r), "node-a"), -0.04);
}

#[test]
fn falls_back_to_node_leases_when_exec_is_forbidden() {
    let (server, s) = standard();
    server.forbid("create", "pods/exec", None);
    cluster(
        &server,
        &[("node-a", node(0, 0)), ("node-b", node(2000, 0))],
        &[
            ("harbor-core-1", "core", "node-a"),
            ("harbor-registry-1", "registry", "node-b"),
        ],
    );
    let started = Instant::now();
    let r = clock_check(&server, &s, &[]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "waited for Leases too long"
    );
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("kube-node-lease"), "{}", r.stderr);
    let all = nodes(&r);
    for (name, injected) in [("node-a", 0.0), ("node-b", 2.0)] {
        let n = node_named(&all, name);
        assert_eq!(n["method"], "node Lease", "{n}");
        assert_within(n, injected);
        // The honest, larger uncertainty of the kubelet write → watch delivery delay.
        assert!(n["uncertaintySeconds"].as_f64().unwrap() >= 0.4, "{n}");
    }
    assert!(r.json()["clock"]["fallback"].is_string());
    assert_eq!(r.findings("rbac-forbidden").len(), 1, "{}", r.stdout);
    let clock = r.findings("clock-skew");
    assert_eq!(clock.len(), 1);
    assert_eq!(clock[0]["severity"], "error", "{}", clock[0]);
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|q| q.contains("/namespaces/kube-node-lease/leases?") && q.contains("watch=true")),
        "{requests:?}"
    );
}

#[test]
fn lease_uncertainty_cannot_fail_a_small_skew_on_strict_versions() {
    let (server, s) = standard();
    server.forbid("create", "pods/exec", None);
    cluster(
        &server,
        &[("node-a", node(0, 0)), ("node-b", node(100, 0))],
        &[
            ("harbor-core-1", "core", "node-a"),
            ("harbor-registry-1", "registry", "node-b"),
        ],
    );
    let r = clock_check(&server, &s, &["--fail-on", "error"]);
    let clock = r.findings("clock-skew");
    assert_eq!(clock.len(), 1, "{}", r.stdout);
    assert_eq!(clock[0]["severity"], "warning", "{}", clock[0]);
    assert!(
        clock[0]["notes"].to_string().contains("too coarse"),
        "{}",
        clock[0]
    );
}

#[test]
fn nodes_are_measured_concurrently() {
    let (server, s) = standard();
    let delay = 1000;
    let names = ["node-a", "node-b", "node-c", "node-d"];
    let sims: Vec<(&str, SimNode)> = names.iter().map(|n| (*n, node(0, delay))).collect();
    let pods: Vec<(String, &str)> = names
        .iter()
        .map(|n| (format!("harbor-core-{n}"), *n))
        .collect();
    let pod_refs: Vec<(&str, &str, &str)> =
        pods.iter().map(|(p, n)| (p.as_str(), "core", *n)).collect();
    cluster(&server, &sims, &pod_refs);
    let started = Instant::now();
    // A 1 s round trip is too coarse to judge 50 ms (a warning); only errors matter here.
    let r = clock_check(&server, &s, &["--samples", "1", "--fail-on", "error"]);
    let elapsed = started.elapsed();
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    for n in nodes(&r) {
        assert!(n["roundTripSeconds"].as_f64().unwrap() >= 1.0, "{n}");
    }
    // Sequentially this would take 4 delays; concurrently about one (plus start-up).
    assert!(
        elapsed < Duration::from_millis(delay * 5 / 2),
        "4 nodes with {delay} ms each took {elapsed:?}"
    );
}

#[test]
fn preflight_check_measures_the_clocks_unless_skipped() {
    let (server, s) = standard();
    cluster(
        &server,
        &[("node-a", node(0, 0)), ("node-b", node(800, 0))],
        &[
            ("harbor-core-1", "core", "node-a"),
            ("harbor-jobservice-1", "jobservice", "node-b"),
        ],
    );
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let args = ["preflight", "check", "-o", "json", "--to", "2.10.2"];
    let r = run_with(&kubeconfig, s.path(), &args);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.findings("clock-skew").len(), 1, "{}", r.stdout);
    assert_no_secret(&r);

    let before = server.state().sim.commands.len();
    let mut skipped = args.to_vec();
    skipped.push("--skip-clock");
    let r = run_with(&kubeconfig, s.path(), &skipped);
    assert!(r.findings("clock-skew").is_empty(), "{}", r.stdout);
    let commands = server.state().sim.commands.clone();
    assert!(
        commands[before..].iter().all(|c| !c.contains("date")),
        "{commands:?}"
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[test]
fn different_token_keys_across_core_pods_are_reported() {
    let (server, s) = standard();
    let live = sha256_hex(key("rsa2048.key").as_bytes());
    let other = sha256_hex(key("other-rsa2048.key").as_bytes());
    cluster(
        &server,
        &[("node-a", node(0, 0)), ("node-b", node(0, 0))],
        &[
            ("harbor-core-1", "core", "node-a"),
            ("harbor-core-2", "core", "node-b"),
        ],
    );
    {
        let mut st = server.state();
        st.sim
            .key_hashes
            .insert("harbor-core-1".into(), live.clone());
        st.sim
            .key_hashes
            .insert("harbor-core-2".into(), other.clone());
    }
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let args = [
        "preflight",
        "check",
        "-o",
        "json",
        "--to",
        "2.10.2",
        "--skip-clock",
    ];
    let r = run_with(&kubeconfig, s.path(), &args);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    let findings = r.findings("token-key-inconsistent");
    assert_eq!(findings.len(), 1, "{}", r.stdout);
    assert_eq!(findings[0]["severity"], "error");
    let notes = findings[0]["notes"].to_string();
    assert!(
        notes.contains(&live[..12]) && notes.contains(&other[..12]),
        "{notes}"
    );
    assert!(notes.contains("the live Secret's"), "{notes}");
    // Only short digests are shown, never a full one.
    assert!(!r.stdout.contains(&live) && !r.stdout.contains(&other));
    assert_no_secret(&r);
    let commands = server.state().sim.commands.clone();
    assert!(
        commands
            .iter()
            .all(|c| c.ends_with("sha256sum /etc/core/private_key.pem")),
        "{commands:?}"
    );

    // All pods agree, but not with the Secret: a warning.
    server
        .state()
        .sim
        .key_hashes
        .insert("harbor-core-1".into(), other.clone());
    let r = run_with(&kubeconfig, s.path(), &args);
    let findings = r.findings("token-key-inconsistent");
    assert_eq!(findings.len(), 1, "{}", r.stdout);
    assert_eq!(findings[0]["severity"], "warning");

    // All agree with the Secret: nothing.
    {
        let mut st = server.state();
        st.sim
            .key_hashes
            .insert("harbor-core-1".into(), live.clone());
        st.sim
            .key_hashes
            .insert("harbor-core-2".into(), live.clone());
    }
    let r = run_with(&kubeconfig, s.path(), &args);
    assert!(
        r.findings("token-key-inconsistent").is_empty(),
        "{}",
        r.stdout
    );
}

#[test]
fn forbidden_exec_skips_the_key_comparison_with_an_rbac_finding() {
    let (server, s) = standard();
    server.forbid("create", "pods/exec", None);
    cluster(
        &server,
        &[("node-a", node(0, 0))],
        &[("harbor-core-1", "core", "node-a")],
    );
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let r = run_with(
        &kubeconfig,
        s.path(),
        &[
            "preflight",
            "check",
            "-o",
            "json",
            "--to",
            "2.10.2",
            "--skip-clock",
        ],
    );
    assert!(r.status == 0 || r.status == 1, "{}\n{}", r.stdout, r.stderr);
    let rbac = r.findings("rbac-forbidden");
    assert_eq!(rbac.len(), 1, "{}", r.stdout);
    assert!(
        rbac[0]["message"].to_string().contains("pods/exec"),
        "{}",
        rbac[0]
    );
    assert_eq!(r.skipped("token-key-inconsistent").len(), 1, "{}", r.stdout);
    assert!(r.findings("token-key-inconsistent").is_empty());
}

#[test]
// A proxy in front of the API server that passes only SPDY answers the WebSocket upgrade with 400;
// `clock check` fell back to the Leases only on 403 and passed with the nodes listed as skipped.
fn clock_check_reads_leases_when_a_proxy_refuses_exec_with_400() {
    let (server, s) = standard();
    server.state().sim.exec_refused = true;
    cluster(
        &server,
        &[("node-a", node(0, 0)), ("node-b", node(2000, 0))],
        &[
            ("harbor-core-1", "core", "node-a"),
            ("harbor-registry-1", "registry", "node-b"),
        ],
    );
    let r = clock_check(&server, &s, &[]);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    let all = nodes(&r);
    for (name, injected) in [("node-a", 0.0), ("node-b", 2.0)] {
        let n = node_named(&all, name);
        assert_eq!(n["method"], "node Lease", "{n}");
        assert_within(n, injected);
    }
    let fallback = r.json()["clock"]["fallback"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        fallback.contains("exec gave no clock reading"),
        "{fallback}"
    );
    assert!(r.stderr.contains("kube-node-lease"), "{}", r.stderr);
    // Not an RBAC refusal: nothing to grant.
    assert!(r.findings("rbac-forbidden").is_empty(), "{}", r.stdout);
    assert_eq!(r.findings("clock-skew")[0]["severity"], "error");
    // One refused request per node: the other commands would meet the same refusal.
    let commands = server.state().sim.commands.clone();
    assert_eq!(commands.len(), 2, "{commands:?}");
}

#[test]
// Distroless images have neither `date` nor `sh`: every exec method fails on that node, which
// was then only listed as skipped.
fn clock_check_reads_the_lease_of_a_node_whose_image_has_no_date() {
    let (server, s) = standard();
    cluster(
        &server,
        &[
            ("node-a", node(0, 0)),
            (
                "node-b",
                SimNode {
                    date: DateStyle::Missing,
                    ..node(1500, 0)
                },
            ),
        ],
        &[
            ("harbor-core-1", "core", "node-a"),
            ("harbor-registry-1", "registry", "node-b"),
        ],
    );
    let r = clock_check(&server, &s, &[]);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    let all = nodes(&r);
    assert_eq!(node_named(&all, "node-a")["method"], "exec `date +%s%N`");
    let b = node_named(&all, "node-b");
    assert_eq!(b["method"], "node Lease", "{b}");
    assert_within(b, 1.5);
    assert!(
        r.json()["clock"]["fallback"]
            .as_str()
            .is_some_and(|f| f.contains("`node-b`")),
        "{}",
        r.stdout
    );
}

/// Two nodes behind a proxy that refuses exec (400); `node-b` has no Lease either, so nothing can
/// read its clock.
fn with_an_unreadable_node() -> (ApiServer, Scratch) {
    let (server, s) = standard();
    {
        let mut st = server.state();
        st.sim.exec_refused = true;
        st.sim.without_lease.insert("node-b".into());
    }
    cluster(
        &server,
        &[("node-a", node(0, 0)), ("node-b", node(0, 0))],
        &[
            ("harbor-core-1", "core", "node-a"),
            ("harbor-registry-1", "registry", "node-b"),
        ],
    );
    (server, s)
}

#[test]
// Measuring is the command's job: a node that neither exec nor its Lease could read made
// `clock check` exit 0 with "no problems found".
fn clock_check_fails_when_a_node_clock_cannot_be_read_at_all() {
    let (server, s) = with_an_unreadable_node();
    let started = Instant::now();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let r = run_with(&kubeconfig, s.path(), &["clock", "check"]);
    // A node without a Lease is not waited for.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "waited too long"
    );
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("no problems found"), "{}", r.stdout);
    let error = r
        .stderr
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("{}", r.stderr));
    assert!(error.contains("node `node-b`"), "{error}");
    assert!(
        error.contains("400") || error.contains("Upgrade request required"),
        "{error}"
    );
    assert!(error.contains("no Lease in `kube-node-lease`"), "{error}");
    assert!(!error.contains("node-a"), "{error}");
    // The table still shows what was measured.
    assert!(r.stdout.contains("node-a"), "{}", r.stdout);
    assert_no_secret(&r);
}

#[test]
// `preflight check` measures clocks on the side: a node it cannot read stays a skipped check there.
fn preflight_check_lists_an_unreadable_node_clock_as_skipped() {
    let (server, s) = with_an_unreadable_node();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let r = run_with(
        &kubeconfig,
        s.path(),
        &["preflight", "check", "-o", "json", "--to", "2.10.2"],
    );
    assert_ne!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    let skipped = r.json()["skipped"].to_string();
    assert!(
        skipped.contains("clock-skew") && skipped.contains("node-b"),
        "{skipped}"
    );
}
