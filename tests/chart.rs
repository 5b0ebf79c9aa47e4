//! Chart-version knowledge through the binary: versions, `--chart`, the values-key rules, the
//! upgrade path and the version-aware parts of earlier rules.

mod common;

use std::path::Path;

use common::{check_values, indent, key, root, run, Scratch};

fn has(r: &common::Run, rule: &str) -> bool {
    r.rules().iter().any(|x| x == rule)
}

fn messages(r: &common::Run, rule: &str) -> String {
    r.findings(rule)
        .iter()
        .map(|f| format!("{} | {} | {}", f["message"], f["help"], f["notes"]))
        .collect::<Vec<_>>()
        .join("\n")
}

// ---- every release's own defaults are clean -------------------------------------------------

#[test]
fn every_release_defaults_have_no_values_key_finding() {
    let dir = root().join("../shared/harbor-helm");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        common::skip(&format!(
            "every_release_defaults_have_no_values_key_finding: {} is absent (the chart releases are not beside this clone)",
            dir.display()
        ));
        return;
    };
    // The releases tagged without `v` are kept beside the others.
    let extra = root().join("../shared/harbor-helm-extra");
    let mut versions: Vec<(String, std::path::PathBuf)> = entries
        .chain(std::fs::read_dir(&extra).into_iter().flatten())
        .flatten()
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .filter(|(n, _)| n.starts_with("1."))
        .collect();
    versions.sort();
    assert!(versions.len() >= 81, "{versions:?}");
    for (version, folder) in &versions {
        let values = folder.join("values.yaml");
        let r = run(&[
            "preflight",
            "check",
            &values.to_string_lossy(),
            "--to",
            version,
            "-o",
            "json",
        ]);
        assert!(r.status == 0 || r.status == 1, "{version}: {}", r.stderr);
        let keys: Vec<String> = r
            .rules()
            .into_iter()
            .filter(|x| x.starts_with("values-key-"))
            .collect();
        assert!(keys.is_empty(), "{version}: {keys:?}\n{}", r.stdout);
        assert_eq!(r.json()["upgrade"]["to"], harbor_of(version));
    }
}

fn harbor_of(chart: &str) -> String {
    let parts: Vec<u32> = chart.split('.').map(|p| p.parse().unwrap()).collect();
    format!("2.{}.{}", parts[1] - 4, parts[2])
}

// ---- versions -----------------------------------------------------------------------------------

#[test]
fn to_defaults_to_the_newest_release_and_from_stays_unknown() {
    let r = check_values("core:\n  replicas: 1\n", &[]);
    let json = r.json();
    assert_eq!(json["upgrade"]["to"], "2.15.1");
    assert!(json["upgrade"]["from"].is_null());
    assert_eq!(r.skipped("upgrade-path-skip").len(), 1, "{}", r.stdout);
}

#[test]
fn unknown_versions_are_errors_that_name_the_newest_and_suggest_chart() {
    let s = Scratch::new();
    let v = s.write("v.yaml", "core: {}\n");
    for (flag, version) in [
        ("--to", "1.12.9"),
        ("--to", "2.16.0"),
        ("--from", "v2.99.0"),
    ] {
        let r = run(&["preflight", "check", &v, flag, version]);
        assert_eq!(r.status, 2, "{flag} {version}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: invalid "), "{}", r.stderr);
        assert!(
            r.stderr.contains("Harbor 2.15.1 (chart 1.19.1)"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains("--chart"), "{}", r.stderr);
        assert!(r.stdout.is_empty());
    }
    // A `v` prefix and chart versions are accepted.
    let r = check_values("core: {}\n", &["--from", "v2.8.4", "--to", "1.14.2"]);
    assert_eq!(r.json()["upgrade"]["from"], "2.8.4");
    assert_eq!(r.json()["upgrade"]["to"], "2.10.2");
}

