//! `preflight check` against a Kubernetes API server on loopback (`tests/support`): release
//! detection, the Helm release record, live Secrets, and every way the server can fail.

mod common;
mod support;

use std::time::{Duration, Instant};

use common::{key, Run, Scratch};
use serde_json::json;
use support::harbor::{
    assert_no_secret, deployed_values, install, run_with, run_with_env, standard, NS,
};
use support::{helm_release_config_map, secret, ApiServer, Mode};

fn check(server: &ApiServer, s: &Scratch, extra: &[&str]) -> Run {
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let mut args = vec![
        "preflight",
        "check",
        "-o",
        "json",
        "--now",
        "2030-01-01T00:00:00Z",
    ];
    args.extend_from_slice(extra);
    run_with(&kubeconfig, s.path(), &args)
}

#[test]
fn auto_detects_the_release_and_reads_only_its_namespace() {
    let (server, s) = standard();
    // A supported hop from the deployed 2.8.4; without `--to` the newest release is the target,
    // which is rightly an `upgrade-path-skip` error.
    let r = check(&server, &s, &["--to", "2.10.2"]);
    r.assert_judged();
    assert!(
        r.stderr
            .contains("read release `harbor` revision 2 (chart 1.12.4, Harbor 2.8.4)"),
        "{}",
        r.stderr
    );
    let json = r.json();
    assert_eq!(json["summary"]["error"], 0, "{}", r.stdout);
    assert!(
        json["upgrade"]["from"]
            .as_str()
            .unwrap_or_default()
            .contains("2.8.4"),
        "{}",
        json["upgrade"]
    );
    let requests = server.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert!(
            request.contains("/namespaces/harbor/"),
            "request outside the namespace: {request}"
        );
    }
    assert!(
        requests
            .iter()
            .any(|r| r.contains("labelSelector=owner%3Dhelm%2Cname%3Dharbor%2Cstatus%3Ddeployed")),
        "{requests:?}"
    );
    assert_no_secret(&r);
}

#[test]
fn text_output_shows_no_secret() {
    let (server, s) = standard();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let values = s.write("values.yaml", "secretKey: \"aDifferentKey123\"\n");
    let r = run_with(
        &kubeconfig,
        s.path(),
        &[
            "preflight",
            "check",
            &values,
            "--now",
            "2030-01-01T00:00:00Z",
        ],
    );
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("secret-key-changed"), "{}", r.stdout);
    assert!(!r.stdout.contains("aDifferentKey123"));
    assert_no_secret(&r);
}

#[test]
fn names_the_release_with_release_and_namespace_flags() {
    let (server, s) = standard();
    let kubeconfig = server.kubeconfig(s.path(), "default");
    let r = run_with(
        &kubeconfig,
        s.path(),
        &[
            "preflight",
            "check",
            "-n",
            NS,
            "--release",
            "harbor",
            "-o",
            "json",
        ],
    );
    r.assert_judged();
    assert!(server
        .requests()
        .iter()
        .all(|r| r.contains("/namespaces/harbor/")));
    // Named explicitly: no Deployment list is needed.
    assert!(server.requests().iter().all(|r| !r.contains("deployments")));
}

#[test]
fn several_releases_are_listed() {
    let (server, s) = standard();
    install(
        &server,
        "registry",
        &json!({}),
        "rsa2048.key",
        "rsa2048.crt",
    );
    let r = check(&server, &s, &[]);
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("several Harbor releases: `harbor`, `registry`"),
        "{}",
        r.stderr
    );
}

#[test]
fn no_release_is_an_error() {
    let server = ApiServer::start();
    let s = Scratch::new();
    let r = check(&server, &s, &[]);
    assert_eq!(r.status, 2);
    assert!(
        r.stderr.contains("no Harbor release in namespace `harbor`"),
        "{}",
        r.stderr
    );
}

#[test]
fn mismatched_live_token_pair() {
    let server = ApiServer::start();
    install(
        &server,
        "harbor",
        &deployed_values(),
        "rsa2048.key",
        "other-rsa2048.crt",
    );
    let s = Scratch::new();
    let r = check(&server, &s, &[]);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    let found = r.findings("token-pair-mismatch");
    assert_eq!(found.len(), 1, "{}", r.stdout);
    assert_eq!(
        found[0]["location"]["file"],
        "cluster://harbor/secret/harbor-core"
    );
    assert_eq!(found[0]["source"], "secret");
    assert_no_secret(&r);
}

