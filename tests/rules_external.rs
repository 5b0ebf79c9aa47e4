//! The rules about external services (`external-database-too-old`, `redis-sentinel-address`),
//! and the upgrade rules' findings on the real-world values files of `../shared/`. Values are
//! the real chart's `values.yaml` of the release with a small override merged after it, as
//! operators pass them; real Helm confirms how the chart passes the Redis addresses on. Without
//! the shared folder or Helm a test prints `skipped: <name>: <why>` and passes.

mod common;

use std::collections::BTreeSet;

use common::{Run, Scratch};
use serde_json::Value;

/// `preflight check --to VERSION` (`-o json` unless `extra` names a format) on the real values of `version` with `overrides`
/// merged after them, plus `extra` arguments.
fn check(s: &Scratch, version: &str, values: &str, overrides: &str, extra: &[&str]) -> Run {
    let base = s.write(&format!("values-{version}.yaml"), values);
    let over = s.write("overrides.yaml", overrides);
    let mut args = vec![
        "preflight",
        "check",
        base.as_str(),
        "-f",
        over.as_str(),
        "--to",
        version,
        "--no-config",
        "--now",
        "2030-01-01T00:00:00Z",
    ];
    if !extra.contains(&"-o") {
        args.extend_from_slice(&["-o", "json"]);
    }
    args.extend_from_slice(extra);
    let r = common::run(&args);
    r.assert_judged();
    r
}

/// Helm 4 from `HARBOR_UPGRADE_TEST_HELM4` (a file, or a folder holding `helm`), or `None`
/// after saying why the test is skipped.
fn helm4(name: &str) -> Option<std::path::PathBuf> {
    let Some(path) = std::env::var_os("HARBOR_UPGRADE_TEST_HELM4").filter(|v| !v.is_empty()) else {
        common::skip(&format!(
            "{name}: HARBOR_UPGRADE_TEST_HELM4 is not set (`.ci/run` fetches Helm and sets it)"
        ));
        return None;
    };
    let path = std::path::PathBuf::from(path);
    Some(if path.is_dir() {
        path.join("helm")
    } else {
        path
    })
}

fn text_of(v: &Value) -> String {
    serde_json::to_string(v).unwrap()
}

// ---- external-database-too-old --------------------------------------------------------------

const EXTERNAL_DB: &str = "database:\n  type: external\n  external:\n    host: pg.db.svc.cluster.local\n    port: \"5432\"\n    username: harbor\n    coreDatabase: registry\n";

#[test]
fn external_database_too_old_postgresql_11_under_harbor_2_9() {
    let name = "external_database_too_old_postgresql_11_under_harbor_2_9";
    let Some(v) = common::chart_values(name, "1.13.0") else {
        return;
    };
    let s = Scratch::new();
    // Harbor 2.9.0 on PostgreSQL 11: the 2.9.0 migration needs 12 (goharbor/harbor#19318).
    let r = check(
        &s,
        "1.13.0",
        &v,
        EXTERNAL_DB,
        &["--database-version", "11.22"],
    );
    let f = r.findings("external-database-too-old");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["severity"], "error");
    assert_eq!(f[0]["valuesPath"], "database.external.host");
    let text = text_of(&f[0]);
    assert!(text.contains("PostgreSQL 11.22"), "{text}");
    assert!(text.contains("PostgreSQL 12 or later"), "{text}");
    assert!(text.contains("jsonb_path_exists"), "{text}");
    assert_eq!(r.status, 1);
    // Passing: 12 and later, whatever the minor.
    for ok in ["12", "12.0", "14.5", "17"] {
        let r = check(&s, "1.13.0", &v, EXTERNAL_DB, &["--database-version", ok]);
        assert!(
            r.findings("external-database-too-old").is_empty(),
            "{ok}: {}",
            r.stdout
        );
        assert!(r.skipped("external-database-too-old").is_empty(), "{ok}");
    }
}

