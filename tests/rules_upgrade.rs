//! The rules about the upgrade itself (beyond credentials), each with a failing and a passing
//! case. Values files are the real chart's `values.yaml` of the release (from
//! `../shared/harbor-helm/<version>/`) with a small override file merged after it, as operators
//! pass them; the deployed release comes from `--deployed-values` or from a Helm release record
//! in the name API server. Where real Helm is available, it confirms the decision by rendering
//! the real chart. Without the shared charts a name prints `skipped: <name>: <why>` and passes.

mod common;
mod support;

use common::{Run, Scratch};
use serde_json::json;
use support::harbor::{install, run_with, NS};
use support::helm::Helm;
use support::ApiServer;

/// `preflight check -o json` on the real values of `version` with `overrides` merged after
/// them, plus `extra` arguments.
fn check(s: &Scratch, version: &str, values: &str, overrides: &str, extra: &[&str]) -> Run {
    let base = s.write(&format!("values-{version}.yaml"), values);
    let over = s.write("overrides.yaml", overrides);
    let mut args = vec![
        "preflight",
        "check",
        base.as_str(),
        "-f",
        over.as_str(),
        "-o",
        "json",
        "--now",
        "2030-01-01T00:00:00Z",
    ];
    args.extend_from_slice(extra);
    let r = common::run(&args);
    r.assert_judged();
    r
}

fn has(r: &Run, rule: &str) -> bool {
    !r.findings(rule).is_empty()
}

// ---- chart-release-defect -------------------------------------------------------------------

#[test]
fn chart_release_defect_1_14_0_garbles_the_internal_database_password() {
    let name = "chart_release_defect_1_14_0_garbles_the_internal_database_password";
    let (Some(v1140), Some(v1141)) = (
        common::chart_values(name, "1.14.0"),
        common::chart_values(name, "1.14.1"),
    ) else {
        return;
    };
    let s = Scratch::new();
    // The chart's own values.yaml keeps `database.internal.password: changeit`.
    let r = check(&s, "1.14.0", &v1140, "{}\n", &["--to", "1.14.0"]);
    let f = r.findings("chart-release-defect");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["severity"], "error");
    assert_eq!(f[0]["valuesPath"], "database.internal.password");
    let text = serde_json::to_string(&f[0]).unwrap();
    assert!(
        text.contains("illegal base64 data at input byte 3"),
        "{text}"
    );
    assert!(text.contains("password authentication failed"), "{text}");
    assert!(text.contains("1.14.1"), "{text}");
    // Passing: the fixed release, or an empty password (the chart keeps the live one), or a
    // client-side render (no `lookup`, no decoding).
    let r = check(&s, "1.14.1", &v1141, "{}\n", &["--to", "1.14.1"]);
    assert!(!has(&r, "chart-release-defect"), "{}", r.stdout);
    let r = check(
        &s,
        "1.14.0",
        &v1140,
        "database:\n  internal:\n    password: \"\"\n",
        &["--to", "1.14.0"],
    );
    assert!(!has(&r, "chart-release-defect"), "{}", r.stdout);
    let r = check(
        &s,
        "1.14.0",
        &v1140,
        "{}\n",
        &["--to", "1.14.0", "--renderer", "template"],
    );
    assert!(!has(&r, "chart-release-defect"), "{}", r.stdout);
}

#[test]
fn chart_release_defect_1_10_0_mounts_a_secret_named_after_the_template_text() {
    let name = "chart_release_defect_1_10_0_mounts_a_secret_named_after_the_template_text";
    let (Some(v1100), Some(v1101)) = (
        common::chart_values(name, "1.10.0"),
        common::chart_values(name, "1.10.1"),
    ) else {
        return;
    };
    let s = Scratch::new();
    let over = "registry:\n  credentials:\n    existingSecret: harbor-registry-credentials\n";
    let r = check(&s, "1.10.0", &v1100, over, &["--to", "1.10.0"]);
    let f = r.findings("chart-release-defect");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["valuesPath"], "registry.credentials.existingSecret");
    assert_eq!(f[0]["location"]["line"], 3, "{}", f[0]);
    assert!(
        f[0].to_string()
            .contains("secret \\\".Values.registry.credentials.existingSecret\\\" not found"),
        "{}",
        f[0]
    );
    let r = check(&s, "1.10.1", &v1101, over, &["--to", "1.10.1"]);
    assert!(!has(&r, "chart-release-defect"), "{}", r.stdout);
    let r = check(&s, "1.10.0", &v1100, "{}\n", &["--to", "1.10.0"]);
    assert!(!has(&r, "chart-release-defect"), "{}", r.stdout);
}

