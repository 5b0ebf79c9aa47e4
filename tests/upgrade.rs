//! `verify` and `upgrade` against the test API server, whose simulated controllers
//! (`support/rollout.rs`) report rollout status and run core pods holding the Secret's key.
//!
//! `verify` alone runs against fixture objects, so a clone without Helm tests it. `upgrade`
//! drives real Helm 4 and Helm 3 (`HARBOR_UPGRADE_TEST_HELM4` / `HARBOR_UPGRADE_TEST_HELM3`) on the
//! real charts of `../shared/harbor-helm/` (1.12.4 → 1.14.2); without them those tests print
//! `skipped: <test>: <why>` and pass.

mod common;
mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use base64::Engine as _;
use common::{key, Run, Scratch};
use k8s_openapi::api::apps::v1::DeploymentCondition;
use k8s_openapi::ByteString;
use serde_json::{json, Value};
use support::harbor::{assert_no_secret, deployed_values, run_with, run_with_env, standard, NS};
use support::helm::{chart, HelmCluster};
use support::{rollout, ApiServer};

const FROM: &str = "1.12.4";
const TO: &str = "1.14.2";

/// A `StatefulSet` of the release, as the chart's database.
fn database_statefulset() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "harbor-database", "namespace": NS,
            "labels": {"app": "harbor", "release": "harbor", "component": "database", "heritage": "Helm", "chart": "harbor"}},
        "spec": {
            "replicas": 1,
            "serviceName": "harbor-database",
            "selector": {"matchLabels": {"app": "harbor", "release": "harbor", "component": "database"}},
            "template": {
                "metadata": {"labels": {"app": "harbor", "release": "harbor", "component": "database"}},
                "spec": {"containers": [{"name": "database", "image": "goharbor/harbor-db:v2.8.4"}]}
            }
        }
    })
}

/// The fixture release (chart 1.12.4, its Secrets, four Deployments) plus its database
/// `StatefulSet`, every workload rolled out and core pods running with the Secret's key.
fn rolled_out() -> (ApiServer, Scratch) {
    let (server, scratch) = standard();
    {
        let mut st = server.state();
        st.put_object(database_statefulset());
        rollout::settle_all(&mut st, NS);
    }
    (server, scratch)
}

fn verify(server: &ApiServer, home: &Path, extra: &[&str]) -> Run {
    let kubeconfig = server.kubeconfig(home, NS);
    let mut args = vec!["verify", "--release=harbor"];
    args.extend_from_slice(extra);
    run_with(&kubeconfig, home, &args)
}

/// Replaces one key of a live Secret, as a hand edit or a bad upgrade would.
fn set_secret_key(server: &ApiServer, secret: &str, key_name: &str, value: &[u8]) {
    let mut st = server.state();
    let s = st
        .secrets
        .get_mut(&(NS.to_string(), secret.to_string()))
        .expect("secret");
    s.data
        .as_mut()
        .expect("data")
        .insert(key_name.into(), ByteString(value.to_vec()));
}

#[test]
fn verify_reports_a_rolled_out_release_with_matching_keys_healthy() {
    let (server, scratch) = rolled_out();
    let r = verify(&server, scratch.path(), &["--wait", "10s"]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("verdict: healthy"), "{}", r.stdout);
    assert!(
        r.stderr.contains("statefulset/harbor-database")
            && r.stderr.contains("deployment/harbor-core"),
        "{}",
        r.stderr
    );
    // The core pod's key was hashed through exec, and the logs were read since the deployment.
    let requests = server.requests();
    assert!(
        requests
            .iter()
            .any(|r| r.contains("/pods/harbor-core-g1-0/exec")),
        "{requests:#?}"
    );
    assert!(
        r.stderr
            .contains("reading the logs since 2024-05-01T10:00:00Z"),
        "{}",
        r.stderr
    );
    assert_no_secret(&r);

    let r = verify(&server, scratch.path(), &["--wait", "0", "-o", "json"]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(r.json()["findings"], json!([]), "{}", r.stdout);
    assert!(r.stderr.contains("verdict: healthy"), "{}", r.stderr);
}

#[test]
fn verify_exits_2_when_the_rollout_does_not_finish_within_wait() {
    let (server, scratch) = standard();
    {
        let mut st = server.state();
        st.put_object(database_statefulset());
        st.rollout.stuck.insert("harbor-database".into());
        rollout::settle_all(&mut st, NS);
    }
    let r = verify(&server, scratch.path(), &["--wait", "1s"]);
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("the rollout did not finish within --wait 1s")
            && r.stderr
                .contains("statefulset/harbor-database: 0 of 1 pods are ready"),
        "{}",
        r.stderr
    );
    // It looked more than once before giving up, and judged nothing.
    let lists = server
        .requests()
        .iter()
        .filter(|r| r.starts_with("GET /apis/apps/v1/namespaces/harbor/statefulsets?"))
        .count();
    assert!(lists >= 2, "{lists}");
    assert!(r.stdout.is_empty(), "{}", r.stdout);

    // A Deployment whose spec change the controller has not observed yet is not done either.
    let (server, scratch) = standard();
    let r = verify(&server, scratch.path(), &["--wait", "0"]);
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(
            "deployment/harbor-core: waiting for the deployment spec update to be observed"
        ),
        "{}",
        r.stderr
    );
}