#[test]
fn external_database_too_old_uses_the_minimum_of_the_target_release() {
    let name = "external_database_too_old_uses_the_minimum_of_the_target_release";
    let Some(v) = common::chart_values(name, "1.12.4") else {
        return;
    };
    let s = Scratch::new();
    // Harbor 2.8.4 still runs on 11 (10 is the minimum from 2.5), not on 9.6.
    let r = check(&s, "1.12.4", &v, EXTERNAL_DB, &["--database-version", "11"]);
    assert!(
        r.findings("external-database-too-old").is_empty(),
        "{}",
        r.stdout
    );
    let r = check(
        &s,
        "1.12.4",
        &v,
        EXTERNAL_DB,
        &["--database-version", "9.6.24"],
    );
    let f = r.findings("external-database-too-old");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert!(
        text_of(&f[0]).contains("PostgreSQL 9.6 is older"),
        "{}",
        r.stdout
    );
    assert!(
        text_of(&f[0]).contains("PostgreSQL 10 or later"),
        "{}",
        r.stdout
    );
}

#[test]
fn external_database_too_old_without_a_version_is_a_note_not_a_warning() {
    let name = "external_database_too_old_without_a_version_is_a_note_not_a_warning";
    let Some(v) = common::chart_values(name, "1.14.2") else {
        return;
    };
    let s = Scratch::new();
    let r = check(&s, "1.14.2", &v, EXTERNAL_DB, &[]);
    assert!(
        r.findings("external-database-too-old").is_empty(),
        "{}",
        r.stdout
    );
    let skipped = r.skipped("external-database-too-old");
    assert_eq!(skipped.len(), 1, "{}", r.stdout);
    assert!(
        text_of(&skipped[0]).contains("--database-version"),
        "{}",
        r.stdout
    );
    // The internal database is the chart's own: the rule says nothing, with or without it.
    for extra in [&[][..], &["--database-version", "9.6"][..]] {
        let r = check(&s, "1.14.2", &v, "{}\n", extra);
        assert!(
            r.findings("external-database-too-old").is_empty(),
            "{}",
            r.stdout
        );
        assert!(
            r.skipped("external-database-too-old").is_empty(),
            "{}",
            r.stdout
        );
    }
}

#[test]
fn database_version_that_is_not_a_version_is_refused_with_exit_2() {
    let s = Scratch::new();
    let file = s.write("values.yaml", EXTERNAL_DB);
    for bad in ["fourteen", "14.5 (Debian 14.5-1)", "", "14."] {
        let r = common::run(&["preflight", "check", &file, "--database-version", bad]);
        assert_eq!(r.status, 2, "{bad:?}: {}", r.stderr);
        assert!(r.stderr.contains("error:"), "{}", r.stderr);
        assert!(r.stderr.contains("--database-version"), "{}", r.stderr);
        assert!(r.stdout.is_empty(), "{}", r.stdout);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
}

// ---- redis-sentinel-address -----------------------------------------------------------------

const SENTINELS: &str = "redis-sentinel-0.redis-sentinel-headless:26379,redis-sentinel-1.redis-sentinel-headless:26379,redis-sentinel-2.redis-sentinel-headless:26379";

fn redis(addr: &str, master: &str) -> String {
    format!(
        "redis:\n  type: external\n  external:\n    addr: \"{addr}\"\n    sentinelMasterSet: \"{master}\"\n"
    )
}

#[test]
fn redis_sentinel_address_several_hosts_without_a_master_set() {
    let name = "redis_sentinel_address_several_hosts_without_a_master_set";
    let Some(v) = common::chart_values(name, "1.16.0") else {
        return;
    };
    let s = Scratch::new();
    // goharbor/harbor#13614: a Sentinel list with `sentinel_master_set` empty.
    let r = check(&s, "1.16.0", &v, &redis(SENTINELS, ""), &[]);
    let f = r.findings("redis-sentinel-address");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["severity"], "error");
    assert_eq!(f[0]["valuesPath"], "redis.external.addr");
    assert!(
        text_of(&f[0]).contains("too many colons in address"),
        "{}",
        r.stdout
    );
    // Passing: the master set named (Harbor 2.12 reads Sentinels everywhere), or one address.
    let r = check(&s, "1.16.0", &v, &redis(SENTINELS, "mymaster"), &[]);
    assert!(
        r.findings("redis-sentinel-address").is_empty(),
        "{}",
        r.stdout
    );
    let r = check(&s, "1.16.0", &v, &redis("redis-master.redis:6379", ""), &[]);
    assert!(
        r.findings("redis-sentinel-address").is_empty(),
        "{}",
        r.stdout
    );
    // The internal Redis, whatever `external` holds.
    let internal = format!(
        "{}  type: internal\n",
        redis(SENTINELS, "").replace("  type: external\n", "")
    );
    let r = check(&s, "1.16.0", &v, &internal, &[]);
    assert!(
        r.findings("redis-sentinel-address").is_empty(),
        "{}",
        r.stdout
    );
}