const REDIS_EXISTING_SECRET: &str = "redis:\n  type: external\n  external:\n    addr: redis.example.com:6379\n    existingSecret: harbor-redis\n";

#[test]
fn chart_release_defect_redis_existing_secret_fails_client_side_renders() {
    let name = "chart_release_defect_redis_existing_secret_fails_client_side_renders";
    let (Some(v1184), Some(v1190), Some(v1130)) = (
        common::chart_values(name, "1.18.4"),
        common::chart_values(name, "1.19.0"),
        common::chart_values(name, "1.13.0"),
    ) else {
        return;
    };
    let s = Scratch::new();
    let template = ["--to", "1.18.4", "--renderer", "template"];
    let r = check(&s, "1.18.4", &v1184, REDIS_EXISTING_SECRET, &template);
    let f = r.findings("chart-release-defect");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["valuesPath"], "redis.external.existingSecret");
    assert!(
        f[0].to_string()
            .contains("nil pointer evaluating interface {}.REDIS_PASSWORD"),
        "{}",
        f[0]
    );
    // Passing: `helm upgrade` (lookup finds the Secret), the fixed 1.19.0, the older 1.13.0.
    let r = check(
        &s,
        "1.18.4",
        &v1184,
        REDIS_EXISTING_SECRET,
        &["--to", "1.18.4"],
    );
    assert!(!has(&r, "chart-release-defect"), "{}", r.stdout);
    for (version, values) in [("1.19.0", &v1190), ("1.13.0", &v1130)] {
        let r = check(
            &s,
            version,
            values,
            REDIS_EXISTING_SECRET,
            &["--to", version, "--renderer", "template"],
        );
        assert!(!has(&r, "chart-release-defect"), "{version}: {}", r.stdout);
    }
}

/// Real `helm template` agrees: 1.18.4 fails with the quoted error, 1.19.0 and 1.13.0 render.
#[test]
fn chart_release_defect_redis_range_matches_real_helm_template() {
    let name = "chart_release_defect_redis_range_matches_real_helm_template";
    let helm = match Helm::find(4) {
        Ok(helm) => helm,
        Err(why) => return common::skip(&format!("{name}: {why}")),
    };
    let s = Scratch::new();
    let values = s.write("redis.yaml", REDIS_EXISTING_SECRET);
    for (version, fails) in [
        ("1.13.0", false),
        ("1.13.1", true),
        ("1.18.4", true),
        ("1.19.0", false),
    ] {
        let chart = match support::helm::chart(version) {
            Ok(chart) => chart,
            Err(why) => return common::skip(&format!("{name}: {why}")),
        };
        let out = std::process::Command::new(&helm.bin)
            .args(["template", "harbor"])
            .arg(&chart)
            .args(["--values", &values])
            .env("HOME", s.path())
            .output()
            .expect("run helm");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(!out.status.success(), fails, "{version}: {stderr}");
        if fails {
            assert!(
                stderr.contains("nil pointer evaluating interface {}.REDIS_PASSWORD"),
                "{version}: {stderr}"
            );
        }
    }
}

// ---- tls-ca-regenerates ---------------------------------------------------------------------

#[test]
fn tls_ca_regenerates_with_the_charts_own_auto_certificates() {
    let name = "tls_ca_regenerates_with_the_charts_own_auto_certificates";
    let Some(v) = common::chart_values(name, "1.19.1") else {
        return;
    };
    let s = Scratch::new();
    // The chart's defaults: ingress, TLS on, `certSource: auto`.
    let r = check(&s, "1.19.1", &v, "{}\n", &["--to", "1.19.1"]);
    let f = r.findings("tls-ca-regenerates");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["valuesPath"], "expose.tls.certSource");
    assert!(f[0].to_string().contains("<fullname>-ingress"), "{}", f[0]);
    assert!(
        f[0].to_string()
            .contains("x509: certificate signed by unknown authority"),
        "{}",
        f[0]
    );
    // Internal TLS on with `auto` is a second finding.
    let r = check(
        &s,
        "1.19.1",
        &v,
        "fullnameOverride: registry\ninternalTLS:\n  enabled: true\n",
        &["--to", "1.19.1"],
    );
    let f = r.findings("tls-ca-regenerates");
    assert_eq!(f.len(), 2, "{}", r.stdout);
    assert!(
        r.stdout.contains("registry-core-internal-tls"),
        "{}",
        r.stdout
    );
    // Passing: a certificate from a Secret.
    let r = check(
        &s,
        "1.19.1",
        &v,
        "expose:\n  tls:\n    certSource: secret\n    secret:\n      secretName: harbor-tls\n",
        &["--to", "1.19.1"],
    );
    assert!(!has(&r, "tls-ca-regenerates"), "{}", r.stdout);
}