#[test]
// Chart 1.5.6 (Harbor 2.1.6) and 1.7.1 (Harbor 2.3.1) were tagged without `v`, missed by the table,
// and refused with a hint to pass a newer chart.
fn chart_releases_tagged_without_v_are_known() {
    for (version, harbor) in [
        ("1.5.6", "2.1.6"),
        ("2.1.6", "2.1.6"),
        ("1.7.1", "2.3.1"),
        ("v2.3.1", "2.3.1"),
    ] {
        let r = check_values("core: {}\n", &["--to", version]);
        assert_eq!(r.json()["upgrade"]["to"], harbor, "{version}: {}", r.stderr);
    }
    // They sign with the public pair: `token-key-rotates` says so, as for their neighbours.
    let r = check_values("core: {}\n", &["--to", "1.7.1"]);
    let f = r.findings("token-key-rotates");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["severity"], "error");
}

#[test]
// `--to 3.0.0` said only that it is no version; it must also name the newest known release and
// `--chart`, like a release beyond the table does.
fn a_version_the_table_cannot_place_names_the_newest_and_chart() {
    let s = Scratch::new();
    let v = s.write("v.yaml", "core: {}\n");
    for version in ["3.0.0", "1.2.0"] {
        let r = run(&["preflight", "check", &v, "--to", version]);
        assert_eq!(r.status, 2, "{}", r.stderr);
        let first = r
            .stderr
            .lines()
            .find(|l| l.contains(version))
            .unwrap_or_default();
        assert!(
            first.contains("Harbor 2.15.1 (chart 1.19.1)"),
            "{}",
            r.stderr
        );
        assert!(first.contains("--chart DIR|TGZ"), "{}", r.stderr);
    }
}

// ---- the scenarios of the issue -----------------------------------------------------------------

const NOTARY_1_12: &str = "\
expose:
  ingress:
    hosts:
      core: harbor.example.com
      notary: notary.example.com
notary:
  enabled: true
  server:
    replicas: 2
persistence:
  persistentVolumeClaim:
    jobservice:
      existingClaim: job-logs
";

#[test]
fn notary_settings_from_1_12_4_to_1_14_2_are_removed_and_signatures_lost() {
    let r = check_values(NOTARY_1_12, &["--from", "1.12.4", "--to", "1.14.2"]);
    let removed = r.findings("values-key-removed");
    let paths: Vec<&str> = removed
        .iter()
        .map(|f| f["valuesPath"].as_str().unwrap_or_default())
        .collect();
    // The jobservice volume key was already dead in 1.12.4 (moved in 1.10.0): reported too.
    assert_eq!(
        paths,
        [
            "expose.ingress.hosts.notary",
            "notary",
            "persistence.persistentVolumeClaim.jobservice.existingClaim"
        ],
        "{}",
        r.stdout
    );
    assert!(removed[2]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("chart 1.9.6"));
    let notary = &removed[1];
    assert_eq!(notary["location"]["line"], 6, "points at the `notary:` key");
    assert!(notary["notes"]
        .to_string()
        .contains("notary.server.replicas"));
    let lost = r.findings("removed-component-data");
    assert_eq!(lost.len(), 1, "{}", r.stdout);
    assert_eq!(lost[0]["valuesPath"], "notary.enabled");
    assert!(messages(&r, "removed-component-data").contains("signatures"));

    // Unset, the source chart's default (`true` in 1.12.4) decides.
    let by_default = check_values("core: {}\n", &["--from", "1.12.4", "--to", "1.14.2"]);
    assert!(
        messages(&by_default, "removed-component-data")
            .contains("by default in the source chart 1.12.4"),
        "{}",
        by_default.stdout
    );
    let off = check_values(
        "notary:\n  enabled: false\n",
        &["--from", "1.12.4", "--to", "1.14.2"],
    );
    assert!(!has(&off, "removed-component-data"));
    // Chartmuseum likewise, with its own loss.
    let cm = check_values(
        "chartmuseum:\n  enabled: true\n",
        &["--from", "1.11.4", "--to", "1.12.4"],
    );
    assert!(
        messages(&cm, "removed-component-data").contains("charts"),
        "{}",
        cm.stdout
    );
}