#[test]
fn redis_sentinel_address_entries_that_are_not_host_and_port() {
    let name = "redis_sentinel_address_entries_that_are_not_host_and_port";
    let Some(v) = common::chart_values(name, "1.16.0") else {
        return;
    };
    let s = Scratch::new();
    for (addr, why) in [
        ("redis://redis-sentinel-0:26379", "a scheme"),
        ("redis-sentinel-0:26379/mymaster", "a path"),
        (
            "redis-sentinel-0:26379, redis-sentinel-1:26379",
            "white space",
        ),
        ("redis-sentinel-0,redis-sentinel-1", "no port"),
        ("redis-sentinel-0:26379,", "an empty entry"),
    ] {
        let r = check(&s, "1.16.0", &v, &redis(addr, "mymaster"), &[]);
        let f = r.findings("redis-sentinel-address");
        assert_eq!(f.len(), 1, "{addr}: {}", r.stdout);
        assert_eq!(f[0]["severity"], "error");
        assert!(text_of(&f[0]).contains(why), "{addr}: {}", r.stdout);
    }
    // Regression: an entry with credentials in it is quoted without them, in every format.
    let leaky = redis("redis://:hunter2Hunter2@redis-sentinel-0:26379", "mymaster");
    let r = check(&s, "1.16.0", &v, &leaky, &[]);
    assert_eq!(
        r.findings("redis-sentinel-address").len(),
        1,
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("<credentials>@redis-sentinel-0:26379"),
        "{}",
        r.stdout
    );
    for format in ["json", "text", "sarif"] {
        let r = check(&s, "1.16.0", &v, &leaky, &["-o", format]);
        assert!(
            !r.stdout.contains("hunter2Hunter2"),
            "{format}: {}",
            r.stdout
        );
        assert!(
            !r.stderr.contains("hunter2Hunter2"),
            "{format}: {}",
            r.stderr
        );
    }
    // A value substituted at deploy time is not judged.
    let r = check(
        &s,
        "1.16.0",
        &v,
        &redis("${REDIS_SENTINELS}", "mymaster"),
        &[],
    );
    assert!(
        r.findings("redis-sentinel-address").is_empty(),
        "{}",
        r.stdout
    );
}