#[test]
fn verify_fails_on_a_dangerous_change_against_the_backup() {
    let (server, scratch) = rolled_out();
    let kubeconfig = server.kubeconfig(scratch.path(), NS);
    let dir = scratch.path().join("backup");
    let dir_arg = dir.to_str().expect("utf-8");
    let r = run_with(
        &kubeconfig,
        scratch.path(),
        &["keys", "backup", "--release", "harbor", "--out", dir_arg],
    );
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    let r = verify(
        &server,
        scratch.path(),
        &["--backup", dir_arg, "-o", "json"],
    );
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);

    // `secretKey` changed after the backup: stored credentials no longer decrypt.
    set_secret_key(&server, "harbor-core", "secretKey", b"An0therS3cretKey");
    let r = verify(
        &server,
        scratch.path(),
        &["--backup", dir_arg, "-o", "json"],
    );
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    let found = r.findings("backup-credential-changed");
    assert_eq!(found.len(), 1, "{}", r.stdout);
    let message = found[0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`secretKey` of Secret `harbor-core`") && message.contains("decrypt"),
        "{message}"
    );
    assert!(r.stderr.contains("verdict: broken"), "{}", r.stderr);
    assert!(!r.stdout.contains("An0therS3cretKey") && !r.stderr.contains("An0therS3cretKey"));
    assert_no_secret(&r);

    // A backup that cannot be read stops the run before the cluster is judged.
    let missing = scratch.path().join("missing");
    let missing = missing.to_str().expect("utf-8");
    let r = verify(&server, scratch.path(), &["--backup", missing]);
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
}

/// A line as the kubelet stores it, `minutes` ago: its timestamp, then Harbor's own line.
fn harbor_line(minutes: i64, level: &str, text: &str) -> String {
    use time::format_description::well_known::Rfc3339;
    let t = (time::OffsetDateTime::now_utc() - time::Duration::minutes(minutes))
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    format!("{t} {t} [{level}] [/pkg/token/token.go:82]: {text}\n")
}

#[test]
fn verify_judges_the_log_lines_since_the_upgrade_began() {
    let (server, scratch) = rolled_out();
    {
        let mut st = server.state();
        let log = [
            harbor_line(
                120,
                "ERROR",
                "parse token error, crypto/rsa: verification error",
            ),
            harbor_line(5, "INFO", "core started"),
        ]
        .concat();
        st.put_log(NS, "harbor-core-g1-0", "core", false, &log);
    }
    // The key error is older than the upgrade: not this upgrade's failure.
    let r = verify(&server, scratch.path(), &["--since", "30m"]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("1 log line(s) show no known failure"),
        "{}",
        r.stdout
    );
    let r = verify(&server, scratch.path(), &["--since", "3h", "-o", "json"]);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    let found = r.findings("log-token-signature-invalid");
    assert_eq!(found.len(), 1, "{}", r.stdout);
    assert_eq!(
        found[0]["location"]["file"], "cluster://harbor/pod/harbor-core-g1-0/log/core",
        "{}",
        r.stdout
    );
}