#[test]
// `removed-component-data` says "set `notary.enabled: false`"; once that is done
// `values-key-removed` said "remove `notary`": a switched-off component is nothing to warn about.
fn a_switched_off_notary_gets_no_contradicting_advice() {
    let off = "notary:\n  enabled: false\n  server:\n    replicas: 2\nexpose:\n  ingress:\n    hosts:\n      core: harbor.example.com\n      notary: notary.example.com\n  tls:\n    secret:\n      notarySecretName: notary-tls\n";
    let r = check_values(off, &["--from", "1.12.4", "--to", "1.14.2"]);
    assert!(!has(&r, "removed-component-data"), "{}", r.stdout);
    assert!(!has(&r, "values-key-removed"), "{}", r.stdout);
    // Enabled: one says what is lost, and both say the same thing to do.
    let r = check_values(NOTARY_1_12, &["--from", "1.12.4", "--to", "1.14.2"]);
    let help = r.findings("removed-component-data")[0]["help"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(help.contains("or remove the `notary` settings"), "{help}");
    assert!(has(&r, "values-key-removed"), "{}", r.stdout);
    // Chartmuseum likewise.
    let r = check_values(
        "chartmuseum:\n  enabled: false\nredis:\n  external:\n    chartmuseumDatabaseIndex: \"3\"\n",
        &["--from", "1.11.4", "--to", "1.12.4"],
    );
    assert!(!has(&r, "values-key-removed"), "{}", r.stdout);
}

#[test]
fn renamed_keys_get_their_new_name() {
    let jobservice = check_values(NOTARY_1_12, &["--from", "1.9.6", "--to", "1.10.4"]);
    let help = messages(&jobservice, "values-key-removed");
    assert!(
        help.contains("persistence.persistentVolumeClaim.jobservice.jobLog.existingClaim"),
        "{help}"
    );
    let ingress = "expose:\n  ingress:\n    harbor:\n      annotations:\n        cert-manager.io/cluster-issuer: letsencrypt\n";
    let r = check_values(ingress, &["--from", "1.14.2", "--to", "1.15.0"]);
    let f = r.findings("values-key-removed");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["valuesPath"], "expose.ingress.harbor");
    assert!(
        f[0]["help"]
            .as_str()
            .unwrap_or_default()
            .contains("`expose.ingress.annotations`"),
        "{}",
        f[0]
    );
    assert!(!has(
        &check_values(ingress, &["--to", "1.14.2"]),
        "values-key-removed"
    ));
}

#[test]
fn skipping_from_2_8_4_to_2_11_0_prints_hops_and_the_empty_database() {
    let r = check_values(
        "database:\n  type: internal\n",
        &["--from", "2.8.4", "--to", "2.11.0"],
    );
    assert_eq!(r.status, 1, "an error");
    let skip = r.findings("upgrade-path-skip");
    assert_eq!(skip.len(), 1, "{}", r.stdout);
    assert_eq!(skip[0]["severity"], "error");
    let text = messages(&r, "upgrade-path-skip");
    assert!(text.contains("2.8.4 → 2.10.3 → 2.11.0"), "{text}");
    assert!(text.contains("empty PostgreSQL cluster"), "{text}");
    assert!(messages(&r, "database-major-upgrade").contains("13 to 15"));

    let external = check_values(
        "database:\n  type: external\n",
        &["--from", "2.8.4", "--to", "2.11.0"],
    );
    assert!(!messages(&external, "upgrade-path-skip").contains("empty"));
    assert!(!has(&external, "database-major-upgrade"));

    let long = check_values("core: {}\n", &["--from", "2.5.6", "--to", "2.14.4"]);
    assert!(
        messages(&long, "upgrade-path-skip")
            .contains("2.5.6 → 2.7.4 → 2.9.5 → 2.11.2 → 2.13.4 → 2.14.4"),
        "{}",
        long.stdout
    );
    assert!(!has(
        &check_values("core: {}\n", &["--from", "2.8.4", "--to", "2.10.2"]),
        "upgrade-path-skip"
    ));
}

#[test]
fn database_major_upgrade_at_2_9_and_2_11() {
    let r = check_values("core: {}\n", &["--from", "2.8.4", "--to", "2.10.2"]);
    let text = messages(&r, "database-major-upgrade");
    assert!(text.contains("from 13 to 14"), "{}", r.stdout);
    assert!(text.contains("second copy"), "{text}");
    assert!(messages(
        &check_values("core: {}\n", &["--from", "2.10.2", "--to", "2.11.0"]),
        "database-major-upgrade"
    )
    .contains("from 14 to 15"));
    assert!(!has(
        &check_values("core: {}\n", &["--from", "2.11.0", "--to", "2.13.4"]),
        "database-major-upgrade"
    ));
}