/// Real `helm template` makes a different CA each time with `certSource: auto`, and the same
/// with a Secret (none at all).
#[test]
fn tls_ca_regenerates_matches_two_real_renders() {
    let name = "tls_ca_regenerates_matches_two_real_renders";
    let helm = match Helm::find(4) {
        Ok(helm) => helm,
        Err(why) => return common::skip(&format!("{name}: {why}")),
    };
    let chart = match support::helm::chart("1.19.1") {
        Ok(chart) => chart,
        Err(why) => return common::skip(&format!("{name}: {why}")),
    };
    let s = Scratch::new();
    let render = || {
        let out = std::process::Command::new(&helm.bin)
            .args(["template", "harbor"])
            .arg(&chart)
            .args(["--show-only", "templates/ingress/secret.yaml"])
            .env("HOME", s.path())
            .output()
            .expect("run helm");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.lines()
            .find(|l| l.trim_start().starts_with("ca.crt:"))
            .map(str::to_string)
            .expect("ca.crt in the ingress Secret")
    };
    assert_ne!(render(), render(), "every render makes a new CA");
}

// ---- external-url-mismatch ------------------------------------------------------------------

#[test]
fn external_url_mismatch_for_http_with_tls_and_for_another_host() {
    let name = "external_url_mismatch_for_http_with_tls_and_for_another_host";
    let Some(v) = common::chart_values(name, "1.19.1") else {
        return;
    };
    let s = Scratch::new();
    let r = check(
        &s,
        "1.19.1",
        &v,
        "externalURL: http://core.harbor.domain\n",
        &["--to", "1.19.1"],
    );
    let f = r.findings("external-url-mismatch");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["location"]["line"], 1);
    assert!(f[0].to_string().contains("CSRF token invalid"), "{}", f[0]);
    let r = check(
        &s,
        "1.19.1",
        &v,
        "externalURL: https://harbor.example.com\n",
        &["--to", "1.19.1"],
    );
    let f = r.findings("external-url-mismatch");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert!(f[0]["message"]
        .as_str()
        .unwrap()
        .contains("core.harbor.domain"));
    // Passing: the chart's own matching defaults; TLS terminated in front with chart TLS off;
    // a host a deploy tool substitutes later.
    let r = check(&s, "1.19.1", &v, "{}\n", &["--to", "1.19.1"]);
    assert!(!has(&r, "external-url-mismatch"), "{}", r.stdout);
    let r = check(
        &s,
        "1.19.1",
        &v,
        "expose:\n  tls:\n    enabled: false\n",
        &["--to", "1.19.1"],
    );
    assert!(!has(&r, "external-url-mismatch"), "{}", r.stdout);
    let r = check(
        &s,
        "1.19.1",
        &v,
        "externalURL: https://harbor.${SECRET_DOMAIN}\n",
        &["--to", "1.19.1"],
    );
    assert!(!has(&r, "external-url-mismatch"), "{}", r.stdout);
}

// ---- rwo-rolling-update ---------------------------------------------------------------------