#[test]
fn verify_reports_a_rollout_past_its_progress_deadline_as_broken() {
    let (server, scratch) = rolled_out();
    {
        // As the Deployment controller leaves it after `spec.progressDeadlineSeconds`.
        let mut st = server.state();
        let core = st
            .deployments
            .get_mut(&(NS.to_string(), "harbor-core".to_string()))
            .expect("core Deployment");
        let status = core.status.as_mut().expect("rolled out");
        status.updated_replicas = Some(0);
        status.available_replicas = Some(0);
        status.conditions = Some(vec![DeploymentCondition {
            type_: "Progressing".into(),
            status: "False".into(),
            reason: Some("ProgressDeadlineExceeded".into()),
            message: Some("ReplicaSet \"harbor-core-5c7d9f8b6\" has timed out progressing.".into()),
            ..Default::default()
        }]);
    }
    // Not "could not judge" (2): the upgrade is broken, and the report says where.
    let r = verify(&server, scratch.path(), &["--wait", "1m", "-o", "json"]);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    let found = r.findings("rollout-failed");
    assert_eq!(found.len(), 1, "{}", r.stdout);
    assert_eq!(
        found[0]["object"],
        "cluster://harbor/deployment/harbor-core"
    );
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap()
            .contains("deployment/harbor-core exceeded its progress deadline"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("verdict: broken: the rollout of release `harbor` failed"),
        "{}",
        r.stderr
    );
}

#[test]
fn verify_reports_the_warning_events_since_the_upgrade_began() {
    use support::events::{event, Recorder};
    let (server, scratch) = rolled_out();
    {
        let mut st = server.state();
        let seen = (time::OffsetDateTime::now_utc() - time::Duration::minutes(2))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        st.put_event(event(
            NS,
            "Pod",
            "harbor-registry-7c9f6d5b8-x2x7k",
            "Warning",
            "FailedAttachVolume",
            "Multi-Attach error for volume \"pvc-3f1c\" Volume is already used by pod(s) harbor-registry-5d4b8c7f9-q8w2n",
            Recorder::Legacy("attachdetach-controller"),
            4,
            &seen,
        ));
    }
    let r = verify(&server, scratch.path(), &["--since", "30m", "-o", "json"]);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    let found = r.findings("event-volume-multi-attach");
    assert_eq!(found.len(), 1, "{}", r.stdout);
}

#[test]
fn verify_catches_a_core_pod_still_holding_the_old_token_key() {
    let (server, scratch) = rolled_out();
    // The token pair is rotated and core rolls out, but one old pod keeps the old key.
    set_secret_key(
        &server,
        "harbor-core",
        "tls.key",
        key("other-rsa2048.key").as_bytes(),
    );
    set_secret_key(
        &server,
        "harbor-core",
        "tls.crt",
        key("other-rsa2048.crt").as_bytes(),
    );
    {
        let mut st = server.state();
        st.rollout.stale_core_pod = true;
        let d = st
            .deployments
            .get_mut(&(NS.to_string(), "harbor-core".to_string()))
            .expect("core");
        d.metadata.generation = Some(2);
        rollout::settle_deployment(&mut st, NS, "harbor-core");
    }
    let r = verify(&server, scratch.path(), &["-o", "json"]);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    let found = r.findings("token-key-inconsistent");
    assert!(!found.is_empty(), "{}", r.stdout);
    assert_eq!(found[0]["severity"], "error", "{}", r.stdout);
    assert!(r.stderr.contains("verdict: broken"), "{}", r.stderr);
    assert_no_secret(&r);
}

#[test]
fn verify_cannot_judge_without_a_release_or_when_listing_is_refused() {
    let server = ApiServer::start();
    let scratch = Scratch::new();
    let r = verify(&server, scratch.path(), &[]);
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("error: "), "{}", r.stderr);

    let (server, scratch) = rolled_out();
    server.forbid("list", "statefulsets", None);
    let r = verify(&server, scratch.path(), &[]);
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("its Deployments and StatefulSets were not listed"),
        "{}",
        r.stderr
    );

    // Exec refused: the core pods' keys were not compared, so a clean report is not a verdict.
    let (server, scratch) = rolled_out();
    server.forbid("create", "pods/exec", None);
    let r = verify(&server, scratch.path(), &[]);
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("warning[rbac-forbidden]"), "{}", r.stdout);
    assert!(r.stdout.contains("verdict: not judged"), "{}", r.stdout);
    assert!(
        r.stderr.contains("verify could not judge release `harbor`"),
        "{}",
        r.stderr
    );

    // Bad durations name the flag.
    let r = verify(&server, scratch.path(), &["--wait", "soon"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("invalid --wait `soon`"), "{}", r.stderr);
}