#[test]
fn downgrade_from_2_10_2_to_2_8_4_is_an_error() {
    let r = check_values("core: {}\n", &["--from", "2.10.2", "--to", "2.8.4"]);
    let f = r.findings("upgrade-path-downgrade");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["severity"], "error");
    assert!(!has(&r, "upgrade-path-skip"));
    assert!(!has(
        &check_values("core: {}\n", &["--from", "2.8.4", "--to", "2.10.2"]),
        "upgrade-path-downgrade"
    ));
}

#[test]
fn a_typo_gets_the_closest_real_key() {
    let values = "persistence:\n  persistenVolumeClaim:\n    registry:\n      size: 50Gi\ncore:\n  replicaCount: 2\n  podAnnotations:\n    anything.example.com/goes: \"yes\"\n  nodeSelector:\n    kubernetes.io/os: linux\npersistence2: {}\nfullnameOverride: harbor\n";
    let r = check_values(values, &[]);
    let f = r.findings("values-key-unknown");
    let found: Vec<(String, String)> = f
        .iter()
        .map(|f| {
            (
                f["valuesPath"].as_str().unwrap_or_default().to_string(),
                f["help"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found[0].0, "persistence.persistenVolumeClaim");
    assert!(
        found[0].1.contains("`persistence.persistentVolumeClaim`"),
        "{found:?}"
    );
    assert_eq!(f[0]["location"]["line"], 2);
    assert!(found[1].1.contains("`core.replicas`"), "{found:?}");
    assert_eq!(found[2].0, "persistence2", "{found:?}");
}

#[test]
fn commented_keys_of_the_chart_are_valid_keys() {
    let values = "existingSecretAdminPassword: admin\ncaBundleSecretName: ca\nuaaSecretName: uaa\npersistence:\n  imageChartStorage:\n    caBundleSecretName: ca\n    s3:\n      existingSecret: s3\n      regionendpoint: http://minio:9000\n      someNewDriverOption: true\ntrace:\n  jaeger:\n    username: u\ncore:\n  resources:\n    requests:\n      cpu: 100m\n";
    for target in ["1.14.2", "1.19.1"] {
        let r = check_values(values, &["--to", target]);
        let keys: Vec<String> = r
            .rules()
            .into_iter()
            .filter(|x| x.starts_with("values-key-"))
            .collect();
        assert!(keys.is_empty(), "{target}: {}", r.stdout);
    }
    // htpasswdString is documented as a comment up to 1.13 and active from 1.14.
    let htpasswd = "registry:\n  credentials:\n    htpasswdString: \"harbor_registry_user:$2y$10$abcdefghijklmnopqrstuu5hK3G/ZDRv0tJyPYq3n1w4vZ6i5qJ0e\"\n";
    assert!(!has(
        &check_values(htpasswd, &["--to", "1.13.5"]),
        "values-key-unsupported"
    ));
    assert!(has(
        &check_values(htpasswd, &["--to", "1.8.3"]),
        "values-key-unsupported"
    ));
}

#[test]
// Keys only the templates read were unknown: `core.gcTimeWindowHours` (1.5.0+, behind `hasKey`)
// and the `resources` of core, jobservice and portal in 1.4.x (documented at column 0).
fn keys_the_templates_read_are_real_keys() {
    let key_findings = |r: &common::Run| -> Vec<String> {
        r.rules()
            .into_iter()
            .filter(|x| x.starts_with("values-key-"))
            .collect()
    };
    let r = check_values("core:\n  gcTimeWindowHours: 48\n", &["--to", "1.14.2"]);
    assert!(key_findings(&r).is_empty(), "{}", r.stdout);
    let r = check_values("core:\n  gcTimeWindowHours: 48\n", &["--to", "1.4.6"]);
    assert_eq!(key_findings(&r), ["values-key-unsupported"], "{}", r.stdout);
    assert!(
        messages(&r, "values-key-unsupported").contains("1.5.0"),
        "{}",
        r.stdout
    );
    let resources = "core:\n  resources:\n    requests:\n      memory: 256Mi\njobservice:\n  resources: {}\nportal:\n  resources:\n    limits:\n      cpu: 1\n";
    let r = check_values(resources, &["--to", "1.4.3"]);
    assert!(key_findings(&r).is_empty(), "{}", r.stdout);
    // The same keys from a chart read with `--chart`, which scans its templates too.
    let tgz = root().join("../shared/harbor-helm/1.14.2/harbor-1.14.2.tgz");
    if tgz.is_file() {
        let r = check_values(
            "core:\n  gcTimeWindowHours: 48\n",
            &["--chart", &tgz.to_string_lossy()],
        );
        assert!(key_findings(&r).is_empty(), "{}", r.stdout);
    } else {
        common::skip(&format!(
            "keys_the_templates_read_are_real_keys: {} is absent",
            tgz.display()
        ));
    }
}

#[test]
fn core_existing_secret_is_unsupported_before_1_14() {
    let values = "core:\n  existingSecret: harbor-core-secret\n";
    let r = check_values(values, &["--to", "1.13.5"]);
    let f = r.findings("values-key-unsupported");
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["valuesPath"], "core.existingSecret");
    assert!(f[0]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("1.14.0"));
    assert_eq!(f[0]["location"]["line"], 2);
    assert!(!has(
        &check_values(values, &["--to", "1.14.2"]),
        "values-key-unsupported"
    ));
}

#[test]
fn token_key_is_ignored_by_1_10_2_which_signs_with_the_public_pair() {
    let values = format!(
        "core:\n  tokenKey: |\n{}  tokenCert: |\n{}",
        indent(&key("rsa2048.key"), 4),
        indent(&key("rsa2048.crt"), 4)
    );
    let r = check_values(&values, &["--to", "1.10.2"]);
    let f = r.findings("token-key-ignored");
    assert_eq!(f.len(), 2, "{}", r.stdout);
    assert_eq!(f[0]["severity"], "error");
    assert!(messages(&r, "token-key-ignored").contains("public key pair"));
    assert!(f[0]["help"].as_str().unwrap_or_default().contains("1.10.4"));
    // Owned by token-key-ignored: no duplicate values-key finding.
    assert!(!has(&r, "values-key-removed") && !has(&r, "values-key-unsupported"));
    for fine in ["1.10.4", "1.12.4", "1.19.1"] {
        assert!(
            !has(&check_values(&values, &["--to", fine]), "token-key-ignored"),
            "{fine}"
        );
    }
    // Unpinned on such a target: the key does not rotate, it is the public pair.
    let rotates = check_values("core:\n  replicas: 1\n", &["--to", "1.10.2"]);
    let f = rotates.findings("token-key-rotates");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["severity"], "error");
    assert!(messages(&rotates, "token-key-rotates").contains("public key pair"));
}

#[test]
fn blank_core_secret_regenerates_on_1_13_5_and_is_kept_on_1_14_2() {
    let blank = "core:\n  secret: \"\"\n";
    assert!(check_values(blank, &["--to", "1.13.5"])
        .findings("secrets-regenerate")
        .iter()
        .any(|f| f["valuesPath"] == "core.secret"));
    assert!(!has(
        &check_values(blank, &["--to", "1.14.2"]),
        "secrets-regenerate"
    ));
    assert!(has(
        &check_values(blank, &["--to", "1.14.2", "--renderer", "template"]),
        "secrets-regenerate"
    ));
}

#[test]
fn jwt_no_leeway_before_2_11() {
    let r = check_values("core:\n  replicas: 3\n", &["--to", "2.10.2"]);
    let f = r.findings("jwt-no-leeway");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["severity"], "info");
    assert_eq!(f[0]["valuesPath"], "core.replicas");
    assert!(!has(
        &check_values("core: {}\n", &["--to", "2.11.0"]),
        "jwt-no-leeway"
    ));
}