#[test]
fn redis_sentinel_address_registry_of_harbor_2_13_and_2_5_0() {
    let name = "redis_sentinel_address_registry_of_harbor_2_13_and_2_5_0";
    let (Some(v1170), Some(v1191), Some(v1_9_0), Some(v1_9_1)) = (
        common::chart_values(name, "1.17.0"),
        common::chart_values(name, "1.19.1"),
        common::chart_values(name, "1.9.0"),
        common::chart_values(name, "1.9.1"),
    ) else {
        return;
    };
    let s = Scratch::new();
    // goharbor/harbor#22327: the 2.13 registry dials the Sentinel list as one address.
    for (version, values) in [("1.17.0", &v1170), ("1.19.1", &v1191)] {
        let r = check(&s, version, values, &redis(SENTINELS, "mymaster"), &[]);
        let f = r.findings("redis-sentinel-address");
        assert_eq!(f.len(), 1, "{version}: {}", r.stdout);
        assert_eq!(f[0]["severity"], "warning");
        assert_eq!(f[0]["valuesPath"], "redis.external.sentinelMasterSet");
        assert!(text_of(&f[0]).contains("22327"), "{}", r.stdout);
    }
    // With TLS the chart also drops `sentinelMasterSet` from the registry's config.yml.
    let tls = format!(
        "{}    tlsOptions:\n      enable: true\n",
        redis(SENTINELS, "mymaster")
    );
    let r = check(&s, "1.19.1", &v1191, &tls, &[]);
    let f = r.findings("redis-sentinel-address");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert!(text_of(&f[0]).contains("tlsOptions.enable"), "{}", r.stdout);
    // goharbor/harbor#16777: Harbor 2.5.0's registry, fixed in 2.5.1.
    let r = check(&s, "1.9.0", &v1_9_0, &redis(SENTINELS, "mymaster"), &[]);
    let f = r.findings("redis-sentinel-address");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["severity"], "warning");
    assert!(text_of(&f[0]).contains("2.5.1"), "{}", r.stdout);
    let r = check(&s, "1.9.1", &v1_9_1, &redis(SENTINELS, "mymaster"), &[]);
    assert!(
        r.findings("redis-sentinel-address").is_empty(),
        "{}",
        r.stdout
    );
}

/// Real `helm template`: how `addr` and `sentinelMasterSet` reach core and the registry, which
/// the rule relies on.
#[test]
fn redis_sentinel_address_reaches_the_components_as_real_helm_renders_it() {
    let name = "redis_sentinel_address_reaches_the_components_as_real_helm_renders_it";
    let Some(helm) = helm4(name) else {
        return;
    };
    let chart = common::root().join("../shared/harbor-helm/1.19.1/harbor-1.19.1.tgz");
    if !chart.is_file() {
        return common::skip(&format!("{name}: {} is absent", chart.display()));
    }
    let s = Scratch::new();
    let render = |values: &str| {
        let file = s.write("redis.yaml", values);
        let out = std::process::Command::new(&helm)
            .args(["template", "harbor"])
            .arg(&chart)
            .args(["--values", &file])
            .env("HOME", s.path())
            .output()
            .expect("run helm");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = render(&redis(SENTINELS, "mymaster"));
    assert!(
        out.contains(&format!(
            "_REDIS_URL_CORE: \"redis+sentinel://{SENTINELS}/mymaster/0"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "redis_url: \"redis+sentinel://{SENTINELS}/mymaster/1\""
        )),
        "jobservice: {out}"
    );
    assert!(
        out.contains(&format!(
            "      addr: {SENTINELS}\n      sentinelMasterSet: mymaster\n"
        )),
        "{out}"
    );
    // TLS: the registry's config.yml loses `sentinelMasterSet`.
    let tls = format!(
        "{}    tlsOptions:\n      enable: true\n",
        redis(SENTINELS, "mymaster")
    );
    let out = render(&tls);
    assert!(
        out.contains(&format!("rediss+sentinel://{SENTINELS}/mymaster/0")),
        "{out}"
    );
    assert!(out.contains(&format!("      addr: {SENTINELS}\n")), "{out}");
    assert!(!out.contains("sentinelMasterSet:"), "{out}");
    // No master set: a plain `redis://` URL with the whole list as its host.
    let out = render(&redis(SENTINELS, ""));
    assert!(
        out.contains(&format!("_REDIS_URL_CORE: \"redis://{SENTINELS}/0")),
        "{out}"
    );
}

// ---- false alarms fixed in the upgrade rules ------------------------------------------------

/// Regression: `tls-ca-regenerates` described a new CA on every render for an nginx exposure
/// without `expose.tls.auto.commonName`, where the chart refuses to render at all.
#[test]
fn tls_ca_regenerates_without_a_common_name_is_the_render_failure() {
    let name = "tls_ca_regenerates_without_a_common_name_is_the_render_failure";
    let Some(v) = common::chart_values(name, "1.19.1") else {
        return;
    };
    let s = Scratch::new();
    let r = check(&s, "1.19.1", &v, "expose:\n  type: clusterIP\n", &[]);
    let f = r.findings("tls-ca-regenerates");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["severity"], "error");
    assert_eq!(f[0]["valuesPath"], "expose.tls.auto.commonName");
    assert!(text_of(&f[0]).contains("is required!"), "{}", r.stdout);
    let with_cn =
        "expose:\n  type: clusterIP\n  tls:\n    auto:\n      commonName: harbor.example.com\n";
    let r = check(&s, "1.19.1", &v, with_cn, &[]);
    let f = r.findings("tls-ca-regenerates");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["severity"], "warning");
    assert!(text_of(&f[0]).contains("genCA"), "{}", r.stdout);
}