#[test]
fn missing_existing_secret_and_missing_key_against_the_namespace() {
    let server = ApiServer::start();
    let mut config = deployed_values();
    config["existingSecretSecretKey"] = json!("harbor-secret-key");
    config["core"]["secretName"] = json!("harbor-token");
    install(&server, "harbor", &config, "rsa2048.key", "rsa2048.crt");
    let crt = key("rsa2048.crt");
    server.state().put_secret(secret(
        NS,
        "harbor",
        "harbor-token",
        &[("tls.crt", crt.as_bytes())],
    ));
    let s = Scratch::new();
    let r = check(&server, &s, &[]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    let missing = r.findings("existing-secret-missing");
    assert_eq!(missing.len(), 1, "{}", r.stdout);
    assert!(missing[0]["message"]
        .as_str()
        .unwrap()
        .contains("`harbor-secret-key`"));
    assert_eq!(
        missing[0]["location"]["file"],
        "helm://harbor/harbor/values"
    );
    let key_missing = r.findings("existing-secret-key-missing");
    assert_eq!(key_missing.len(), 1, "{}", r.stdout);
    assert!(key_missing[0]["message"]
        .as_str()
        .unwrap()
        .contains("no key `tls.key`"));
    // The namespace is authoritative: nothing is skipped for want of `--secret`.
    assert!(
        r.skipped("existing-secret-missing").is_empty(),
        "{}",
        r.stdout
    );
}

#[test]
fn changed_secret_key_in_the_new_values() {
    let (server, s) = standard();
    // `helm upgrade -f values.yaml`: these values replace the release's, and the new key differs.
    let values = s.write("values.yaml", "secretKey: \"fedcba9876543210\"\n");
    let r = check(&server, &s, &[&values]);
    assert_eq!(r.status, 1);
    let changed = r.findings("secret-key-changed");
    assert_eq!(changed.len(), 1, "{}", r.stdout);
    assert_eq!(changed[0]["location"]["file"], values.as_str());
    assert!(r.stderr.contains("pass `--reuse-values`"), "{}", r.stderr);

    // A new values file that forgets the key: the chart default replaces the live key.
    let values = s.write("forgot.yaml", "core:\n  replicas: 1\n");
    let r = check(&server, &s, &[&values]);
    assert_eq!(r.findings("secret-key-changed").len(), 1, "{}", r.stdout);
    assert_eq!(
        r.findings("database-password-changed").len(),
        1,
        "{}",
        r.stdout
    );

    // `--reuse-values` keeps the release's values under the new ones: nothing changes.
    let r = check(&server, &s, &[&values, "--reuse-values"]);
    r.assert_judged();
    assert!(r.findings("secret-key-changed").is_empty(), "{}", r.stdout);
    assert!(
        r.findings("database-password-changed").is_empty(),
        "{}",
        r.stdout
    );
    assert_no_secret(&r);
}

#[test]
// Values that pin another token pair than the one in the live `harbor-core` Secret switch the
// signing key during the rollout; the cluster's Secret is the running pair.
fn token_key_changed_against_the_live_core_secret() {
    let (server, s) = standard();
    let pinned = |k: &str, c: &str| {
        format!(
            "core:\n  replicas: 3\n  tokenKey: |\n{}  tokenCert: |\n{}",
            common::indent(&key(k), 4),
            common::indent(&key(c), 4)
        )
    };
    let values = s.write(
        "values.yaml",
        pinned("other-rsa2048.key", "other-rsa2048.crt"),
    );
    let r = check(&server, &s, &[&values, "--to", "2.10.2", "--skip-clock"]);
    r.assert_judged();
    let f = r.findings("token-key-changed");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Secret `harbor-core`"),
        "{}",
        f[0]
    );
    assert_eq!(f[0]["location"]["file"], values.as_str());
    assert_no_secret(&r);

    let same = s.write("same.yaml", pinned("rsa2048.key", "rsa2048.crt"));
    let r = check(&server, &s, &[&same, "--to", "2.10.2", "--skip-clock"]);
    r.assert_judged();
    assert!(r.findings("token-key-changed").is_empty(), "{}", r.stdout);
}