#[test]
fn upgrade_without_helm_or_a_chart_fails_before_changing_anything() {
    let (server, scratch) = rolled_out();
    let kubeconfig = server.kubeconfig(scratch.path(), NS);
    let missing = scratch.path().join("no-helm-here");
    let helm = format!("--helm={}", missing.display());
    let r = run_with(
        &kubeconfig,
        scratch.path(),
        &["upgrade", &helm, "harbor", "harbor/harbor", "-n", NS],
    );
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("cannot run Helm"), "{}", r.stderr);
    assert!(r.stderr.contains("step 1/6"), "{}", r.stderr);
    assert!(!r.stderr.contains("step 2/6"), "{}", r.stderr);

    // A release that is not installed: `upgrade` upgrades, it does not install.
    let r = run_with(
        &kubeconfig,
        scratch.path(),
        &["upgrade", &helm, "other", "harbor/harbor", "-n", NS],
    );
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("install it with `helm install` first"),
        "{}",
        r.stderr
    );

    let r = common::run(&["upgrade", "harbor"]);
    assert_eq!(r.status, 2, "{}", r.stderr);
}

// -----------------------------------------------------------------------------------------------
// `upgrade` with real Helm.

/// The fixture values (pinned credentials) with `changes` over them, as a file.
fn values(cluster: &HelmCluster, name: &str, changes: &Value) -> String {
    let mut v = deployed_values();
    merge(&mut v, changes);
    cluster.write(name, serde_json::to_string_pretty(&v).expect("json"))
}