/// Real `helm template`: an nginx exposure with generated TLS and no common name does not render.
#[test]
fn tls_ca_regenerates_common_name_failure_matches_real_helm_template() {
    let name = "tls_ca_regenerates_common_name_failure_matches_real_helm_template";
    let Some(helm) = helm4(name) else {
        return;
    };
    let chart = common::root().join("../shared/harbor-helm/1.19.1/harbor-1.19.1.tgz");
    if !chart.is_file() {
        return common::skip(&format!("{name}: {} is absent", chart.display()));
    }
    let s = Scratch::new();
    let render = |values: &str| {
        let file = s.write("expose.yaml", values);
        std::process::Command::new(&helm)
            .args(["template", "harbor"])
            .arg(&chart)
            .args(["--values", &file])
            .env("HOME", s.path())
            .output()
            .expect("run helm")
    };
    let out = render("expose:\n  type: clusterIP\n");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("The \"expose.tls.auto.commonName\" is required!"),
        "{stderr}"
    );
    let out = render(
        "expose:\n  type: clusterIP\n  tls:\n    auto:\n      commonName: harbor.example.com\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Regression: `rwo-rolling-update` warned about node-local volumes (local-path and the like),
/// which the new pod mounts on the same node without any attach.
#[test]
fn rwo_rolling_update_not_raised_for_node_local_storage_classes() {
    let name = "rwo_rolling_update_not_raised_for_node_local_storage_classes";
    let Some(v) = common::chart_values(name, "1.19.1") else {
        return;
    };
    let s = Scratch::new();
    let r = check(&s, "1.19.1", &v, "{}\n", &[]);
    assert_eq!(r.findings("rwo-rolling-update").len(), 2, "{}", r.stdout);
    let local = "persistence:\n  persistentVolumeClaim:\n    registry:\n      storageClass: local-path\n    jobservice:\n      jobLog:\n        storageClass: openebs-hostpath\n";
    let r = check(&s, "1.19.1", &v, local, &[]);
    assert!(r.findings("rwo-rolling-update").is_empty(), "{}", r.stdout);
    // A network block class keeps the warning.
    let block =
        "persistence:\n  persistentVolumeClaim:\n    registry:\n      storageClass: longhorn\n";
    let r = check(&s, "1.19.1", &v, block, &[]);
    let f = r.findings("rwo-rolling-update");
    assert_eq!(f.len(), 2, "{}", r.stdout);
}

/// Regression: `rwo-rolling-update` warned about a component scaled to zero, which has no pod
/// holding the volume.
#[test]
fn rwo_rolling_update_not_raised_for_zero_replicas() {
    let name = "rwo_rolling_update_not_raised_for_zero_replicas";
    let Some(v) = common::chart_values(name, "1.19.1") else {
        return;
    };
    let s = Scratch::new();
    let r = check(&s, "1.19.1", &v, "jobservice:\n  replicas: 0\n", &[]);
    let f = r.findings("rwo-rolling-update");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert!(text_of(&f[0]).contains("registry mounts"), "{}", r.stdout);
}

// ---- the real-world values files ------------------------------------------------------------

/// The rules of the upgrade itself and of external services.
const UPGRADE_RULES: &[&str] = &[
    "migration-unguarded",
    "rwo-rolling-update",
    "persistence-immutable-change",
    "reuse-values-stale",
    "chart-release-defect",
    "tls-ca-regenerates",
    "external-url-mismatch",
    "external-database-too-old",
    "redis-sentinel-address",
];

/// What those rules report on every file of `../shared/real-world-values/`, each finding as
/// `file | mode | rule | valuesPath | severity | first words`. Reviewed by hand: each is what a careful reader
/// of the file would also raise (see the comments).
const EXPECTED: &[&str] = &[
    // rwo-rolling-update: registry (filesystem storage) and jobservice (job logs to `file`) on
    // ReadWriteOnce claims of network block storage (Longhorn, Ceph RBD) or of the cluster's
    // default class, with the default `RollingUpdate`: the chart's own comment and its
    // maintainers (goharbor/harbor-helm#2288) say to use `Recreate` there. Not raised for claims
    // given with `existingClaim` (haraldkoch, kwehen: registry), object storage (enchantednatures,
    // webgrip, epam: registry), `Recreate` (MiguelABFlores, epam) or ReadWriteMany (wcygan).
    // tls-ca-regenerates: injunweb exposes `ClusterIP` with the default `certSource: auto` and no
    // `expose.tls.auto.commonName`; real `helm template` of 1.18.1 stops with `The
    // "expose.tls.auto.commonName" is required!`.
    // redis-sentinel-address: epam's HA file runs Harbor 2.13 through Sentinel, the case of
    // goharbor/harbor#22327.
    // migration-unguarded: epam HA and wcygan run `core.replicas: 2` without the migration hook.
    "DOME-Marketplace__dome-gitops__harbor-values.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "DOME-Marketplace__dome-gitops__harbor-values.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | registry mounts a",
    "DOME-Marketplace__dome-gitops__harbor-values.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "DOME-Marketplace__dome-gitops__harbor-values.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | registry mounts a",
    "ProNibs__broken-harbor-chart__harbor-values.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "ProNibs__broken-harbor-chart__harbor-values.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | registry mounts a",
    "ProNibs__broken-harbor-chart__harbor-values.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "ProNibs__broken-harbor-chart__harbor-values.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | registry mounts a",
    "Shion1305__k8s-GitOps__harbor-values.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "Shion1305__k8s-GitOps__harbor-values.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | registry mounts a",
    "Shion1305__k8s-GitOps__harbor-values.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "Shion1305__k8s-GitOps__harbor-values.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | registry mounts a",
    "enchantednatures__HomeCluster__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "enchantednatures__HomeCluster__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "epam__edp-cluster-add-ons__clusters-core-addons-harbor-ha-values.yaml | 1.17.0-to-1.18.1 | migration-unguarded | core.replicas | warning | Harbor 2.13.0 →",
    "epam__edp-cluster-add-ons__clusters-core-addons-harbor-ha-values.yaml | 1.17.0-to-1.18.1 | redis-sentinel-address | redis.external.sentinelMasterSet | warning | the registry of",
    "epam__edp-cluster-add-ons__clusters-core-addons-harbor-ha-values.yaml | as-is | redis-sentinel-address | redis.external.sentinelMasterSet | warning | the registry of",
    "haraldkoch__kochhaus-registry__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "haraldkoch__kochhaus-registry__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "injunweb__k8s-resource__apps-harbor-values.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "injunweb__k8s-resource__apps-harbor-values.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | registry mounts a",
    "injunweb__k8s-resource__apps-harbor-values.yaml | 1.17.0-to-1.18.1 | tls-ca-regenerates | expose.tls.auto.commonName | error | TLS for `expose.type:",
    "injunweb__k8s-resource__apps-harbor-values.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "injunweb__k8s-resource__apps-harbor-values.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | registry mounts a",
    "injunweb__k8s-resource__apps-harbor-values.yaml | as-is | tls-ca-regenerates | expose.tls.auto.commonName | error | TLS for `expose.type:",
    "jfroy__flatops__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "jfroy__flatops__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | registry mounts a",
    "jfroy__flatops__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "jfroy__flatops__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | registry mounts a",
    "kcable194__k8s-cluster-gitops__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "kcable194__k8s-cluster-gitops__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | registry mounts a",
    "kcable194__k8s-cluster-gitops__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "kcable194__k8s-cluster-gitops__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | registry mounts a",
    "kwehen__home-ops__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "kwehen__home-ops__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "wcygan__anton__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | 1.17.0-to-1.18.1 | migration-unguarded | core.replicas | warning | Harbor 2.13.0 →",
    "webgrip__homelab-cluster__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | 1.17.0-to-1.18.1 | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
    "webgrip__homelab-cluster__kubernetes-apps-harbor-harbor-app-helmrelease.yaml | as-is | rwo-rolling-update | updateStrategy.type | warning | jobservice mounts a",
];

#[test]
fn upgrade_rules_on_the_real_world_values_report_exactly_what_a_reader_would() {
    let name = "upgrade_rules_on_the_real_world_values_report_exactly_what_a_reader_would";
    let dir = common::root().join("../shared/real-world-values");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return common::skip(&format!("{name}: {} is absent", dir.display()));
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "{files:?}");
    let mut got = BTreeSet::new();
    for path in &files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        // Umbrella charts (`harbor:` beside other subcharts' keys).
        let umbrella = text.lines().any(|l| l == "harbor:");
        // A Flux HelmRelease that pins `spec.chart.spec.version` is judged against it; every
        // other file against 1.19.1, so that a newer release in the table changes nothing here.
        let pinned = text.contains("kind: HelmRelease") && !text.contains("chartRef:");
        // As found (the target the file pins, else the newest release), and as one upgrade
        // across a Harbor minor (2.13 → 2.14).
        for (mode, extra) in [
            ("as-is", &[][..]),
            (
                "1.17.0-to-1.18.1",
                &["--from", "1.17.0", "--to", "1.18.1"][..],
            ),
        ] {
            let mut args = vec![
                "preflight",
                "check",
                path.to_str().unwrap(),
                "-o",
                "json",
                "--no-config",
                "--now",
                "2030-01-01T00:00:00Z",
            ];
            if umbrella {
                args.extend_from_slice(&["--values-root", "harbor"]);
            }
            if extra.is_empty() && !pinned {
                args.extend_from_slice(&["--to", "1.19.1"]);
            }
            args.extend_from_slice(extra);
            let r = common::run(&args);
            r.assert_judged();
            for f in r.json()["findings"].as_array().unwrap() {
                let rule = f["rule"].as_str().unwrap();
                if UPGRADE_RULES.contains(&rule) {
                    // The message's first words tell two findings at one path apart
                    // (`registry mounts …`, `jobservice mounts …`).
                    let start: Vec<&str> = f["message"]
                        .as_str()
                        .unwrap()
                        .split_whitespace()
                        .take(3)
                        .collect();
                    got.insert(format!(
                        "{file} | {mode} | {rule} | {} | {} | {}",
                        f["valuesPath"].as_str().unwrap_or("-"),
                        f["severity"].as_str().unwrap(),
                        start.join(" ")
                    ));
                }
            }
        }
    }
    let want: BTreeSet<String> = EXPECTED.iter().map(ToString::to_string).collect();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing:\n{}\nunexpected:\n{}",
        missing
            .iter()
            .map(|s| format!("    \"{s}\","))
            .collect::<Vec<_>>()
            .join("\n"),
        extra
            .iter()
            .map(|s| format!("    \"{s}\","))
            .collect::<Vec<_>>()
            .join("\n"),
    );
}