#[test]
fn rwo_rolling_update_for_the_charts_own_defaults() {
    let name = "rwo_rolling_update_for_the_charts_own_defaults";
    let (Some(v1191), Some(v194)) = (
        common::chart_values(name, "1.19.1"),
        common::chart_values(name, "1.9.4"),
    ) else {
        return;
    };
    let s = Scratch::new();
    let r = check(&s, "1.19.1", &v1191, "{}\n", &["--to", "1.19.1"]);
    let f = r.findings("rwo-rolling-update");
    assert_eq!(f.len(), 2, "registry and jobservice: {}", r.stdout);
    assert!(f
        .iter()
        .all(|f| f.to_string().contains("Multi-Attach error for volume")));
    assert!(
        r.stdout.contains("jobservice.jobLog.accessMode"),
        "{}",
        r.stdout
    );
    // Chart 1.9 has the jobservice claim one level up.
    let r = check(&s, "1.9.4", &v194, "{}\n", &["--to", "1.9.4"]);
    assert!(
        r.stdout
            .contains("persistence.persistentVolumeClaim.jobservice.accessMode"),
        "{}",
        r.stdout
    );
    // Passing: Recreate; object storage and database job logs; ReadWriteMany.
    let r = check(
        &s,
        "1.19.1",
        &v1191,
        "updateStrategy:\n  type: Recreate\n",
        &["--to", "1.19.1"],
    );
    assert!(!has(&r, "rwo-rolling-update"), "{}", r.stdout);
    let r = check(
        &s,
        "1.19.1",
        &v1191,
        "persistence:\n  imageChartStorage:\n    type: s3\njobservice:\n  jobLoggers: [database]\n",
        &["--to", "1.19.1"],
    );
    assert!(!has(&r, "rwo-rolling-update"), "{}", r.stdout);
    let r = check(
        &s,
        "1.19.1",
        &v1191,
        "persistence:\n  persistentVolumeClaim:\n    registry:\n      accessMode: ReadWriteMany\n    jobservice:\n      jobLog:\n        accessMode: ReadWriteMany\n",
        &["--to", "1.19.1"],
    );
    assert!(!has(&r, "rwo-rolling-update"), "{}", r.stdout);
}

// ---- migration-unguarded --------------------------------------------------------------------

#[test]
fn migration_unguarded_with_several_core_replicas_across_a_minor() {
    let name = "migration_unguarded_with_several_core_replicas_across_a_minor";
    let Some(v) = common::chart_values(name, "1.14.2") else {
        return;
    };
    let s = Scratch::new();
    let three = "core:\n  replicas: 3\n";
    let r = check(
        &s,
        "1.14.2",
        &v,
        three,
        &["--from", "2.9.4", "--to", "2.10.2"],
    );
    let f = r.findings("migration-unguarded");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["valuesPath"], "core.replicas");
    assert!(
        f[0].to_string()
            .contains("Dirty database version N. Fix and force version."),
        "{}",
        f[0]
    );
    assert!(f[0]["help"]
        .as_str()
        .unwrap()
        .contains("enableMigrateHelmHook: true"));
    // Passing: the hook on; one replica (the chart default); a patch release (no migration).
    let r = check(
        &s,
        "1.14.2",
        &v,
        "core:\n  replicas: 3\nenableMigrateHelmHook: true\n",
        &["--from", "2.9.4", "--to", "2.10.2"],
    );
    assert!(!has(&r, "migration-unguarded"), "{}", r.stdout);
    let r = check(
        &s,
        "1.14.2",
        &v,
        "{}\n",
        &["--from", "2.9.4", "--to", "2.10.2"],
    );
    assert!(!has(&r, "migration-unguarded"), "{}", r.stdout);
    let r = check(
        &s,
        "1.14.2",
        &v,
        three,
        &["--from", "2.10.0", "--to", "2.10.2"],
    );
    assert!(!has(&r, "migration-unguarded"), "{}", r.stdout);
}

// ---- persistence-immutable-change -----------------------------------------------------------