fn merge(target: &mut Value, changes: &Value) {
    match (target, changes) {
        (Value::Object(t), Value::Object(c)) => {
            for (k, v) in c {
                merge(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (t, c) => *t = c.clone(),
    }
}

/// Installs chart 1.12.4 with the fixture values; the simulated controllers roll it out.
fn installed(test: &str, major: u32) -> Option<(HelmCluster, String)> {
    let cluster = HelmCluster::start(test, major, &[FROM, TO])?;
    let file = values(&cluster, "values.yaml", &json!({}));
    cluster.deploy("install", "harbor", FROM, &[&file]);
    Some((cluster, file))
}

/// `harbor-upgrade upgrade [tool options] harbor <chart 1.14.2> -n harbor [helm flags]`.
fn upgrade(cluster: &HelmCluster, tool: &[&str], helm: &[&str]) -> Run {
    let bin = format!("--helm={}", cluster.helm.bin.display());
    let to = chart(TO).expect("chart checked at start");
    let to = to.to_string_lossy().into_owned();
    let mut args = vec!["upgrade", bin.as_str()];
    args.extend_from_slice(tool);
    args.extend_from_slice(&["harbor", to.as_str(), "-n", NS]);
    args.extend_from_slice(helm);
    let r = cluster.tool(&args);
    assert_no_secret(&r);
    r
}

fn assert_private_backup(dir: &Path) {
    let mode = std::fs::metadata(dir).expect("backup").permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", dir.display());
    for entry in std::fs::read_dir(dir).expect("backup dir") {
        let path = entry.expect("entry").path();
        let mode = std::fs::metadata(&path).expect("file").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", path.display());
    }
    assert!(dir.join("manifest.json").is_file());
}

fn end_to_end(test: &str, major: u32) {
    let Some((cluster, file)) = installed(test, major) else {
        return;
    };
    let bundle = cluster.path().join("bundle");
    let out = format!("--backup-out={}", bundle.display());
    let r = upgrade(&cluster, &[&out, "--verify-wait=30s"], &["-f", &file]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    for step in [
        "step 1/6: helm upgrade harbor",
        "step 2/6: preflight check",
        "step 3/6: keys backup",
        "step 4/6: helm upgrade harbor",
        "step 5/6: verify",
        "step 6/6: summary",
    ] {
        assert!(r.stderr.contains(step), "{step}\n{}", r.stderr);
    }
    assert!(r.stderr.contains("helm: "), "Helm's output: {}", r.stderr);
    assert!(r.stdout.contains("verdict: healthy"), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("healthy: release `harbor` upgraded from revision 1 (chart 1.12.4)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("helm rollback harbor 1 -n harbor"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!(
            "harbor-upgrade keys restore {} -n harbor --policy update",
            bundle.display()
        )),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("cannot migrate it back"), "{}", r.stderr);
    assert_eq!(
        cluster.records("harbor"),
        vec![(1, "superseded".into()), (2, "deployed".into())]
    );
    assert_private_backup(&bundle);
    // The core Deployment rolled out twice (install, upgrade): the pods verify hashed are new.
    assert_eq!(cluster.server.state().rollout.rollouts["harbor-core"], 2);

    // Later someone edits `secretKey` in the live Secret: what Helm applied (the deployed
    // manifest) no longer matches what runs.
    {
        let mut st = cluster.server.state();
        let core = st
            .secrets
            .get_mut(&(NS.to_string(), "harbor-core".to_string()))
            .expect("core Secret");
        core.data
            .as_mut()
            .expect("data")
            .insert("secretKey".into(), ByteString(b"H4ndEd1tedS3cret".to_vec()));
    }
    let r = cluster.tool(&["verify", "--release=harbor", "-o", "json"]);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    let changed = r.findings("secret-key-changed");
    assert_eq!(changed.len(), 1, "{}", r.stdout);
    assert_eq!(
        changed[0]["location"]["file"], "helm://harbor/harbor/manifest",
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("H4ndEd1tedS3cret") && !r.stderr.contains("H4ndEd1tedS3cret"));
    assert_no_secret(&r);
    cluster.assert_all_served();
}

#[test]
fn helm4_upgrade_end_to_end_is_verified_healthy() {
    end_to_end("helm4_upgrade_end_to_end_is_verified_healthy", 4);
}

#[test]
fn helm3_upgrade_end_to_end_is_verified_healthy() {
    end_to_end("helm3_upgrade_end_to_end_is_verified_healthy", 3);
}

fn dry_run(test: &str, major: u32) {
    let Some((cluster, file)) = installed(test, major) else {
        return;
    };
    let before = cluster.server.state().rollout.rollouts.clone();
    let bundle = cluster.path().join("bundle");
    let out = format!("--backup-out={}", bundle.display());
    let r = upgrade(&cluster, &["--dry-run", &out], &["-f", &file]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("step 3/3: keys backup"), "{}", r.stderr);
    assert!(
        r.stderr.contains("dry run: stopped after the backup"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("step 4/"), "{}", r.stderr);
    assert_private_backup(&bundle);
    // Nothing changed: one revision, no workload rolled out again.
    assert_eq!(cluster.records("harbor"), vec![(1, "deployed".into())]);
    assert_eq!(cluster.server.state().rollout.rollouts, before);

    // Helm's own `--dry-run` is the tool's to give.
    let r = upgrade(&cluster, &[], &["-f", &file, "--dry-run=client"]);
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("runs the dry run itself"), "{}", r.stderr);

    // Encrypted with a passphrase: one 0600 archive, which `verify` reads back with it.
    let pass = cluster.write("pass.txt", "correct horse battery staple\n");
    let sealed = cluster.path().join("bundle.tar.age");
    let out = format!("--backup-out={}", sealed.display());
    let pass_flag = format!("--passphrase-file={pass}");
    let r = upgrade(&cluster, &["--dry-run", &out, &pass_flag], &["-f", &file]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("wrote encrypted backup"), "{}", r.stderr);
    let mode = std::fs::metadata(&sealed)
        .expect("archive")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let sealed_arg = sealed.to_str().expect("utf-8");
    let r = cluster.tool(&[
        "verify",
        "--release=harbor",
        "--backup",
        sealed_arg,
        "--passphrase-file",
        &pass,
    ]);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("nothing dangerous changed since the backup"),
        "{}",
        r.stdout
    );

    // The upgrade runs but core never becomes available: verify cannot judge (exit 2), and the
    // way back is printed with the revision that was deployed.
    cluster
        .server
        .state()
        .rollout
        .stuck
        .insert("harbor-core".into());
    let bundle = cluster.path().join("bundle-2");
    let out = format!("--backup-out={}", bundle.display());
    let r = upgrade(&cluster, &[&out, "--verify-wait=1s"], &["-f", &file]);
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("the rollout did not finish within --wait 1s")
            && r.stderr.contains("deployment/harbor-core"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("`verify` could not judge it"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("helm rollback harbor 1 -n harbor"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!("backup: {}", bundle.display())),
        "{}",
        r.stderr
    );
    assert_eq!(
        cluster.records("harbor"),
        vec![(1, "superseded".into()), (2, "deployed".into())]
    );
}

#[test]
fn helm4_upgrade_dry_run_stops_after_the_backup_and_a_stuck_rollout_exits_2() {
    dry_run(
        "helm4_upgrade_dry_run_stops_after_the_backup_and_a_stuck_rollout_exits_2",
        4,
    );
}

#[test]
fn helm3_upgrade_dry_run_stops_after_the_backup_and_a_stuck_rollout_exits_2() {
    dry_run(
        "helm3_upgrade_dry_run_stops_after_the_backup_and_a_stuck_rollout_exits_2",
        3,
    );
}

fn preflight_error(test: &str, major: u32) {
    let Some((cluster, file)) = installed(test, major) else {
        return;
    };
    // The new values change `secretKey`: stored credentials would decrypt to garbage.
    let changed = values(
        &cluster,
        "changed.yaml",
        &json!({"secretKey": "Different16Chars"}),
    );
    let bundle = cluster.path().join("bundle");
    let out = format!("--backup-out={}", bundle.display());
    let r = upgrade(&cluster, &[&out, "-o", "json"], &["-f", &changed]);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    // Standard output is the check's one JSON document; steps and notes are on stderr.
    let key_changed = r.findings("secret-key-changed");
    assert!(!key_changed.is_empty(), "{}", r.stdout);
    // Judged on what Helm rendered in the dry run.
    assert!(
        key_changed.iter().any(|f| f["location"]["file"]
            .as_str()
            .is_some_and(|file| file.ends_with("dry-run.yaml"))),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("stopped: the checks reported errors"),
        "{}",
        r.stderr
    );
    assert_eq!(cluster.records("harbor"), vec![(1, "deployed".into())]);
    assert!(!bundle.exists());

    // The runbook's incident: a new key pasted next to the old certificate. Helm renders the
    // pair into the core Secret; the check of the dry run stops before Helm applies it.
    let mismatched = cluster.write(
        "mismatched.yaml",
        common::token_values("other-rsa2048.key", "rsa2048.crt"),
    );
    let r = upgrade(&cluster, &[&out], &["-f", &file, "-f", &mismatched]);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("error[token-pair-mismatch]"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("dry-run.yaml:"), "{}", r.stdout);
    assert_eq!(cluster.records("harbor"), vec![(1, "deployed".into())]);
    assert!(!bundle.exists());

    // `--force` goes on; `verify` then finds `secretKey` changed against the backup it took.
    let r = upgrade(
        &cluster,
        &[&out, "--force", "--verify-wait=30s"],
        &["-f", &changed],
    );
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("going on because of `--force`"),
        "{}",
        r.stderr
    );
    assert_eq!(
        cluster.records("harbor"),
        vec![(1, "superseded".into()), (2, "deployed".into())]
    );
    assert!(
        r.stdout.contains("backup-credential-changed"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("verdict: broken"), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("broken: the upgrade went through but `verify` found it broken"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("helm rollback harbor 1 -n harbor"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("keys restore"), "{}", r.stderr);
    assert!(!r.stdout.contains("Different16Chars") && !r.stderr.contains("Different16Chars"));
    assert_private_backup(&bundle);
    // The secret in the live Secret is the changed one: the rollback commands are needed.
    let st = cluster.server.state();
    let core = &st.secrets[&(NS.to_string(), "harbor-core".to_string())];
    let live = core.data.as_ref().expect("data")["secretKey"].0.clone();
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(live),
        base64::engine::general_purpose::STANDARD.encode("Different16Chars")
    );
}

#[test]
fn helm4_upgrade_stops_on_a_preflight_error_and_force_goes_on_to_a_broken_verify() {
    preflight_error(
        "helm4_upgrade_stops_on_a_preflight_error_and_force_goes_on_to_a_broken_verify",
        4,
    );
}

#[test]
fn helm3_upgrade_stops_on_a_preflight_error_and_force_goes_on_to_a_broken_verify() {
    preflight_error(
        "helm3_upgrade_stops_on_a_preflight_error_and_force_goes_on_to_a_broken_verify",
        3,
    );
}

/// The real upgrade refused by the API server where the dry run was not (Helm's
/// `--dry-run=server` renders with `lookup` but writes nothing): a role that may read and
/// create but not change the core Deployment, as a namespace admin with a narrowed role has.
fn refused_upgrade(test: &str, major: u32) {
    let Some((cluster, file)) = installed(test, major) else {
        return;
    };
    for verb in ["patch", "update"] {
        cluster
            .server
            .forbid(verb, "deployments", Some("harbor-core"));
    }
    let bundle = cluster.path().join("bundle");
    let out = format!("--backup-out={}", bundle.display());
    // The tool's temporary files go to a folder of the test, to see that none is left.
    let tmp = cluster.path().join("tmp");
    std::fs::create_dir(&tmp).expect("tmp");
    let bin = format!("--helm={}", cluster.helm.bin.display());
    let to = chart(TO).expect("chart checked at start");
    let to = to.to_string_lossy().into_owned();
    let r = run_with_env(
        &cluster.kubeconfig(),
        cluster.path(),
        &[("TMPDIR", tmp.to_str().expect("utf-8"))],
        &[
            "upgrade",
            &bin,
            &out,
            "--verify-wait=20s",
            "harbor",
            &to,
            "-n",
            NS,
            "-f",
            &file,
        ],
    );
    assert_no_secret(&r);
    // As docs/upgrade.md says: exit 2, the backup and the commands to go back printed.
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    let steps: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("step "))
        .collect();
    assert_eq!(steps.len(), 4, "{}", r.stderr);
    assert!(
        steps[3].starts_with("step 4/6: helm upgrade harbor"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .lines()
            .any(|l| l.starts_with("helm: Error: UPGRADE FAILED:")
                && l.contains("\"harbor-core\" is forbidden")),
        "Helm's error relayed: {}",
        r.stderr
    );
    let tail: Vec<&str> = r
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("broken: "))
        .collect();
    assert_eq!(
        tail.first(),
        Some(&"broken: helm upgrade failed"),
        "{}",
        r.stderr
    );
    for line in [
        format!(
            "backup: {} (taken before the upgrade; keep it)",
            bundle.display()
        ),
        "  helm rollback harbor 1 -n harbor".to_string(),
        format!(
            "  harbor-upgrade keys restore {} -n harbor --policy update",
            bundle.display()
        ),
        "error: step 4 (helm upgrade) failed".to_string(),
    ] {
        assert!(tail.contains(&line.as_str()), "`{line}` in:\n{}", r.stderr);
    }
    assert!(!r.stderr.contains("step 5/6"), "{}", r.stderr);
    assert!(!r.stdout.contains("verdict:"), "{}", r.stdout);
    // Nothing half-written: the backup is whole and private, no temporary file is left, Helm
    // recorded the failed revision and the running one is still revision 1.
    assert_private_backup(&bundle);
    assert_eq!(
        std::fs::read_dir(&tmp).expect("tmp").count(),
        0,
        "temporary files left"
    );
    let records = cluster.records("harbor");
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(records[1], (2, "failed".to_string()), "{records:?}");
    let core =
        cluster.server.state().deployments[&(NS.to_string(), "harbor-core".to_string())].clone();
    let image = core
        .spec
        .and_then(|s| s.template.spec)
        .map(|s| s.containers[0].image.clone());
    assert_eq!(
        image,
        Some(Some("goharbor/harbor-core:v2.8.4".to_string())),
        "the core Deployment is the one of revision 1"
    );
}

#[test]
fn helm4_upgrade_refused_by_the_api_server_prints_the_backup_and_the_way_back() {
    refused_upgrade(
        "helm4_upgrade_refused_by_the_api_server_prints_the_backup_and_the_way_back",
        4,
    );
}

#[test]
fn helm3_upgrade_refused_by_the_api_server_prints_the_backup_and_the_way_back() {
    refused_upgrade(
        "helm3_upgrade_refused_by_the_api_server_prints_the_backup_and_the_way_back",
        3,
    );
}

/// `upgrade --recipient` without `--identity`: step 5 says that it could not compare, and how to.
fn upgrade_without_identity(cluster: &HelmCluster, file: &str, recipient: &str) {
    let unread = cluster.path().join("unread.tar.age");
    let unread_out = format!("--backup-out={}", unread.display());
    let r = upgrade(
        cluster,
        &[&unread_out, "--recipient", recipient, "--verify-wait=30s"],
        &["-f", file],
    );
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "no `--identity` was given: `verify` does not compare the live Secrets with it; run `harbor-upgrade keys diff {} --identity FILE` to compare them",
            unread.display()
        )),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("--policy update --identity YOUR_AGE_IDENTITY"),
        "{}",
        r.stderr
    );
}