// ---- --chart ------------------------------------------------------------------------------------

/// A chart directory newer than any release the tool knows: 1.20.0 / Harbor 2.16.0, with one new
/// key and one commented key.
fn write_chart(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: harbor\nversion: 1.20.0\nappVersion: 2.16.0\n",
    )
    .expect("Chart.yaml");
    std::fs::write(
        dir.join("values.yaml"),
        "expose:\n  type: ingress\ncore:\n  replicas: 1\n  secret: \"\"\n  brandNewKnob: false\n  # commentedKnob: \"\"\n  existingSecret: \"\"\nsecretKey: \"not-a-secure-key\"\ndatabase:\n  type: internal\n",
    )
    .expect("values.yaml");
}

fn build_tgz(chart_dir: &Path, out: &Path) {
    let file = std::fs::File::create(out).expect("tgz");
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.append_dir_all("harbor", chart_dir).expect("append");
    tar.into_inner().expect("tar").finish().expect("gzip");
}

#[test]
fn chart_directory_and_tgz_are_the_target() {
    let s = Scratch::new();
    let dir = s.path().join("harbor");
    write_chart(&dir);
    let tgz = s.path().join("harbor-1.20.0.tgz");
    build_tgz(&dir, &tgz);
    let values = "core:\n  brandNewKnob: true\n  commentedKnob: x\n  existingSecret: core\n  tokenKye: x\nnotary:\n  enabled: true\n";
    for chart in [&dir, &tgz, &s.path().to_path_buf()] {
        let chart = chart.to_string_lossy().into_owned();
        let r = check_values(values, &["--chart", &chart, "--from", "2.15.1"]);
        let json = r.json();
        assert_eq!(json["upgrade"]["to"], "2.16.0", "{chart}");
        let unknown: Vec<String> = r
            .findings("values-key-unknown")
            .iter()
            .map(|f| f["valuesPath"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(unknown, ["core.tokenKye"], "{chart}: {}", r.stdout);
        // notary is not in this chart: removed, judged against the last release that had it.
        assert!(
            messages(&r, "values-key-removed").contains("1.12.6"),
            "{}",
            r.stdout
        );
        assert!(
            messages(&r, "values-key-removed").contains("read from"),
            "{}",
            r.stdout
        );
    }
    // --to must agree with --chart.
    let v = s.write("v.yaml", "core: {}\n");
    let r = run(&[
        "preflight",
        "check",
        &v,
        "--chart",
        &dir.to_string_lossy(),
        "--to",
        "1.19.1",
    ]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("1.20.0"), "{}", r.stderr);
}

#[test]
fn bad_chart_input_is_an_error_naming_the_path() {
    let s = Scratch::new();
    let v = s.write("v.yaml", "core: {}\n");
    let not_chart = s.write("garbage.tgz", b"this is not gzip");
    let empty_dir = s.path().join("empty");
    std::fs::create_dir_all(&empty_dir).expect("mkdir");
    let other = s.path().join("nginx");
    std::fs::create_dir_all(&other).expect("mkdir");
    std::fs::write(other.join("Chart.yaml"), "name: nginx\nversion: 1.2.3\n").expect("write");
    std::fs::write(other.join("values.yaml"), "a: 1\n").expect("write");
    let missing = s.path().join("nope.tgz").to_string_lossy().into_owned();
    for chart in [
        not_chart,
        empty_dir.to_string_lossy().into_owned(),
        other.to_string_lossy().into_owned(),
        missing,
    ] {
        let r = run(&["preflight", "check", &v, "--chart", &chart]);
        assert_eq!(r.status, 2, "{chart}: {}", r.stderr);
        assert!(
            r.stderr.starts_with("error: invalid --chart"),
            "{}",
            r.stderr
        );
        assert!(r.stderr.contains(&chart), "{chart}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"));
    }
}

/// Real Helm for the tests that compare with it: `HARBOR_UPGRADE_TEST_HELM4`, else
/// `HARBOR_UPGRADE_TEST_HELM3`; `None` (with the reason printed) when neither names a file.
fn real_helm(test: &str) -> Option<std::path::PathBuf> {
    let found = ["HARBOR_UPGRADE_TEST_HELM4", "HARBOR_UPGRADE_TEST_HELM3"]
        .iter()
        .filter_map(std::env::var_os)
        .map(std::path::PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        common::skip(&format!(
            "{test}: neither HARBOR_UPGRADE_TEST_HELM4 nor HARBOR_UPGRADE_TEST_HELM3 names a Helm binary"
        ));
    }
    found
}

/// The packaged chart of a release in `../shared/harbor-helm`, when present.
fn shared_chart(test: &str, version: &str) -> Option<std::path::PathBuf> {
    let tgz = root().join(format!(
        "../shared/harbor-helm/{version}/harbor-{version}.tgz"
    ));
    if !tgz.is_file() {
        common::skip(&format!("{test}: {} is absent", tgz.display()));
        return None;
    }
    Some(tgz)
}

#[test]
// `secret-not-string` claimed renders Helm never makes; its messages must say what `helm template`
// of the real chart says or writes.
fn secret_not_string_matches_what_real_helm_renders() {
    use base64::Engine as _;
    let test = "secret_not_string_matches_what_real_helm_renders";
    let (Some(helm), Some(chart)) = (real_helm(test), shared_chart(test, "1.14.2")) else {
        return;
    };
    let s = Scratch::new();
    let b64 = |t: &str| base64::engine::general_purpose::STANDARD.encode(t);
    // (values, what Helm prints on failure or writes into the manifests)
    let cases: &[(&str, Result<String, &str>)] = &[
        (
            "secretKey: 1234567890123456\n",
            Err("wrong type for value; expected string; got float64"),
        ),
        ("secretKey: ~\n", Err("invalid value; expected string")),
        (
            "core:\n  secret: true\n",
            Err("wrong type for value; expected string; got bool"),
        ),
        (
            "harborAdminPassword: {a: 1}\n",
            Err("wrong type for value; expected string; got map[string]interface {}"),
        ),
        (
            "database:\n  internal:\n    password: 1234567890123456\n",
            Ok(b64("1.234567890123456e+15")),
        ),
        (
            "database:\n  internal:\n    password: ~\n",
            Ok(b64("<no value>")),
        ),
    ];
    for (i, (values, helm_says)) in cases.iter().enumerate() {
        let file = s.write(&format!("v{i}.yaml"), values);
        let out = std::process::Command::new(&helm)
            .args(["template", "x"])
            .arg(&chart)
            .args(["-f", &file])
            .env("HOME", s.path())
            .output()
            .expect("run helm");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let r = check_values(values, &["--to", "1.14.2"]);
        let message = messages(&r, "secret-not-string");
        match helm_says {
            Err(phrase) => {
                assert!(!out.status.success(), "{values}: Helm rendered it");
                assert!(
                    stderr.contains("at <b64enc>") && stderr.contains(phrase),
                    "{values}: {stderr}"
                );
                assert!(
                    message.contains(phrase) && message.contains("b64enc"),
                    "{values}: {message}"
                );
            }
            Ok(written) => {
                assert!(out.status.success(), "{values}: {stderr}");
                assert!(
                    stdout.contains(written.as_str()),
                    "{values}: Helm did not write {written}"
                );
                assert!(!message.contains("fails"), "{values}: {message}");
            }
        }
    }
}

#[test]
// The public static pair ships from chart 1.4.0, not from 1.9.0: the rule named the wrong range.
fn token_key_public_names_the_releases_that_ship_the_static_pair() {
    let r = run(&["preflight", "explain", "token-key-public"]);
    assert!(r.stdout.contains("1.4.0–1.9.5"), "{}", r.stdout);
    assert!(r.stdout.contains("1.5.6 and 1.7.1"), "{}", r.stdout);
    assert!(!r.stdout.contains("1.9.0–1.9.5"), "{}", r.stdout);
    for version in ["1.4.0", "1.5.6", "1.7.1", "1.10.3", "1.11.0"] {
        let r = check_values("core: {}\n", &["--to", version]);
        let f = r.findings("token-key-rotates");
        assert_eq!(f.len(), 1, "{version}: {}", r.stdout);
        assert!(
            f[0]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("public key pair"),
            "{version}: {}",
            f[0]
        );
    }
}

#[test]
// What each release really renders into `tls.key` of the core Secret, judged by the tool.
fn token_key_public_fires_on_the_core_secret_real_helm_renders() {
    let test = "token_key_public_fires_on_the_core_secret_real_helm_renders";
    let Some(helm) = real_helm(test) else {
        return;
    };
    let s = Scratch::new();
    let values = s.write("values.yaml", "core: {}\n");
    for (version, public) in [
        ("1.4.0", true),
        ("1.7.1", true),
        ("1.9.5", true),
        ("1.9.6", false),
        ("1.10.3", true),
        ("1.10.4", false),
        ("1.11.0", true),
        ("1.11.1", false),
    ] {
        let tgz = [
            format!("../shared/harbor-helm/{version}/harbor-{version}.tgz"),
            format!("../shared/harbor-helm-extra/{version}/harbor-{version}.tgz"),
        ]
        .into_iter()
        .map(|p| root().join(p))
        .find(|p| p.is_file());
        let Some(tgz) = tgz else {
            common::skip(&format!("{test}: chart {version} is absent from ../shared"));
            return;
        };
        let out = std::process::Command::new(&helm)
            .args(["template", "x"])
            .arg(&tgz)
            .args(["-s", "templates/core/core-secret.yaml"])
            .env("HOME", s.path())
            .output()
            .expect("run helm");
        assert!(
            out.status.success(),
            "{version}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let secret = s.write(&format!("core-{version}.yaml"), &out.stdout);
        let r = run(&[
            "preflight",
            "check",
            &values,
            "--secret",
            &secret,
            "--to",
            version,
            "-o",
            "json",
        ]);
        assert_eq!(
            has(&r, "token-key-public"),
            public,
            "{version}: {}",
            r.stdout
        );
    }
}

#[test]
// Chart 1.4.0 writes a fresh `randAlphaNum 32` as `CSRF_KEY` whatever `core.xsrfKey` says;
// `secrets-regenerate` was silent about a pinned key there.
fn secrets_regenerate_says_chart_1_4_0_ignores_a_pinned_xsrf_key() {
    let pinned = "core:\n  xsrfKey: \"0123456789abcdef0123456789abcdef\"\n";
    let r = check_values(pinned, &["--to", "1.4.0"]);
    let f = r.findings("secrets-regenerate");
    let ignored: Vec<_> = f
        .iter()
        .filter(|f| f["valuesPath"] == "core.xsrfKey")
        .collect();
    assert_eq!(ignored.len(), 1, "{}", r.stdout);
    assert!(
        ignored[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("ignores `core.xsrfKey`"),
        "{}",
        ignored[0]
    );
    for later in ["1.4.1", "1.4.6"] {
        let r = check_values(pinned, &["--to", later]);
        assert!(
            r.findings("secrets-regenerate")
                .iter()
                .all(|f| f["valuesPath"] != "core.xsrfKey"),
            "{later}: {}",
            r.stdout
        );
    }
}

#[test]
// The claim behind the finding above, checked against what real Helm renders.
fn chart_1_4_0_renders_a_random_csrf_key_over_a_pinned_one() {
    use base64::Engine as _;
    let test = "chart_1_4_0_renders_a_random_csrf_key_over_a_pinned_one";
    let Some(helm) = real_helm(test) else {
        return;
    };
    let pinned = "0123456789abcdef0123456789abcdef";
    let encoded = base64::engine::general_purpose::STANDARD.encode(pinned);
    let s = Scratch::new();
    for (version, honoured) in [("1.4.0", false), ("1.4.1", true)] {
        let Some(tgz) = shared_chart(test, version) else {
            return;
        };
        let out = std::process::Command::new(&helm)
            .args(["template", "x"])
            .arg(&tgz)
            .args(["--set", &format!("core.xsrfKey={pinned}")])
            .env("HOME", s.path())
            .output()
            .expect("run helm");
        let manifest = String::from_utf8_lossy(&out.stdout);
        let csrf: Vec<&str> = manifest
            .lines()
            .filter(|l| l.contains("CSRF_KEY:"))
            .collect();
        assert_eq!(csrf.len(), 1, "{version}: {csrf:?}");
        assert_eq!(
            csrf[0].contains(&encoded) || csrf[0].contains(pinned),
            honoured,
            "{version}: {}",
            csrf[0]
        );
    }
}