#[test]
fn persistence_immutable_change_between_deployed_and_new_values() {
    let name = "persistence_immutable_change_between_deployed_and_new_values";
    let (Some(old), Some(new)) = (
        common::chart_values(name, "1.14.2"),
        common::chart_values(name, "1.15.0"),
    ) else {
        return;
    };
    let s = Scratch::new();
    let deployed = s.write("deployed.yaml", &old);
    let args = [
        "--from",
        "1.14.2",
        "--to",
        "1.15.0",
        "--deployed-values",
        deployed.as_str(),
    ];
    let r = check(
        &s,
        "1.15.0",
        &new,
        "persistence:\n  persistentVolumeClaim:\n    database:\n      size: 5Gi\n    registry:\n      accessMode: ReadWriteMany\n",
        &args,
    );
    let f = r.findings("persistence-immutable-change");
    assert_eq!(f.len(), 2, "{}", r.stdout);
    let text = r.stdout.clone();
    assert!(
        text.contains("updates to statefulset spec for fields other than"),
        "{text}"
    );
    assert!(text.contains("spec is immutable after creation"), "{text}");
    assert!(f
        .iter()
        .any(|f| f["valuesPath"] == "persistence.persistentVolumeClaim.database.size"));
    // Passing: the same persistence; a size change on a Deployment's claim (allowed to grow).
    let r = check(&s, "1.15.0", &new, "{}\n", &args);
    assert!(!has(&r, "persistence-immutable-change"), "{}", r.stdout);
    let r = check(
        &s,
        "1.15.0",
        &new,
        "persistence:\n  persistentVolumeClaim:\n    registry:\n      size: 50Gi\n",
        &args,
    );
    assert!(!has(&r, "persistence-immutable-change"), "{}", r.stdout);
    // Without deployed values there is nothing to compare.
    let r = check(
        &s,
        "1.15.0",
        &new,
        "persistence:\n  persistentVolumeClaim:\n    database:\n      size: 5Gi\n",
        &["--from", "1.14.2", "--to", "1.15.0"],
    );
    assert!(!has(&r, "persistence-immutable-change"), "{}", r.stdout);
}

/// The deployed values come from the release record in the cluster.
#[test]
fn persistence_immutable_change_reads_the_release_record() {
    let name = "persistence_immutable_change_reads_the_release_record";
    let Some(new) = common::chart_values(name, "1.14.2") else {
        return;
    };
    let server = ApiServer::start();
    install(
        &server,
        "harbor",
        &json!({"persistence": {"persistentVolumeClaim": {"redis": {"storageClass": "standard"}}}}),
        "rsa2048.key",
        "rsa2048.crt",
    );
    let s = Scratch::new();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let base = s.write("values.yaml", &new);
    let run = |over: &str| {
        let over = s.write("overrides.yaml", over);
        let r = run_with(
            &kubeconfig,
            s.path(),
            &[
                "preflight",
                "check",
                &base,
                "-f",
                &over,
                "-o",
                "json",
                "--to",
                "1.14.2",
                "--skip-clock",
                "--now",
                "2030-01-01T00:00:00Z",
            ],
        );
        r.assert_judged();
        r
    };
    let r = run("persistence:\n  persistentVolumeClaim:\n    redis:\n      storageClass: fast\n");
    let f = r.findings("persistence-immutable-change");
    assert_eq!(f.len(), 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        f[0]["message"].as_str().unwrap().contains("harbor-redis"),
        "{}",
        f[0]
    );
    let r =
        run("persistence:\n  persistentVolumeClaim:\n    redis:\n      storageClass: standard\n");
    assert!(!has(&r, "persistence-immutable-change"), "{}", r.stdout);
}

// ---- reuse-values-stale ---------------------------------------------------------------------

#[test]
fn reuse_values_stale_lists_the_keys_the_old_defaults_lack() {
    let name = "reuse_values_stale_lists_the_keys_the_old_defaults_lack";
    let Some(_) = common::chart_values(name, "1.12.4") else {
        return;
    };
    let s = Scratch::new();
    // What `helm get values` prints for a release installed with a few flags.
    let deployed = s.write(
        "deployed.yaml",
        "expose:\n  ingress:\n    hosts:\n      core: harbor.example.com\nexternalURL: https://harbor.example.com\n",
    );
    let over = s.write("set.yaml", "core:\n  replicas: 1\n");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "preflight",
            "check",
            "-f",
            over.as_str(),
            "--deployed-values",
            deployed.as_str(),
            "--from",
            "1.12.4",
            "--to",
            "1.14.2",
            "-o",
            "json",
        ];
        args.extend_from_slice(extra);
        let r = common::run(&args);
        r.assert_judged();
        r
    };
    let r = run(&["--reuse-values"]);
    let f = r.findings("reuse-values-stale");
    assert_eq!(f.len(), 1, "{}\n{}", r.stdout, r.stderr);
    let text = f[0].to_string();
    // `core.existingSecret` is new in 1.14; the images keep the 1.12.4 tags.
    assert!(text.contains("core.existingSecret"), "{text}");
    assert!(text.contains("Harbor 2.8.4 instead of 2.10.2"), "{text}");
    assert!(f[0]["help"]
        .as_str()
        .unwrap()
        .contains("--reset-then-reuse-values"));
    // Passing: without `--reuse-values` the target's defaults apply.
    let r = run(&[]);
    assert!(!has(&r, "reuse-values-stale"), "{}", r.stdout);
}