/// One private file, age-encrypted: no credential in clear.
fn assert_encrypted_private(bundle: &Path) {
    let meta = std::fs::metadata(bundle).expect("bundle");
    assert!(meta.is_file());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let bytes = std::fs::read(bundle).expect("bundle");
    assert!(
        bytes.starts_with(b"age-encryption.org/v1\n"),
        "not an age file"
    );
    for secret in support::harbor::secret_values() {
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_slice()),
            "a credential in clear in the bundle"
        );
    }
}

/// `upgrade --recipient` end to end: the bundle is age-encrypted, private, and `verify` reads it
/// back with the identity (and sees a change against it).
fn encrypted_end_to_end(test: &str, major: u32) {
    use age::secrecy::ExposeSecret as _;
    let Some((cluster, file)) = installed(test, major) else {
        return;
    };
    let identity = age::x25519::Identity::generate();
    let key_file = cluster.write(
        "key.txt",
        format!(
            "# created: test\n{}\n",
            identity.to_string().expose_secret()
        ),
    );
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let recipient = identity.to_public().to_string();
    let bundle = cluster.path().join("bundle.tar.age");
    let out = format!("--backup-out={}", bundle.display());
    let r = upgrade(
        &cluster,
        &[
            &out,
            "--recipient",
            &recipient,
            "--identity",
            &key_file,
            "--verify-wait=30s",
        ],
        &["-f", &file],
    );
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("verdict: healthy"), "{}", r.stdout);
    // `verify` compared the live Secrets with the encrypted backup (no note that it could not).
    assert!(
        !r.stderr.contains("no `--identity` was given"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains(&format!(
            "harbor-upgrade keys restore {} -n harbor --policy update --identity {key_file}",
            bundle.display()
        )),
        "{}",
        r.stderr
    );
    assert_eq!(
        cluster.records("harbor"),
        vec![(1, "superseded".into()), (2, "deployed".into())]
    );

    assert_encrypted_private(&bundle);

    // `verify --backup B --identity I` reads it: healthy, then a change against it.
    let bundle_arg = bundle.to_str().expect("utf-8");
    let args = [
        "verify",
        "--release=harbor",
        "--backup",
        bundle_arg,
        "--identity",
        key_file.as_str(),
        "--wait=10s",
        "-o",
        "json",
    ];
    let r = cluster.tool(&args);
    assert_eq!(r.status, 0, "{}\n{}", r.stdout, r.stderr);

    upgrade_without_identity(&cluster, &file, &recipient);

    {
        let mut st = cluster.server.state();
        let core = st
            .secrets
            .get_mut(&(NS.to_string(), "harbor-core".to_string()))
            .expect("core Secret");
        core.data
            .as_mut()
            .expect("data")
            .insert("secretKey".into(), ByteString(b"Aft3rBackupS3cre".to_vec()));
    }
    let r = cluster.tool(&args);
    assert_eq!(r.status, 1, "{}\n{}", r.stdout, r.stderr);
    assert_eq!(
        r.findings("backup-credential-changed").len(),
        1,
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("Aft3rBackupS3cre") && !r.stderr.contains("Aft3rBackupS3cre"));
    assert_no_secret(&r);
    // Another identity cannot read it: not judged.
    let other = age::x25519::Identity::generate();
    let other_file = cluster.write(
        "other.txt",
        format!("{}\n", other.to_string().expose_secret()),
    );
    let mut wrong = args;
    wrong[5] = other_file.as_str();
    let r = cluster.tool(&wrong);
    assert_eq!(r.status, 2, "{}\n{}", r.stdout, r.stderr);
    assert_no_secret(&r);
}

#[test]
fn helm4_upgrade_with_a_recipient_writes_an_encrypted_private_bundle_verify_reads() {
    encrypted_end_to_end(
        "helm4_upgrade_with_a_recipient_writes_an_encrypted_private_bundle_verify_reads",
        4,
    );
}

#[test]
fn helm3_upgrade_with_a_recipient_writes_an_encrypted_private_bundle_verify_reads() {
    encrypted_end_to_end(
        "helm3_upgrade_with_a_recipient_writes_an_encrypted_private_bundle_verify_reads",
        3,
    );
}