#[test]
fn tls_secret_not_issued_by_its_ca() {
    let server = ApiServer::start();
    let mut config = deployed_values();
    config["expose"]["tls"] =
        json!({"certSource": "secret", "secret": {"secretName": "ingress-tls"}});
    config["internalTLS"] =
        json!({"enabled": true, "certSource": "secret", "core": {"secretName": "core-internal"}});
    install(&server, "harbor", &config, "rsa2048.key", "rsa2048.crt");
    let (k, c, other_c) = (
        key("rsa2048.key"),
        key("rsa2048.crt"),
        key("other-rsa2048.crt"),
    );
    server.state().put_secret(secret(
        NS,
        "harbor",
        "core-internal",
        &[
            ("tls.key", k.as_bytes()),
            ("tls.crt", c.as_bytes()),
            ("ca.crt", other_c.as_bytes()),
        ],
    ));
    server.state().put_secret(secret(
        NS,
        "harbor",
        "ingress-tls",
        &[("tls.key", k.as_bytes()), ("tls.crt", other_c.as_bytes())],
    ));
    let s = Scratch::new();
    let r = check(&server, &s, &[]);
    assert_eq!(r.status, 1);
    let invalid = r.findings("tls-secret-invalid");
    let messages: Vec<&str> = invalid
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`core-internal` is not issued by the CA in its `ca.crt`")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`ingress-tls` does not belong to its `tls.key`")),
        "{messages:?}"
    );
    // The internal TLS Secrets lack nothing else; jobservice etc. are not named, so not read.
    assert_no_secret(&r);
}