#[test]
fn reuse_values_offline_needs_deployed_values() {
    let s = Scratch::new();
    let v = s.write("v.yaml", "core:\n  replicas: 1\n");
    let r = common::run(&["preflight", "check", &v, "--reuse-values"]);
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--deployed-values"), "{}", r.stderr);
}

/// With the cluster, `--reuse-values` merges over the release record's values and the deployed
/// chart is the record's (1.12.4).
#[test]
fn reuse_values_stale_from_the_release_record() {
    let server = ApiServer::start();
    install(
        &server,
        "harbor",
        &json!({"externalURL": "https://harbor.example.com"}),
        "rsa2048.key",
        "rsa2048.crt",
    );
    let s = Scratch::new();
    let kubeconfig = server.kubeconfig(s.path(), NS);
    let run = |extra: &[&str]| {
        let mut args = vec![
            "preflight",
            "check",
            "--set",
            "core.replicas=1",
            "--to",
            "1.14.2",
            "-o",
            "json",
            "--skip-clock",
            "--now",
            "2030-01-01T00:00:00Z",
        ];
        args.extend_from_slice(extra);
        let r = run_with(&kubeconfig, s.path(), &args);
        r.assert_judged();
        r
    };
    let r = run(&["--reuse-values"]);
    assert_eq!(
        r.findings("reuse-values-stale").len(),
        1,
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    let r = run(&[]);
    assert!(!has(&r, "reuse-values-stale"), "{}", r.stdout);
}

/// Real Helm: install chart 1.12.4, then `helm upgrade --reuse-values` to 1.14.2 with
/// `--dry-run=server`: Helm renders the deployed chart's image tags, as the rule says, and
/// `--reset-then-reuse-values` (the rule's help) renders the target's.
fn reuse_values_real_helm(major: u32, name: &str) {
    use support::helm::{manifest_section, yaml_documents, HelmCluster};
    let Some(cluster) = HelmCluster::start(name, major, &["1.12.4", "1.14.2"]) else {
        return;
    };
    let values = cluster.write(
        "install.yaml",
        "expose:\n  ingress:\n    hosts:\n      core: harbor.example.com\nexternalURL: https://harbor.example.com\n",
    );
    cluster.deploy("install", "harbor", "1.12.4", &[&values]);
    let chart = support::helm::chart("1.14.2").expect("checked at start");
    let chart = chart.to_string_lossy().into_owned();
    let core_image = |flag: &str| {
        let run = cluster.helm(&["upgrade", "harbor", &chart, flag, "--dry-run=server"]);
        let docs = yaml_documents(manifest_section(&run.stdout));
        (
            run.status,
            run.stderr.clone(),
            docs.iter()
                .find(|d| d["kind"] == "Deployment" && d["metadata"]["name"] == "harbor-core")
                .map(|d| d["spec"]["template"]["spec"]["containers"][0]["image"].clone()),
        )
    };
    let tool = cluster.tool(&[
        "preflight",
        "check",
        "-n",
        NS,
        "--set",
        "core.replicas=1",
        "--reuse-values",
        "--to",
        "1.14.2",
        "--skip-clock",
        "-o",
        "json",
    ]);
    tool.assert_judged();
    assert_eq!(
        tool.findings("reuse-values-stale").len(),
        1,
        "{}",
        tool.stdout
    );
    // The upgrade renders, but with the deployed chart's image tags: Harbor does not move.
    let (status, stderr, image) = core_image("--reuse-values");
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(
        image,
        Some(json!("goharbor/harbor-core:v2.8.4")),
        "{stderr}"
    );
    let (status, stderr, image) = core_image("--reset-then-reuse-values");
    assert_eq!(status, 0, "{stderr}");
    assert_eq!(
        image,
        Some(json!("goharbor/harbor-core:v2.10.2")),
        "{stderr}"
    );
}

#[test]
fn reuse_values_stale_matches_real_helm_4() {
    reuse_values_real_helm(4, "reuse_values_stale_matches_real_helm_4");
}

#[test]
fn reuse_values_stale_matches_real_helm_3() {
    reuse_values_real_helm(3, "reuse_values_stale_matches_real_helm_3");
}