#[test]
fn unauthorized_names_the_server() {
    let (server, s) = standard();
    server.set_mode(Mode::Unauthorized);
    let r = check(&server, &s, &[]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("401 Unauthorized"), "{}", r.stderr);
    assert!(r.stderr.contains(&server.url()), "{}", r.stderr);
    assert!(r.stderr.contains("deployments.apps"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

#[test]
fn forbidden_secret_read_is_a_finding_and_the_run_goes_on() {
    let (server, s) = standard();
    server.forbid("get", "secrets", Some("harbor-core"));
    let r = check(&server, &s, &["--fail-on", "warning"]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    let denied = r.findings("rbac-forbidden");
    assert_eq!(denied.len(), 1, "{}", r.stdout);
    let message = denied[0]["message"].as_str().unwrap();
    assert!(
        message.contains("not allowed to `get` `secrets/harbor-core` in namespace `harbor`"),
        "{message}"
    );
    assert_eq!(denied[0]["source"], "cluster");
    assert_eq!(denied[0]["object"], "cluster://harbor/secret/harbor-core");
    assert!(denied[0]["help"].as_str().unwrap().contains("docs/rbac.md"));
    // Other checks still ran on the release values.
    assert!(r.json()["findings"].as_array().unwrap().len() > 1);
}

#[test]
fn forbidden_release_detection_is_an_error_naming_the_verb() {
    let (server, s) = standard();
    server.forbid("list", "deployments", None);
    let r = check(&server, &s, &[]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("403 Forbidden"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("grant `list` on `deployments.apps` in namespace `harbor`"),
        "{}",
        r.stderr
    );
}

#[test]
fn not_found_page_names_the_server() {
    let (server, s) = standard();
    server.set_mode(Mode::NotFound);
    let r = check(&server, &s, &["--release", "harbor"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("404 Not Found"), "{}", r.stderr);
    assert!(r.stderr.contains(&server.url()), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("`list` of `secrets` in namespace `harbor`"),
        "{}",
        r.stderr
    );
}

#[test]
fn server_that_never_answers_times_out() {
    let (server, s) = standard();
    server.set_mode(Mode::Hang);
    let start = Instant::now();
    let r = check(&server, &s, &["--request-timeout", "1s"]);
    assert_eq!(r.status, 2);
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
    assert!(
        r.stderr.contains("no answer from the API server"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("within 1s"), "{}", r.stderr);
}

/// `--request-timeout` takes Go's whole duration grammar (a fraction of a minute here), and the
/// message prints the limit back as Go does.
#[test]
fn request_timeout_reads_and_prints_go_durations() {
    let (server, s) = standard();
    server.set_mode(Mode::Hang);
    let r = check(&server, &s, &["--request-timeout", ".02m"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("within 1.2s"), "{}", r.stderr);
    for bad in ["-1s", "1d", "1.5"] {
        let flag = format!("--request-timeout={bad}");
        let r = check(&server, &s, &[&flag]);
        assert_eq!(r.status, 2, "{bad}");
        assert!(
            r.stderr
                .contains(&format!("invalid --request-timeout `{bad}`")),
            "{bad}: {}",
            r.stderr
        );
    }
}

#[test]
fn garbage_answer_is_reported() {
    let (server, s) = standard();
    server.set_mode(Mode::Garbage);
    let r = check(&server, &s, &[]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("not Kubernetes JSON"), "{}", r.stderr);
    assert!(r.stderr.contains(&server.url()), "{}", r.stderr);
}

#[test]
fn connection_refused_is_reported() {
    let (server, s) = standard();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let url = server.url();
    drop(server);
    let r = run_with(
        &kubeconfig,
        s.path(),
        &["preflight", "check", "--request-timeout", "5s"],
    );
    assert_eq!(r.status, 2);
    assert!(
        r.stderr.contains("cannot reach the API server"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains(&url), "{}", r.stderr);
    assert!(r.stderr.contains("connection refused"), "{}", r.stderr);
}

#[test]
fn unknown_context_and_missing_kubeconfig() {
    let (server, s) = standard();
    let r = check(&server, &s, &["--context", "nope"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("context `nope`"), "{}", r.stderr);
    let missing = s.path().join("absent-kubeconfig");
    let r = run_with(&missing, s.path(), &["preflight", "check"]);
    assert_eq!(r.status, 2);
    assert!(
        r.stderr.contains("cannot load the cluster configuration"),
        "{}",
        r.stderr
    );
}

#[test]
fn kubeconfig_env_with_several_files_is_merged() {
    let (server, s) = standard();
    let real = server.kubeconfig(s.path(), NS);
    // The first file sets nothing the second sets: kubectl merges them.
    let empty = s.write("empty-kubeconfig", "apiVersion: v1\nkind: Config\n");
    let paths = std::env::join_paths([std::path::PathBuf::from(&empty), real]).unwrap();
    let mut cmd = common::bin();
    cmd.env("HOME", s.path()).env("KUBECONFIG", paths);
    for proxy in ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"] {
        cmd.env_remove(proxy);
    }
    let out = cmd
        .args(["preflight", "check", "-n", NS, "-o", "json"])
        .output()
        .expect("run");
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Moves the release records of `standard()` from Secrets to `ConfigMap`s, as `HELM_DRIVER=configmap`
/// stores them.
fn store_records_in_config_maps(server: &ApiServer) {
    let mut st = server.state();
    st.secrets
        .retain(|(_, name), _| !name.starts_with("sh.helm.release.v1."));
    for (revision, status, chart, app) in [
        (1, "superseded", "1.12.3", "2.8.3"),
        (2, "deployed", "1.12.4", "2.8.4"),
    ] {
        st.put_configmap(&helm_release_config_map(
            NS,
            "harbor",
            revision,
            status,
            chart,
            app,
            &deployed_values(),
        ));
    }
}

#[test]
// A release installed with `HELM_DRIVER=configmap` was not found: "no deployed revision".
fn reads_a_release_stored_by_the_configmap_driver() {
    let (server, s) = standard();
    store_records_in_config_maps(&server);
    let r = check(&server, &s, &["--to", "2.10.2", "--skip-clock"]);
    r.assert_judged();
    assert!(
        r.stderr
            .contains("read release `harbor` revision 2 (chart 1.12.4, Harbor 2.8.4)"),
        "{}",
        r.stderr
    );
    // The deployed values came from the ConfigMap: the live `secretKey` matches them.
    assert!(r.findings("secret-key-changed").is_empty(), "{}", r.stdout);
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|q| q.starts_with("GET /api/v1/namespaces/harbor/configmaps?")),
        "{requests:?}"
    );
    assert_no_secret(&r);
}

#[test]
// The Secret driver's record wins when both exist; ConfigMaps are read only when no Secret holds one.
fn configmaps_are_not_read_when_a_secret_holds_the_record() {
    let (server, s) = standard();
    let r = check(&server, &s, &["--to", "2.10.2", "--skip-clock"]);
    r.assert_judged();
    assert!(
        server.requests().iter().all(|q| !q.contains("/configmaps")),
        "{:?}",
        server.requests()
    );
}

#[test]
// Without any record the message named only Secrets; the `sql` driver must be named as what the
// tool cannot read.
fn a_missing_release_record_names_both_drivers_and_sql() {
    let (server, s) = standard();
    server
        .state()
        .secrets
        .retain(|(_, name), _| !name.starts_with("sh.helm.release.v1."));
    let r = check(&server, &s, &["--to", "2.10.2"]);
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("no Secret or ConfigMap labelled `owner=helm,name=harbor,status=deployed`"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("HELM_DRIVER=sql"), "{}", r.stderr);
}

#[test]
// `HELM_DRIVER=sql` keeps releases in a database: say so instead of "no deployed revision".
fn helm_driver_sql_is_refused_with_a_clear_error() {
    let (server, s) = standard();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let r = run_with_env(
        &kubeconfig,
        s.path(),
        &[("HELM_DRIVER", "sql")],
        &["preflight", "check", "--to", "2.10.2"],
    );
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    let first = r.stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("error: `HELM_DRIVER=sql`"),
        "{}",
        r.stderr
    );
    assert!(
        first.contains("not read") && first.contains("configmap"),
        "{first}"
    );
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}
